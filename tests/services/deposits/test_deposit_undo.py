"""Undoing a deposit, voiding a deposited payment, and deposit totals without voided money."""

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.ledger import LedgerEntry
from app.models.payments import Deposit, Payment
from app.models.security import AuditEvent
from app.services.deposit_undo import DepositNotUndoableError, undo_deposit
from app.services.deposits import (
    create_deposit,
    deposit_list,
    deposit_report,
    reconcile_deposit,
    undeposited,
)
from app.services.payments import void_payment
from app.services.today import practice_today
from tests.helpers.deposit_data import (
    DepositPractice,
    add_payment,
    add_remittance,
    assert_ledger_clean,
)

DAY = date(2026, 3, 2)


def _deposit(database: Database, practice: DepositPractice) -> tuple[uuid.UUID, dict[str, str]]:
    """Deposit $40 cash, a $25.50 check and Aetna's $310 check; return its id and references.

    The references map "cash", "check" and "deposit" to receipt and deposit numbers.
    """
    rivera, chen, _nguyen = practice.patient_ids
    with database.transaction() as session:
        cash = add_payment(session, practice, rivera, "40.00", method="cash", received_on=DAY)
        check = add_payment(session, practice, chen, "25.50", received_on=DAY, check_number="1042")
        aetna = add_remittance(
            session, practice, "310.00", trace_number="CHK778812", payment_date=DAY
        )
        outcome = create_deposit(
            session, practice.front_desk, [cash.id, check.id, aetna.id], DAY, "cash_check"
        )
        assert outcome.record_id is not None, outcome.problems
        deposit = session.get(Deposit, outcome.record_id)
        assert deposit is not None
        references = {
            "cash": cash.receipt_number,
            "check": check.receipt_number,
            "deposit": deposit.deposit_number,
        }
    return outcome.record_id, references


def _payment_id(database: Database, receipt_number: str) -> uuid.UUID:
    with database.reading() as session:
        payment = session.scalars(
            select(Payment).where(Payment.receipt_number == receipt_number)
        ).one()
        return payment.id


def test_undo_returns_items(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.reading() as session:
        left = undeposited(session, practice.front_desk)
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        deposited = session.scalars(select(Payment).where(Payment.deposit_id.is_not(None))).all()
        today = practice_today(session)
    assert sorted(item.reference for item in left) == sorted(
        [references["cash"], references["check"], "CHK778812"]
    )
    assert deposited == []
    assert deposit.status == "undone"
    assert deposit.deposit_number == references["deposit"]
    # The stored amount keeps what the deposit carried when it was made.
    assert deposit.expected_amount == Decimal("375.50")
    assert deposit.updated_by == practice.front_desk.user_id
    assert deposit.note == (
        f"Undone by Office Admin on {today:%m/%d/%Y}; 3 items ($375.50) went back to the "
        "money not yet deposited."
    )
    assert_ledger_clean(database, practice)


def test_undo_is_audited(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    before = datetime.now(UTC)

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.reading() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "deposit", AuditEvent.action == "update")
            .order_by(AuditEvent.sequence)
        ).all()
    assert len(events) == 1
    event = events[0]
    assert event.object_id == str(deposit_id)
    assert event.user_id == practice.front_desk.user_id
    assert event.username == practice.front_desk.username
    assert event.occurred_at.replace(tzinfo=UTC) >= before.replace(microsecond=0)
    assert event.detail.startswith("undone; back to undeposited: ")
    for reference in (references["cash"], references["check"], "trace CHK778812"):
        assert reference in event.detail


def test_undone_deposit_listed(database: Database, practice: DepositPractice) -> None:
    deposit_id, _references = _deposit(database, practice)

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.reading() as session:
        rows = deposit_list(session, practice.front_desk)
        report = deposit_report(session, practice.front_desk, deposit_id)
    assert [(row.status, row.item_count, row.expected_amount) for row in rows] == [
        ("undone", 0, Decimal("0.00"))
    ]
    assert report.items == ()
    assert report.expected_amount == Decimal("0.00")


def test_undone_items_deposit_again(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)
    with database.reading() as session:
        item_ids = [item.item_id for item in undeposited(session, practice.front_desk)]

    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, item_ids, DAY, "cash_check")

    assert outcome.saved, outcome.problems
    with database.reading() as session:
        rows = deposit_list(session, practice.front_desk)
    by_status = {row.status: row for row in rows}
    assert by_status["open"].expected_amount == Decimal("375.50")
    assert by_status["open"].deposit_number[-6:] == "000002"
    assert by_status["undone"].deposit_number == references["deposit"]


