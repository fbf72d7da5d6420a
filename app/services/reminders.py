"""Appointment reminders: templates, the queue, email sending and the call list.

Each appointment gets at most one reminder per channel. A patient with reminder
consent, an email address and no other stated preference gets email; anyone who asked
for phone or text goes on the printable call list; everyone else gets a letter, or a
call when there is no mailing address. Templates may use only the placeholders in
PLACEHOLDERS, so a reminder never carries more about the patient than a first name.
"""

import logging
import string
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import format_time, practice_zone
from app.contact import display_phone
from app.errors import NotFoundError, ValidationError
from app.models.patients import Patient
from app.models.practice import Location, Practice, Provider
from app.models.scheduling import Appointment, Reminder, ReminderAttempt, ReminderTemplate
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.mailer import MailError, MailTransport
from app.validators import character_problems

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset(
    {"first_name", "date", "time", "location", "practice_name", "practice_phone"}
)
CHANNELS = ("email", "letter", "postcard")
ACTIVE_STATUSES = ("scheduled", "confirmed")
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=10)
CHANGES = Changes.of(ChangeKind.APPOINTMENTS)

DEFAULT_TEMPLATES = (
    (
        "Email reminder",
        "email",
        "Appointment reminder from {practice_name}",
        "Hello {first_name},\n\nThis is a reminder of your appointment on {date} at {time} "
        "at {location}.\n\nIf you need to change it, please call us at {practice_phone}.\n\n"
        "{practice_name}",
    ),
    (
        "Letter reminder",
        "letter",
        "",
        "Dear {first_name},\n\nThis letter is a reminder of your appointment on {date} at "
        "{time} at {location}.\n\nIf you need to change it, please call us at "
        "{practice_phone}.\n\nSincerely,\n{practice_name}",
    ),
)


@dataclass(frozen=True, slots=True)
class TemplateInput:
    """A reminder template as the editor changes it."""

    name: str
    channel: str
    subject: str
    body: str
    lead_days: int = 2


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """A stored template with its id."""

    template_id: uuid.UUID
    name: str
    channel: str
    subject: str
    body: str
    lead_days: int


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """Counts of reminders queued and cancelled by one run, and what changed."""

    queued: int
    cancelled: int
    changes: Changes


@dataclass(frozen=True, slots=True)
class SendSummary:
    """Counts of email reminders sent, retried later and given up on."""

    sent: int
    retrying: int
    failed: int
    changes: Changes


@dataclass(frozen=True, slots=True)
class CallListRow:
    """One patient to call about an appointment."""

    reminder_id: uuid.UUID
    patient_name: str
    phone: str
    starts_at: datetime
    provider_name: str
    location: str


def placeholders_in(text: str) -> list[str]:
    """Return the placeholder names used in `text`; raises ValueError for broken braces."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def validate_template(values: TemplateInput) -> list[Problem]:
    """Return every problem with the template (empty when it can be saved)."""
    problems: list[Problem] = []
    if not values.name.strip():
        problems.append(Problem("name", "Enter a name for the template."))
    if values.channel not in CHANNELS:
        problems.append(Problem("channel", f"{values.channel!r}: use email, letter or postcard."))
    if not values.body.strip():
        problems.append(Problem("body", "Enter the reminder text."))
    if values.channel == "email" and not values.subject.strip():
        problems.append(Problem("subject", "Enter a subject for the email."))
    if not 0 <= values.lead_days <= 30:
        problems.append(Problem("lead_days", f"{values.lead_days} days: use 0 to 30 days."))
    for field, text in (("subject", values.subject), ("body", values.body)):
        problems.extend(_placeholder_problems(field, text))
    # An email header cannot contain a line break, so such a subject could never be sent.
    problems.extend(character_problems(values.subject, "subject", "The subject"))
    return problems


def _placeholder_problems(field: str, text: str) -> list[Problem]:
    allowed = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return [Problem(field, f"Unmatched {{ or }}: use only placeholders such as {allowed}.")]

    names = [name for _, name, _, _ in parts if name is not None]
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        return [Problem(field, f"Unknown placeholder {listed}: use only {allowed}.")]
    # A format spec or conversion such as {date:%Y} or {first_name!r} fails or
    # misbehaves when the reminder is sent, so a placeholder must be the name alone.
    formatted = sorted(
        {name for _, name, spec, conversion in parts if name and (spec or conversion)}
    )
    if formatted:
        listed = ", ".join("{" + name + "}" for name in formatted)
        return [Problem(field, f"Write {listed} without a format or conversion after the name.")]
    return []


def ensure_default_templates(session: Session, actor: Actor) -> Changes:
    """Add the default email and letter templates when no template exists yet."""
    require(actor, Permission.PRACTICE_SETUP)
    if session.scalar(select(ReminderTemplate.id).limit(1)) is not None:
        return Changes()
    for name, channel, subject, body in DEFAULT_TEMPLATES:
        save_template(session, actor, None, TemplateInput(name, channel, subject, body))
    return Changes.of(ChangeKind.SETTINGS)


def list_templates(session: Session, actor: Actor) -> list[TemplateRow]:
    """Return the active templates, by channel and name."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(ReminderTemplate)
        .where(ReminderTemplate.archived.is_(False))
        .order_by(ReminderTemplate.channel, ReminderTemplate.name)
    )
    return [
        TemplateRow(row.id, row.name, row.channel, row.subject, row.body, row.lead_days)
        for row in session.scalars(query)
    ]


