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

from app.db.database import Database
from app.models.patients import Patient
from app.models.scheduling import Reminder
from app.security.permissions import system_actor
from app.services.mailer import SmtpSettings, SmtpTransport
from app.services.reminders import (
    SendSummary,
    ensure_default_templates,
    queue_due_reminders,
    send_queued,
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


def first_patients(database: Database) -> list[Patient]:
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
