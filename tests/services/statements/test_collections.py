"""Collections against a real database: candidates, placement, the agency file,
recoveries and recalls on the statement practice's Garcia family account ($395.00).

Accounts, notices and the write-off per patient are described in
tests/helpers/collections_data.py.
"""

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.payments import AccountAdjustment, Payment
from app.models.security import AuditEvent
from app.models.statements import (
    BillingAccount,
    CollectionPlacement,
    CollectionRecovery,
    NoticeLevel,
    PaymentPlan,
)
from app.security.permissions import Actor
from app.services import collections, collections_ledger
from app.services.account_balances import bucket_totals, patient_share
from app.services.collections_export import CSV_HEADERS
from app.services.ledger import set_ledger_lock_date
from app.services.ledger_verify import ledger_check
from app.services.line_balances import open_patient_lines
from app.services.today import practice_today
from tests.helpers.collections_data import (
    AGENCY,
    FINAL_ON,
    PLACED_ON,
    CollectionsPractice,
    add_statement,
    build_collections_practice,
    place_family,
)
from tests.helpers.statement_data import (
    CODE_LABELS,
    FAMILY_BALANCE,
    UNLABELED_CODE,
    noon_utc,
    pay,
)

RECEIVED_ON = date(2026, 8, 10)


@pytest.fixture
def practice(database: Database) -> CollectionsPractice:
    return build_collections_practice(database)


def candidate_numbers(
    database: Database, practice: CollectionsPractice, on: date
) -> list[uuid.UUID]:
    with database.transaction() as session:
        rows = collections.placement_candidates(session, practice.statements.manager, on)
    return [row.account_id for row in rows]


def family_balance(session: Session, practice: CollectionsPractice) -> Decimal:
    totals = bucket_totals(session, list(practice.statements.family))
    return sum(
        (patient_share(totals.get(patient_id, {})) for patient_id in practice.statements.family),
        Decimal("0.00"),
    )


def adjustment_totals(session: Session, kind: str) -> dict[uuid.UUID, Decimal]:
    rows = session.execute(
        select(AccountAdjustment.patient_id, func.sum(AccountAdjustment.amount))
        .where(AccountAdjustment.kind == kind)
        .group_by(AccountAdjustment.patient_id)
    )
    return dict(rows.all())


def ledger_sum(session: Session, kind: str) -> Decimal:
    total = session.scalar(
        select(func.sum(LedgerEntry.amount))
        .join(AccountAdjustment, AccountAdjustment.id == LedgerEntry.source_id)
        .where(LedgerEntry.source_type == "account_adjustment", AccountAdjustment.kind == kind)
    )
    return Decimal("0.00") if total is None else total


def recover(
    database: Database,
    practice: CollectionsPractice,
    placement_id: uuid.UUID,
    gross: str,
    fee: str,
    *,
    received_on: date = RECEIVED_ON,
    check_number: str = "5521",
) -> None:
    with database.transaction() as session:
        collections.record_recovery(
            session,
            practice.statements.manager,
            placement_id,
            Decimal(gross),
            Decimal(fee),
            received_on,
            check_number,
        )


# --- candidates -------------------------------------------------------------------------


def test_candidates_list_family_with_facts(
    database: Database, practice: CollectionsPractice
) -> None:
    with database.transaction() as session:
        rows = collections.placement_candidates(session, practice.statements.biller, PLACED_ON)

    assert [row.account_id for row in rows] == [practice.family]
    row = rows[0]
    assert row.guarantor_name == "Laura Garcia"
    assert row.patient_names == ("Laura Garcia", "Mateo Garcia", "Sofia Garcia")
    assert row.balance == FAMILY_BALANCE
    assert row.last_statement_on == FINAL_ON
    assert row.last_statement_level == "final"
    assert row.last_payment_on == date(2026, 5, 21)
    assert row.oldest_service_on == date(2026, 1, 31)


