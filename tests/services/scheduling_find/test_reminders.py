"""Reminders: templates, queueing by consent and preference, and email over real SMTP."""

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.db.database import Database
from app.models.scheduling import Reminder, ReminderAttempt
from app.security.permissions import system_actor
from app.services.mailer import SmtpSettings, SmtpTransport
from app.services.reminders import (
    MAX_ATTEMPTS,
    TemplateInput,
    call_list,
    ensure_default_templates,
    queue_due_reminders,
    send_queued,
    validate_template,
)
from tests.helpers.schedule_rows import MONDAY, add_visit, demo_practice, patients, providers

ACTOR = system_actor("TST")
NOW = datetime.combine(MONDAY, time(14), UTC)  # 9:00 in Chicago
TOMORROW_10 = datetime.combine(MONDAY + timedelta(days=1), time(10))


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(  # noqa: N802 (aiosmtpd calls handlers by this name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(content.decode())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Database]:
    database = demo_practice(tmp_path)
    with database.transaction() as session:
        ensure_default_templates(session, ACTOR)
        first = providers(session)[0]
        emailed, lettered, called = patients(session)[:3]
        for person in (emailed, lettered, called):
            person.reminder_consent = False
            person.preferred_contact = None
            person.email = None
        emailed.reminder_consent = True
        emailed.email = "pat@example.com"
        lettered.email = "no-consent@example.com"
        lettered.address_line1, lettered.city, lettered.zip_code = "1 Elm St", "Evanston", "60201"
        called.preferred_contact = "phone"
        called.phone = "+18475550199"
        for person in (emailed, lettered, called):
            add_visit(session, first, person.id, TOMORROW_10)
    yield database
    database.close()


@pytest.fixture
def starttls_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    cert_path, key_path = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True
    )
    controller.start()
    yield inbox, port, ssl.create_default_context(cafile=str(cert_path))
    controller.stop()


def channels(database: Database) -> list[str]:
    with database.reading() as session:
        return sorted(session.scalars(select(Reminder.channel)))


def test_template_unknown_placeholder() -> None:
    values = TemplateInput("Bad", "email", "Hi {first_name}", "Born {date_of_birth} {x")
    problems = validate_template(values)

    assert [problem.field for problem in problems] == ["body"]
    assert "{" in problems[0].message


def test_template_rejects_extra_phi() -> None:
    values = TemplateInput("Bad", "letter", "", "Dear {first_name} {last_name}")
    problems = validate_template(values)

    assert len(problems) == 1
    assert "{last_name}" in problems[0].message


def test_queue_by_consent_and_preference(practice: Database) -> None:
    with practice.transaction() as session:
        summary = queue_due_reminders(session, ACTOR, NOW)

    assert summary.queued == 3
    assert channels(practice) == ["call", "email", "letter"]


def test_queue_never_twice(practice: Database) -> None:
    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        again = queue_due_reminders(session, ACTOR, NOW + timedelta(hours=1))

    assert again.queued == 0
    assert len(channels(practice)) == 3


def test_queue_respects_lead_days(practice: Database) -> None:
    with practice.transaction() as session:
        summary = queue_due_reminders(session, ACTOR, NOW - timedelta(days=5))

    assert summary.queued == 0


def test_cancelled_visit_cancels_reminder(practice: Database) -> None:
    from app.models.scheduling import Appointment

    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        for appointment in session.scalars(
            select(Appointment).where(Appointment.starts_at == TOMORROW_10)
        ):
            appointment.status = "cancelled"
        summary = queue_due_reminders(session, ACTOR, NOW)
        statuses = set(session.scalars(select(Reminder.status)))

    assert summary.cancelled == 3
    assert statuses == {"cancelled"}


