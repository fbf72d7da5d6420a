"""The waitlist: patients who want an earlier or any opening, and who fits a freed time.

Booking and the waitlist stay independent. After a cancel or a move, the screen asks
`offers_for` who could take the freed time, and `book_from_waitlist` books through the
ordinary booking service so every conflict check still applies.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import format_time
from app.contact import display_phone
from app.errors import NotFoundError, UserError, ValidationError
from app.models.patients import Patient
from app.models.practice import Provider
from app.models.scheduling import AppointmentType, WaitlistEntry
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.scheduling_settings import practice_zone

if TYPE_CHECKING:
    from app.services.booking import BookingOutcome, BookingRequest

log = logging.getLogger(__name__)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHANGES = Changes.of(ChangeKind.APPOINTMENTS)


@dataclass(frozen=True, slots=True)
class WaitlistInput:
    """A waitlist entry as the form edits it; no provider means any provider."""

    patient_id: uuid.UUID
    duration_minutes: int
    provider_id: uuid.UUID | None = None
    appointment_type_id: uuid.UUID | None = None
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    earliest: time | None = None
    latest: time | None = None
    available_from: date | None = None
    available_until: date | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class WaitlistRow:
    """One entry as the waitlist panel shows it."""

    entry_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    provider_id: uuid.UUID | None
    provider_name: str
    appointment_type_id: uuid.UUID | None
    appointment_type: str
    duration_minutes: int
    weekdays: tuple[int, ...]
    earliest: time | None
    latest: time | None
    available_from: date | None
    available_until: date | None
    notes: str
    status: str
    added_at: datetime  # UTC, when the patient was put on the list
    added_on: date  # the practice's local date of added_at

    def to_input(self) -> WaitlistInput:
        """Return the entry's editable values, to prefill the edit form."""
        return WaitlistInput(
            patient_id=self.patient_id,
            duration_minutes=self.duration_minutes,
            provider_id=self.provider_id,
            appointment_type_id=self.appointment_type_id,
            weekdays=self.weekdays,
            earliest=self.earliest,
            latest=self.latest,
            available_from=self.available_from,
            available_until=self.available_until,
            notes=self.notes,
        )


@dataclass(frozen=True, slots=True)
class WaitlistOffer:
    """A waiting patient who fits a freed time, with the phone to call and why."""

    entry_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    phone: str
    why: str


@dataclass(frozen=True, slots=True)
class WaitlistSaved:
    """The id of the entry written and the kinds of record it touched."""

    entry_id: uuid.UUID
    changes: Changes


def validate_entry(values: WaitlistInput) -> list[Problem]:
    """Return every problem with the entry's values (empty when they can be saved)."""
    problems: list[Problem] = []
    if not 5 <= values.duration_minutes <= 480:
        problems.append(
            Problem("duration", f"{values.duration_minutes} minutes: use 5 to 480 minutes.")
        )
    if not values.weekdays or any(day not in range(7) for day in values.weekdays):
        problems.append(Problem("weekdays", "Choose at least one day the patient can come."))
    if values.earliest and values.latest and values.earliest >= values.latest:
        problems.append(Problem("latest", "The latest time must be after the earliest time."))
    if (
        values.available_from
        and values.available_until
        and values.available_from > values.available_until
    ):
        problems.append(
            Problem("available_until", "The last date must be on or after the first date.")
        )
    if len(values.notes) > 500:
        problems.append(Problem("notes", f"{len(values.notes)} characters: shorten to 500."))
    return problems


def add_entry(session: Session, actor: Actor, values: WaitlistInput) -> WaitlistSaved:
    """Put a patient on the waitlist; raises ValidationError listing every problem."""
    require(actor, Permission.SCHEDULE_EDIT)
    _check(session, values)
    entry = WaitlistEntry(updated_by=actor.user_id)
    _apply(entry, values)
    session.add(entry)
    session.flush()

    audit.record(
        session, actor, AuditAction.CREATE, "waitlist_entry", entry.id, patient_id=entry.patient_id
    )
    log.info("waitlist entry %s added", entry.id)
    return WaitlistSaved(entry.id, CHANGES)