def test_candidates_wait_after_final(database: Database, practice: CollectionsPractice) -> None:
    # The default wait is 30 days after the final notice of 05/26/2026.
    assert candidate_numbers(database, practice, FINAL_ON + timedelta(days=29)) == []
    assert candidate_numbers(database, practice, FINAL_ON + timedelta(days=30)) == [practice.family]


def _hold(session: Session, practice: CollectionsPractice) -> None:
    account = session.get(BillingAccount, practice.family)
    assert account is not None
    account.hold_reason = "bankruptcy"


def _plan(
    status: str, made_on: date | None = None
) -> Callable[[Session, CollectionsPractice], None]:
    # Without `made_on` the plan is made now, after PLACED_ON, so nothing of it is due yet.
    def add(session: Session, practice: CollectionsPractice) -> None:
        user_id = practice.statements.manager.user_id
        assert user_id is not None
        plan = PaymentPlan(
            account_id=practice.family,
            total=Decimal("300.00"),
            down_payment=Decimal("0.00"),
            installment_amount=Decimal("100.00"),
            frequency="monthly",
            start_on=date(2026, 6, 15),
            grace_days=15,
            status=status,
            created_by=user_id,
        )
        if made_on is not None:
            plan.created_at = noon_utc(made_on)
        session.add(plan)

    return add


def _longer_wait(session: Session, practice: CollectionsPractice) -> None:
    session.add(
        NoticeLevel(
            code="collections",
            position=5,
            label="Collections",
            days_after_previous=60,
            message="",
        )
    )


def _newer_statement(session: Session, practice: CollectionsPractice) -> None:
    add_statement(session, practice.statements, practice.family, "statement", date(2026, 6, 25))


def _payment_since_final(session: Session, practice: CollectionsPractice) -> None:
    pay(session, practice.statements.ledger, practice.statements.sofia, "10.00", 5)


def _open_placement(session: Session, practice: CollectionsPractice) -> None:
    user_id = practice.statements.manager.user_id
    assert user_id is not None
    session.add(
        CollectionPlacement(
            account_id=practice.family,
            agency="Other Agency",
            placed_on=date(2026, 7, 1),
            placed_amount=Decimal("395.00"),
            status="placed",
            created_by=user_id,
        )
    )


@pytest.mark.parametrize(
    "change",
    [
        _hold,
        _plan("current"),
        _plan("late"),
        _longer_wait,
        _newer_statement,
        _payment_since_final,
        _open_placement,
    ],
    ids=[
        "hold",
        "plan current",
        "plan late",
        "wait 60 days",
        "newer statement",
        "payment since final",
        "open placement",
    ],
)
def test_candidates_exclusions(
    database: Database,
    practice: CollectionsPractice,
    change: Callable[[Session, CollectionsPractice], None],
) -> None:
    with database.transaction() as session:
        change(session, practice)

    assert candidate_numbers(database, practice, PLACED_ON) == []


def _hold_ended(session: Session, practice: CollectionsPractice) -> None:
    account = session.get(BillingAccount, practice.family)
    assert account is not None
    account.hold_reason = "dispute"
    account.hold_until = PLACED_ON - timedelta(days=1)


def _cancelled_statement(session: Session, practice: CollectionsPractice) -> None:
    add_statement(
        session, practice.statements, practice.family, "statement", date(2026, 6, 25),
        status="cancelled",
    )  # fmt: skip


def _plan_reminder(session: Session, practice: CollectionsPractice) -> None:
    add_statement(session, practice.statements, practice.family, "plan_reminder", date(2026, 6, 25))


def _recalled_placement(session: Session, practice: CollectionsPractice) -> None:
    _open_placement(session, practice)
    session.flush()
    placement = session.scalars(select(CollectionPlacement)).one()
    placement.status = "recalled"


