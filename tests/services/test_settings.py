"""Settings: typed defaults, stored values, permission and audit."""

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services.settings import (
    BackupSettings,
    SecuritySettings,
    backup_settings,
    save_setting,
    security_settings,
)

ADMIN = Actor(None, "admin", Role.ADMINISTRATOR, "TST")
CLERK = Actor(None, "clerk", Role.FRONT_DESK, "TST")


def test_defaults_when_nothing_stored(database: Database) -> None:
    with database.transaction() as session:
        assert security_settings(session) == SecuritySettings()
        assert backup_settings(session) == BackupSettings()


def test_saved_value_read_back(database: Database) -> None:
    with database.transaction() as session:
        save_setting(session, ADMIN, "security.idle_lock_minutes", 3)
        save_setting(session, ADMIN, "security.idle_lock_minutes", 4)
    with database.transaction() as session:
        settings = security_settings(session)
    assert settings.idle_lock_minutes == 4
    assert settings.lockout_attempts == SecuritySettings().lockout_attempts


def test_change_is_audited(database: Database) -> None:
    with database.transaction() as session:
        save_setting(session, ADMIN, "backup.keep_last", 30)
    with database.transaction() as session:
        event = session.scalars(select(AuditEvent)).one()
    assert event.object_type == "setting"
    assert event.object_id == "backup.keep_last"
    assert event.detail == "backup.keep_last: null -> 30"


def test_front_desk_cannot_change_settings(database: Database) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        save_setting(session, CLERK, "security.lockout_attempts", 100)
    with database.transaction() as session:
        assert security_settings(session).lockout_attempts == 5
