"""Practice-wide settings with typed defaults."""

import json
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.system import Setting
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """Sign-in and session rules an administrator can change."""

    lockout_attempts: int = 5
    lockout_minutes: int = 5
    idle_lock_minutes: int = 10
    password_min_length: int = 10
    emergency_access_minutes: int = 60


@dataclass(frozen=True, slots=True)
class BackupSettings:
    """How many backups to keep and where they go (empty folder: beside the database)."""

    keep_last: int = 14
    folder: str = ""


def _load(session: Session, prefix: str, defaults: Any) -> dict[str, Any]:
    keys = [f"{prefix}.{field.name}" for field in fields(defaults)]
    stored = {
        row.key: row.value for row in session.scalars(select(Setting).where(Setting.key.in_(keys)))
    }
    return {
        field.name: stored.get(f"{prefix}.{field.name}", getattr(defaults, field.name))
        for field in fields(defaults)
    }


def security_settings(session: Session) -> SecuritySettings:
    """Return the security settings, with defaults for anything never set."""
    return SecuritySettings(**_load(session, "security", SecuritySettings()))


def backup_settings(session: Session) -> BackupSettings:
    """Return the backup settings, with defaults for anything never set."""
    return BackupSettings(**_load(session, "backup", BackupSettings()))


def save_setting(session: Session, actor: Actor, key: str, value: object) -> None:
    """Store one setting and audit the change; only administrators change settings."""
    require(actor, Permission.PRACTICE_SETUP)
    store_setting(session, actor, key, value)


def store_setting(session: Session, actor: Actor, key: str, value: object) -> None:
    """Store one setting and audit the change, without a permission check.

    For services whose setting another role owns, such as the ledger lock date that
    managers set: the caller checks that role's permission first.
    """
    row = session.scalar(select(Setting).where(Setting.key == key))
    previous = None if row is None else row.value
    if row is None:
        row = Setting(key=key, value=value, updated_by=actor.user_id)
        session.add(row)
    else:
        row.value = value
        row.updated_by = actor.user_id
    session.flush()

    # Settings hold no PHI, so the old and new values go into the audit detail.
    detail = f"{key}: {json.dumps(previous)} -> {json.dumps(value)}"
    audit.record(session, actor, AuditAction.UPDATE, "setting", key, detail=detail)