def test_undo_reconciled_rejected(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    with database.transaction() as session:
        reconcile_deposit(
            session, practice.manager, deposit_id, Decimal("375.50"), ""
        ).raise_if_rejected()
        today = practice_today(session)

    with (
        database.transaction() as session,
        pytest.raises(DepositNotUndoableError) as raised,
    ):
        undo_deposit(session, practice.manager, deposit_id)

    number = references["deposit"]
    assert str(raised.value) == (
        f"Deposit {number} was reconciled with the bank statement on {today:%m/%d/%Y}, so "
        "it cannot be undone, and ClinicDesk cannot clear a reconciliation. Ask a manager "
        "to correct the money in it with a refund or an account adjustment instead."
    )
    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        assert deposit.status == "reconciled"
        assert undeposited(session, practice.front_desk) == []


def test_undo_twice_rejected(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.transaction() as session, pytest.raises(DepositNotUndoableError) as raised:
        undo_deposit(session, practice.front_desk, deposit_id)

    assert str(raised.value).startswith(f"Deposit {references['deposit']} was undone already")


def test_provider_cannot_undo(database: Database, practice: DepositPractice) -> None:
    deposit_id, _references = _deposit(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        undo_deposit(session, practice.ledger.provider, deposit_id)

    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        assert deposit.status == "open"


def test_reconcile_undone_rejected(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("0.00"), "")

    assert not outcome.saved
    assert [problem.message for problem in outcome.problems] == [
        f"Deposit {references['deposit']} was undone, so there is nothing to reconcile; "
        "reconcile the deposit that now carries its items."
    ]


def test_void_deposited_payment_rejected(database: Database, practice: DepositPractice) -> None:
    _deposit_id, references = _deposit(database, practice)
    payment_id = _payment_id(database, references["cash"])
    with database.reading() as session:
        rows_before = len(session.scalars(select(LedgerEntry)).all())

    with database.transaction() as session, pytest.raises(UserError) as raised:
        void_payment(session, practice.manager, payment_id, "Counterfeit bill")

    number = references["deposit"]
    assert str(raised.value) == (
        f"Payment {references['cash']} is in deposit {number}, so it cannot be voided. "
        f"Undo deposit {number} on the Deposits tab first, then void the payment; if the "
        "deposit is reconciled, record a refund instead."
    )
    with database.reading() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        assert payment.voided_at is None
        assert len(session.scalars(select(LedgerEntry)).all()) == rows_before


def test_void_after_undo(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    payment_id = _payment_id(database, references["cash"])
    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.transaction() as session:
        void_payment(session, practice.manager, payment_id, "Counterfeit bill")

    with database.reading() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        assert payment.voided_at is not None
        left = {item.reference for item in undeposited(session, practice.front_desk)}
    assert left == {references["check"], "CHK778812"}
    assert_ledger_clean(database, practice)


def _void_inside_deposit(database: Database, receipt_number: str) -> None:
    """Mark a deposited payment voided the way releases before the void check could."""
    with database.transaction() as session:
        payment = session.scalars(
            select(Payment).where(Payment.receipt_number == receipt_number)
        ).one()
        payment.voided_at = datetime.now(UTC)
        payment.void_reason = "Counterfeit bill"


def test_totals_skip_voided_payment(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    _void_inside_deposit(database, references["cash"])

    with database.reading() as session:
        rows = deposit_list(session, practice.front_desk)
        report = deposit_report(session, practice.front_desk, deposit_id)

    assert [(row.item_count, row.expected_amount) for row in rows] == [(2, Decimal("335.50"))]
    voided = [item.reference for item in report.items if item.voided]
    assert voided == [references["cash"]]
    assert len(report.items) == 3
    assert report.totals_by_method == (("Check", Decimal("335.50")),)
    assert report.expected_amount == Decimal("335.50")


def test_reconcile_skips_voided_payment(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    _void_inside_deposit(database, references["cash"])

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("335.50"), "")

    assert outcome.saved
    assert outcome.problems == ()
    with database.reading() as session:
        rows = deposit_list(session, practice.front_desk)
        report = deposit_report(session, practice.front_desk, deposit_id)
    assert [row.difference for row in rows] == [Decimal("0.00")]
    assert report.difference == Decimal("0.00")


def test_undo_note_skips_voided(database: Database, practice: DepositPractice) -> None:
    deposit_id, references = _deposit(database, practice)
    _void_inside_deposit(database, references["cash"])

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)

    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        left = {item.reference for item in undeposited(session, practice.front_desk)}
    assert re.search(r"; 2 items \(\$335\.50\) went back", deposit.note)
    # The voided payment leaves the deposit too, but it is not money to deposit.
    assert left == {references["check"], "CHK778812"}
