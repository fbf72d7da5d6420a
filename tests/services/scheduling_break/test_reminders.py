"""Reminders under attack: consent withdrawn, past visits, broken templates, a hostile server."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import select

from app.contact import display_phone
from app.db.database import Database
from app.models.patients import Patient
from app.models.scheduling import Appointment, Reminder, ReminderAttempt, ReminderTemplate
from app.security.permissions import system_actor
from app.services.mailer import SmtpSettings, SmtpTransport
from app.services.reminders import (
    SendSummary,
    TemplateInput,
    ensure_default_templates,
    queue_due_reminders,
    save_template,
    send_queued,
    validate_template,
)
from tests.helpers.schedule_rows import MONDAY, add_visit, demo_practice, patients, providers

ACTOR = system_actor("TST")
NOW = datetime.combine(MONDAY, time(14), UTC)  # 9:00 in Chicago
TOMORROW_10 = datetime.combine(MONDAY + timedelta(days=1), time(10))
REJECTED = "gone@example.com"


class Inbox:
    """An aiosmtpd handler that keeps each message and refuses one recipient with 550."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.recipients: list[str] = []

    async def handle_RCPT(  # noqa: N802 (aiosmtpd calls handlers by this name and signature)
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address == REJECTED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd calls handlers by this name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(content.decode())
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, SmtpSettings]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, SmtpSettings("127.0.0.1", port, "none", "", "desk@example.com")
    controller.stop()


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Database]:
    """Three patients who take email reminders, each with a visit tomorrow at 10:00."""
    database = demo_practice(tmp_path)
    with database.transaction() as session:
        ensure_default_templates(session, ACTOR)
        first = providers(session)[0]
        for number, person in enumerate(patients(session)[:3]):
            person.reminder_consent = True
            person.preferred_contact = None
            person.email = f"patient{number}@example.com"
            add_visit(session, first, person.id, TOMORROW_10)
        queue_due_reminders(session, ACTOR, NOW)
    yield database
    database.close()


def patients_of(database: Database) -> list[Patient]:
    with database.reading() as session:
        people = patients(session)[:3]
        session.expunge_all()
        return people


def send(database: Database, settings: SmtpSettings, moment: datetime = NOW) -> SendSummary:
    with database.transaction() as session, SmtpTransport(settings, None) as transport:
        return send_queued(session, ACTOR, moment, transport)


def email_statuses(database: Database) -> list[str]:
    with database.reading() as session:
        query = select(Reminder.status).where(Reminder.channel == "email")
        return sorted(session.scalars(query))