def save_template(
    session: Session, actor: Actor, template_id: uuid.UUID | None, values: TemplateInput
) -> uuid.UUID:
    """Add a template (no id) or change one; raises ValidationError listing every problem."""
    require(actor, Permission.PRACTICE_SETUP)
    problems = validate_template(values)
    if problems:
        raise ValidationError(problems)

    row = ReminderTemplate() if template_id is None else session.get(ReminderTemplate, template_id)
    if row is None:
        raise NotFoundError("The reminder template was not found; reopen the templates tab.")
    row.name = values.name.strip()
    row.channel = values.channel
    row.subject = values.subject.strip()
    row.body = values.body
    row.lead_days = values.lead_days
    row.updated_by = actor.user_id
    session.add(row)
    session.flush()

    action = AuditAction.CREATE if template_id is None else AuditAction.UPDATE
    audit.record(session, actor, action, "reminder_template", row.id)
    return row.id


def render(text: str, values: dict[str, str]) -> str:
    """Fill a validated template's placeholders."""
    return text.format_map(values)


def placeholder_values(
    session: Session, appointment: Appointment, patient: Patient
) -> dict[str, str]:
    """Return the values a template may use for one appointment."""
    practice = session.scalar(select(Practice).where(Practice.archived.is_(False)))
    location = session.get(Location, appointment.location_id)
    starts = appointment.starts_at
    return {
        "first_name": patient.preferred_name or patient.first_name,
        "date": f"{starts:%A, %B} {starts.day}, {starts.year}",
        "time": format_time(starts),
        "location": location.name if location else "",
        "practice_name": practice.legal_name if practice else "",
        "practice_phone": display_phone(practice.phone) if practice else "",
    }


def choose_channel(patient: Patient) -> str | None:
    """Return "email", "call" or "letter" for the patient, or None when none can work."""
    preference = patient.preferred_contact
    if patient.reminder_consent and patient.email and preference in (None, "email"):
        return "email"
    if preference in ("phone", "text") and patient.phone:
        return "call"
    if patient.address_line1 and patient.city and patient.zip_code:
        return "letter"
    if patient.phone:
        return "call"
    return None


def practice_now(session: Session, now: datetime) -> datetime:
    """Return the UTC instant `now` as naive practice wall-clock time."""
    zone_name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    zone = practice_zone(zone_name or "UTC")
    return now.astimezone(zone).replace(tzinfo=None)


