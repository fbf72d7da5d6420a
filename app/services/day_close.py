"""Closing a business day at the desk: the payments' totals against what was counted.

Each user closes their own day. The expected amounts are the sums of the user's
payments received that day by method, voided payments left out. The close records the
cash and checks counted and the difference, counted minus expected; a difference needs
a note that explains it. A closed day takes no more payments from that user, and only a
manager may then void one of its payments.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import UserError
from app.models.payments import DayClose
from app.models.security import User
from app.money import ZERO, format_money
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_header import BillingHeader, billing_header
from app.services.front_desk import practice_zone_or_utc
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import (
    CARD_NUMBER_MESSAGE,
    METHODS,
    is_cents,
    looks_like_card_number,
)
from app.services.payments import PaymentRow, payments_for_day
from app.services.today import practice_today

log = logging.getLogger(__name__)

NOTE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class ClosedDay:
    """One user's recorded close of a day, with the differences by method.

    `difference` is counted minus expected over cash and checks together; a negative
    difference means money is missing. `closed_at` is in the practice's time zone.
    """

    user_id: uuid.UUID
    user_name: str
    business_date: date
    expected_cash: Decimal
    expected_checks: Decimal
    expected_cards: Decimal
    expected_other: Decimal
    counted_cash: Decimal
    counted_checks: Decimal
    cash_difference: Decimal
    check_difference: Decimal
    difference: Decimal
    note: str
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class DayTotals:
    """The sums of a user's payments of one day by method, voided payments left out.

    `expected` has every method of `payment_checks.METHODS` as a key. `closed` is the
    user's close of the day, or None while the day is open.
    """

    day: date
    user_id: uuid.UUID | None
    expected: dict[str, Decimal]
    total: Decimal
    payment_count: int
    check_count: int
    voided_count: int
    closed: ClosedDay | None

    @property
    def expected_cash(self) -> Decimal:
        """Cash that should be in the drawer."""
        return self.expected["cash"]

    @property
    def expected_checks(self) -> Decimal:
        """The sum of the checks that should be in the drawer."""
        return self.expected["check"]


@dataclass(frozen=True, slots=True)
class DaySheet:
    """Everything the day sheet prints: the day's payments, totals and closes.

    `user_name` is None for the sheet of every user. `payments` contains the payments that
    count and `voided` those voided, each in the order taken.
    """

    header: BillingHeader
    day: date
    printed_on: date
    user_name: str | None
    payments: tuple[PaymentRow, ...]
    voided: tuple[PaymentRow, ...]
    totals: DayTotals
    closes: tuple[ClosedDay, ...] = field(default_factory=tuple)
    open_users: tuple[str, ...] = field(default_factory=tuple)


def day_totals(session: Session, actor: Actor, day: date, user_id: uuid.UUID | None) -> DayTotals:
    """Return the expected amounts of `day` by method for one user, or (None) for every user."""
    require(actor, Permission.PAYMENT_POST)
    rows = payments_for_day(session, actor, day, user_id)
    return _totals(session, day, user_id, rows)


def _totals(
    session: Session, day: date, user_id: uuid.UUID | None, rows: list[PaymentRow]
) -> DayTotals:
    expected = dict.fromkeys(METHODS, ZERO)
    counted = [row for row in rows if not row.voided]
    for row in counted:
        expected[row.method] = expected.get(row.method, ZERO) + row.amount
    closed = None
    if user_id is not None:
        found = _closes(session, day, user_id)
        closed = found[0] if found else None
    return DayTotals(
        day=day,
        user_id=user_id,
        expected=expected,
        total=sum(expected.values(), ZERO),
        payment_count=len(counted),
        check_count=sum(1 for row in counted if row.method == "check"),
        voided_count=len(rows) - len(counted),
        closed=closed,
    )


def close_day(  # noqa: PLR0917 (the signature the payments contract fixes)
    session: Session,
    actor: Actor,
    day: date,
    counted_cash: Decimal,
    counted_checks: Decimal,
    note: str,
) -> SaveOutcome:
    """Record the signed-in user's close of `day` with the cash and checks counted.

    Problems come back as data: an amount below zero or not in cents, a day after today,
    and a difference without a note. Raises UserError when the user closed the day
    already, because a recorded count is never replaced.
    """
    require(actor, Permission.PAYMENT_POST)
    if actor.user_id is None:
        raise UserError("Closing a day records who counted the money; sign in and close again.")
    if _closes(session, day, actor.user_id):
        raise UserError(
            f"You closed {day:%m/%d/%Y} already, and a recorded count is not replaced. "
            "Print the day sheet to see it, or ask a manager about a correction."
        )

    totals = day_totals(session, actor, day, actor.user_id)
    problems = _close_problems(session, day, counted_cash, counted_checks)
    if problems:
        return SaveOutcome.rejected(problems)
    difference = (counted_cash - totals.expected_cash) + (counted_checks - totals.expected_checks)
    if difference != ZERO and not note.strip():
        return SaveOutcome.rejected(
            [
                Problem(
                    "note",
                    f"The count is {format_money(difference)} off what the payments say; "
                    "write a note that explains the difference.",
                )
            ]
        )
    if looks_like_card_number(note):
        return SaveOutcome.rejected([Problem("note", CARD_NUMBER_MESSAGE)])
    if len(note) > NOTE_LENGTH:
        return SaveOutcome.rejected(
            [Problem("note", f"The note is {len(note)} characters; keep it to {NOTE_LENGTH}.")]
        )

    closed = DayClose(
        user_id=actor.user_id,
        business_date=day,
        expected_cash=totals.expected_cash,
        expected_checks=totals.expected_checks,
        expected_cards=totals.expected["card"],
        expected_other=totals.expected["eft"] + totals.expected["other"],
        counted_cash=counted_cash,
        counted_checks=counted_checks,
        difference=difference,
        note=note.strip(),
        closed_at=utc_now(),
        updated_by=actor.user_id,
    )
    session.add(closed)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "day_close",
        closed.id,
        detail=f"{totals.payment_count} payments; difference {difference}",
    )
    log.info("day closed by user %s with %d payments", actor.user_id, totals.payment_count)
    return SaveOutcome(record_id=closed.id, created=True, changes=Changes.of(ChangeKind.PAYMENTS))


def _close_problems(
    session: Session, day: date, counted_cash: Decimal, counted_checks: Decimal
) -> list[Problem]:
    problems = []
    today = practice_today(session)
    if day > today:
        problems.append(
            Problem(
                "day",
                f"{day:%m/%d/%Y} is after today ({today:%m/%d/%Y}); close a day that has begun.",
            )
        )
    for name, label, amount in (
        ("counted_cash", "cash", counted_cash),
        ("counted_checks", "checks", counted_checks),
    ):
        if not is_cents(amount) or amount < 0:
            problems.append(
                Problem(
                    name,
                    f"The {label} counted ({amount}) is not an amount of zero or more in "
                    "cents; type what you counted.",
                )
            )
    return problems


def _closes(session: Session, day: date, user_id: uuid.UUID | None) -> list[ClosedDay]:
    """Return the closes of `day` (one user's, or every user's), by user name."""
    query = (
        select(DayClose, User.display_name)
        .join(User, User.id == DayClose.user_id)
        .where(DayClose.business_date == day, DayClose.archived.is_(False))
        .order_by(User.display_name)
    )
    if user_id is not None:
        query = query.where(DayClose.user_id == user_id)
    zone = practice_zone_or_utc(session)
    return [_closed_day(row, name, zone) for row, name in session.execute(query)]


def _closed_day(row: DayClose, user_name: str, zone: ZoneInfo) -> ClosedDay:
    return ClosedDay(
        user_id=row.user_id,
        user_name=user_name,
        business_date=row.business_date,
        expected_cash=row.expected_cash,
        expected_checks=row.expected_checks,
        expected_cards=row.expected_cards,
        expected_other=row.expected_other,
        counted_cash=row.counted_cash,
        counted_checks=row.counted_checks,
        cash_difference=row.counted_cash - row.expected_cash,
        check_difference=row.counted_checks - row.expected_checks,
        difference=row.difference,
        note=row.note,
        closed_at=row.closed_at.astimezone(zone),
    )


def day_sheet(session: Session, actor: Actor, day: date, user_id: uuid.UUID | None) -> DaySheet:
    """Gather the day sheet of one user, or (None) of every user who took a payment."""
    require(actor, Permission.PAYMENT_POST)
    rows = payments_for_day(session, actor, day, user_id)
    closes = _closes(session, day, user_id)
    closed_ids = {close.user_id for close in closes}
    takers = {row.taken_by_id: row.taken_by for row in rows}
    user_name = None
    if user_id is not None:
        user = session.get(User, user_id)
        user_name = user.display_name if user is not None else ""
    return DaySheet(
        header=billing_header(session),
        day=day,
        printed_on=practice_today(session),
        user_name=user_name,
        payments=tuple(row for row in rows if not row.voided),
        voided=tuple(row for row in rows if row.voided),
        totals=_totals(session, day, user_id, rows),
        closes=tuple(closes),
        open_users=tuple(sorted(name for taker, name in takers.items() if taker not in closed_ids)),
    )


def write_day_sheet_pdf(
    session: Session, actor: Actor, day: date, user_id: uuid.UUID | None, path: Path
) -> Path:
    """Write the day sheet to the PDF `path` (atomically) and audit the print.

    Raises FileWriteError when `path` cannot be written.
    """
    from app.pdf.day_sheet import render_day_sheet

    sheet = day_sheet(session, actor, day, user_id)
    render_day_sheet(sheet, path)
    scope = "all users" if user_id is None else f"user {user_id}"
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        "day_sheet",
        detail=f"day sheet PDF for {day.isoformat()}, {scope}; {len(sheet.payments)} payments",
    )
    log.info("day sheet printed with %d payments", len(sheet.payments))
    return path