@pytest.mark.parametrize(
    "change",
    [
        _hold_ended,
        _plan("broken", made_on=date(2026, 6, 1)),
        _cancelled_statement,
        _plan_reminder,
        _recalled_placement,
    ],
    ids=["hold ended", "plan broken", "cancelled statement", "plan reminder", "recalled"],
)
def test_candidates_still_listed(
    database: Database,
    practice: CollectionsPractice,
    change: Callable[[Session, CollectionsPractice], None],
) -> None:
    with database.transaction() as session:
        change(session, practice)

    assert candidate_numbers(database, practice, PLACED_ON) == [practice.family]


def test_candidates_need_statement_permission(
    database: Database, practice: CollectionsPractice
) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        collections.placement_candidates(session, practice.statements.desk, PLACED_ON)


# --- placing ----------------------------------------------------------------------------


def test_place_writes_off_exact_balance(database: Database, practice: CollectionsPractice) -> None:
    statements = practice.statements
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.account_id == practice.family
        assert placement.agency == AGENCY
        assert placement.placed_on == PLACED_ON
        assert placement.placed_amount == FAMILY_BALANCE
        assert placement.status == "placed"
        assert placement.exported_at is None

        assert family_balance(session, practice) == Decimal("0.00")
        for patient_id in statements.family:
            assert open_patient_lines(session, patient_id) == []
        assert adjustment_totals(session, "collections") == {
            statements.parent: Decimal("-145.00"),
            statements.sofia: Decimal("-230.00"),
            statements.mateo: Decimal("-20.00"),
        }
        assert ledger_sum(session, "collections") == -FAMILY_BALANCE
        # Every write-off row names a service line: the family has no unapplied credit.
        unlined = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .join(AccountAdjustment, AccountAdjustment.id == LedgerEntry.source_id)
            .where(AccountAdjustment.kind == "collections", LedgerEntry.charge_line_id.is_(None))
        )
        assert unlined == 0
        assert ledger_check(session, statements.manager) == []
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(placement_id))
        ).all()
        assert events == ["create"]


def test_place_outcome_totals(database: Database, practice: CollectionsPractice) -> None:
    with database.transaction() as session:
        outcome = collections.place_accounts(
            session, practice.statements.manager, [practice.family, practice.family], AGENCY,
            PLACED_ON,
        )  # fmt: skip

    assert len(outcome.placement_ids) == 1
    assert outcome.total == FAMILY_BALANCE
    assert {kind.value for kind in outcome.changes.kinds} == {"payments", "ledger"}


def test_place_twice_rejected(database: Database, practice: CollectionsPractice) -> None:
    place_family(database, practice)

    with database.transaction() as session, pytest.raises(UserError, match="Nothing was placed"):
        collections.place_accounts(
            session, practice.statements.manager, [practice.family], "Second Agency", PLACED_ON
        )
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CollectionPlacement)) == 1
        assert ledger_sum(session, "collections") == -FAMILY_BALANCE


def test_place_all_or_nothing(database: Database, practice: CollectionsPractice) -> None:
    with database.transaction() as session, pytest.raises(UserError, match="1 of the chosen"):
        collections.place_accounts(
            session, practice.statements.manager, [practice.family, practice.credit], AGENCY,
            PLACED_ON,
        )  # fmt: skip

    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CollectionPlacement)) == 0
        assert adjustment_totals(session, "collections") == {}
        assert family_balance(session, practice) == FAMILY_BALANCE


