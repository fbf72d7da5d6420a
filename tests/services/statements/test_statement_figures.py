"""Statement figures checked against sums of the ledger rows read independently here."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest.mock import patch

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, aliased

from app.db.database import Database
from app.errors import NotFoundError
from app.models.charges import ChargeLine, EncounterDiagnosis
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.statements import BillingAccount, Statement
from app.money import ZERO
from app.services import ledger_bulk
from app.services.billing_accounts import account_for_patient
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.payments import PaymentForm, take_payment, void_payment
from app.services.statement_figures import (
    Aging,
    StatementFigures,
    aging_index,
    figures_for_accounts,
    net_credit,
    statement_figures,
)
from tests.helpers.statement_data import (
    CREDIT_BALANCE,
    FAMILY_AGING,
    FAMILY_BALANCE,
    INSURED_DUE,
    INSURED_PENDING,
    PERSON_DUE,
    PRACTICE_ZONE,
    SMALL_DUE,
    STATEMENT_DATE,
    UNLABELED_CODE,
    StatementPractice,
    build_statement_practice,
    days_before,
    pay,
    posted_on,
)


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


# --- independent ledger sums ------------------------------------------------------------------


def day_end(day: date) -> datetime:
    """Return the UTC instant of the practice's midnight after `day`."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=PRACTICE_ZONE).astimezone(UTC)


def ledger_sum(
    session: Session,
    patient_ids: Sequence[uuid.UUID],
    *,
    patient_bucket: bool = True,
    after: date | None = None,
    through: date = STATEMENT_DATE,
    types: Sequence[str] | None = None,
    positive_original: bool | None = None,
    line_id: uuid.UUID | None = None,
) -> Decimal:
    """Sum ledger rows, a reversal counted as the type of the row it reverses."""
    original = aliased(LedgerEntry)
    effective = func.coalesce(original.entry_type, LedgerEntry.entry_type)
    # The amount as first posted: a reversal's row was the opposite.
    first_amount = func.coalesce(original.amount, LedgerEntry.amount)
    party = LedgerEntry.responsible_party
    query = (
        select(func.sum(LedgerEntry.amount))
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.patient_id.in_(patient_ids),
            LedgerEntry.posted_at < day_end(through),
            party == "patient" if patient_bucket else party != "patient",
        )
    )
    if after is not None:
        query = query.where(LedgerEntry.posted_at >= day_end(after))
    if types is not None:
        query = query.where(effective.in_(types))
    if positive_original is not None:
        query = query.where(first_amount > ZERO if positive_original else first_amount < ZERO)
    if line_id is not None:
        query = query.where(LedgerEntry.charge_line_id == line_id)
    total = session.scalar(query)
    return Decimal(total or 0).quantize(Decimal("0.01"))


def account_id_of(
    database: Database, practice: StatementPractice, patient_id: uuid.UUID
) -> uuid.UUID:
    with database.transaction() as session:
        return account_for_patient(session, practice.biller, patient_id).id


def figures(
    database: Database, account_id: uuid.UUID, on: date = STATEMENT_DATE
) -> StatementFigures:
    with database.transaction() as session:
        return statement_figures(session, account_id, on)


def add_statement(
    database: Database,
    practice: StatementPractice,
    account_id: uuid.UUID,
    day: date,
    status: str = "printed",
) -> None:
    """Insert a Statement row as a run would have made it on `day`."""
    with database.transaction() as session:
        assert practice.biller.user_id is not None
        session.add(
            Statement(
                statement_number=f"S-T{uuid.uuid4().hex[:8]}",
                account_id=account_id,
                statement_date=day,
                level="statement",
                channel="print",
                status=status,
                amount_due=Decimal("1.00"),
                insurance_pending=ZERO,
                account_balance=Decimal("1.00"),
                due_on=day + timedelta(days=21),
                created_by=practice.biller.user_id,
            )
        )


def assert_summary_adds_up(result: StatementFigures) -> None:
    total = result.previous_balance + result.new_charges + result.payments + result.adjustments
    assert total == result.balance
    assert result.aging.total == result.amount_due
    assert result.amount_due == max(result.balance, ZERO)
    assert result.credit == max(-result.balance, ZERO)


