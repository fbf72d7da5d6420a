"""Emailed statements over a real SMTP server on 127.0.0.1: locked PDFs, retries, refreshes."""

import email
import io
import logging
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import keyring
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from pypdf import PasswordType, PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.patients import Patient, Person
from app.models.security import AuditEvent
from app.models.statements import BillingAccount, Statement
from app.paths import key_file_path
from app.progress import Progress
from app.security import keys
from app.security.permissions import Actor
from app.services.billing_accounts import ensure_accounts, set_email_consent, set_hold
from app.services.mailer import SmtpSettings, SmtpTransport, save_smtp_settings
from app.services.statement_delivery import (
    DeliverySummary,
    print_instead,
    retry_statement,
    send_queued_statements,
    send_with_practice_smtp,
)
from app.services.statement_runs import run_statements
from app.services.statement_settings import save_statement_settings, statement_settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    PERSON_DUE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
    noon_utc,
    pay,
)

# Two hours after the payments of the statement day, still 06/30 in Chicago.
SEND_AT = noon_utc(STATEMENT_DATE) + timedelta(hours=2)
FROM_ADDRESS = "billing@example.com"
LAURA_DOB = "09021984"
KAREN_DOB = "03141975"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(  # noqa: N802 (aiosmtpd calls handlers by this name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = email.message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


class Rejecting:
    """An aiosmtpd handler that rejects every message with a permanent 550 reply."""

    def __init__(self) -> None:
        self.rejected = 0

    async def handle_DATA(  # noqa: N802 (aiosmtpd calls handlers by this name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        self.rejected += 1
        return "550 5.7.1 Message rejected by policy"


@dataclass
class Server:
    """A running loopback SMTP server and the settings that reach it."""

    port: int
    settings: SmtpSettings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(handler: object, port: int | None = None) -> tuple[Controller, Server]:
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, Server(port, SmtpSettings("127.0.0.1", port, "none", "", FROM_ADDRESS))


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, Server]]:
    handler = Inbox()
    controller, server = start_server(handler)
    yield handler, server
    controller.stop()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StatementPractice]:
    """Build the statement practice once per module, in a closed database file to copy."""
    path = tmp_path_factory.mktemp("statement-template") / "clinicdesk.db"
    # Module fixtures start before the per-test keyring exists, so this one gets its own.
    previous = keyring.get_keyring()
    keys.set_default_kdf(FAST_KDF)
    keyring.set_keyring(MemoryKeyring())
    try:
        built = Database.create(path, PASSPHRASE)
        try:
            practice = build_statement_practice(built)
        finally:
            built.close()
    finally:
        keyring.set_keyring(previous)
        keys.set_default_kdf(keys.KdfParameters())
    return path, practice


@pytest.fixture
def database(template: tuple[Path, StatementPractice], tmp_path: Path) -> Iterator[Database]:
    """A copy of the template practice for one test, opened with the recovery passphrase."""
    source, _practice = template
    target = tmp_path / "clinicdesk.db"
    shutil.copyfile(source, target)
    shutil.copyfile(key_file_path(source), key_file_path(target))
    opened = Database.open(target, lambda _path: PASSPHRASE)
    yield opened
    opened.close()


@pytest.fixture
def practice(template: tuple[Path, StatementPractice]) -> StatementPractice:
    return template[1]