def test_place_rolls_back_savepoint(
    database: Database, practice: CollectionsPractice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second account's write-off fails after the first was posted. The caller keeps
    # its session, yet none of the first account's writes stay.
    statements = practice.statements
    on = date(2026, 8, 15)
    original = collections_ledger.post_write_off
    calls: list[uuid.UUID] = []

    def fail_second(
        session: Session, actor: Actor, amounts: dict[uuid.UUID, Decimal], reason: str,
        posted_on: date,
    ) -> list[uuid.UUID]:  # fmt: skip
        calls.extend(amounts)
        if len(calls) > len(statements.family):
            raise UserError("write-off failed")
        return original(session, actor, amounts, reason, posted_on)

    monkeypatch.setattr(collections, "post_write_off", fail_second)
    with database.transaction() as session:
        before = collections.placement_candidates(session, statements.manager, on)
        assert {row.account_id for row in before} == {practice.family, practice.person}
        with pytest.raises(UserError, match="write-off failed"):
            collections.place_accounts(
                session, statements.manager, [practice.family, practice.person], AGENCY, on
            )
        assert session.scalar(select(func.count()).select_from(CollectionPlacement)) == 0
        assert adjustment_totals(session, "collections") == {}
        assert family_balance(session, practice) == FAMILY_BALANCE
    assert len(calls) == len(statements.family) + 1


@pytest.mark.parametrize(
    ("agency", "placed_on", "field"),
    [
        ("  ", PLACED_ON, "agency"),
        ("A" * 61, PLACED_ON, "agency"),
        ("Card 4111 1111 1111 1111", PLACED_ON, "agency"),
        (AGENCY, date(2099, 1, 1), "placed_on"),
    ],
    ids=["blank agency", "long agency", "card number", "future date"],
)
def test_place_validation(
    database: Database, practice: CollectionsPractice, agency: str, placed_on: date, field: str
) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        collections.place_accounts(
            session, practice.statements.manager, [practice.family], agency, placed_on
        )

    assert [problem.field for problem in raised.value.problems] == [field]


def test_place_in_locked_period_rejected(database: Database, practice: CollectionsPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.statements.manager, PLACED_ON)

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        collections.place_accounts(
            session, practice.statements.manager, [practice.family], AGENCY, PLACED_ON
        )
    assert [problem.field for problem in raised.value.problems] == ["placed_on"]
    assert "closed through 07/20/2026" in raised.value.problems[0].message


def test_place_credit_patient_keeps_credit(
    database: Database, practice: CollectionsPractice
) -> None:
    # Mateo pays $70.00 on his $20.00 line, leaving a $50.00 credit: the family owes
    # $325.00 while Laura and Sofia owe $375.00.
    statements = practice.statements
    with database.transaction() as session:
        pay(session, statements.ledger, statements.mateo, "70.00", 36)
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.placed_amount == Decimal("325.00")
        assert family_balance(session, practice) == Decimal("0.00")
        # Oldest line first: Laura $145.00 in full, then Sofia $180.00 of her $230.00.
        assert adjustment_totals(session, "collections") == {
            statements.parent: Decimal("-145.00"),
            statements.sofia: Decimal("-180.00"),
        }
        sofia = patient_share(bucket_totals(session, [statements.sofia])[statements.sofia])
        assert sofia == Decimal("50.00")
        assert ledger_check(session, statements.manager) == []


# --- the agency file --------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_row_for_agency(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        text = collections.placement_csv(session, practice.statements.manager, [placement_id])
        account = session.get(BillingAccount, practice.family)
        assert account is not None
        number = account.account_number

    rows = read_csv(text)
    assert rows[0] == list(CSV_HEADERS)
    assert rows[1:] == [
        [
            number,
            "Laura Garcia",
            "48 Elm Street, Apt 2",
            "Evanston",
            "IL",
            "60201",
            "(847) 555-0188",
            "laura.garcia@example.com",
            "1984-09-02",
            "2026-07-20",
            "395.00",
            "2026-05-21",
            "2026-05-26",
            "2026-01-31",
            "Laura Garcia; Mateo Garcia; Sofia Garcia",
        ]
    ]


def test_csv_has_no_codes(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        text = collections.placement_csv(session, practice.statements.manager, [placement_id])

    for code, description in [*CODE_LABELS.items(), (UNLABELED_CODE, "")]:
        assert code not in text
        if description:
            assert description not in text


def test_csv_marks_exported_and_audits(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        collections.placement_csv(session, practice.statements.manager, [placement_id])

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.exported_at is not None
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == str(placement_id))
            .order_by(AuditEvent.sequence)
        ).all()
        assert actions == ["create", "export"]


def test_csv_person_guarantor(database: Database, practice: CollectionsPractice) -> None:
    on = date(2026, 8, 15)
    with database.transaction() as session:
        outcome = collections.place_accounts(
            session, practice.statements.manager, [practice.person], AGENCY, on
        )
        text = collections.placement_csv(
            session, practice.statements.manager, outcome.placement_ids
        )

    row = read_csv(text)[1]
    assert row[1:10] == [
        "Karen Walsh",
        "910 Maple Avenue",
        "Skokie",
        "IL",
        "60076",
        "(847) 555-0199",
        "karen.walsh@example.com",
        "1975-03-14",
        "2026-08-15",
    ]
    assert row[10] == "175.00"
    assert row[11] == ""
    assert row[14] == "Ethan Walsh"


def test_csv_escapes_formulas(database: Database, practice: CollectionsPractice) -> None:
    with database.transaction() as session:
        laura = session.get(Patient, practice.statements.parent)
        assert laura is not None
        laura.first_name = '=HYPERLINK("http://example.com/x","Pay")'
        laura.address_line1 = "+1 Main Street"
        laura.city = "-Evanston"
        laura.email = "@example.com"
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        text = collections.placement_csv(session, practice.statements.manager, [placement_id])

    row = read_csv(text)[1]
    assert row[1] == '\'=HYPERLINK("http://example.com/x","Pay") Garcia'
    assert row[2] == "'+1 Main Street, Apt 2"
    assert row[3] == "'-Evanston"
    assert row[7] == "'@example.com"


def test_csv_rejects_recalled(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)
    with database.transaction() as session:
        collections.recall_placement(
            session, practice.statements.manager, placement_id, "Patient disputes"
        )

    with database.transaction() as session, pytest.raises(UserError, match="recalled"):
        collections.placement_csv(session, practice.statements.manager, [placement_id])


# --- recoveries -------------------------------------------------------------------------


def test_recovery_arithmetic_to_the_cent(database: Database, practice: CollectionsPractice) -> None:
    statements = practice.statements
    placement_id = place_family(database, practice)

    recover(database, practice, placement_id, "123.45", "37.04")

    with database.transaction() as session:
        assert family_balance(session, practice) == Decimal("0.00")
        assert ledger_sum(session, "collections_recovery") == Decimal("123.45")
        assert ledger_sum(session, "collections_fee") == Decimal("-37.04")
        payments = session.scalars(select(Payment).order_by(Payment.amount.desc())).all()
        # The oldest lines first: Laura's 99214 ($50.00), then Sofia's 99392.
        received = [
            (payment.patient_id, payment.amount, payment.method, payment.check_number)
            for payment in payments
            if payment.received_on == RECEIVED_ON
        ]
        assert received == [
            (statements.parent, Decimal("50.00"), "check", "5521"),
            (statements.sofia, Decimal("36.41"), "check", "5521"),
        ]
        assert {payment.memo for payment in payments if payment.received_on == RECEIVED_ON} == {
            f"Collections recovery from {AGENCY}"
        }
        assert adjustment_totals(session, "collections_recovery") == {
            statements.parent: Decimal("50.00"),
            statements.sofia: Decimal("73.45"),
        }
        assert adjustment_totals(session, "collections_fee") == {
            statements.sofia: Decimal("-37.04"),
        }
        recovery = session.scalars(select(CollectionRecovery)).one()
        assert (recovery.gross_amount, recovery.fee_amount) == (Decimal("123.45"), Decimal("37.04"))
        assert recovery.check_number == "5521"
        assert recovery.received_on == RECEIVED_ON
        assert ledger_check(session, statements.manager) == []

        (row,) = collections.list_placements(session, statements.biller)
    assert row.recovered == Decimal("123.45")
    assert row.fees == Decimal("37.04")
    assert row.outstanding == Decimal("271.55")
    assert row.status == "placed"


def test_recovery_rows_dated_received(database: Database, practice: CollectionsPractice) -> None:
    # The lines' service dates (05/2026 and before) and the placement are in a closed
    # period, and the recovery still posts, because its rows carry the day received.
    placement_id = place_family(database, practice)
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.statements.manager, PLACED_ON)

    recover(database, practice, placement_id, "123.45", "37.04")

    with database.transaction() as session:
        dates = session.scalars(
            select(LedgerEntry.service_date)
            .join(AccountAdjustment, AccountAdjustment.id == LedgerEntry.source_id)
            .where(
                AccountAdjustment.kind.in_(
                    (collections_ledger.RECOVERY_KIND, collections_ledger.FEE_KIND)
                )
            )
        ).all()
    assert len(dates) == 3
    assert set(dates) == {RECEIVED_ON}


