"""Printed reminders: the call list and the reminder letters, as PDF files.

Both cover queued reminders for visits on or after the print day. The queue only holds
reminders inside their template's lead days, so that is the work due now. Printing
letters marks each one sent, with a ReminderAttempt, because the printed page is the
delivery. Calls stay queued until someone records the call.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.contact import display_phone
from app.models.patients import Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment, Reminder, ReminderAttempt, ReminderTemplate
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.face_sheet import practice_header
from app.services.face_sheet_parts import address_lines
from app.services.face_sheet_values import PracticeHeader
from app.services.patient_records import display_name
from app.services.reminders import ACTIVE_STATUSES, placeholder_values, render

log = logging.getLogger(__name__)

CONTACT_LABELS = {"phone": "Phone call", "text": "Text message", "email": "Email", "mail": "Mail"}


@dataclass(frozen=True, slots=True)
class CallLine:
    """One call to make: who, the number in display form, and the visit it is about."""

    patient_name: str
    phone: str
    starts_at: datetime
    provider_name: str
    location: str
    preferred_contact: str


@dataclass(frozen=True, slots=True)
class CallSheet:
    """The call list as printed."""

    practice: PracticeHeader
    printed_on: date
    lines: tuple[CallLine, ...]


@dataclass(frozen=True, slots=True)
class Letter:
    """One reminder letter: the window-envelope address block and the filled template."""

    address_lines: tuple[str, ...]
    body: str


@dataclass(frozen=True, slots=True)
class LetterBatch:
    """The reminder letters as printed, one page each."""

    practice: PracticeHeader
    printed_on: date
    letters: tuple[Letter, ...]


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """The file a print wrote, how many calls or letters it contains, and what changed."""

    path: Path
    count: int
    changes: Changes


def _due(channel: str, day: date) -> tuple[ColumnElement[bool], ...]:
    """Return the filters for queued `channel` reminders of active visits from `day` on."""
    return (
        Reminder.channel == channel,
        Reminder.status == "queued",
        Appointment.starts_at >= datetime.combine(day, time.min),
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.archived.is_(False),
    )


def call_sheet(session: Session, actor: Actor, day: date) -> CallSheet:
    """Return the queued calls for visits on or after `day`, by visit time."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(Reminder, Appointment, Patient, Provider, Location)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Location, Location.id == Appointment.location_id)
        .where(*_due("call", day))
        .order_by(Appointment.starts_at, Patient.last_name, Patient.first_name)
    )
    lines = tuple(
        CallLine(
            patient_name=display_name(patient),
            phone=display_phone(patient.phone),
            starts_at=appointment.starts_at,
            provider_name=provider.display_name,
            location=location.name,
            preferred_contact=CONTACT_LABELS.get(patient.preferred_contact or "", "Not stated"),
        )
        for _reminder, appointment, patient, provider, location in session.execute(query)
    )
    return CallSheet(practice_header(session), day, lines)


def print_call_list(session: Session, actor: Actor, day: date, path: Path) -> PrintOutcome:
    """Write the call list for visits on or after `day` to the PDF `path` and audit the print."""
    from app.pdf.call_list import render_call_list

    sheet = call_sheet(session, actor, day)
    render_call_list(sheet, path)
    detail = f"call list PDF, {len(sheet.lines)} calls"
    audit.record(session, actor, AuditAction.PRINT, "reminder", None, detail=detail)
    log.info("call list printed with %d calls", len(sheet.lines))
    return PrintOutcome(path, len(sheet.lines), Changes())


def print_reminder_letters(session: Session, actor: Actor, day: date, path: Path) -> PrintOutcome:
    """Write one letter per queued letter reminder to the PDF `path` and mark each sent.

    The file is written before any reminder is marked, so a failed write (raised as
    FileWriteError) leaves every letter queued for the next print.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    from app.pdf.reminder_letters import render_reminder_letters

    query = (
        select(Reminder, Appointment, Patient, ReminderTemplate)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(ReminderTemplate, ReminderTemplate.id == Reminder.template_id)
        .where(*_due("letter", day))
        .order_by(Patient.zip_code, Patient.last_name, Appointment.starts_at)
    )
    rows = session.execute(query).all()
    letters = tuple(
        Letter(
            (mailing_name(patient), *address_lines(patient)),
            render(template.body, placeholder_values(session, appointment, patient)),
        )
        for _reminder, appointment, patient, template in rows
    )
    render_reminder_letters(LetterBatch(practice_header(session), day, letters), path)

    now = utc_now()
    for reminder, _appointment, _patient, _template in rows:
        _mark_printed(session, actor, reminder, now)
    session.flush()
    detail = f"reminder letters PDF, {len(rows)} letters"
    audit.record(session, actor, AuditAction.PRINT, "reminder", None, detail=detail)
    log.info("reminder letters printed: %d", len(rows))
    changes = Changes.of(ChangeKind.APPOINTMENTS) if rows else Changes()
    return PrintOutcome(path, len(rows), changes)


def mailing_name(patient: Patient) -> str:
    """Return the name as an envelope shows it, such as "Ana M Lopez Jr"."""
    parts = (patient.first_name, patient.middle_name, patient.last_name, patient.suffix)
    return " ".join(part for part in parts if part)


def _mark_printed(session: Session, actor: Actor, reminder: Reminder, now: datetime) -> None:
    reminder.status = "sent"
    reminder.sent_at = now
    reminder.attempts += 1
    reminder.next_attempt_at = None
    reminder.updated_by = actor.user_id
    session.add(
        ReminderAttempt(
            reminder_id=reminder.id,
            appointment_id=reminder.appointment_id,
            attempted_at=now,
            outcome="sent",
            detail="printed letter",
        )
    )
