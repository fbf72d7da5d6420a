"""Attacks on the ledger lock date (Admin > Period lock) and on taking payments around it."""

import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.models.security import AuditEvent
from app.security.permissions import Actor
from app.services.day_close import close_day
from app.services.ledger import LOCK_DATE_KEY, ledger_lock_date, set_ledger_lock_date
from app.services.line_balances import line_balances
from app.services.payments import PaymentForm, closed_today, take_payment, void_payment
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean

LOCK_DATE = date(2026, 3, 31)
IN_CLOSED_PERIOD = date(2026, 3, 20)


def _lock(database: Database, actor: Actor, lock_date: date | None) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, actor, lock_date)


def _stored(database: Database) -> tuple[int, int]:
    """Return how many payments and ledger rows are stored."""
    with database.reading() as session:
        payments = session.scalar(select(func.count()).select_from(Payment)) or 0
        rows = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    return payments, rows


def _nguyen_cash(desk: DeskPractice, amount: str, received_on: date | None) -> PaymentForm:
    return PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal(amount),
        method="cash",
        received_on=received_on,
        allocations={desk.first_line: Decimal(amount)},
    )


@pytest.mark.parametrize("role", ["desk", "other_desk"])
def test_desk_cannot_set_lock(database: Database, desk: DeskPractice, role: str) -> None:
    actor: Actor = getattr(desk, role)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        set_ledger_lock_date(session, actor, LOCK_DATE)

    with database.reading() as session:
        assert ledger_lock_date(session) is None


def test_biller_cannot_set_lock(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        set_ledger_lock_date(session, desk.ledger.biller, LOCK_DATE)

    with database.reading() as session:
        assert ledger_lock_date(session) is None


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_manager_and_admin_set_lock(database: Database, desk: DeskPractice, role: str) -> None:
    actor: Actor = getattr(desk.ledger, role)

    _lock(database, actor, LOCK_DATE)

    with database.reading() as session:
        assert ledger_lock_date(session) == LOCK_DATE


@pytest.mark.parametrize("days_ahead", [0, 1, 400])
def test_lock_today_or_later_rejected(
    database: Database, desk: DeskPractice, days_ahead: int
) -> None:
    with database.reading() as session:
        today = practice_today(session)
    requested_date = today + timedelta(days=days_ahead)

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        set_ledger_lock_date(session, desk.manager, requested_date)

    (problem,) = raised.value.problems
    assert problem.field == "lock_date"
    assert f"{requested_date:%m/%d/%Y}" in problem.message
    assert f"({today:%m/%d/%Y})" in problem.message
    assert "choose the last day of a period that has ended" in problem.message
    with database.reading() as session:
        assert ledger_lock_date(session) is None


def test_same_lock_date_changes_nothing(database: Database, desk: DeskPractice) -> None:
    _lock(database, desk.manager, LOCK_DATE)

    with database.transaction() as session:
        changes = set_ledger_lock_date(session, desk.manager, LOCK_DATE)

    assert changes.kinds == frozenset()


def test_reopen_lets_payment_through(database: Database, desk: DeskPractice) -> None:
    _lock(database, desk.manager, LOCK_DATE)
    with database.transaction() as session:
        rejected = take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", IN_CLOSED_PERIOD))
    assert not rejected.saved

    _lock(database, desk.manager, None)
    with database.transaction() as session:
        accepted = take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", IN_CLOSED_PERIOD))

    assert accepted.saved, accepted.problems
    with database.reading() as session:
        assert ledger_lock_date(session) is None
        assert line_balances(session, [desk.first_line])[desk.first_line] == {
            "patient": Decimal("100.00")
        }
    assert_ledger_clean(database, desk)


def test_closed_period_allocation_writes_nothing(database: Database, desk: DeskPractice) -> None:
    _lock(database, desk.manager, LOCK_DATE)
    before = _stored(database)

    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, _nguyen_cash(desk, "120.00", IN_CLOSED_PERIOD))

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["received_on"]
    assert "03/31/2026" in outcome.problems[0].message
    assert "03/20/2026" in outcome.problems[0].message
    assert _stored(database) == before
    with database.reading() as session:
        assert line_balances(session, [desk.first_line])[desk.first_line] == {
            "patient": Decimal("120.00")
        }