def test_recovery_in_full_closes(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)
    recover(database, practice, placement_id, "100.00", "25.00")
    recover(database, practice, placement_id, "295.00", "0.00", check_number="")

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.status == "closed"
        other = session.scalars(
            select(Payment).where(Payment.received_on == RECEIVED_ON, Payment.method == "other")
        ).all()
        assert sum((payment.amount for payment in other), Decimal("0.00")) == Decimal("295.00")
        assert family_balance(session, practice) == Decimal("0.00")
        assert ledger_check(session, practice.statements.manager) == []
        assert collections.list_placements(session, practice.statements.manager) == []
        closed = collections.list_placements(session, practice.statements.manager, True)
    assert [(row.placement_id, row.status, row.outstanding) for row in closed] == [
        (placement_id, "closed", Decimal("0.00"))
    ]

    with pytest.raises(ValidationError) as raised:
        recover(database, practice, placement_id, "1.00", "0.00")
    assert [problem.field for problem in raised.value.problems] == ["placement", "gross"]


def test_recovery_fee_takes_all(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)
    recover(database, practice, placement_id, "40.00", "40.00")

    with database.transaction() as session:
        assert (
            session.scalars(select(Payment).where(Payment.received_on == RECEIVED_ON)).all() == []
        )
        assert ledger_sum(session, "collections_recovery") == Decimal("40.00")
        assert ledger_sum(session, "collections_fee") == Decimal("-40.00")
        assert family_balance(session, practice) == Decimal("0.00")
        assert ledger_check(session, practice.statements.manager) == []


