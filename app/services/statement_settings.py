"""Statement settings: the minimum balance billed, the due date, printed text and email rules.

Stored in the setting table under "statements.*" keys; anything never saved has its
default. Administrators change them (PRACTICE_SETUP).
"""

import logging
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.models.system import Setting
from app.money import CENT, ZERO, format_money, to_money
from app.problems import Problem, has_errors
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome
from app.services.settings import save_setting

log = logging.getLogger(__name__)

PREFIX = "statements."

EMAIL_PASSWORDS = ("dob", "account")
EMAIL_PASSWORD_LABELS: dict[str, str] = {
    "dob": "the guarantor's date of birth as MMDDYYYY",
    "account": "the digits of the account number",
}

DEFAULT_PAYMENT_OPTIONS = (
    "Pay by check made out to the practice, mailed with the stub below, or by card at the "
    "front desk or by phone at the billing number above."
)
DEFAULT_ASSISTANCE_NOTICE = (
    "Financial assistance is available to patients who qualify. Ask our billing office for "
    "our financial assistance policy and an application; asking does not affect your care."
)

MAX_MINIMUM_BALANCE = Decimal("1000.00")
MAX_DUE_DAYS = 90
MAX_TEXT_LENGTH = 600
MAX_RETRY_MINUTES = 1440
MAX_ATTEMPTS = 20

# A SaveOutcome names the record it saved. The settings have no row of their own (one
# setting row per key), so this fixed id stands for them.
SETTINGS_RECORD_ID = uuid.uuid5(uuid.NAMESPACE_URL, "clinicdesk:settings/statements")


@dataclass(frozen=True, slots=True)
class StatementSettings:
    """The practice's statement rules.

    `minimum_balance`: an account owing less is not sent a statement. `due_days`: the
    due date printed is the statement date plus this many days. `email_password` picks
    what opens an emailed PDF: "dob" (the guarantor's date of birth as MMDDYYYY) or
    "account" (the digits of the account number). A failed email is retried after
    `retry_minutes` times the attempts so far, up to `max_attempts` attempts.
    """

    minimum_balance: Decimal = Decimal("5.00")
    due_days: int = 21
    payment_options: str = DEFAULT_PAYMENT_OPTIONS
    assistance_notice: str = DEFAULT_ASSISTANCE_NOTICE
    email_password: str = "dob"  # noqa: S105 (names which value opens the PDF, not a password)
    retry_minutes: int = 30
    max_attempts: int = 5


# --- reading ------------------------------------------------------------------------


def statement_settings(session: Session) -> StatementSettings:
    """Return the statement settings, with defaults for anything never saved or unreadable."""
    keys = [PREFIX + field.name for field in fields(StatementSettings)]
    stored = {
        row.key.removeprefix(PREFIX): row.value
        for row in session.scalars(select(Setting).where(Setting.key.in_(keys)))
    }
    defaults = StatementSettings()
    return StatementSettings(
        minimum_balance=_amount(stored, "minimum_balance", defaults.minimum_balance),
        due_days=_integer(stored, "due_days", defaults.due_days),
        payment_options=_text(stored, "payment_options", defaults.payment_options),
        assistance_notice=_text(stored, "assistance_notice", defaults.assistance_notice),
        email_password=_choice(stored, "email_password", defaults.email_password),
        retry_minutes=_integer(stored, "retry_minutes", defaults.retry_minutes),
        max_attempts=_integer(stored, "max_attempts", defaults.max_attempts),
    )


def _amount(stored: dict[str, object], name: str, default: Decimal) -> Decimal:
    value = stored.get(name)
    if value is None:
        return default
    try:
        return to_money(str(value))
    except ValueError:
        log.error("stored setting %s%s is not an amount; using the default", PREFIX, name)
        return default


def _integer(stored: dict[str, object], name: str, default: int) -> int:
    value = stored.get(name)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    log.error("stored setting %s%s is not a whole number; using the default", PREFIX, name)
    return default


def _text(stored: dict[str, object], name: str, default: str) -> str:
    value = stored.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    log.error("stored setting %s%s is not text; using the default", PREFIX, name)
    return default


def _choice(stored: dict[str, object], name: str, default: str) -> str:
    value = _text(stored, name, default)
    if value in EMAIL_PASSWORDS:
        return value
    log.error("stored setting %s%s is not a known choice; using the default", PREFIX, name)
    return default


# --- writing ------------------------------------------------------------------------


