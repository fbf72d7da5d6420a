"""Voiding payments (same day and later) and applying credit from earlier payments."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.services.day_close import close_day
from app.services.ledger import patient_balance
from app.services.line_balances import open_patient_lines
from app.services.payments import (
    PaymentForm,
    account_credit,
    apply_credit,
    payment_credits,
    payments_for_day,
    take_payment,
    void_payment,
)
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean


def _take(database: Database, desk: DeskPractice, amount: str, **extra: object) -> uuid.UUID:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal(amount),
        method="cash",
        **extra,  # type: ignore[arg-type]
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def _open(database: Database, desk: DeskPractice) -> list[tuple[uuid.UUID, Decimal]]:
    with database.reading() as session:
        return [
            (line.charge_line_id, line.patient_balance)
            for line in open_patient_lines(session, desk.nguyen)
        ]


def test_void_same_day_by_desk(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "150.00")

    with database.transaction() as session:
        void_payment(session, desk.desk, payment_id, "Typed the wrong amount")
    with database.reading() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        reversals = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.source_id == payment_id, LedgerEntry.entry_type == "reversal"
            )
        ).all()
        balance = patient_balance(session, desk.nguyen)
        (row,) = payments_for_day(session, desk.desk, practice_today(session), None)
    assert payment.voided_at is not None
    assert payment.voided_by == desk.desk.user_id
    assert payment.void_reason == "Typed the wrong amount"
    assert sorted(entry.amount for entry in reversals) == [Decimal("30.00"), Decimal("120.00")]
    assert all("Typed the wrong amount" in entry.memo for entry in reversals)
    assert balance == Decimal("200.00")
    assert row.voided
    assert row.applied == Decimal("0.00")
    assert _open(database, desk) == [
        (desk.first_line, Decimal("120.00")),
        (desk.second_line, Decimal("80.00")),
    ]
    assert_ledger_clean(database, desk)


def test_void_needs_reason(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "20.00")

    with (
        pytest.raises(UserError, match="Give the reason for voiding payment"),
        database.transaction() as session,
    ):
        void_payment(session, desk.desk, payment_id, "   ")


def test_void_twice_rejected(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "20.00")
    with database.transaction() as session:
        void_payment(session, desk.desk, payment_id, "Duplicate")

    with (
        pytest.raises(UserError, match=r"was voided on .* already"),
        database.transaction() as session,
    ):
        void_payment(session, desk.desk, payment_id, "Duplicate again")


def test_void_next_day_needs_manager(database: Database, desk: DeskPractice) -> None:
    with database.reading() as session:
        yesterday = practice_today(session) - timedelta(days=1)
    payment_id = _take(database, desk, "50.00", received_on=yesterday)

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        void_payment(session, desk.desk, payment_id, "Check bounced")
    with database.reading() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        assert payment.voided_at is None

    with database.transaction() as session:
        void_payment(session, desk.manager, payment_id, "Check bounced")
    with database.reading() as session:
        assert patient_balance(session, desk.nguyen) == Decimal("200.00")
    assert_ledger_clean(database, desk)


def test_void_after_close_needs_manager(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "20.00")
    with database.transaction() as session:
        today = practice_today(session)
        close_day(session, desk.desk, today, Decimal("20.00"), Decimal("0.00"), "")
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        void_payment(session, desk.desk, payment_id, "Wrong patient")

    with database.transaction() as session:
        void_payment(session, desk.manager, payment_id, "Wrong patient")
    assert_ledger_clean(database, desk)


def test_prepayment_then_apply_credit(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "150.00", kind="prepayment")
    assert _open(database, desk) == [
        (desk.first_line, Decimal("120.00")),
        (desk.second_line, Decimal("80.00")),
    ]

    with database.transaction() as session:
        changes = apply_credit(session, desk.desk, desk.nguyen)
    assert changes.kinds
    with database.reading() as session:
        rows = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.source_id == payment_id)
            .order_by(LedgerEntry.posted_at, LedgerEntry.amount)
        ).all()
        unapplied = payment_credits(session, desk.nguyen)
        (listed,) = payments_for_day(session, desk.desk, practice_today(session), None)
    assert _open(database, desk) == [(desk.second_line, Decimal("50.00"))]
    assert unapplied == {}
    assert listed.applied == Decimal("150.00")
    assert listed.credit == Decimal("0.00")
    applied = [(row.amount, row.charge_line_id) for row in rows[1:]]
    assert sorted(applied, key=lambda pair: pair[0]) == [
        (Decimal("-120.00"), desk.first_line),
        (Decimal("-30.00"), desk.second_line),
        (Decimal("30.00"), None),
        (Decimal("120.00"), None),
    ]
    assert_ledger_clean(database, desk)


def test_credit_larger_than_owed(database: Database, desk: DeskPractice) -> None:
    _take(database, desk, "250.00", kind="prepayment")

    with database.transaction() as session:
        apply_credit(session, desk.desk, desk.nguyen)
        remaining = account_credit(session, desk.nguyen)
        balance = patient_balance(session, desk.nguyen)
    assert _open(database, desk) == []
    assert remaining == Decimal("50.00")
    assert balance == Decimal("-50.00")

    with database.transaction() as session:
        assert not apply_credit(session, desk.desk, desk.nguyen).kinds
    assert_ledger_clean(database, desk)


def test_void_after_credit_applied(database: Database, desk: DeskPractice) -> None:
    payment_id = _take(database, desk, "100.00", kind="prepayment")
    with database.transaction() as session:
        apply_credit(session, desk.desk, desk.nguyen)
        void_payment(session, desk.desk, payment_id, "Card declined later")
        balance = patient_balance(session, desk.nguyen)
        unapplied = payment_credits(session, desk.nguyen)
    assert balance == Decimal("200.00")
    assert unapplied == {}
    assert _open(database, desk) == [
        (desk.first_line, Decimal("120.00")),
        (desk.second_line, Decimal("80.00")),
    ]
    assert_ledger_clean(database, desk)


def test_provider_cannot_take_payment(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal("5.00"), method="cash")
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        take_payment(session, desk.ledger.provider, form)