@pytest.mark.parametrize(
    ("gross", "fee", "received_on", "check_number", "fields"),
    [
        ("0.00", "0.00", RECEIVED_ON, "", ["gross"]),
        ("-5.00", "0.00", RECEIVED_ON, "", ["gross"]),
        ("10.005", "0.00", RECEIVED_ON, "", ["gross"]),
        ("10.00", "-1.00", RECEIVED_ON, "", ["fee"]),
        ("10.00", "10.01", RECEIVED_ON, "", ["fee"]),
        ("395.01", "0.00", RECEIVED_ON, "", ["gross"]),
        ("10.00", "0.00", PLACED_ON - timedelta(days=1), "", ["received_on"]),
        ("10.00", "0.00", date(2099, 1, 1), "", ["received_on"]),
        ("10.00", "0.00", RECEIVED_ON, "9" * 31, ["check_number"]),
    ],
    ids=[
        "zero",
        "negative",
        "fraction of a cent",
        "negative fee",
        "fee over gross",
        "over placed",
        "before placement",
        "future",
        "long check number",
    ],
)
def test_recovery_validation(  # noqa: PLR0917 (pytest passes the parameters by name)
    database: Database,
    practice: CollectionsPractice,
    gross: str,
    fee: str,
    received_on: date,
    check_number: str,
    fields: list[str],
) -> None:
    placement_id = place_family(database, practice)

    with pytest.raises(ValidationError) as raised:
        recover(
            database, practice, placement_id, gross, fee, received_on=received_on,
            check_number=check_number,
        )  # fmt: skip

    assert [problem.field for problem in raised.value.problems] == fields
    with database.transaction() as session:
        assert session.scalars(select(CollectionRecovery)).all() == []
        assert ledger_sum(session, "collections_recovery") == Decimal("0.00")