def save_statement_settings(
    session: Session, actor: Actor, settings: StatementSettings
) -> SaveOutcome:
    """Check and store the statement settings; each changed key is audited.

    Returns the problems, and writes nothing, when a value is invalid.
    """
    require(actor, Permission.PRACTICE_SETUP)
    settings = _cleaned(settings)
    problems = settings_problems(settings)
    if has_errors(problems):
        log.info("statement settings rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    current = _stored_values(statement_settings(session))
    changed = 0
    for name, value in _stored_values(settings).items():
        if value != current[name]:
            save_setting(session, actor, PREFIX + name, value)
            changed += 1
    log.info("statement settings saved, %d keys changed", changed)
    changes = Changes.of(ChangeKind.SETTINGS, ChangeKind.PAYMENTS) if changed else Changes()
    return SaveOutcome(SETTINGS_RECORD_ID, False, tuple(problems), changes)


def _cleaned(settings: StatementSettings) -> StatementSettings:
    return StatementSettings(
        minimum_balance=settings.minimum_balance,
        due_days=settings.due_days,
        payment_options=settings.payment_options.strip(),
        assistance_notice=settings.assistance_notice.strip(),
        email_password=settings.email_password.strip(),
        retry_minutes=settings.retry_minutes,
        max_attempts=settings.max_attempts,
    )


def _stored_values(settings: StatementSettings) -> dict[str, object]:
    # Amounts are stored as text so JSON never turns them into floats.
    return {
        "minimum_balance": str(settings.minimum_balance.quantize(CENT)),
        "due_days": settings.due_days,
        "payment_options": settings.payment_options,
        "assistance_notice": settings.assistance_notice,
        "email_password": settings.email_password,
        "retry_minutes": settings.retry_minutes,
        "max_attempts": settings.max_attempts,
    }


def settings_problems(settings: StatementSettings) -> list[Problem]:
    """Return every problem with `settings` (empty when they can be saved)."""
    problems = _minimum_problems(settings.minimum_balance)
    if not 0 <= settings.due_days <= MAX_DUE_DAYS:
        problems.append(
            Problem(
                "due_days",
                f"The due date of {settings.due_days} days after the statement date is "
                f"outside 0 to {MAX_DUE_DAYS}; type a number of days from 0 (due on "
                f"receipt) to {MAX_DUE_DAYS}.",
            )
        )
    problems.extend(_text_problems(settings))
    if settings.email_password not in EMAIL_PASSWORDS:
        problems.append(
            Problem(
                "email_password",
                f"The email password {settings.email_password!r} is not one of "
                f"{', '.join(EMAIL_PASSWORDS)}; choose dob (date of birth) or account "
                "(account number).",
            )
        )
    if not 1 <= settings.retry_minutes <= MAX_RETRY_MINUTES:
        problems.append(
            Problem(
                "retry_minutes",
                f"The retry wait of {settings.retry_minutes} minutes is outside 1 to "
                f"{MAX_RETRY_MINUTES}; type a number of minutes from 1 to {MAX_RETRY_MINUTES}.",
            )
        )
    if not 1 <= settings.max_attempts <= MAX_ATTEMPTS:
        problems.append(
            Problem(
                "max_attempts",
                f"The limit of {settings.max_attempts} email attempts is outside 1 to "
                f"{MAX_ATTEMPTS}; type a number from 1 to {MAX_ATTEMPTS}.",
            )
        )
    return problems


def _minimum_problems(minimum: Decimal) -> list[Problem]:
    """Return the minimum balance's problem, if any: not an amount, out of range, or sub-cent."""
    allowed = f"use an amount from {format_money(ZERO)} to {format_money(MAX_MINIMUM_BALANCE)}"
    # The range is checked before quantize, which fails on amounts beyond its precision.
    if not minimum.is_finite():
        message = f"The minimum balance {minimum} is not an amount: {allowed}."
    elif minimum < ZERO:
        message = f"The minimum balance {minimum} is below {format_money(ZERO)}: {allowed}."
    elif minimum > MAX_MINIMUM_BALANCE:
        message = (
            f"The minimum balance {minimum} is above {format_money(MAX_MINIMUM_BALANCE)}: "
            f"{allowed}."
        )
    elif minimum != minimum.quantize(CENT):
        message = (
            f"The minimum balance {minimum} has fractions of a cent: use dollars and cents, "
            "such as 5.00."
        )
    else:
        return []
    return [Problem("minimum_balance", message)]


def _text_problems(settings: StatementSettings) -> list[Problem]:
    problems = []
    if not settings.payment_options:
        problems.append(
            Problem(
                "payment_options",
                "The payment options are missing; type how patients can pay, as printed "
                "on every statement.",
            )
        )
    texts = (
        ("payment_options", "payment options", settings.payment_options),
        ("assistance_notice", "financial assistance notice", settings.assistance_notice),
    )
    for name, description, text in texts:
        if len(text) > MAX_TEXT_LENGTH:
            problems.append(
                Problem(
                    name,
                    f"The {description} text has {len(text)} characters, more than the "
                    f"{MAX_TEXT_LENGTH} that fit on the statement; shorten it.",
                )
            )
    return problems
