"""Attacks on undoing a deposit and voiding a payment that is in one or was in one."""

import logging
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError
from app.models.ledger import LedgerEntry
from app.models.payments import Deposit, Payment
from app.security.permissions import Actor
from app.services.deposit_undo import undo_deposit
from app.services.deposits import create_deposit, reconcile_deposit, undeposited
from app.services.payments import void_payment
from tests.helpers.deposit_data import (
    DepositPractice,
    add_payment,
    add_remittance,
    assert_ledger_clean,
    patient_bucket,
)

DAY = date(2026, 3, 2)


def _deposit_two(
    database: Database, practice: DepositPractice
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Deposit Nguyen's $70.00 cash and Aetna's $310.00 check; return the deposit and item ids."""
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        cash = add_payment(session, practice, nguyen, "70.00", method="cash", received_on=DAY)
        aetna = add_remittance(
            session, practice, "310.00", trace_number="CHK500100", payment_date=DAY
        )
        outcome = create_deposit(
            session, practice.front_desk, [cash.id, aetna.id], DAY, "cash_check"
        )
        assert outcome.record_id is not None, outcome.problems
    return outcome.record_id, [cash.id, aetna.id]


def _deposit_status(database: Database, deposit_id: uuid.UUID) -> str:
    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        return deposit.status


@pytest.mark.parametrize("role", ["front_desk", "biller", "manager"])
def test_undo_allowed_roles(database: Database, practice: DepositPractice, role: str) -> None:
    deposit_id, _items = _deposit_two(database, practice)
    actor: Actor = getattr(practice, role)

    with database.transaction() as session:
        undo_deposit(session, actor, deposit_id)

    assert _deposit_status(database, deposit_id) == "undone"


def test_undo_admin_allowed(database: Database, practice: DepositPractice) -> None:
    deposit_id, _items = _deposit_two(database, practice)

    with database.transaction() as session:
        undo_deposit(session, practice.ledger.admin, deposit_id)

    assert _deposit_status(database, deposit_id) == "undone"


def test_provider_denied_writes_nothing(database: Database, practice: DepositPractice) -> None:
    deposit_id, items = _deposit_two(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        undo_deposit(session, practice.ledger.provider, deposit_id)

    assert _deposit_status(database, deposit_id) == "open"
    with database.reading() as session:
        deposited = session.scalars(select(Payment.deposit_id).where(Payment.id == items[0]))
        assert list(deposited) == [deposit_id]


def test_undo_unknown_deposit(database: Database, practice: DepositPractice) -> None:
    _deposit_two(database, practice)

    with database.transaction() as session, pytest.raises(NotFoundError):
        undo_deposit(session, practice.manager, uuid.uuid4())

    with database.reading() as session:
        undone = session.scalar(
            select(func.count()).select_from(Deposit).where(Deposit.status == "undone")
        )
    assert undone == 0


def test_undo_void_redeposit_to_cent(database: Database, practice: DepositPractice) -> None:
    nguyen = practice.patient_ids[2]
    with database.reading() as session:
        owed_before = patient_bucket(session, nguyen)
    deposit_id, (cash_id, aetna_id) = _deposit_two(database, practice)

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)
    with database.transaction() as session:
        void_payment(session, practice.manager, cash_id, "Bill turned out counterfeit")
    with database.transaction() as session:
        again = create_deposit(session, practice.front_desk, [aetna_id], DAY, "cash_check")
    assert again.record_id is not None, again.problems
    with database.transaction() as session:
        reconciled = reconcile_deposit(
            session, practice.manager, again.record_id, Decimal("310.00"), ""
        )

    assert reconciled.saved, reconciled.problems
    with database.reading() as session:
        # The voided cash no longer lowers what Nguyen owes, to the cent.
        assert patient_bucket(session, nguyen) == owed_before
        new_deposit = session.get(Deposit, again.record_id)
        assert new_deposit is not None
        assert new_deposit.expected_amount == Decimal("310.00")
        assert undeposited(session, practice.front_desk) == []
    assert_ledger_clean(database, practice)


def test_void_in_deposit_rejected_for_admin(database: Database, practice: DepositPractice) -> None:
    deposit_id, (cash_id, _aetna_id) = _deposit_two(database, practice)
    with database.reading() as session:
        rows_before = session.scalar(select(func.count()).select_from(LedgerEntry))
        number = session.get(Deposit, deposit_id).deposit_number  # type: ignore[union-attr]

    with database.transaction() as session, pytest.raises(UserError) as raised:
        void_payment(session, practice.ledger.admin, cash_id, "Entered twice")

    assert f"deposit {number}" in str(raised.value)
    assert f"Undo deposit {number}" in str(raised.value)
    with database.reading() as session:
        payment = session.get(Payment, cash_id)
        assert payment is not None
        assert payment.voided_at is None
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == rows_before


def test_undo_reconciled_names_deposit(database: Database, practice: DepositPractice) -> None:
    deposit_id, _items = _deposit_two(database, practice)
    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("380.00"), "")
        assert outcome.saved, outcome.problems
        number = session.get(Deposit, deposit_id).deposit_number  # type: ignore[union-attr]

    with database.transaction() as session, pytest.raises(UserError) as raised:
        undo_deposit(session, practice.ledger.admin, deposit_id)

    assert f"Deposit {number} was reconciled" in str(raised.value)
    assert "refund or an account adjustment" in str(raised.value)
    assert _deposit_status(database, deposit_id) == "reconciled"


def test_undo_and_void_log_no_phi(
    database: Database, practice: DepositPractice, caplog: pytest.LogCaptureFixture
) -> None:
    deposit_id, (cash_id, _aetna_id) = _deposit_two(database, practice)
    caplog.set_level(logging.DEBUG)

    with database.transaction() as session:
        undo_deposit(session, practice.front_desk, deposit_id)
    with database.transaction() as session:
        void_payment(session, practice.manager, cash_id, "Nguyen paid twice")

    logged = caplog.text
    assert "Nguyen" not in logged
    assert "T-000003" not in logged
    assert "paid twice" not in logged