def test_recovery_total_capped(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)
    recover(database, practice, placement_id, "300.00", "90.00")

    with pytest.raises(ValidationError) as raised:
        recover(database, practice, placement_id, "100.00", "0.00")

    (problem,) = raised.value.problems
    assert problem.field == "gross"
    assert "$400.00" in problem.message
    assert "at most $95.00" in problem.message


# --- recalls ----------------------------------------------------------------------------


def test_recall_reinstates_unrecovered(database: Database, practice: CollectionsPractice) -> None:
    statements = practice.statements
    placement_id = place_family(database, practice)
    recover(database, practice, placement_id, "100.00", "25.00")

    with database.transaction() as session:
        collections.recall_placement(
            session, statements.manager, placement_id, "Patient filed a dispute"
        )

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.status == "recalled"
        assert family_balance(session, practice) == Decimal("295.00")
        assert ledger_sum(session, "collections_recovery") == Decimal("395.00")
        reinstated = session.scalars(
            select(AccountAdjustment.reason).where(
                AccountAdjustment.kind == "collections_recovery",
                AccountAdjustment.posted_on == practice_today(session),
            )
        ).all()
        assert set(reinstated) == {f"Recalled from {AGENCY}: Patient filed a dispute"}
        assert ledger_check(session, statements.manager) == []
        assert collections.list_placements(session, statements.manager) == []

    with pytest.raises(ValidationError) as raised:
        recover(database, practice, placement_id, "10.00", "0.00")
    assert [problem.field for problem in raised.value.problems] == ["placement"]


def test_recall_keeps_write_off(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)

    with database.transaction() as session:
        collections.recall_placement(
            session, practice.statements.manager, placement_id, "Agency returned it",
            reinstate_balance=False,
        )  # fmt: skip

    with database.transaction() as session:
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.status == "recalled"
        assert family_balance(session, practice) == Decimal("0.00")
        assert ledger_sum(session, "collections_recovery") == Decimal("0.00")


def test_recall_twice_rejected(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)
    with database.transaction() as session:
        collections.recall_placement(session, practice.statements.manager, placement_id, "Paid")

    with database.transaction() as session, pytest.raises(UserError, match="cannot be recalled"):
        collections.recall_placement(session, practice.statements.manager, placement_id, "Again")


def test_recall_needs_reason(database: Database, practice: CollectionsPractice) -> None:
    placement_id = place_family(database, practice)

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        collections.recall_placement(session, practice.statements.manager, placement_id, "  ")
    assert [problem.field for problem in raised.value.problems] == ["reason"]


# --- permissions ------------------------------------------------------------------------


def test_biller_refused_manager_actions(database: Database, practice: CollectionsPractice) -> None:
    biller = practice.statements.biller
    placement_id = place_family(database, practice)
    money = Decimal("10.00")
    actions: list[Callable[[Session], object]] = [
        lambda session: collections.place_accounts(
            session, biller, [practice.family], AGENCY, PLACED_ON
        ),
        lambda session: collections.placement_csv(session, biller, [placement_id]),
        lambda session: collections.record_recovery(
            session, biller, placement_id, money, Decimal("0.00"), RECEIVED_ON, ""
        ),
        lambda session: collections.recall_placement(session, biller, placement_id, "No"),
    ]
    for action in actions:
        with database.transaction() as session, pytest.raises(PermissionDeniedError):
            action(session)

    with database.transaction() as session:
        assert [row.placement_id for row in collections.list_placements(session, biller)] == [
            placement_id
        ]
        placement = session.get(CollectionPlacement, placement_id)
        assert placement is not None
        assert placement.status == "placed"
        assert placement.exported_at is None
        assert session.scalars(select(CollectionRecovery)).all() == []
