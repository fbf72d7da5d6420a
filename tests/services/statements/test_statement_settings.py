"""Statement settings: defaults, saving with validation, permission and audit."""

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.security import AuditEvent
from app.models.system import Setting
from app.security.permissions import Actor, Role
from app.services.settings import save_setting
from app.services.statement_settings import (
    StatementSettings,
    save_statement_settings,
    statement_settings,
)

ADMIN = Actor(None, "admin", Role.ADMINISTRATOR, "TST")
MANAGER = Actor(None, "manager", Role.MANAGER, "TST")


def test_defaults_when_nothing_stored(database: Database) -> None:
    with database.transaction() as session:
        settings = statement_settings(session)

    assert settings == StatementSettings()
    assert settings.minimum_balance == Decimal("5.00")
    assert settings.due_days == 21
    assert settings.email_password == "dob"
    assert settings.payment_options.startswith("Pay by check")


def test_saved_settings_read_back(database: Database) -> None:
    wanted = StatementSettings(
        minimum_balance=Decimal("10"),
        due_days=30,
        payment_options="  Pay online at the patient portal.  ",
        assistance_notice="",
        email_password="account",
        retry_minutes=60,
        max_attempts=3,
    )
    with database.transaction() as session:
        outcome = save_statement_settings(session, ADMIN, wanted)
    with database.transaction() as session:
        settings = statement_settings(session)
        stored = session.scalar(
            select(Setting.value).where(Setting.key == "statements.minimum_balance")
        )

    assert outcome.saved
    assert outcome.changes.kinds
    assert settings.minimum_balance == Decimal("10.00")
    assert stored == "10.00"
    assert settings.due_days == 30
    assert settings.payment_options == "Pay online at the patient portal."
    assert settings.assistance_notice == ""
    assert settings.email_password == "account"
    assert settings.retry_minutes == 60
    assert settings.max_attempts == 3


def test_only_changed_keys_stored_and_audited(database: Database) -> None:
    with database.transaction() as session:
        save_statement_settings(session, ADMIN, StatementSettings(due_days=14))
        keys = session.scalars(select(Setting.key)).all()
        events = session.scalars(select(AuditEvent)).all()

    assert keys == ["statements.due_days"]
    assert [event.detail for event in events] == ["statements.due_days: null -> 14"]


def test_unchanged_save_reports_no_changes(database: Database) -> None:
    with database.transaction() as session:
        outcome = save_statement_settings(session, ADMIN, StatementSettings())
        keys = session.scalars(select(Setting.key)).all()

    assert outcome.saved
    assert not outcome.changes.kinds
    assert keys == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"minimum_balance": Decimal("-5.00")},
            "minimum_balance",
            "The minimum balance -5.00 is below $0.00: use an amount from $0.00 to $1,000.00.",
        ),
        (
            {"minimum_balance": Decimal("2.555")},
            "minimum_balance",
            "2.555 has fractions of a cent: use dollars and cents, such as 5.00.",
        ),
        (
            {"minimum_balance": Decimal("1000.01")},
            "minimum_balance",
            "1000.01 is above $1,000.00: use an amount from $0.00 to $1,000.00.",
        ),
        ({"minimum_balance": Decimal("1E+40")}, "minimum_balance", "1E+40 is above $1,000.00"),
        ({"minimum_balance": Decimal("NaN")}, "minimum_balance", "NaN is not an amount: use"),
        ({"due_days": -1}, "due_days", "-1 days after the statement date is outside 0 to 90"),
        ({"due_days": 91}, "due_days", "outside 0 to 90"),
        ({"payment_options": "   "}, "payment_options", "payment options are missing"),
        ({"payment_options": "p" * 601}, "payment_options", "601 characters"),
        ({"assistance_notice": "a" * 601}, "assistance_notice", "601 characters"),
        ({"email_password": "ssn"}, "email_password", "'ssn' is not one of dob, account"),
        ({"retry_minutes": 0}, "retry_minutes", "0 minutes is outside 1 to 1440"),
        ({"max_attempts": 21}, "max_attempts", "21 email attempts is outside 1 to 20"),
    ],
)
def test_invalid_setting_rejected(
    database: Database, change: dict[str, object], field: str, words: str
) -> None:
    settings = dataclasses.replace(StatementSettings(), **change)  # type: ignore[arg-type]
    with database.transaction() as session:
        outcome = save_statement_settings(session, ADMIN, settings)
        keys = session.scalars(select(Setting.key)).all()

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == [field]
    assert words in outcome.problems[0].message
    assert keys == []


def test_limits_themselves_accepted(database: Database) -> None:
    settings = StatementSettings(
        minimum_balance=Decimal("0.00"),
        due_days=90,
        payment_options="p" * 600,
        retry_minutes=1440,
        max_attempts=1,
    )
    with database.transaction() as session:
        outcome = save_statement_settings(session, ADMIN, settings)

    assert outcome.saved


def test_unreadable_stored_value_uses_default(database: Database) -> None:
    with database.transaction() as session:
        save_setting(session, ADMIN, "statements.minimum_balance", "five dollars")
        save_setting(session, ADMIN, "statements.due_days", "soon")
        save_setting(session, ADMIN, "statements.email_password", "ssn")
        settings = statement_settings(session)

    assert settings.minimum_balance == Decimal("5.00")
    assert settings.due_days == 21
    assert settings.email_password == "dob"


def test_manager_cannot_change_settings(database: Database) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        save_statement_settings(session, MANAGER, StatementSettings(due_days=7))
    with database.transaction() as session:
        assert statement_settings(session).due_days == 21
