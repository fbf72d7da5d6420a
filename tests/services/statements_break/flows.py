"""Steps the statement attack tests share: accounts, runs at a set hour, payments, refunds."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from unittest.mock import patch

from sqlalchemy import select, update

from app.db.database import Database
from app.ids import UserId
from app.models.security import User
from app.models.statements import Statement
from app.security.permissions import Actor, Role
from app.services import ledger, ledger_bulk
from app.services.billing_accounts import ensure_accounts
from app.services.payments import PaymentForm, take_payment
from app.services.refunds import RefundForm, approve_refund, issue_refund, request_refund
from app.services.statement_figures import StatementFigures
from app.services.statement_runs import run_statements
from tests.helpers.statement_data import PRACTICE_ZONE, StatementPractice


def account_of(database: Database, practice: StatementPractice, patient_id: uuid.UUID) -> uuid.UUID:
    """Return the billing account of the patient's guarantor, made when missing."""
    with database.transaction() as session:
        return ensure_accounts(session, practice.biller, [patient_id])[patient_id]


def local_instant(day: date, hour: int, minute: int = 0) -> datetime:
    """Return `hour`:`minute` of `day` in the practice's zone as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=PRACTICE_ZONE).astimezone(UTC)


@contextmanager
def ledger_clock(instant: datetime) -> Iterator[None]:
    """Post ledger rows inside the block at `instant`."""
    with (
        patch.object(ledger, "utc_now", return_value=instant),
        patch.object(ledger_bulk, "utc_now", return_value=instant),
    ):
        yield


def run_at(database: Database, practice: StatementPractice, day: date, hour: int = 9) -> None:
    """Run statements dated `day`, stamped as made at `hour`:00 that day in the practice's zone.

    The Statement rows take the real clock when inserted, so the stamp is set afterwards,
    as a run made that morning would have stored it.
    """
    made_at = local_instant(day, hour)
    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, day)
        session.execute(
            update(Statement)
            .where(Statement.run_id == outcome.run_id)
            .values(created_at=made_at, updated_at=made_at)
        )


def take_cash(
    database: Database,
    practice: StatementPractice,
    patient_id: uuid.UUID,
    amount: str,
    instant: datetime,
) -> uuid.UUID:
    """Take a cash payment posted at `instant` and received that practice day; return its id."""
    received_on = instant.astimezone(PRACTICE_ZONE).date()
    form = PaymentForm(
        patient_id=patient_id, amount=Decimal(amount), method="cash", received_on=received_on
    )
    with database.transaction() as session, ledger_clock(instant):
        outcome = take_payment(session, practice.desk, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def second_manager(database: Database, practice: StatementPractice) -> Actor:
    """Add a manager other than the admin's user, for approvals, and return the actor.

    The user reuses the admin's password hash; no test signs in as this manager.
    """
    admin_actor = practice.ledger.admin
    with database.transaction() as session:
        admin = session.get(User, admin_actor.user_id)
        assert admin is not None
        manager = User(
            username="manager2",
            display_name="Second Manager",
            role=Role.MANAGER.value,
            password_hash=admin.password_hash,
            updated_by=admin.id,
        )
        session.add(manager)
        session.flush()
        return Actor(UserId(manager.id), "manager2", Role.MANAGER, admin_actor.workstation)


def refund_credit(
    database: Database,
    practice: StatementPractice,
    patient_id: uuid.UUID,
    amount: str,
    instant: datetime,
) -> None:
    """Request, approve (by a second manager) and issue a patient refund by check."""
    approver = second_manager(database, practice)
    issued_on = instant.astimezone(PRACTICE_ZONE).date()
    with database.transaction() as session:
        outcome = request_refund(
            session,
            practice.desk,
            RefundForm(patient_id=patient_id, amount=Decimal(amount), reason="Overpaid visit"),
        )
        assert outcome.record_id is not None, outcome.problems
        refund_id = outcome.record_id
    with database.transaction() as session:
        approve_refund(session, approver, refund_id)
    with database.transaction() as session, ledger_clock(instant):
        issue_refund(session, practice.desk, refund_id, "check", "5012", issued_on)


def printed_balances(database: Database, account_id: uuid.UUID) -> list[Decimal]:
    """Return the guarantor balance stored on each of the account's statements, oldest first."""
    with database.reading() as session:
        return list(
            session.scalars(
                select(Statement.account_balance)
                .where(Statement.account_id == account_id)
                .order_by(Statement.statement_date, Statement.created_at)
            )
        )


def money_problems(figures: StatementFigures) -> list[str]:
    """Return every way the figures break the statement's money rules (empty when none)."""
    problems = []
    summed = figures.previous_balance + figures.new_charges + figures.payments
    if summed + figures.adjustments != figures.balance:
        problems.append("previous + new + payments + adjustments is not the balance")
    if figures.aging.total != figures.amount_due:
        problems.append(f"aging adds to {figures.aging.total}, not {figures.amount_due}")
    buckets = (
        figures.aging.current,
        figures.aging.days_31_60,
        figures.aging.days_61_90,
        figures.aging.days_91_120,
        figures.aging.over_120,
    )
    if any(bucket < 0 for bucket in buckets):
        problems.append("an aging bucket is negative")
    if figures.amount_due != max(figures.balance, Decimal("0.00")):
        problems.append("amount due is not the positive part of the balance")
    if figures.credit != max(-figures.balance, Decimal("0.00")):
        problems.append("credit is not the negative part of the balance")
    if figures.amount_due > 0 and figures.credit > 0:
        problems.append("both an amount due and a credit")
    if figures.insurance_pending < 0:
        problems.append("insurance pending is negative")
    for amount in (*buckets, figures.balance, figures.insurance_pending):
        if amount != amount.quantize(Decimal("0.01")):
            problems.append(f"{amount} is not whole cents")
    return problems