def test_closed_day_and_period_together(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        close_day(
            session, desk.desk, IN_CLOSED_PERIOD, Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()
    _lock(database, desk.manager, LOCK_DATE)

    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", IN_CLOSED_PERIOD))

    messages = [problem.message for problem in outcome.problems]
    assert [problem.field for problem in outcome.problems] == ["received_on", "received_on"]
    assert messages[0].startswith("You closed 03/20/2026 already")
    assert messages[1].startswith("The ledger is closed through 03/31/2026")


def test_void_in_closed_period_writes_nothing(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", IN_CLOSED_PERIOD))
    assert outcome.record_id is not None, outcome.problems
    _lock(database, desk.manager, LOCK_DATE)
    before = _stored(database)

    with database.transaction() as session, pytest.raises(UserError) as raised:
        void_payment(session, desk.manager, outcome.record_id, "Wrong patient")

    assert "03/31/2026" in str(raised.value)
    assert _stored(database) == before
    with database.reading() as session:
        payment = session.get(Payment, outcome.record_id)
        assert payment is not None
        assert payment.voided_at is None
    assert_ledger_clean(database, desk)


def test_closed_today_is_per_user(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        close_day(session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), "")
        closed_for_desk = closed_today(session, desk.desk)
        closed_for_other = closed_today(session, desk.other_desk)

    assert closed_for_desk is True
    assert closed_for_other is False
    with database.transaction() as session:
        outcome = take_payment(session, desk.other_desk, _nguyen_cash(desk, "20.00", None))
    assert outcome.saved, outcome.problems


def test_provider_cannot_ask_closed_today(database: Database, desk: DeskPractice) -> None:
    with database.reading() as session, pytest.raises(PermissionDeniedError):
        closed_today(session, desk.ledger.provider)


def test_rejected_payment_logs_no_phi(
    database: Database, desk: DeskPractice, caplog: pytest.LogCaptureFixture
) -> None:
    _lock(database, desk.manager, LOCK_DATE)
    caplog.set_level(logging.DEBUG)

    with database.transaction() as session:
        take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", IN_CLOSED_PERIOD))
        take_payment(session, desk.desk, _nguyen_cash(desk, "20.00", None))

    # Record ids may be logged; names and chart numbers may not.
    assert "Nguyen" not in caplog.text
    assert "T-000003" not in caplog.text


def _lock_audit(database: Database) -> list[tuple[str, str]]:
    """Return (username, detail) of every audited change of the lock date, oldest first."""
    with database.reading() as session:
        query = (
            select(AuditEvent)
            .where(AuditEvent.object_type == "setting", AuditEvent.object_id == LOCK_DATE_KEY)
            .order_by(AuditEvent.sequence)
        )
        return [(event.username, event.detail) for event in session.scalars(query)]


def test_lock_changes_audited(database: Database, desk: DeskPractice) -> None:
    _lock(database, desk.manager, LOCK_DATE)
    _lock(database, desk.manager, LOCK_DATE)
    _lock(database, desk.ledger.admin, None)

    assert _lock_audit(database) == [
        (desk.manager.username, f'{LOCK_DATE_KEY}: null -> "2026-03-31"'),
        (desk.ledger.admin.username, f'{LOCK_DATE_KEY}: "2026-03-31" -> null'),
    ]


def test_rejected_lock_not_audited(database: Database, desk: DeskPractice) -> None:
    with database.reading() as session:
        today = practice_today(session)

    with database.transaction() as session, pytest.raises(ValidationError):
        set_ledger_lock_date(session, desk.manager, today)

    assert _lock_audit(database) == []