def test_moved_visit_gets_new_reminder(practice: Database) -> None:
    from app.models.scheduling import Appointment

    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        for reminder in session.scalars(select(Reminder)):
            reminder.status = "sent"
        for appointment in session.scalars(
            select(Appointment).where(Appointment.starts_at == TOMORROW_10)
        ):
            appointment.starts_at = TOMORROW_10 + timedelta(hours=3)
        again = queue_due_reminders(session, ACTOR, NOW + timedelta(hours=1))
        times = sorted(set(session.scalars(select(Reminder.visit_starts_at))))

    assert again.queued == 3
    assert times == [TOMORROW_10, TOMORROW_10 + timedelta(hours=3)]


def test_moved_queued_reminder_not_doubled(practice: Database) -> None:
    from app.models.scheduling import Appointment

    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        for appointment in session.scalars(
            select(Appointment).where(Appointment.starts_at == TOMORROW_10)
        ):
            appointment.starts_at = TOMORROW_10 + timedelta(hours=3)
        again = queue_due_reminders(session, ACTOR, NOW + timedelta(hours=1))
        times = set(session.scalars(select(Reminder.visit_starts_at)))

    assert again.queued == 0
    assert times == {TOMORROW_10 + timedelta(hours=3)}


def test_restored_visit_gets_new_reminder(practice: Database) -> None:
    from app.models.scheduling import Appointment

    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        visits = list(
            session.scalars(select(Appointment).where(Appointment.starts_at == TOMORROW_10))
        )
        for appointment in visits:
            appointment.status = "cancelled"
        queue_due_reminders(session, ACTOR, NOW)
        for appointment in visits:
            appointment.status = "scheduled"
        restored = queue_due_reminders(session, ACTOR, NOW + timedelta(hours=1))

    assert restored.queued == 3


def test_call_list_rows(practice: Database) -> None:
    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        rows = call_list(session, ACTOR, TOMORROW_10.date())

    assert len(rows) == 1
    assert rows[0].phone == "(847) 555-0199"
    assert rows[0].starts_at == TOMORROW_10


def test_send_over_starttls(
    practice: Database, starttls_server: tuple[Inbox, int, ssl.SSLContext]
) -> None:
    inbox, port, client_context = starttls_server
    settings = SmtpSettings("127.0.0.1", port, "starttls", "", "desk@example.com")
    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        with SmtpTransport(settings, None, client_context) as transport:
            summary = send_queued(session, ACTOR, NOW, transport)
        statuses = {r.channel: r.status for r in session.scalars(select(Reminder))}

    assert summary.sent == 1
    assert statuses["email"] == "sent"
    assert statuses["letter"] == "queued"
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert "To: pat@example.com" in message
    assert "Tuesday, June 3, 2025 at 10:00 AM" in message
    with practice.reading() as session:
        patient = patients(session)[0]
        assert patient.last_name not in message
        assert str(patient.date_of_birth.year) not in message
        assert patient.chart_number not in message


def test_server_down_retries_then_fails(practice: Database) -> None:
    settings = SmtpSettings("127.0.0.1", free_port(), "none", "", "desk@example.com")
    with practice.transaction() as session:
        queue_due_reminders(session, ACTOR, NOW)
        moment = NOW
        first = send_queued(session, ACTOR, moment, SmtpTransport(settings, None, timeout=2))
        early = send_queued(
            session, ACTOR, moment + timedelta(minutes=1), SmtpTransport(settings, None)
        )
        for _ in range(MAX_ATTEMPTS):
            moment += timedelta(hours=2)  # past each retry delay, before the visit
            send_queued(session, ACTOR, moment, SmtpTransport(settings, None, timeout=2))
        reminder = session.scalar(select(Reminder).where(Reminder.channel == "email"))
        attempts = session.scalars(select(ReminderAttempt.outcome)).all()

    assert first.retrying == 1
    assert early.retrying == 0  # not due again yet
    assert reminder is not None
    assert reminder.status == "failed"
    assert reminder.attempts == MAX_ATTEMPTS
    assert attempts == ["failed"] * MAX_ATTEMPTS
    assert reminder.last_error is not None
    assert "could not be reached" in reminder.last_error