def test_consent_withdrawn_not_emailed(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    with clinic.transaction() as session:
        people = patients(session)[:3]
        people[0].reminder_consent = False
        people[1].email = None

    summary = send(clinic, settings)

    assert summary.sent == 1
    assert handler.recipients == ["patient2@example.com"]
    assert email_statuses(clinic) == ["sent", "skipped", "skipped"]


def test_skipped_email_not_retried(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    with clinic.transaction() as session:
        patients(session)[0].reminder_consent = False
    send(clinic, settings)

    with clinic.transaction() as session:
        patients(session)[0].reminder_consent = True
    again = send(clinic, settings, NOW + timedelta(hours=1))

    assert again.sent == 0
    assert len(handler.recipients) == 2


def test_no_reminder_after_visit(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    visit_start_utc = NOW + timedelta(days=1, hours=1)  # tomorrow 10:00 in Chicago

    summary = send(clinic, settings, visit_start_utc + timedelta(minutes=1))

    assert summary.sent == 0
    assert handler.recipients == []
    assert email_statuses(clinic) == ["skipped", "skipped", "skipped"]


def test_reminder_just_before_visit(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    visit_start_utc = NOW + timedelta(days=1, hours=1)

    summary = send(clinic, settings, visit_start_utc - timedelta(minutes=1))

    assert summary.sent == 3
    assert len(handler.recipients) == 3


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Reminder", "See you on {date:%Y}", "body"),
        ("Reminder", "Hello {first_name!r}", "body"),
        ("Reminder", "Hello {first_name:>999999999999}", "body"),
        ("Reminder for {first_name:{date}}", "Hello", "subject"),
        ("Reminder\nBcc: all@example.com", "Hello", "subject"),
        ("Reminder\x1b[31m", "Hello", "subject"),
    ],
)
def test_template_unsafe_format_rejected(subject: str, body: str, field: str) -> None:
    problems = validate_template(TemplateInput("Reminder", "email", subject, body))

    assert [problem.field for problem in problems] == [field]


def test_template_emoji_and_long_body(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    body = "Hello {first_name} \U0001f600 " + "x" * 10_000 + " on {date} at {time}, {location}."
    with clinic.transaction() as session:
        template_id = save_template(
            session, ACTOR, None, TemplateInput("Long", "email", "Visit \U0001f4c5", body)
        )
        for reminder in session.scalars(select(Reminder)):
            reminder.template_id = template_id

    summary = send(clinic, settings)

    assert summary.sent == 3
    assert len(handler.messages) == 3


def test_broken_stored_template_isolated(
    clinic: Database, inbox: tuple[Inbox, SmtpSettings]
) -> None:
    # A row saved before templates were checked, or arriving by sync, may not render.
    handler, settings = inbox
    with clinic.transaction() as session:
        broken = ReminderTemplate(name="Old", channel="email", subject="Hi", body="On {date:%Y}")
        session.add(broken)
        session.flush()
        last = session.scalars(select(Reminder).order_by(Reminder.created_at)).all()[-1]
        last.template_id = broken.id
        appointment = session.get(Appointment, last.appointment_id)
        assert appointment is not None
        appointment.starts_at = TOMORROW_10 + timedelta(hours=1)  # sent last

    first = send(clinic, settings)
    second = send(clinic, settings, NOW + timedelta(minutes=5))

    assert first.sent == 2
    assert first.retrying == 1
    assert second.sent == 0
    assert len(handler.messages) == 2
    assert email_statuses(clinic) == ["queued", "sent", "sent"]
    with clinic.reading() as session:
        outcomes = sorted(session.scalars(select(ReminderAttempt.outcome)))
    assert outcomes == ["failed", "sent", "sent"]


def test_rejected_recipient_retried_alone(
    clinic: Database, inbox: tuple[Inbox, SmtpSettings]
) -> None:
    handler, settings = inbox
    with clinic.transaction() as session:
        patients(session)[1].email = REJECTED

    first = send(clinic, settings)
    second = send(clinic, settings, NOW + timedelta(minutes=10))

    assert (first.sent, first.retrying) == (2, 1)
    assert (second.sent, second.retrying) == (0, 1)
    assert sorted(handler.recipients) == ["patient0@example.com", "patient2@example.com"]
    with clinic.reading() as session:
        rejected = session.scalars(
            select(ReminderAttempt).where(ReminderAttempt.outcome == "failed")
        )
        details = [attempt.detail or "" for attempt in rejected]
    assert len(details) == 2
    assert all("rejected the recipient" in detail for detail in details)
    assert all(REJECTED not in detail for detail in details)


def test_server_down_then_up_once(clinic: Database, inbox: tuple[Inbox, SmtpSettings]) -> None:
    handler, settings = inbox
    down = SmtpSettings("127.0.0.1", free_port(), "none", "", "desk@example.com")

    failed = send(clinic, down)
    early = send(clinic, settings, NOW + timedelta(minutes=5))
    due = send(clinic, settings, NOW + timedelta(minutes=10))
    after = send(clinic, settings, NOW + timedelta(hours=2))

    assert failed.retrying == 3
    assert early.sent == 0
    assert due.sent == 3
    assert after.sent == 0
    assert sorted(handler.recipients) == [f"patient{number}@example.com" for number in range(3)]


def test_reminder_carries_first_name_only(
    clinic: Database, inbox: tuple[Inbox, SmtpSettings]
) -> None:
    handler, settings = inbox
    send(clinic, settings)

    person = next(p for p in patients_of(clinic) if p.email == "patient0@example.com")
    (message,) = [text for text in handler.messages if "To: patient0@example.com" in text]
    body = message.replace("=\n", "")  # undo quoted-printable soft line breaks
    assert f"Hello {person.preferred_name or person.first_name}," in body
    assert "Tuesday, June 3, 2025" in body
    assert "10:00 AM" in body
    for private in (person.last_name, person.chart_number, person.date_of_birth.isoformat()):
        assert private not in body
    if person.phone:
        assert display_phone(person.phone) not in body
