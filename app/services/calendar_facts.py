"""Batch reads behind the calendar: patient flags, working hours and blockouts.

Each function runs a fixed number of queries whatever the number of patients or
columns, so a day of 600 appointments costs the same handful of round trips as a day
of six.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.rrule import rrulestr
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.scheduling import Appointment, Blockout, ProviderHours
from app.services.eligibility import Visit, unverified_visits
from app.services.onboarding import active_steps, summarize_checklists
from app.services.onboarding_facts import gather_facts

log = logging.getLogger(__name__)

# Statuses that free the time: a block with one of these is not drawn on the grid.
NOT_ON_GRID = ("cancelled", "rescheduled")
# Statuses of a visit that did not happen; they do not make a patient established.
NOT_A_VISIT = ("cancelled", "rescheduled", "no_show")
# The database splits IN lists into chunks of this size (SQLite allows 32766 variables).
CHUNK = 900


@dataclass(frozen=True, slots=True)
class PatientFlags:
    """Flags the front desk needs before the patient arrives."""

    new_patient: bool = False
    balance_due: bool = False
    missing_intake: bool = False
    # The primary coverage in effect on the visit's date was never checked with the payer,
    # or not recently enough (app/services/eligibility.py has the rule). A patient with no
    # coverage in effect (self-pay) has nothing to verify.
    eligibility_unverified: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open stretch of wall-clock time on the grid, such as working hours or a blockout."""

    start: datetime
    end: datetime
    title: str = ""
    kind: str = ""


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for index in range(0, len(ids), CHUNK):
        yield ids[index : index + CHUNK]


def patient_flags(
    session: Session, visits: Sequence[Visit], day: date
) -> dict[Visit, PatientFlags]:
    """Return the flags of each (patient id, visit date) pair in `visits`.

    The new-patient, balance and intake flags are as of `day`, the first day shown. The
    eligibility flag is as of each visit's own date, because coverages start and end.
    """
    unique = list(dict.fromkeys(patient_id for patient_id, _visit_day in visits))
    if not unique:
        return {}

    owing, established = _balances_and_visits(session, unique, day)
    facts = gather_facts(session, unique, day)
    checklist = summarize_checklists(active_steps(session), facts)
    unverified = unverified_visits(session, visits)
    flags = {}
    for visit in dict.fromkeys(visits):
        patient_id = visit[0]
        done, total = checklist.get(patient_id, (0, 0))
        flags[visit] = PatientFlags(
            new_patient=patient_id not in established,
            balance_due=patient_id in owing,
            missing_intake=done < total,
            eligibility_unverified=visit in unverified,
        )
    return flags


def _balances_and_visits(
    session: Session, ids: Sequence[uuid.UUID], day: date
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Return the patients who owe a balance and those with an earlier visit that took place.

    One statement reads both for each patient, so the ids are bound once and the visit
    check stops at the first matching appointment.
    """
    before = datetime.combine(day, time.min)
    balance = (
        select(func.sum(LedgerEntry.amount))
        .where(LedgerEntry.patient_id == Patient.id, LedgerEntry.responsible_party == "patient")
        .scalar_subquery()
    )
    visited = exists().where(
        Appointment.patient_id == Patient.id,
        Appointment.starts_at < before,
        Appointment.archived.is_(False),
        Appointment.status.not_in(NOT_A_VISIT),
    )
    owing: set[uuid.UUID] = set()
    established: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        rows = session.execute(select(Patient.id, balance, visited).where(Patient.id.in_(chunk)))
        for patient_id, total, earlier_visit in rows:
            if Decimal(total or 0) > 0:
                owing.add(patient_id)
            if earlier_visit:
                established.add(patient_id)
    return owing, established


def provider_hours(
    session: Session, provider_ids: Sequence[uuid.UUID], days: Sequence[date]
) -> dict[tuple[uuid.UUID, date], list[Span]]:
    """Return each provider's working hours on each day.

    A provider with no hours set up at all is left out of the result, so the grid shows
    their whole day as open instead of shading it as time off.
    """
    rows = session.scalars(
        select(ProviderHours).where(
            ProviderHours.provider_id.in_(provider_ids), ProviderHours.archived.is_(False)
        )
    ).all()
    with_hours = {row.provider_id for row in rows}
    hours: dict[tuple[uuid.UUID, date], list[Span]] = {
        (provider_id, day): [] for provider_id in with_hours for day in days
    }
    for row in rows:
        for day in days:
            if _hours_apply(row, day):
                start = datetime.combine(day, row.starts)
                hours[(row.provider_id, day)].append(Span(start, datetime.combine(day, row.ends)))
    for spans in hours.values():
        spans.sort(key=lambda span: span.start)
    return hours


def _hours_apply(row: ProviderHours, day: date) -> bool:
    if row.weekday != day.weekday():
        return False
    if row.effective_from is not None and day < row.effective_from:
        return False
    return row.effective_until is None or day <= row.effective_until


@dataclass(frozen=True, slots=True)
class PlacedBlockout:
    """One occurrence of a blockout with what it applies to (None = not limited by it)."""

    span: Span
    provider_id: uuid.UUID | None
    room_id: uuid.UUID | None
    location_id: uuid.UUID | None


def blockouts_between(session: Session, first: date, last: date) -> list[PlacedBlockout]:
    """Return every blockout occurrence that touches the days `first` to `last`.

    Repeating blockouts are expanded from their RRULE text, starting at the stored
    start and ending at `repeat_until` when it is set.
    """
    start = datetime.combine(first, time.min)
    end = datetime.combine(last + timedelta(days=1), time.min)
    rows = session.scalars(
        select(Blockout).where(
            Blockout.archived.is_(False),
            Blockout.starts_at < end,
            or_(
                Blockout.ends_at > start,
                Blockout.rule.is_not(None)
                & or_(Blockout.repeat_until.is_(None), Blockout.repeat_until >= first),
            ),
        )
    ).all()
    placed = []
    for row in rows:
        for span in _occurrences(row, start, end):
            placed.append(PlacedBlockout(span, row.provider_id, row.room_id, row.location_id))
    return placed


def _occurrences(row: Blockout, start: datetime, end: datetime) -> list[Span]:
    length = row.ends_at - row.starts_at
    if not row.rule:
        starts = [row.starts_at]
    else:
        try:
            rule = rrulestr(row.rule, dtstart=row.starts_at)
        except (ValueError, TypeError):
            log.warning("blockout %s has an invalid rule; showing its first time only", row.id)
            starts = [row.starts_at]
        else:
            limit = end
            if row.repeat_until is not None:
                limit = min(end, datetime.combine(row.repeat_until + timedelta(days=1), time.min))
            starts = list(rule.between(start - length, limit, inc=True))
    return [
        Span(begin, begin + length, row.title, row.kind)
        for begin in starts
        if begin < end and begin + length > start
    ]
