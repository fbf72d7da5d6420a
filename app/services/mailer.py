"""Outgoing email over SMTP: the practice's server settings and a transport that sends.

The host, port, security, user name and from address live in the settings table; the
password lives in the OS keyring under the service "ClinicDesk SMTP" and the user name,
so it never enters the database or its backups. Nothing here logs an address.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass, fields
from email.message import EmailMessage
from typing import Any, Protocol

import keyring
import keyring.errors
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.models.system import Setting
from app.problems import Problem
from app.security.permissions import Actor, Permission, require
from app.services.settings import save_setting

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ClinicDesk SMTP"
SECURITY_MODES = ("starttls", "tls", "none")
TIMEOUT_SECONDS = 20.0


class MailError(UserError):
    """Sending email failed; the message names the server step that failed."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """How to reach the practice's outgoing mail server."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    from_address: str = ""

    @property
    def configured(self) -> bool:
        """True when a host and from address are set."""
        return bool(self.host and self.from_address)


class MailTransport(Protocol):
    """Something that sends one message or raises MailError."""

    def send(self, message: EmailMessage) -> None: ...


def smtp_settings(session: Session) -> SmtpSettings:
    """Return the stored SMTP settings, with defaults for anything never set."""
    defaults = SmtpSettings()
    keys = {f"smtp.{field.name}": field.name for field in fields(SmtpSettings)}
    stored = {
        keys[row.key]: row.value
        for row in session.scalars(select(Setting).where(Setting.key.in_(keys)))
    }
    values: dict[str, Any] = {
        name: stored.get(name, getattr(defaults, name)) for name in keys.values()
    }
    return SmtpSettings(**values)


def validate_smtp(settings: SmtpSettings) -> list[Problem]:
    """Return every problem with the settings (empty when they can be saved)."""
    problems: list[Problem] = []
    if settings.host and (" " in settings.host or len(settings.host) > 253):
        problems.append(Problem("host", f"{settings.host!r} is not a host name or address."))
    if not 1 <= settings.port <= 65535:
        problems.append(Problem("port", f"{settings.port}: use a port from 1 to 65535."))
    if settings.security not in SECURITY_MODES:
        problems.append(Problem("security", f"{settings.security!r}: use starttls, tls or none."))
    if settings.from_address and "@" not in settings.from_address:
        problems.append(
            Problem("from_address", "The from address needs an @, such as desk@example.com.")
        )
    return problems


def save_smtp_settings(
    session: Session, actor: Actor, settings: SmtpSettings, password: str | None = None
) -> None:
    """Store the settings, and the password in the keyring when one is given.

    Raises ValidationError listing every problem, or UserError when the keyring is
    unavailable so the password could not be kept.
    """
    require(actor, Permission.PRACTICE_SETUP)
    problems = validate_smtp(settings)
    if problems:
        raise ValidationError(problems)

    for field in fields(SmtpSettings):
        save_setting(session, actor, f"smtp.{field.name}", getattr(settings, field.name))
    if password is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, settings.username, password)
        except keyring.errors.KeyringError as error:
            raise UserError(
                f"The SMTP password could not be stored in the system keyring ({error}). "
                "Unlock or set up the keyring, then save again."
            ) from error


def smtp_password(username: str) -> str | None:
    """Return the stored SMTP password for `username`, or None when there is none."""
    try:
        return keyring.get_password(KEYRING_SERVICE, username)
    except keyring.errors.KeyringError:
        log.warning("the keyring is unavailable, so SMTP sign-in is skipped")
        return None


class SmtpTransport:
    """Sends messages over one SMTP connection, opened on the first send.

    Use it as a context manager so the connection is closed. `tls_context` defaults to
    the system's trusted certificates.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._settings = settings
        self._password = password
        self._context = tls_context or ssl.create_default_context()
        self._timeout = timeout
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpTransport":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises MailError naming the step that failed."""
        if not self._settings.configured:
            raise MailError("Email is not set up: enter the SMTP host and from address in Admin.")
        if "From" not in message:
            message["From"] = self._settings.from_address
        try:
            client = self._connect()
            client.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise MailError(f"Sending failed: {_reason(error)}") from error

    def close(self) -> None:
        """Close the connection if one is open."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _connect(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client

        settings = self._settings
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=self._timeout, context=self._context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=self._timeout)
        try:
            if settings.security == "starttls":
                client.starttls(context=self._context)
            if settings.username and self._password:
                client.login(settings.username, self._password)
        except (smtplib.SMTPException, OSError):
            client.close()
            raise
        self._client = client
        log.info("connected to the SMTP server (security %s)", settings.security)
        return client


# Fixed wording per failure type, checked in order (subclasses before their bases).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (smtplib.SMTPAuthenticationError, "the server rejected the user name or password"),
    (smtplib.SMTPRecipientsRefused, "the server rejected the recipient address"),
    (TimeoutError, "the server timed out; check the host and port, or try again later"),
)

# smtplib raises SMTPNotSupportedError for three missing extensions, distinguished by the
# extension name in its message (CPython 3.11 Lib/smtplib.py).
_MISSING_EXTENSIONS = (
    ("STARTTLS", "the server does not offer STARTTLS; choose another security"),
    ("AUTH", "the server does not offer sign-in; clear the user name in Admin"),
    (
        "SMTPUTF8",
        "the server does not accept international (non-ASCII) email addresses; use "
        "a server that supports SMTPUTF8",
    ),
)


def _reason(error: BaseException) -> str:
    """Describe a failure without the addresses that SMTP errors may carry."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        found = (text for name, text in _MISSING_EXTENSIONS if name in str(error))
        return f"{next(found, 'the server does not support what the message needs')}."
    for kind, text in _REASONS:
        if isinstance(error, kind):
            return f"{text}."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server replied {error.smtp_code}."
    if isinstance(error, ssl.SSLError):
        return f"the secure connection failed ({error.reason})."
    if isinstance(error, OSError):
        return f"the server could not be reached ({error.strerror or type(error).__name__})."
    return f"{type(error).__name__}."


def send_test_email(
    settings: SmtpSettings,
    password: str | None,
    to_address: str,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Send a short test message; raises MailError with the step that failed."""
    message = EmailMessage()
    message["To"] = to_address
    message["Subject"] = "ClinicDesk test email"
    message.set_content("This test message shows that ClinicDesk can send reminder email.")
    with SmtpTransport(settings, password, tls_context) as transport:
        transport.send(message)
    log.info("test email sent")