def edit_entry(
    session: Session, actor: Actor, entry_id: uuid.UUID, values: WaitlistInput
) -> Changes:
    """Change a waiting entry's preferences; raises ValidationError listing every problem.

    The patient stays the same: an entry's place in line belongs to the patient who asked.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    entry = _waiting(session, entry_id)
    if values.patient_id != entry.patient_id:
        raise UserError(
            "A waitlist entry keeps its patient. Remove this entry and add one for the "
            "other patient."
        )
    _check(session, values)
    _apply(entry, values)
    entry.updated_by = actor.user_id
    session.flush()

    audit.record(
        session, actor, AuditAction.UPDATE, "waitlist_entry", entry.id, patient_id=entry.patient_id
    )
    return CHANGES


def remove_entry(session: Session, actor: Actor, entry_id: uuid.UUID) -> Changes:
    """Take a waiting entry off the list; the row stays with status "removed"."""
    require(actor, Permission.SCHEDULE_EDIT)
    entry = _waiting(session, entry_id)
    entry.status = "removed"
    entry.updated_by = actor.user_id
    session.flush()

    audit.record(
        session, actor, AuditAction.ARCHIVE, "waitlist_entry", entry.id, patient_id=entry.patient_id
    )
    return CHANGES


def list_waitlist(
    session: Session, actor: Actor, *, waiting_only: bool = True
) -> list[WaitlistRow]:
    """Return the entries, oldest first (first come, first offered)."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(WaitlistEntry, Patient, Provider, AppointmentType)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
        .outerjoin(AppointmentType, AppointmentType.id == WaitlistEntry.appointment_type_id)
        .where(WaitlistEntry.archived.is_(False))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    if waiting_only:
        query = query.where(WaitlistEntry.status == "waiting")
    zone = practice_zone(session)
    return [_row(*columns, zone) for columns in session.execute(query)]


def offers_for(
    session: Session, actor: Actor, provider_id: uuid.UUID, starts_at: datetime, minutes: int
) -> list[WaitlistOffer]:
    """Return the waiting patients who fit `minutes` from `starts_at` with the provider.

    An entry fits when it names this provider or any provider, its visit is no longer
    than the freed time, and the day, date range and time window all allow it. Entries
    come oldest first.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(WaitlistEntry, Patient)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(
            WaitlistEntry.status == "waiting",
            WaitlistEntry.archived.is_(False),
            WaitlistEntry.duration_minutes <= minutes,
            or_(WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == provider_id),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    offers: list[WaitlistOffer] = []
    for entry, patient in session.execute(query):
        window = _fit(entry, starts_at, minutes)
        if window is None:
            continue
        why = f"{entry.duration_minutes} min, {window}"
        if entry.provider_id is None:
            why += ", any provider"
        offers.append(
            WaitlistOffer(entry.id, patient.id, _name(patient), display_phone(patient.phone), why)
        )
    return offers


def book_from_waitlist(
    session: Session, actor: Actor, entry_id: uuid.UUID, request: "BookingRequest"
) -> "BookingOutcome":
    """Book the request through the booking service and mark the entry booked.

    When the booking has blocking conflicts nothing is written and the entry keeps
    waiting; the outcome carries the conflicts for the screen to show.
    """
    from app.services import booking

    require(actor, Permission.SCHEDULE_EDIT)
    entry = _waiting(session, entry_id)
    if request.patient_id != entry.patient_id:
        raise UserError(
            "The booking is for a different patient than the waitlist entry; "
            "choose the entry's patient."
        )
    outcome = booking.book(session, actor, request)
    if outcome.appointment_id is None:
        return outcome

    entry.status = "booked"
    entry.booked_appointment_id = outcome.appointment_id
    entry.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "waitlist_entry",
        entry.id,
        patient_id=entry.patient_id,
        detail=f"booked appointment {outcome.appointment_id}",
    )
    return outcome


def describe_weekdays(weekdays: tuple[int, ...]) -> str:
    """Return days as "Mon-Fri", "Tue, Thu" or "Any day"."""
    ordered = sorted(set(weekdays))
    if ordered == list(range(7)):
        return "Any day"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAY_NAMES[ordered[0]]}-{WEEKDAY_NAMES[ordered[-1]]}"
    return ", ".join(WEEKDAY_NAMES[day] for day in ordered)


def _fit(entry: WaitlistEntry, starts_at: datetime, minutes: int) -> str | None:
    """Return the entry's window in words when the freed time suits it, else None."""
    day = starts_at.date()
    weekdays = _weekdays(entry.weekdays)
    if day.weekday() not in weekdays:
        return None
    if entry.available_from and day < entry.available_from:
        return None
    if entry.available_until and day > entry.available_until:
        return None

    # The visit may start anywhere in the freed time, so the patient's window only
    # has to overlap the freed time by the visit's length.
    freed_end = starts_at + timedelta(minutes=minutes)
    start = max(starts_at, datetime.combine(day, entry.earliest or time.min))
    end = min(freed_end, datetime.combine(day, entry.latest) if entry.latest else freed_end)
    if end - start < timedelta(minutes=entry.duration_minutes):
        return None
    return f"{describe_weekdays(weekdays)} {describe_window(entry.earliest, entry.latest)}"


