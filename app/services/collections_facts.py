"""Facts about accounts that the collections list and the agency file show.

The newest statement, the last patient payment, the oldest service still owed or written
off, the patients' names and the guarantor's record, each read for many accounts or
patients with a few queries.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.models.patients import Patient, Person
from app.models.payments import AccountAdjustment, Payment
from app.models.statements import BillingAccount, NoticeLevel, Statement
from app.money import ZERO
from app.services import account_adjustments
from app.services.claim_build_rows import chunks
from app.services.collections_ledger import WRITE_OFF_KIND, service_dates
from app.services.statement_ladder import DELIVERED_STATUSES

# The collections step of the notice ladder: its wait is the time after the final
# notice before an account may be placed. 30 days applies while no row is stored.
COLLECTIONS_LEVEL = "collections"
FINAL_LEVEL = "final"
DEFAULT_COLLECTIONS_DAYS = 30
# A plan reminder is not a step of the ladder, so it neither raises nor resets the level.
PLAN_REMINDER = "plan_reminder"


@dataclass(frozen=True, slots=True)
class LastStatement:
    """An account's newest ladder statement that was printed or sent."""

    statement_date: date
    level: str


def collections_wait_days(session: Session) -> int:
    """Return the days after the final notice before an account may be placed."""
    days = session.scalar(
        select(NoticeLevel.days_after_previous).where(
            NoticeLevel.code == COLLECTIONS_LEVEL, NoticeLevel.archived.is_(False)
        )
    )
    return DEFAULT_COLLECTIONS_DAYS if days is None else int(days)


def latest_statements(
    session: Session,
    on_or_before: date | None = None,
    account_ids: Sequence[uuid.UUID] | None = None,
) -> dict[uuid.UUID, LastStatement]:
    """Return each account's newest ladder statement that was printed or sent.

    A statement still queued for email, whose email failed, or waiting to be printed
    has not reached the guarantor, so it does not count, just as canceled ones do not.
    Plan reminders are left out. `on_or_before` leaves out statements dated after that
    day, and `account_ids` limits the accounts read (every account when None). Of two
    statements on one day, the one made later counts.
    """
    query = (
        select(Statement.account_id, Statement.statement_date, Statement.level)
        .where(
            Statement.status.in_(DELIVERED_STATUSES),
            Statement.level != PLAN_REMINDER,
            Statement.archived.is_(False),
        )
        .order_by(Statement.statement_date, Statement.created_at, Statement.id)
    )
    if on_or_before is not None:
        query = query.where(Statement.statement_date <= on_or_before)
    if account_ids is not None:
        query = query.where(Statement.account_id.in_(list(account_ids)))
    newest: dict[uuid.UUID, LastStatement] = {}
    for account_id, statement_date, level in session.execute(query):
        newest[account_id] = LastStatement(statement_date, level)
    return newest


def last_payment_dates(
    session: Session, patient_ids: Sequence[uuid.UUID], on_or_before: date | None = None
) -> dict[uuid.UUID, date]:
    """Return the day of each patient's newest payment that was not voided."""
    found: dict[uuid.UUID, date] = {}
    for part in chunks(list(dict.fromkeys(patient_ids))):
        query = (
            select(Payment.patient_id, func.max(Payment.received_on))
            .where(
                Payment.patient_id.in_(part),
                Payment.voided_at.is_(None),
                Payment.archived.is_(False),
            )
            .group_by(Payment.patient_id)
        )
        if on_or_before is not None:
            query = query.where(Payment.received_on <= on_or_before)
        found.update(dict(session.execute(query).all()))
    return found


def newest(dates: dict[uuid.UUID, date], patient_ids: Sequence[uuid.UUID]) -> date | None:
    """Return the latest of the patients' dates, or None when none has one."""
    known = [dates[patient_id] for patient_id in patient_ids if patient_id in dates]
    return max(known, default=None)


def oldest_open_service(
    session: Session, open_lines: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]
) -> dict[uuid.UUID, date]:
    """Return each patient's oldest service date among their open lines."""
    dates = service_dates(
        session, [line_id for lines in open_lines.values() for line_id, _owed in lines]
    )
    oldest: dict[uuid.UUID, date] = {}
    for patient_id, lines in open_lines.items():
        known = [dates[line_id] for line_id, _owed in lines if line_id in dates]
        if known:
            oldest[patient_id] = min(known)
    return oldest


def oldest_written_off_service(
    session: Session, patient_ids: Sequence[uuid.UUID], written_off_on: date
) -> date | None:
    """Return the oldest service date of the lines written off to collections on a day."""
    if not patient_ids:
        return None
    return session.scalar(
        select(func.min(ChargeLine.service_date))
        .join(LedgerEntry, LedgerEntry.charge_line_id == ChargeLine.id)
        .join(AccountAdjustment, AccountAdjustment.id == LedgerEntry.source_id)
        .where(
            LedgerEntry.source_type == account_adjustments.SOURCE_TYPE,
            LedgerEntry.patient_id.in_(list(patient_ids)),
            LedgerEntry.amount < ZERO,
            AccountAdjustment.kind == WRITE_OFF_KIND,
            AccountAdjustment.posted_on == written_off_on,
        )
    )


def patient_names(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Return each patient's name as "First Last"."""
    names: dict[uuid.UUID, str] = {}
    for part in chunks(list(dict.fromkeys(patient_ids))):
        rows = session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.id.in_(part))
        )
        names.update({patient_id: f"{first} {last}" for patient_id, first, last in rows})
    return names


def guarantor_record(session: Session, account: BillingAccount) -> Patient | Person | None:
    """Return the account's guarantor: the patient or the person it names."""
    if account.guarantor_patient_id is not None:
        return session.get(Patient, account.guarantor_patient_id)
    if account.guarantor_person_id is not None:
        return session.get(Person, account.guarantor_person_id)
    return None