def assert_lines_add_up(result: StatementFigures) -> None:
    for line in result.lines:
        owed = line.charge - line.insurance_paid + line.adjustments - line.patient_paid
        assert owed == line.balance + line.insurance_pending, line


# --- the family account -----------------------------------------------------------------------


def test_family_summary_matches_ledger(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.sofia))

    with database.transaction() as session:
        family = practice.family
        balance = ledger_sum(session, family)
        charges = ledger_sum(session, family, types=["charge"])
        moved_in = ledger_sum(session, family, types=["transfer"], positive_original=True)
        payments = ledger_sum(session, family, types=["payment"])
    assert result.balance == balance
    assert result.balance == FAMILY_BALANCE
    assert result.previous_balance == ZERO
    assert result.last_statement_on is None
    assert result.new_charges == charges + moved_in
    assert result.payments == payments
    assert result.payments == -Decimal("100.00")
    assert result.adjustments == balance - charges - moved_in - payments
    assert result.adjustments == -Decimal("20.00")
    assert result.amount_due == FAMILY_BALANCE
    assert result.credit == ZERO
    assert result.insurance_pending == ZERO
    assert_summary_adds_up(result)


def test_family_one_statement_all_children(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.parent))

    assert result.patient_names == ("Laura Garcia", "Mateo Garcia", "Sofia Garcia")
    assert result.guarantor.name == "Laura Garcia"
    names = {line.patient_name for line in result.lines}
    assert names == {"Laura Garcia", "Mateo Garcia", "Sofia Garcia"}
    with database.transaction() as session:
        for line in result.lines:
            assert line.balance == ledger_sum(session, practice.family, line_id=line.charge_line_id)
            charged = ledger_sum(
                session, practice.family, types=["charge"], line_id=line.charge_line_id
            )
            assert line.charge == charged
    assert sum((line.balance for line in result.lines), ZERO) == FAMILY_BALANCE
    assert_lines_add_up(result)


def test_family_lines_oldest_first(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.parent))

    dates = [line.service_date for line in result.lines]
    assert dates == sorted(dates)
    assert dates[0] == days_before(150)
    assert [line.description for line in result.lines][:2] == [
        "Office visit, established, level 4",
        "Well-child visit, age 1 to 4",
    ]
    assert result.lines[0].provider_name == "Ana Lopez, MD"
    assert result.lines[0].patient_paid == Decimal("100.00")
    assert result.lines[2].adjustments == -Decimal("20.00")


def test_family_aging_by_service_age(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.parent))

    assert result.aging == Aging(*FAMILY_AGING)
    assert result.aging.total == result.amount_due


def test_family_activity_oldest_first(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.parent))

    kinds = [(row.posted_on, row.kind, row.amount) for row in result.activity]
    assert kinds == [
        (days_before(150), "charge", Decimal("150.00")),
        (days_before(100), "charge", Decimal("120.00")),
        (days_before(75), "charge", Decimal("40.00")),
        (days_before(60), "adjustment", -Decimal("20.00")),
        (days_before(45), "charge", Decimal("95.00")),
        (days_before(40), "payment", -Decimal("100.00")),
        (days_before(20), "charge", Decimal("25.00")),
        (days_before(18), "charge", -Decimal("25.00")),
        (days_before(10), "charge", Decimal("110.00")),
    ]
    assert result.activity[3].description == "Courtesy discount"
    assert result.activity[5].description == "Payment received"
    assert result.activity[7].description == "Blood draw (reversed)"
    assert result.activity[7].patient_name == "Mateo Garcia"
    total = sum((row.amount for row in result.activity), ZERO)
    assert total == result.balance - result.previous_balance


def test_last_payment_on_family(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.parent))

    assert result.last_payment_on == days_before(40)