def describe_window(earliest: time | None, latest: time | None) -> str:
    """Return a time window in words, such as "9:00 AM to 11:00 AM" or "any time"."""
    if earliest is None and latest is None:
        return "any time"
    first = format_time(earliest) if earliest else "opening"
    last = format_time(latest) if latest else "closing"
    return f"{first} to {last}"


def _weekdays(text: str) -> tuple[int, ...]:
    return tuple(int(digit) for digit in text if digit.isdigit())


def _name(patient: Patient) -> str:
    return f"{patient.last_name}, {patient.first_name}"


def _check(session: Session, values: WaitlistInput) -> None:
    problems = validate_entry(values)
    if session.get(Patient, values.patient_id) is None:
        problems.append(Problem("patient", "The patient was not found; choose a patient."))
    if values.provider_id is not None and session.get(Provider, values.provider_id) is None:
        problems.append(Problem("provider", "The provider was not found; choose a provider."))
    if problems:
        raise ValidationError(problems)


def _apply(entry: WaitlistEntry, values: WaitlistInput) -> None:
    entry.patient_id = values.patient_id
    entry.provider_id = values.provider_id
    entry.appointment_type_id = values.appointment_type_id
    entry.duration_minutes = values.duration_minutes
    entry.weekdays = "".join(str(day) for day in sorted(set(values.weekdays)))
    entry.earliest = values.earliest
    entry.latest = values.latest
    entry.available_from = values.available_from
    entry.available_until = values.available_until
    entry.notes = values.notes.strip() or None


def _waiting(session: Session, entry_id: uuid.UUID) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.archived:
        raise NotFoundError("The waitlist entry was not found; refresh the waitlist.")
    if entry.status != "waiting":
        raise UserError(
            f"The waitlist entry is already {entry.status}; refresh the waitlist to see it."
        )
    return entry


def _row(
    entry: WaitlistEntry,
    patient: Patient,
    provider: Provider | None,
    kind: AppointmentType | None,
    zone: ZoneInfo,
) -> WaitlistRow:
    return WaitlistRow(
        entry_id=entry.id,
        patient_id=patient.id,
        patient_name=_name(patient),
        chart_number=patient.chart_number,
        provider_id=entry.provider_id,
        provider_name=provider.display_name if provider else "Any provider",
        appointment_type_id=entry.appointment_type_id,
        appointment_type=kind.name if kind else "",
        duration_minutes=entry.duration_minutes,
        weekdays=_weekdays(entry.weekdays),
        earliest=entry.earliest,
        latest=entry.latest,
        available_from=entry.available_from,
        available_until=entry.available_until,
        notes=entry.notes or "",
        status=entry.status,
        added_at=entry.created_at,
        added_on=entry.created_at.astimezone(zone).date(),
    )