def queue_due_reminders(session: Session, actor: Actor, now: datetime) -> QueueSummary:
    """Queue reminders for visits within their template's lead days; cancel stale ones.

    `now` is an aware UTC instant. A call uses the letter template's lead days, because
    both go on paper the front desk works through.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    cancelled = _cancel_stale(session, actor)
    _follow_moves(session)
    templates = _templates_by_channel(session)
    if not templates:
        return QueueSummary(0, cancelled, CHANGES if cancelled else Changes())

    local_now = practice_now(session, now)
    lead = max(row.lead_days for row in templates.values())
    horizon = datetime.combine(local_now.date() + timedelta(days=lead + 1), time.min)
    query = (
        select(Appointment, Patient)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.starts_at > local_now,
            Appointment.starts_at < horizon,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.archived.is_(False),
        )
    )
    already = _queued_pairs(session, local_now, horizon)
    queued = 0
    for appointment, patient in session.execute(query):
        channel = choose_channel(patient)
        template = templates.get("letter" if channel == "call" else channel or "")
        if channel is None or template is None or (appointment.id, channel) in already:
            continue
        if (appointment.starts_at.date() - local_now.date()).days > template.lead_days:
            continue
        session.add(_new_reminder(actor, appointment, template, channel, now))
        queued += 1
    session.flush()

    log.info("reminders queued: %d, cancelled: %d", queued, cancelled)
    return QueueSummary(queued, cancelled, CHANGES if queued or cancelled else Changes())


def _new_reminder(
    actor: Actor, appointment: Appointment, template: ReminderTemplate, channel: str, now: datetime
) -> Reminder:
    return Reminder(
        appointment_id=appointment.id,
        template_id=template.id,
        channel=channel,
        status="queued",
        next_attempt_at=now if channel == "email" else None,
        visit_starts_at=appointment.starts_at,
        updated_by=actor.user_id,
    )


def _templates_by_channel(session: Session) -> dict[str, ReminderTemplate]:
    """Return one template per channel: the first by name when there are several."""
    query = (
        select(ReminderTemplate)
        .where(ReminderTemplate.archived.is_(False))
        .order_by(ReminderTemplate.name.desc())
    )
    return {row.channel: row for row in session.scalars(query)}


def _queued_pairs(
    session: Session, first: datetime, horizon: datetime
) -> set[tuple[uuid.UUID, str]]:
    query = (
        select(Reminder.appointment_id, Reminder.channel)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .where(
            Appointment.starts_at > first,
            Appointment.starts_at < horizon,
            Reminder.status != "cancelled",
            # A reminder for an earlier time of a moved visit does not count; rows made
            # before reminders recorded the time count as they did then.
            Reminder.visit_starts_at.is_(None)
            | (Reminder.visit_starts_at == Appointment.starts_at),
        )
    )
    return {(appointment_id, channel) for appointment_id, channel in session.execute(query)}


def _cancel_stale(session: Session, actor: Actor) -> int:
    """Cancel queued reminders whose appointment was cancelled, moved or archived."""
    query = (
        select(Reminder)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .where(
            Reminder.status == "queued",
            (Appointment.status.not_in(ACTIVE_STATUSES)) | Appointment.archived.is_(True),
        )
    )
    count = 0
    for reminder in session.scalars(query):
        reminder.status = "cancelled"
        reminder.updated_by = actor.user_id
        count += 1
    session.flush()
    return count


def _follow_moves(session: Session) -> None:
    """Point queued reminders of moved visits at the new time.

    A queued reminder is written at send time from the visit as it is then, so it stays
    valid. Only its record of the time changes, so no second reminder is queued.
    """
    query = (
        select(Reminder, Appointment.starts_at)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .where(Reminder.status == "queued", Reminder.visit_starts_at != Appointment.starts_at)
    )
    for reminder, starts_at in session.execute(query):
        reminder.visit_starts_at = starts_at
    session.flush()


def send_queued(
    session: Session, actor: Actor, now: datetime, transport: MailTransport
) -> SendSummary:
    """Send queued email reminders that are due; record one attempt per try.

    A failed try waits FIRST_RETRY, then twice as long after each further failure, and
    the reminder is marked failed after MAX_ATTEMPTS tries. A reminder whose patient no
    longer takes email reminders, or whose visit has started, is marked skipped and never
    sent.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    _cancel_stale(session, actor)
    query = (
        select(Reminder, Appointment, Patient, ReminderTemplate)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(ReminderTemplate, ReminderTemplate.id == Reminder.template_id)
        .where(
            Reminder.status == "queued",
            Reminder.channel == "email",
            (Reminder.next_attempt_at.is_(None)) | (Reminder.next_attempt_at <= now),
        )
        .order_by(Appointment.starts_at)
    )
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    skipped = 0
    local_now = practice_now(session, now)
    for reminder, appointment, patient, template in session.execute(query).all():
        reason = _skip_reason(appointment, patient, local_now)
        if reason is not None:
            _skip(actor, reminder, reason)
            skipped += 1
            continue
        reminder.attempts += 1
        try:
            message = _message(session, appointment, patient, template)
        except (ValueError, KeyError, IndexError) as error:
            # A stored template that cannot be filled fails this reminder only. Raising
            # would roll back the run and send the reminders already sent again.
            reason = f"The reminder template could not be filled ({error}); fix it in Admin."
            counts[_record_failure(session, reminder, now, reason)] += 1
            continue
        outcome = _send_one(session, reminder, message, transport, now)
        counts[outcome] += 1
    session.flush()

    log.info("reminder email: %(sent)d sent, %(retrying)d retrying, %(failed)d failed", counts)
    if skipped:
        log.info("reminder email: %d skipped", skipped)
    changed = CHANGES if skipped or any(counts.values()) else Changes()
    return SendSummary(counts["sent"], counts["retrying"], counts["failed"], changed)


