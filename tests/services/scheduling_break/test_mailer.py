"""The SMTP transport against a loopback server that lacks features the message needs."""

import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from app.services.mailer import MailError, SmtpSettings, SmtpTransport


class Sink:
    """An aiosmtpd handler that accepts every message."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(  # noqa: N802 (aiosmtpd calls handlers by this name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        self.count += 1
        return "250 OK"


@pytest.fixture
def plain_port() -> Iterator[int]:
    """A server on 127.0.0.1 without STARTTLS, AUTH or SMTPUTF8."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    yield port
    controller.stop()


def message_to(address: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = address
    message["Subject"] = "Appointment reminder"
    message.set_content("Hello")
    return message


def send_error(settings: SmtpSettings, password: str | None, address: str) -> str:
    with pytest.raises(MailError) as error, SmtpTransport(settings, password) as transport:
        transport.send(message_to(address))
    return str(error.value)


def test_international_address_named(plain_port: int) -> None:
    settings = SmtpSettings("127.0.0.1", plain_port, "none", "", "desk@example.com")

    text = send_error(settings, None, "jos\u00e9@example.com")

    assert "STARTTLS" not in text
    assert "international" in text
    assert "jos\u00e9" not in text


def test_missing_auth_named(plain_port: int) -> None:
    settings = SmtpSettings("127.0.0.1", plain_port, "none", "desk", "desk@example.com")

    text = send_error(settings, "secret", "pat@example.com")

    assert "STARTTLS" not in text
    assert "sign-in" in text


def test_missing_starttls_named(plain_port: int) -> None:
    settings = SmtpSettings("127.0.0.1", plain_port, "starttls", "", "desk@example.com")

    text = send_error(settings, None, "pat@example.com")

    assert "STARTTLS" in text