def test_no_diagnosis_in_descriptions(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        encounter_ids = session.scalars(select(ChargeLine.encounter_id)).all()
        for encounter_id in encounter_ids:
            session.add(
                EncounterDiagnosis(
                    encounter_id=encounter_id, position=1, code="E119", edition="FY2026"
                )
            )
    result = figures(database, account_id_of(database, practice, practice.parent))

    texts = [line.description for line in result.lines]
    texts += [row.description for row in result.activity]
    assert texts
    assert not any("E119" in text or "E11.9" in text for text in texts)


# --- since a previous statement -------------------------------------------------------------


def test_activity_since_previous_statement(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    last_day = days_before(30)
    add_statement(database, practice, account_id, last_day)

    result = figures(database, account_id)

    with database.transaction() as session:
        family = practice.family
        previous = ledger_sum(session, family, through=last_day)
        charges = ledger_sum(session, family, after=last_day, types=["charge"])
        payments = ledger_sum(session, family, after=last_day, types=["payment"])
    assert result.last_statement_on == last_day
    assert result.previous_balance == previous
    assert result.previous_balance == Decimal("285.00")
    assert result.new_charges == charges
    assert result.new_charges == Decimal("110.00")
    assert result.payments == payments
    assert result.payments == ZERO
    assert result.adjustments == ZERO
    assert result.balance == FAMILY_BALANCE
    assert [row.amount for row in result.activity] == [
        Decimal("25.00"),
        -Decimal("25.00"),
        Decimal("110.00"),
    ]
    assert_summary_adds_up(result)


def test_quiet_closed_line_left_out(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    add_statement(database, practice, account_id, days_before(5))

    result = figures(database, account_id)

    line_ids = {line.charge_line_id for line in result.lines}
    assert practice.reversed_line not in line_ids
    assert len(result.lines) == 5
    assert result.activity == ()
    assert result.previous_balance == FAMILY_BALANCE


def test_reversed_line_shown_when_recent(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    add_statement(database, practice, account_id, days_before(25))

    result = figures(database, account_id)

    reversed_lines = [
        line for line in result.lines if line.charge_line_id == practice.reversed_line
    ]
    assert len(reversed_lines) == 1
    assert reversed_lines[0].charge == ZERO
    assert reversed_lines[0].balance == ZERO


def test_cancelled_statement_ignored(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    add_statement(database, practice, account_id, days_before(30))
    add_statement(database, practice, account_id, days_before(12), status="cancelled")
    add_statement(database, practice, account_id, STATEMENT_DATE)

    result = figures(database, account_id)

    assert result.last_statement_on == days_before(30)


def test_voided_payment_counts_as_payment(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    add_statement(database, practice, account_id, days_before(30))
    with database.transaction() as session:
        payment_id = pay(session, practice.ledger, practice.sofia, "60.00", 20)
    with database.transaction() as session, posted_on(days_before(8)):
        void_payment(session, practice.manager, payment_id, "Check returned")

    result = figures(database, account_id)

    with database.transaction() as session:
        reversed_rows = ledger_sum(
            session, practice.family, after=days_before(9), types=["payment"]
        )
    assert reversed_rows == Decimal("60.00")
    assert result.payments == ZERO
    assert result.adjustments == ZERO
    assert result.balance == FAMILY_BALANCE
    assert result.last_payment_on == days_before(40)
    payment_rows = [
        (row.description, row.amount) for row in result.activity if row.kind == "payment"
    ]
    assert payment_rows == [
        ("Payment received", -Decimal("60.00")),
        ("Payment reversed", Decimal("60.00")),
    ]
    assert_summary_adds_up(result)


# --- as of an earlier day -----------------------------------------------------------------------


def test_figures_as_of_earlier_day(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    earlier = days_before(15)

    result = figures(database, account_id, earlier)

    with database.transaction() as session:
        balance = ledger_sum(session, practice.family, through=earlier)
    assert result.statement_date == earlier
    assert result.balance == balance
    assert result.balance == Decimal("285.00")
    assert days_before(10) not in {line.service_date for line in result.lines}
    assert_summary_adds_up(result)


def test_cutoff_is_practice_midnight(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    late_evening = datetime.combine(STATEMENT_DATE, time(23, 30), tzinfo=PRACTICE_ZONE)
    after_midnight = late_evening + timedelta(hours=1)
    with database.transaction() as session:
        for instant, amount in ((late_evening, "7.00"), (after_midnight, "11.00")):
            entry = NewEntry(
                entry_type="charge",
                amount=Decimal(amount),
                patient_id=practice.parent,
                responsible_party="patient",
                service_date=STATEMENT_DATE,
            )
            with patch.object(ledger_bulk, "utc_now", return_value=instant.astimezone(UTC)):
                post_entries(session, practice.biller, [entry])

    result = figures(database, account_id)

    assert result.balance == FAMILY_BALANCE + Decimal("7.00")
    assert result.aging.current == FAMILY_AGING[0] + Decimal("7.00")


# --- insurance, credit, person guarantor, small balance ------------------------------------------


def test_insured_pending_shown_apart(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.insured))

    with database.transaction() as session:
        pending = ledger_sum(session, [practice.insured], patient_bucket=False)
        owed = ledger_sum(session, [practice.insured])
    assert result.insurance_pending == pending
    assert result.insurance_pending == INSURED_PENDING
    assert result.amount_due == owed
    assert result.amount_due == INSURED_DUE
    assert result.new_charges == INSURED_DUE
    assert result.aging == Aging(ZERO, INSURED_DUE, ZERO, ZERO, ZERO)
    assert_summary_adds_up(result)
    assert_lines_add_up(result)


def test_insured_lines(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.insured))

    lines = {line.charge_line_id: line for line in result.lines}
    processed = lines[practice.insured_paid_line]
    assert processed.charge == Decimal("200.00")
    assert processed.insurance_paid == Decimal("120.00")
    assert processed.adjustments == -Decimal("50.00")
    assert processed.patient_paid == ZERO
    assert processed.balance == INSURED_DUE
    assert processed.insurance_pending == ZERO
    waiting = lines[practice.insured_pending_line]
    assert waiting.charge == INSURED_PENDING
    assert waiting.insurance_paid == ZERO
    assert waiting.balance == ZERO
    assert waiting.insurance_pending == INSURED_PENDING


def test_insured_activity_share(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.insured))

    assert [(row.kind, row.amount) for row in result.activity] == [("patient_share", INSURED_DUE)]
    assert result.activity[0].description == (
        "Your share after insurance: Office visit, established, level 4"
    )
    assert result.activity[0].posted_on == days_before(30)


def test_credit_balance(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.credit))

    with database.transaction() as session:
        balance = ledger_sum(session, [practice.credit])
    assert result.balance == balance
    assert result.balance == CREDIT_BALANCE
    assert result.amount_due == ZERO
    assert result.credit == -CREDIT_BALANCE
    assert result.aging == Aging(ZERO, ZERO, ZERO, ZERO, ZERO)
    assert result.payments == -Decimal("100.00")
    assert_summary_adds_up(result)


def test_credit_nets_oldest_aging(database: Database, practice: StatementPractice) -> None:
    account_id = account_id_of(database, practice, practice.parent)
    form = PaymentForm(
        patient_id=practice.mateo,
        amount=Decimal("60.00"),
        method="cash",
        kind="prepayment",
        received_on=days_before(3),
    )
    with database.transaction() as session, posted_on(days_before(3)):
        outcome = take_payment(session, practice.desk, form)
        assert outcome.record_id is not None

    result = figures(database, account_id)

    current, days_31_60, days_61_90, days_91_120, _ = FAMILY_AGING
    # The $60 credit pays the $50 over 120 days, then $10 of the 91-120 bucket.
    assert result.aging == Aging(
        current, days_31_60, days_61_90, days_91_120 - Decimal("10.00"), ZERO
    )
    assert result.amount_due == FAMILY_BALANCE - Decimal("60.00")
    assert_summary_adds_up(result)


def test_person_guarantor_figures(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.person_patient))

    assert result.guarantor.name == "Karen Walsh"
    assert result.guarantor.date_of_birth == date(1975, 3, 14)
    assert result.patient_names == ("Ethan Walsh",)
    assert result.amount_due == PERSON_DUE
    assert result.aging.days_31_60 == PERSON_DUE
    assert result.last_payment_on is None


def test_small_balance_code_fallback(database: Database, practice: StatementPractice) -> None:
    result = figures(database, account_id_of(database, practice, practice.small))

    assert result.amount_due == SMALL_DUE
    assert [line.description for line in result.lines] == [UNLABELED_CODE]
    assert result.activity[0].description == UNLABELED_CODE


def test_unknown_account_not_found(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(NotFoundError):
        statement_figures(session, uuid.UUID(int=5), STATEMENT_DATE)


# --- batched figures ------------------------------------------------------------------------------


def all_accounts(database: Database, practice: StatementPractice) -> list[uuid.UUID]:
    return [account_id_of(database, practice, pid) for pid in practice.guarantor_patients]


def test_batched_equals_single(database: Database, practice: StatementPractice) -> None:
    account_ids = all_accounts(database, practice)
    add_statement(database, practice, account_ids[0], days_before(30))

    with database.transaction() as session:
        batched = figures_for_accounts(session, account_ids, STATEMENT_DATE)
        singles = {
            account_id: statement_figures(session, account_id, STATEMENT_DATE)
            for account_id in account_ids
        }

    assert list(batched) == account_ids
    assert batched == singles


def test_batched_empty(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        assert figures_for_accounts(session, [], STATEMENT_DATE) == {}


@contextmanager
def counted_queries(session: Session) -> Iterator[list[str]]:
    """Collect the SQL statements the session's connection runs inside the block."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def add_self_pay_accounts(database: Database, practice: StatementPractice, count: int) -> None:
    """Add `count` self-pay patients, each with a line charged and partly paid."""
    with database.transaction() as session:
        for index in range(count):
            patient_id = _plain_patient(session, index)
            account_for_patient(session, practice.biller, patient_id)
            with posted_on(days_before(40)):
                post_entries(
                    session,
                    practice.biller,
                    [
                        NewEntry("charge", Decimal("90.00"), patient_id, "patient"),
                        NewEntry("payment", -Decimal("15.00"), patient_id, "patient"),
                    ],
                )


def _plain_patient(session: Session, index: int) -> uuid.UUID:
    patient = Patient(
        chart_number=f"B-{index:06d}",
        first_name="Alex",
        last_name=f"Bulk{index}",
        date_of_birth=date(1970, 1, 1),
        sex="U",
    )
    session.add(patient)
    session.flush()
    return patient.id


def test_batched_queries_not_per_account(database: Database, practice: StatementPractice) -> None:
    few = all_accounts(database, practice)
    add_self_pay_accounts(database, practice, 60)
    with database.transaction() as session:
        many = list(session.scalars(select(BillingAccount.id)))

    with database.transaction() as session, counted_queries(session) as few_queries:
        figures_for_accounts(session, few, STATEMENT_DATE)
    with database.transaction() as session, counted_queries(session) as many_queries:
        result = figures_for_accounts(session, many, STATEMENT_DATE)

    assert len(many) == 65
    assert len(many_queries) == len(few_queries)
    assert sum(1 for item in result.values() if item.balance == Decimal("75.00")) == 60


# --- aging rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "index"),
    [(-3, 0), (0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3), (120, 3), (121, 4)],
)
def test_aging_index_bounds(age: int, index: int) -> None:
    assert aging_index(STATEMENT_DATE, STATEMENT_DATE - timedelta(days=age)) == index


def test_net_credit_oldest_first() -> None:
    amounts = [(0, Decimal("40")), (0, Decimal("-70")), (2, Decimal("10")), (4, Decimal("50"))]

    assert net_credit(amounts, 5) == [Decimal("30"), ZERO, ZERO, ZERO, ZERO]


def test_net_credit_all_credit() -> None:
    amounts = [(0, Decimal("-40")), (1, Decimal("10"))]

    assert net_credit(amounts, 5) == [ZERO, ZERO, ZERO, ZERO, ZERO]


def test_net_credit_no_credit() -> None:
    amounts = [(0, Decimal("5")), (3, Decimal("7")), (3, Decimal("1"))]

    assert net_credit(amounts, 5) == [Decimal("5"), ZERO, ZERO, Decimal("8"), ZERO]