def queue_email(
    database: Database, practice: StatementPractice, patient_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Turn on email for the patient's account (Laura Garcia's by default), run, return the id."""
    patient = patient_id or practice.parent
    with database.transaction() as session:
        account_id = ensure_accounts(session, practice.manager, [patient])[patient]
        set_email_consent(session, practice.manager, account_id, True)
        outcome = run_statements(session, practice.biller, STATEMENT_DATE, [account_id])
        assert outcome.queued == 1
        statement = session.scalars(
            select(Statement).where(Statement.account_id == account_id)
        ).one()
        return statement.id


def send(
    database: Database,
    practice: StatementPractice,
    settings: SmtpSettings,
    now: datetime = SEND_AT,
) -> DeliverySummary:
    with database.transaction() as session, SmtpTransport(settings, None, timeout=5) as transport:
        return send_queued_statements(session, practice.biller, transport, now)


def stored(database: Database, statement_id: uuid.UUID) -> Statement:
    with database.reading() as session:
        statement = session.get(Statement, statement_id)
        assert statement is not None
        _ = statement.pdf  # loads the deferred column before the session closes
        session.expunge(statement)
        return statement


def down_settings() -> SmtpSettings:
    """Settings for a port on 127.0.0.1 where nothing listens."""
    return SmtpSettings("127.0.0.1", free_port(), "none", "", FROM_ADDRESS)


def only_attachment(message: EmailMessage) -> tuple[str, bytes]:
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    part = attachments[0]
    assert part.get_content_type() == "application/pdf"
    content = part.get_content()
    assert isinstance(content, bytes)
    return part.get_filename() or "", content


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def pdf_text(pdf: bytes, password: str | None = None) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    if password is not None:
        assert reader.decrypt(password) == PasswordType.USER_PASSWORD
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def change_settings(database: Database, practice: StatementPractice, **values: Any) -> None:
    with database.transaction() as session:
        current = statement_settings(session)
        admin = practice.ledger.admin
        outcome = save_statement_settings(session, admin, replace(current, **values))
        assert outcome.saved, outcome.problems


def account_of(session: Session, statement_id: uuid.UUID) -> BillingAccount:
    statement = session.get(Statement, statement_id)
    assert statement is not None
    account = session.get(BillingAccount, statement.account_id)
    assert account is not None
    return account


# --- a statement that goes out --------------------------------------------------------------


def test_sent_with_pdf_attached(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)

    summary = send(database, practice, server.settings)

    assert summary == DeliverySummary(sent=1, changes=summary.changes)
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "laura.garcia@example.com"
    assert message["From"] == FROM_ADDRESS
    row = stored(database, statement_id)
    assert row.status == "sent"
    assert row.sent_at == SEND_AT
    assert row.attempts == 1
    assert row.last_error is None
    assert row.next_attempt_at is None
    name, _pdf = only_attachment(message)
    assert name == f"statement-{row.statement_number}.pdf"


def test_attachment_opens_with_birth_date(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    queue_email(database, practice)
    send(database, practice, server.settings)

    _name, pdf = only_attachment(handler.messages[0])
    reader = PdfReader(io.BytesIO(pdf))

    assert reader.is_encrypted
    assert reader.decrypt("01011990") == PasswordType.NOT_DECRYPTED
    assert reader.decrypt(LAURA_DOB) == PasswordType.USER_PASSWORD
    assert "$395.00" in pdf_text(pdf, LAURA_DOB)


def test_body_names_rule_not_password(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    send(database, practice, server.settings)

    message = handler.messages[0]
    body = body_of(message)
    row = stored(database, statement_id)
    with database.reading() as session:
        account_number = account_of(session, statement_id).account_number

    assert "date of birth" in body
    assert "8 digits" in body
    assert LAURA_DOB not in body
    assert LAURA_DOB not in str(message["Subject"])
    assert "Lakeside Family Medicine" in body
    assert "06/30/2026" in body
    assert "$395.00" in body
    assert row.due_on == date(2026, 7, 21)
    assert "07/21/2026" in body
    assert account_number not in body
    # Only the guarantor's practice, date and amount: no patient names or services.
    for text in ("Laura", "Garcia", "Sofia", "Mateo", "99214", "Office visit", "Well-child"):
        assert text not in body
    assert "Lakeside Family Medicine" in str(message["Subject"])
    assert "395" not in str(message["Subject"])


def test_account_number_rule(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    change_settings(database, practice, email_password="account")
    statement_id = queue_email(database, practice)
    send(database, practice, server.settings)

    with database.reading() as session:
        account_number = account_of(session, statement_id).account_number
    digits = "".join(character for character in account_number if character.isdigit())
    message = handler.messages[0]
    body = body_of(message)
    _name, pdf = only_attachment(message)

    assert "digits of your account number" in body
    assert digits not in body
    assert account_number not in body
    assert LAURA_DOB not in body
    assert PdfReader(io.BytesIO(pdf)).decrypt(LAURA_DOB) == PasswordType.NOT_DECRYPTED
    assert "$395.00" in pdf_text(pdf, digits)


def test_person_guarantor_password(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    queue_email(database, practice, practice.person_patient)
    send(database, practice, server.settings)

    message = handler.messages[0]
    _name, pdf = only_attachment(message)

    assert message["To"] == "karen.walsh@example.com"
    assert f"${PERSON_DUE}" in pdf_text(pdf, KAREN_DOB)
    assert KAREN_DOB not in body_of(message)


def test_insurance_pending_stated(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    queue_email(database, practice, practice.insured)
    send(database, practice, server.settings)

    body = body_of(handler.messages[0])

    assert "Amount due: $30.00" in body
    assert "Pending with insurance: $150.00" in body


def test_stored_pdf_unlocked(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    _handler, server = inbox
    statement_id = queue_email(database, practice)
    before = stored(database, statement_id)
    send(database, practice, server.settings)
    after = stored(database, statement_id)

    # The amounts did not change, so the PDF the run made is kept as it was.
    assert after.pdf == before.pdf
    assert after.pdf_sha256 == before.pdf_sha256
    assert after.pdf is not None
    assert not PdfReader(io.BytesIO(after.pdf)).is_encrypted


def test_not_due_until_next_attempt(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        row = session.get(Statement, statement_id)
        assert row is not None
        row.next_attempt_at = SEND_AT + timedelta(minutes=5)

    early = send(database, practice, server.settings)
    due = send(database, practice, server.settings, SEND_AT + timedelta(minutes=5))

    assert early.sent == 0
    assert early.waiting == 1
    assert not early.changes.kinds
    assert due.sent == 1
    assert len(handler.messages) == 1


# --- failures, retries and giving up ----------------------------------------------------------


def test_server_down_then_sent(database: Database, practice: StatementPractice) -> None:
    statement_id = queue_email(database, practice)
    handler = Inbox()
    settings = down_settings()

    first = send(database, practice, settings)
    after_first = stored(database, statement_id)
    controller, _server = start_server(handler, settings.port)
    try:
        too_early = send(database, practice, settings, SEND_AT + timedelta(minutes=29))
        later = send(database, practice, settings, SEND_AT + timedelta(minutes=30))
    finally:
        controller.stop()
    after_retry = stored(database, statement_id)

    assert first.sent == 0
    assert first.waiting == 1
    assert first.failed == 0
    assert after_first.status == "queued"
    assert after_first.attempts == 1
    assert after_first.last_error is not None
    assert "could not be reached" in after_first.last_error
    assert after_first.next_attempt_at == SEND_AT + timedelta(minutes=30)
    assert too_early.sent == 0
    assert later.sent == 1
    assert after_retry.status == "sent"
    assert after_retry.attempts == 2
    assert after_retry.last_error is None
    assert len(handler.messages) == 1


def test_rejected_550_then_sent(database: Database, practice: StatementPractice) -> None:
    statement_id = queue_email(database, practice)
    rejecting = Rejecting()
    controller, server = start_server(rejecting)
    try:
        first = send(database, practice, server.settings)
    finally:
        controller.stop()
    after_first = stored(database, statement_id)
    handler = Inbox()
    controller, _server = start_server(handler, server.port)
    try:
        later = send(database, practice, server.settings, SEND_AT + timedelta(hours=1))
    finally:
        controller.stop()

    assert rejecting.rejected == 1
    assert first.waiting == 1
    assert after_first.attempts == 1
    assert after_first.last_error is not None
    assert "550" in after_first.last_error
    assert after_first.next_attempt_at == SEND_AT + timedelta(minutes=30)
    assert later.sent == 1
    assert stored(database, statement_id).status == "sent"
    assert len(handler.messages) == 1


def test_backoff_then_failed(database: Database, practice: StatementPractice) -> None:
    statement_id = queue_email(database, practice)
    settings = down_settings()
    moment = SEND_AT
    waits: list[timedelta] = []
    summaries: list[DeliverySummary] = []
    for _ in range(5):
        summaries.append(send(database, practice, settings, moment))
        row = stored(database, statement_id)
        if row.next_attempt_at is not None:
            waits.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at
    row = stored(database, statement_id)

    # The wait is retry_minutes (30 by default) times the attempts so far.
    assert waits == [timedelta(minutes=minutes) for minutes in (30, 60, 90, 120)]
    assert [summary.waiting for summary in summaries] == [1, 1, 1, 1, 0]
    assert summaries[-1].failed == 1
    assert row.status == "failed"
    assert row.attempts == 5
    assert row.next_attempt_at is None
    assert row.last_error is not None
    assert "Gave up after 5 attempts" in row.last_error
    assert "could not be reached" in row.last_error


def test_failed_not_sent_again(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    change_settings(database, practice, max_attempts=1)
    statement_id = queue_email(database, practice)
    failed = send(database, practice, down_settings())

    again = send(database, practice, server.settings, SEND_AT + timedelta(days=1))

    assert failed.failed == 1
    assert again.sent == 0
    assert handler.messages == []
    assert stored(database, statement_id).status == "failed"


def test_retry_after_failure(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    change_settings(database, practice, max_attempts=1)
    statement_id = queue_email(database, practice)
    send(database, practice, down_settings())

    with database.transaction() as session:
        changes = retry_statement(session, practice.biller, statement_id)
    queued = stored(database, statement_id)
    summary = send(database, practice, server.settings, SEND_AT + timedelta(minutes=1))

    assert changes.kinds
    assert queued.status == "queued"
    assert queued.attempts == 0
    assert queued.last_error is None
    assert summary.sent == 1
    assert len(handler.messages) == 1


def test_retry_rejects_sent(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    _handler, server = inbox
    statement_id = queue_email(database, practice)
    send(database, practice, server.settings)

    with pytest.raises(UserError, match="is sent"), database.transaction() as session:
        retry_statement(session, practice.biller, statement_id)


# --- balances rebuilt at sending --------------------------------------------------------------


def test_payment_changes_sent_amount(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    before = stored(database, statement_id)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "100.00", 0)

    send(database, practice, server.settings)
    after = stored(database, statement_id)
    message = handler.messages[0]
    _name, pdf = only_attachment(message)
    text = pdf_text(pdf, LAURA_DOB)

    assert before.amount_due == FAMILY_BALANCE
    assert after.amount_due == Decimal("295.00")
    assert after.account_balance == Decimal("295.00")
    assert after.statement_date == STATEMENT_DATE
    assert after.pdf_sha256 != before.pdf_sha256
    assert after.pdf is not None
    assert "$295.00" in pdf_text(after.pdf)
    assert "$295.00" in text
    assert "$395.00" not in text
    assert "Amount due: $295.00" in body_of(message)


def test_later_day_moves_date(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    next_day = STATEMENT_DATE + timedelta(days=1)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "45.00", -1)

    send(database, practice, server.settings, noon_utc(next_day) + timedelta(hours=1))
    after = stored(database, statement_id)
    body = body_of(handler.messages[0])
    _name, pdf = only_attachment(handler.messages[0])
    text = pdf_text(pdf, LAURA_DOB)

    assert after.statement_date == next_day
    assert after.due_on == next_day + timedelta(days=21)
    assert after.amount_due == Decimal("350.00")
    assert "07/01/2026" in body
    assert "$350.00" in body
    assert "$350.00" in text
    # The statement itself is not its own previous statement.
    assert "Previous balance $0.00" in text


def test_paid_in_full_cancelled(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "395.00", 0)

    summary = send(database, practice, server.settings)
    row = stored(database, statement_id)

    assert summary.cancelled == 1
    assert summary.sent == 0
    assert handler.messages == []
    assert row.status == "cancelled"
    assert row.amount_due == Decimal("0.00")
    assert row.last_error is not None
    assert "Nothing is owed" in row.last_error


def test_overpaid_names_credit(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    _handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "400.00", 0)

    send(database, practice, server.settings)
    row = stored(database, statement_id)

    assert row.status == "cancelled"
    assert row.account_balance == Decimal("-5.00")
    assert row.last_error is not None
    assert "credit of $5.00" in row.last_error


def test_hold_cancels(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        account = account_of(session, statement_id)
        set_hold(session, practice.biller, account.id, "dispute", None, "Disputes a visit")

    summary = send(database, practice, server.settings)
    row = stored(database, statement_id)

    assert summary.cancelled == 1
    assert handler.messages == []
    assert row.status == "cancelled"
    assert row.last_error is not None
    assert "on hold (Balance disputed)" in row.last_error


# --- moved to print ----------------------------------------------------------------------------


def test_no_birth_date_moves_to_print(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice, practice.person_patient)
    with database.transaction() as session:
        person = session.get(Person, practice.person_guarantor)
        assert person is not None
        person.date_of_birth = None

    summary = send(database, practice, server.settings)
    row = stored(database, statement_id)

    assert summary.moved_to_print == 1
    assert summary.sent == 0
    assert handler.messages == []
    assert row.channel == "print"
    assert row.status == "ready"
    assert row.last_error is not None
    assert "no date of birth" in row.last_error


def test_consent_withdrawn_moves_to_print(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        account = account_of(session, statement_id)
        set_email_consent(session, practice.manager, account.id, False)

    summary = send(database, practice, server.settings)
    row = stored(database, statement_id)

    assert summary.moved_to_print == 1
    assert handler.messages == []
    assert row.channel == "print"
    assert row.last_error is not None
    assert "no longer agrees" in row.last_error


def test_email_removed_moves_to_print(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        patient = session.get(Patient, practice.parent)
        assert patient is not None
        patient.email = None

    summary = send(database, practice, server.settings)

    assert summary.moved_to_print == 1
    assert handler.messages == []
    assert "no email address" in (stored(database, statement_id).last_error or "")


def test_print_instead_returns_pdf(database: Database, practice: StatementPractice) -> None:
    change_settings(database, practice, max_attempts=1)
    statement_id = queue_email(database, practice)
    send(database, practice, down_settings())

    with database.transaction() as session:
        pdf = print_instead(session, practice.biller, statement_id, SEND_AT)
    row = stored(database, statement_id)

    assert pdf is not None
    assert "$395.00" in pdf_text(pdf)
    assert row.status == "printed"
    assert row.channel == "print"
    assert row.sent_at == SEND_AT


def test_print_instead_cancels_paid(database: Database, practice: StatementPractice) -> None:
    statement_id = queue_email(database, practice)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "395.00", 0)

    with database.transaction() as session:
        pdf = print_instead(session, practice.biller, statement_id, SEND_AT)
    row = stored(database, statement_id)

    assert pdf is None
    assert row.status == "cancelled"


# --- the practice's SMTP server, permissions and logs -----------------------------------------


def test_practice_smtp_used(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    queue_email(database, practice)
    with database.transaction() as session:
        save_smtp_settings(session, practice.ledger.admin, server.settings)

    with database.transaction() as session:
        summary = send_with_practice_smtp(session, practice.biller, SEND_AT)

    assert summary.sent == 1
    assert len(handler.messages) == 1


def test_practice_smtp_missing(database: Database, practice: StatementPractice) -> None:
    queue_email(database, practice)

    with pytest.raises(UserError, match="Email is not set up"), database.transaction() as session:
        send_with_practice_smtp(session, practice.biller, SEND_AT)


def test_front_desk_cannot_send(database: Database, practice: StatementPractice) -> None:
    desk: Actor = practice.desk
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        send_queued_statements(session, desk, SmtpTransport(down_settings(), None), SEND_AT)


def test_logs_free_of_phi(
    database: Database,
    practice: StatementPractice,
    inbox: tuple[Inbox, Server],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _handler, server = inbox
    statement_id = queue_email(database, practice)
    second = queue_email(database, practice, practice.person_patient)
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "100.00", 0)
    caplog.set_level(logging.DEBUG)

    send(database, practice, down_settings())
    send(database, practice, server.settings, SEND_AT + timedelta(hours=1))
    with database.reading() as session:
        numbers = [account_of(session, item).account_number for item in (statement_id, second)]
    # aiosmtpd logs the envelope addresses of what it receives; only ClinicDesk's logs count.
    ours = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("app.")
    )

    assert "statement email" in ours
    assert "failed" in ours
    for text in (
        "Laura",
        "Garcia",
        "Karen",
        "Walsh",
        "@example.com",
        LAURA_DOB,
        KAREN_DOB,
        "395.00",
        "295.00",
        "175.00",
        *numbers,
    ):
        assert text not in ours


def test_stops_after_failures_in_a_row(database: Database, practice: StatementPractice) -> None:
    change_settings(database, practice, minimum_balance=Decimal("1.00"))
    patients = (practice.parent, practice.insured, practice.person_patient, practice.small)
    statement_ids = [queue_email(database, practice, patient) for patient in patients]

    summary = send(database, practice, down_settings())
    attempts = sorted(stored(database, item).attempts for item in statement_ids)

    assert summary.waiting == 4
    assert summary.sent == 0
    assert attempts == [0, 1, 1, 1]


class CancelAfterFirst:
    """A transport that cancels the pass's progress once it has sent one message."""

    def __init__(self, inner: SmtpTransport, progress: Progress) -> None:
        self.inner = inner
        self.progress = progress

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)
        self.progress.cancel()


def test_cancel_keeps_sent(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    handler, server = inbox
    first = queue_email(database, practice)
    second = queue_email(database, practice, practice.person_patient)
    progress = Progress()

    with database.transaction() as session, SmtpTransport(server.settings, None) as transport:
        summary = send_queued_statements(
            session, practice.biller, CancelAfterFirst(transport, progress), SEND_AT, progress
        )
    statuses = {stored(database, item).status for item in (first, second)}

    assert summary.sent == 1
    assert summary.waiting == 1
    assert statuses == {"sent", "queued"}
    assert len(handler.messages) == 1


def test_sending_audited(
    database: Database, practice: StatementPractice, inbox: tuple[Inbox, Server]
) -> None:
    _handler, server = inbox
    statement_id = queue_email(database, practice)
    send(database, practice, server.settings)

    with database.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "statement", AuditEvent.object_id == str(statement_id)
            )
        ).all()

    exports = [event for event in events if event.action == "export"]
    assert len(exports) == 1
    assert exports[0].patient_id == practice.parent
    assert "emailed on attempt 1" in exports[0].detail
