"""Account adjustments: spreading over lines, limits, permissions, small balances, period lock."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.payments import AccountAdjustment
from app.models.security import AuditEvent
from app.security.permissions import Actor
from app.services import account_adjustments, ledger
from app.services.account_adjustments import (
    AdjustmentForm,
    post_account_adjustment,
    set_small_balance_threshold,
    small_balance_candidates,
    small_balance_threshold,
    write_off_small_balances,
)
from app.services.ledger import post_entry, set_ledger_lock_date
from app.services.line_balances import line_balances
from app.services.outcomes import SaveOutcome
from app.services.payments import PaymentForm, take_payment
from tests.helpers.deposit_data import (
    DepositPractice,
    add_payment,
    assert_ledger_clean,
    insurance_settles,
    patient_bucket,
    post_line_charge,
)
from tests.helpers.referral_data import add_patient

FEB = date(2026, 2, 2)
MAR = date(2026, 3, 2)
FUTURE = date(2099, 1, 1)


def _two_lines(database: Database, practice: DepositPractice) -> tuple[uuid.UUID, uuid.UUID]:
    """Give Nguyen two patient lines: $50 in February and $30 in March."""
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        older = post_line_charge(session, practice, nguyen, "50.00", service_date=FEB)
        newer = post_line_charge(session, practice, nguyen, "30.00", service_date=MAR)
    return older, newer


def _adjust(database: Database, actor: Actor, form: AdjustmentForm) -> SaveOutcome:
    with database.transaction() as session:
        return post_account_adjustment(session, actor, form)


def _patient_balances(database: Database, line_ids: list[uuid.UUID]) -> list[Decimal]:
    with database.reading() as session:
        balances = line_balances(session, line_ids)
    return [balances[line_id].get("patient", Decimal("0.00")) for line_id in line_ids]


def test_adjustment_spreads_oldest_first(database: Database, practice: DepositPractice) -> None:
    older, newer = _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    form = AdjustmentForm("courtesy", nguyen, Decimal("60.00"), "Hardship, per policy")

    outcome = _adjust(database, practice.manager, form)

    assert outcome.saved
    assert _patient_balances(database, [older, newer]) == [Decimal("0.00"), Decimal("20.00")]
    with database.reading() as session:
        adjustment = session.get(AccountAdjustment, outcome.record_id)
        assert adjustment is not None
        assert adjustment.amount == Decimal("-60.00")
        assert adjustment.kind == "courtesy"
        assert adjustment.charge_line_id is None
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_id == adjustment.id)
        ).all()
        assert patient_bucket(session, nguyen) == Decimal("20.00")
    assert sorted((row.charge_line_id, row.amount) for row in rows) == sorted(
        [(older, Decimal("-50.00")), (newer, Decimal("-10.00"))]
    )
    assert {(row.entry_type, row.source_type, row.responsible_party) for row in rows} == {
        ("adjustment", "account_adjustment", "patient")
    }
    assert_ledger_clean(database, practice)


def test_adjustment_remainder_stays_on_account(
    database: Database, practice: DepositPractice
) -> None:
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        line = post_line_charge(session, practice, nguyen, "10.00", service_date=FEB)
        post_entry(
            session,
            practice.biller,
            entry_type="charge",
            amount=Decimal("25.00"),
            patient_id=nguyen,
            responsible_party="patient",
            service_date=FEB,
            memo="Missed appointment fee",
        )
    form = AdjustmentForm("bad_debt", nguyen, Decimal("30.00"), "Unreachable")

    outcome = _adjust(database, practice.manager, form)

    assert outcome.saved
    with database.reading() as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_id == outcome.record_id)
        ).all()
        assert patient_bucket(session, nguyen) == Decimal("5.00")
    assert sorted(((row.charge_line_id is None), row.amount) for row in rows) == [
        (False, Decimal("-10.00")),
        (True, Decimal("-20.00")),
    ]
    assert [row.charge_line_id for row in rows if row.charge_line_id] == [line]
    assert_ledger_clean(database, practice)


def test_adjustment_of_named_line(database: Database, practice: DepositPractice) -> None:
    older, newer = _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    form = AdjustmentForm("administrative", nguyen, Decimal("4.00"), "Rounding", newer)

    outcome = _adjust(database, practice.front_desk, form)

    assert outcome.saved
    assert _patient_balances(database, [older, newer]) == [Decimal("50.00"), Decimal("26.00")]
    assert_ledger_clean(database, practice)


def test_adjustment_over_line_balance(database: Database, practice: DepositPractice) -> None:
    _older, newer = _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    form = AdjustmentForm("courtesy", nguyen, Decimal("30.01"), "Too much", newer)

    outcome = _adjust(database, practice.manager, form)

    assert not outcome.saved
    assert [problem.message for problem in outcome.problems] == [
        "The adjustment of $30.01 is more than the patient's balance of $30.00 on that "
        "service line; lower the amount or adjust the account instead."
    ]
    with database.reading() as session:
        assert session.scalars(select(AccountAdjustment)).all() == []


def test_adjustment_of_other_patients_line(database: Database, practice: DepositPractice) -> None:
    older, _newer = _two_lines(database, practice)
    rivera = practice.patient_ids[0]
    form = AdjustmentForm("courtesy", rivera, Decimal("1.00"), "Wrong account", older)

    outcome = _adjust(database, practice.manager, form)

    assert [problem.field for problem in outcome.problems] == ["charge_line_id"]


def test_adjustment_ignores_insurance_share(database: Database, practice: DepositPractice) -> None:
    rivera = practice.patient_ids[0]
    with database.transaction() as session:
        line = post_line_charge(
            session, practice, rivera, "120.00", service_date=FEB, payer_id=practice.aetna_id
        )
        insurance_settles(session, practice, rivera, line, paid="70.00", to_patient="20.00")
    too_much = AdjustmentForm("courtesy", rivera, Decimal("20.01"), "More than her share")
    whole_share = AdjustmentForm("courtesy", rivera, Decimal("20.00"), "Her share")

    rejected = _adjust(database, practice.manager, too_much)
    accepted = _adjust(database, practice.manager, whole_share)

    assert [problem.message for problem in rejected.problems] == [
        "The adjustment of $20.01 is more than the patient's own balance of $20.00; "
        "lower the amount."
    ]
    assert accepted.saved
    with database.reading() as session:
        assert ledger.balances_by_bucket(session, rivera) == {"Aetna": Decimal("30.00")}
    assert_ledger_clean(database, practice)


def test_adjustment_form_problems(database: Database, practice: DepositPractice) -> None:
    _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    cases = [
        (AdjustmentForm("discount", nguyen, Decimal("1.00"), "x"), "kind"),
        (AdjustmentForm("courtesy", nguyen, Decimal("1.00"), "  "), "reason"),
        (AdjustmentForm("courtesy", nguyen, Decimal("0.00"), "x"), "amount"),
        (AdjustmentForm("courtesy", nguyen, Decimal("1.005"), "x"), "amount"),
        (
            AdjustmentForm("courtesy", nguyen, Decimal("1"), "x", None, date(2099, 1, 1)),
            "posted_on",
        ),
    ]
    for form, field in cases:
        outcome = _adjust(database, practice.manager, form)
        assert [problem.field for problem in outcome.problems] == [field], form


def test_front_desk_small_balance_limit(database: Database, practice: DepositPractice) -> None:
    _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    at_limit = AdjustmentForm("small_balance", nguyen, Decimal("5.00"), "Small balance")
    over = AdjustmentForm("small_balance", nguyen, Decimal("5.01"), "Small balance")

    assert _adjust(database, practice.front_desk, at_limit).saved
    with pytest.raises(PermissionDeniedError) as raised:
        _adjust(database, practice.front_desk, over)

    assert str(raised.value) == (
        "The small balance adjustment of $5.01 is over the small-balance threshold of $5.00, "
        "so it needs a manager (permission payment.void); ask a manager to post it."
    )


@pytest.mark.parametrize("kind", ["bad_debt", "courtesy", "collections"])
def test_manager_only_kinds(database: Database, practice: DepositPractice, kind: str) -> None:
    _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    form = AdjustmentForm(kind, nguyen, Decimal("1.00"), "Policy")

    with pytest.raises(PermissionDeniedError, match="need a manager"):
        _adjust(database, practice.biller, form)
    assert _adjust(database, practice.manager, form).saved


def test_threshold_setting(database: Database, practice: DepositPractice) -> None:
    _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    with database.reading() as session:
        assert small_balance_threshold(session) == Decimal("5.00")

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        set_small_balance_threshold(session, practice.front_desk, Decimal("10.00"))
    with database.transaction() as session, pytest.raises(ValidationError):
        set_small_balance_threshold(session, practice.manager, Decimal("-1.00"))
    with database.transaction() as session:
        set_small_balance_threshold(session, practice.manager, Decimal("10.00"))

    with database.reading() as session:
        assert small_balance_threshold(session) == Decimal("10.00")
    form = AdjustmentForm("administrative", nguyen, Decimal("9.99"), "Rounding")
    assert _adjust(database, practice.front_desk, form).saved


def test_adjustment_in_closed_period(database: Database, practice: DepositPractice) -> None:
    _two_lines(database, practice)
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, date(2026, 3, 31))
    form = AdjustmentForm("courtesy", nguyen, Decimal("5.00"), "Late", None, date(2026, 3, 15))

    outcome = _adjust(database, practice.manager, form)

    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "posted_on",
            "The ledger is closed through 03/31/2026, so nothing can be posted with the date "
            "03/15/2026. Ask a manager to move the ledger lock date back, or post with a date "
            "in the open period.",
        )
    ]
    with database.reading() as session:
        assert session.scalars(select(AccountAdjustment)).all() == []
    today_form = AdjustmentForm("courtesy", nguyen, Decimal("5.00"), "Posted today")
    assert _adjust(database, practice.manager, today_form).saved


def test_posting_in_closed_month_rejected(database: Database, practice: DepositPractice) -> None:
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, date(2026, 3, 31))

    form = PaymentForm(nguyen, Decimal("10.00"), "cash", received_on=date(2026, 3, 20))
    with database.transaction() as session:
        outcome = take_payment(session, practice.front_desk, form)

    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "received_on",
            "The ledger is closed through 03/31/2026, so nothing can be posted with the date "
            "03/20/2026. Ask a manager to move the ledger lock date back, or post with a date "
            "in the open period.",
        )
    ]
    with database.reading() as session:
        assert ledger.patient_balance(session, nguyen) == Decimal("0.00")


def _small_balance_patients(database: Database, practice: DepositPractice) -> dict[str, uuid.UUID]:
    """Patients around the $5.00 threshold: two candidates and four that are not."""
    rivera, chen, nguyen = practice.patient_ids
    with database.transaction() as session:
        ids = {
            "three": nguyen,
            "five": add_patient(session, "T-000004", "Adams"),
            "over": add_patient(session, "T-000005", "Baker"),
            "pending": rivera,
            "credit": chen,
            "paid": add_patient(session, "T-000006", "Clark"),
        }
        post_line_charge(session, practice, ids["three"], "3.00", service_date=FEB)
        post_line_charge(session, practice, ids["five"], "5.00", service_date=FEB)
        post_line_charge(session, practice, ids["over"], "5.01", service_date=FEB)
        line = post_line_charge(
            session, practice, rivera, "100.00", service_date=FEB, payer_id=practice.aetna_id
        )
        insurance_settles(session, practice, rivera, line, paid="40.00", to_patient="2.00")
        add_payment(session, practice, chen, "20.00", received_on=FEB)
        paid = post_line_charge(session, practice, ids["paid"], "8.00", service_date=FEB)
        add_payment(session, practice, ids["paid"], "8.00", received_on=FEB, line_id=paid)
    return ids


def test_small_balance_candidates(database: Database, practice: DepositPractice) -> None:
    ids = _small_balance_patients(database, practice)

    with database.reading() as session:
        default = small_balance_candidates(session, practice.front_desk)
        wider = small_balance_candidates(session, practice.front_desk, Decimal("6.00"))

    assert [(row.patient_id, row.balance) for row in default] == [
        (ids["five"], Decimal("5.00")),
        (ids["three"], Decimal("3.00")),
    ]
    assert [row.chart_number for row in default] == ["T-000004", "T-000003"]
    assert default[0].patient_name == "Adams, Maria"
    assert [row.patient_id for row in wider] == [ids["five"], ids["over"], ids["three"]]


def test_write_off_small_balances(database: Database, practice: DepositPractice) -> None:
    ids = _small_balance_patients(database, practice)

    with database.transaction() as session:
        changes = write_off_small_balances(
            session, practice.front_desk, [ids["three"], ids["five"]], Decimal("5.00")
        )

    assert changes.touches(account_adjustments.ChangeKind.LEDGER)
    with database.reading() as session:
        assert patient_bucket(session, ids["three"]) == Decimal("0.00")
        assert patient_bucket(session, ids["five"]) == Decimal("0.00")
        assert small_balance_candidates(session, practice.front_desk) == []
        adjustments = session.scalars(select(AccountAdjustment)).all()
        events = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.object_type == "account_adjustment")
        ).all()
    assert sorted(adjustment.amount for adjustment in adjustments) == [
        Decimal("-5.00"),
        Decimal("-3.00"),
    ]
    assert {adjustment.kind for adjustment in adjustments} == {"small_balance"}
    assert len(events) == 1
    for adjustment in adjustments:
        assert str(adjustment.id) in events[0]
    assert {adjustment.reason for adjustment in adjustments} == {
        "Small balance at or under $5.00 written off"
    }
    assert_ledger_clean(database, practice)


def test_write_off_stale_candidate(database: Database, practice: DepositPractice) -> None:
    ids = _small_balance_patients(database, practice)
    with database.transaction() as session:
        post_line_charge(session, practice, ids["three"], "40.00", service_date=MAR)

    with database.transaction() as session, pytest.raises(UserError) as raised:
        write_off_small_balances(
            session, practice.front_desk, [ids["five"], ids["three"]], Decimal("5.00")
        )

    assert str(raised.value).startswith("1 of the chosen accounts (T-000003) no longer have")
    with database.reading() as session:
        assert session.scalars(select(AccountAdjustment)).all() == []
        assert patient_bucket(session, ids["five"]) == Decimal("5.00")


def test_write_off_over_setting(database: Database, practice: DepositPractice) -> None:
    ids = _small_balance_patients(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        write_off_small_balances(session, practice.front_desk, [ids["over"]], Decimal("6.00"))
    with database.transaction() as session:
        write_off_small_balances(session, practice.manager, [ids["over"]], Decimal("6.00"))

    with database.reading() as session:
        assert patient_bucket(session, ids["over"]) == Decimal("0.00")
    assert_ledger_clean(database, practice)