def _skip_reason(appointment: Appointment, patient: Patient, local_now: datetime) -> str | None:
    """Return why an email queued earlier must not go out now, or None to send it.

    Consent, address and preference may change after the reminder was queued, and a
    reminder still queued when the visit starts (sending failed or was not run) is late.
    """
    if appointment.starts_at <= local_now:
        return "The visit had started before the reminder could be sent."
    if choose_channel(patient) != "email":
        return "The patient no longer takes email reminders (consent, address or preference)."
    return None


def _skip(actor: Actor, reminder: Reminder, reason: str) -> None:
    reminder.status = "skipped"
    reminder.next_attempt_at = None
    reminder.last_error = reason
    reminder.updated_by = actor.user_id


def _message(
    session: Session, appointment: Appointment, patient: Patient, template: ReminderTemplate
) -> EmailMessage:
    values = placeholder_values(session, appointment, patient)
    message = EmailMessage()
    message["To"] = patient.email or ""
    message["Subject"] = render(template.subject, values)
    message.set_content(render(template.body, values))
    return message


def _send_one(
    session: Session,
    reminder: Reminder,
    message: EmailMessage,
    transport: MailTransport,
    now: datetime,
) -> str:
    try:
        transport.send(message)
    except MailError as error:
        return _record_failure(session, reminder, now, str(error))

    reminder.status = "sent"
    reminder.sent_at = now
    reminder.next_attempt_at = None
    reminder.last_error = None
    session.add(_attempt(reminder, now, "sent", None))
    return "sent"


def _record_failure(session: Session, reminder: Reminder, now: datetime, reason: str) -> str:
    reminder.last_error = reason
    session.add(_attempt(reminder, now, "failed", reason))
    log.warning("reminder %s attempt %d failed: %s", reminder.id, reminder.attempts, reason)
    if reminder.attempts >= MAX_ATTEMPTS:
        reminder.status = "failed"
        reminder.next_attempt_at = None
        return "failed"
    reminder.next_attempt_at = now + FIRST_RETRY * 2 ** (reminder.attempts - 1)
    return "retrying"


def _attempt(
    reminder: Reminder, now: datetime, outcome: str, detail: str | None
) -> ReminderAttempt:
    return ReminderAttempt(
        reminder_id=reminder.id,
        appointment_id=reminder.appointment_id,
        attempted_at=now,
        outcome=outcome,
        detail=detail,
    )


def call_list(session: Session, actor: Actor, day: date) -> list[CallListRow]:
    """Return the queued calls for appointments on `day`, by start time."""
    require(actor, Permission.SCHEDULE_VIEW)
    start = datetime.combine(day, time.min)
    query = (
        select(Reminder, Appointment, Patient, Provider, Location)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Location, Location.id == Appointment.location_id)
        .where(
            Reminder.channel == "call",
            Reminder.status == "queued",
            Appointment.starts_at >= start,
            Appointment.starts_at < start + timedelta(days=1),
        )
        .order_by(Appointment.starts_at, Patient.last_name)
    )
    return [
        CallListRow(
            reminder.id,
            f"{patient.last_name}, {patient.first_name}",
            display_phone(patient.phone),
            appointment.starts_at,
            provider.display_name,
            location.name,
        )
        for reminder, appointment, patient, provider, location in session.execute(query)
    ]
