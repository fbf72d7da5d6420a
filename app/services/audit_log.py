"""Reading the audit log: filtered queries, CSV export and chain verification."""

import csv
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.csv_safety import safe_cell
from app.errors import UserError, ValidationError
from app.models.security import AuditEvent
from app.paths import backup_dir
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction, ChainBreak
from app.security.permissions import Actor, Permission, require
from app.services.settings import backup_settings

log = logging.getLogger(__name__)

# Files beside the database that an export must never replace: the key, a pending key
# rotation, SQLite's journals and the lock file.
DATABASE_COMPANION_SUFFIXES = (".key", ".key.new", "-wal", "-shm", "-journal", ".lock")

# Backup copies and their key files, which an export must never replace.
BACKUP_SUFFIXES = (".db", ".key")


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for selecting audit rows. A field left None matches every row.

    `date_from` and `date_to` are inclusive and count whole UTC days, so late-evening
    events in US time zones fall on the next UTC date.
    """

    username: str | None = None
    patient_id: uuid.UUID | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One audit event as screens and exports show it (the hash columns left out)."""

    occurred_at: datetime
    workstation: str
    sequence: int
    username: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    patient_id: uuid.UUID | None
    outcome: str
    detail: str
    user_id: uuid.UUID | None
    id: uuid.UUID


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        occurred_at=event.occurred_at,
        workstation=event.workstation,
        sequence=event.sequence,
        username=event.username,
        role=event.role,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        patient_id=event.patient_id,
        outcome=event.outcome,
        detail=event.detail,
        user_id=event.user_id,
        id=event.id,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def filter_problems(audit_filter: AuditFilter) -> list[Problem]:
    """Return the problems of `audit_filter`: one when its first day is after its last."""
    first, last = audit_filter.date_from, audit_filter.date_to
    if first is not None and last is not None and first > last:
        message = (
            f"The first day {first.isoformat()} is after the last day {last.isoformat()}. "
            "Swap the two dates or clear one of them."
        )
        return [Problem("date_from", message)]
    return []


def _checked(audit_filter: AuditFilter) -> AuditFilter:
    problems = filter_problems(audit_filter)
    if problems:
        raise ValidationError(problems)
    return audit_filter


def _filtered(audit_filter: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if audit_filter.username:
        query = query.where(AuditEvent.username == audit_filter.username.strip().lower())
    if audit_filter.patient_id is not None:
        query = query.where(AuditEvent.patient_id == audit_filter.patient_id)
    if audit_filter.action:
        query = query.where(AuditEvent.action == audit_filter.action.strip())
    if audit_filter.date_from is not None:
        query = query.where(AuditEvent.occurred_at >= _day_start(audit_filter.date_from))
    # The last representable day has no next day to stop before, and needs no bound.
    if audit_filter.date_to is not None and audit_filter.date_to < date.max:
        next_day = audit_filter.date_to + timedelta(days=1)
        query = query.where(AuditEvent.occurred_at < _day_start(next_day))
    return query.order_by(
        AuditEvent.occurred_at.desc(), AuditEvent.workstation, AuditEvent.sequence.desc()
    )


def query_events(
    session: Session, actor: Actor, audit_filter: AuditFilter, limit: int = 1000, offset: int = 0
) -> list[AuditRow]:
    """Return matching audit rows, newest first, one page of `limit` rows.

    Raises ValidationError when the filter's first day is after its last day.
    """
    require(actor, Permission.AUDIT_VIEW)
    query = _filtered(_checked(audit_filter)).limit(limit).offset(offset)
    return [_row(event) for event in session.scalars(query)]


def _iter_rows(session: Session, audit_filter: AuditFilter) -> Iterator[AuditRow]:
    query = _filtered(audit_filter).execution_options(yield_per=1000)
    for event in session.scalars(query):
        yield _row(event)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return safe_cell(value)


def _write_csv(handle: Any, rows: Iterator[AuditRow]) -> int:
    writer = csv.writer(handle)
    writer.writerow([field.name for field in fields(AuditRow)])
    count = 0
    for row in rows:
        writer.writerow([_cell(getattr(row, field.name)) for field in fields(AuditRow)])
        count += 1
    return count


def _database_file(session: Session) -> Path | None:
    """Return the resolved path of the database file `session` is connected to."""
    rows = session.connection().exec_driver_sql("PRAGMA database_list").all()
    for _number, name, file_name in rows:
        if name == "main" and file_name:
            return Path(file_name).resolve()
    return None


def _backup_folders(session: Session, database_file: Path) -> list[Path]:
    folders = [backup_dir(database_file).resolve()]
    configured = backup_settings(session).folder
    if configured:
        folders.append(Path(configured).expanduser().resolve())
    return folders


def _protected_reason(session: Session, path: Path) -> str | None:
    """Return why `path` (resolved) must never be replaced by an export, or None."""
    database_file = _database_file(session)
    if database_file is None:
        return None
    companions = [
        database_file.with_name(database_file.name + s) for s in DATABASE_COMPANION_SUFFIXES
    ]
    if path == database_file or path in companions:
        return "is the ClinicDesk database or one of the files that open it"
    in_backups = any(
        path.is_relative_to(folder) for folder in _backup_folders(session, database_file)
    )
    if in_backups and path.name.endswith(BACKUP_SUFFIXES):
        return "is in the backup folder, where .db and .key files are backups"
    return None


def _check_export_target(session: Session, path: Path, overwrite: bool) -> None:
    reason = _protected_reason(session, path)
    if reason is not None:
        raise UserError(
            f"Could not write the audit export to {path}: that file {reason}. Nothing was "
            "written. Choose a new file name, such as audit.csv in Documents."
        )
    if path.exists() and not overwrite:
        raise UserError(
            f"{path} already exists, so the audit export was not written. Choose a new file "
            "name, or confirm replacing it (in the command line: add --overwrite)."
        )


def _write_file(session: Session, audit_filter: AuditFilter, path: Path) -> int:
    """Write the CSV to a temporary file beside `path`, then rename it to `path`."""
    descriptor, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    temporary = Path(name)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            count = _write_csv(handle, _iter_rows(session, audit_filter))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count


def export_csv(
    session: Session, actor: Actor, audit_filter: AuditFilter, path: Path, overwrite: bool = False
) -> int:
    """Write every matching row to `path` as CSV (times in UTC) and return the row count.

    The file appears complete or not at all. The export itself is audited. An existing
    file is replaced only with `overwrite=True`. The database, its key, journal and lock
    files, and .db or .key files in the backup folder are never replaced. Raises
    UserError naming the path in each of those cases, and ValidationError for a filter
    whose first day is after its last day.
    """
    require(actor, Permission.AUDIT_VIEW)
    _checked(audit_filter)
    path = path.expanduser().resolve()
    _check_export_target(session, path, overwrite)
    try:
        count = _write_file(session, audit_filter, path)
    except OSError as exc:
        raise UserError(
            f"Could not write the audit export to {path}: {exc.strerror}. Choose a folder you "
            "can save to, such as Documents, and check that the disk is not full."
        ) from exc

    detail = f"{count} audit rows to CSV"
    audit.record(session, actor, AuditAction.EXPORT, "audit_event", None, detail=detail)
    log.info("user %s exported %d audit rows", actor.user_id, count)
    return count


def verify(session: Session, actor: Actor) -> list[ChainBreak]:
    """Check every workstation's audit chain and return the first break of each, if any."""
    require(actor, Permission.AUDIT_VIEW)
    breaks = audit.verify_chain(session)
    for found in breaks:
        log.warning(
            "audit chain of workstation %s breaks at row %d: %s",
            found.workstation,
            found.sequence,
            found.reason,
        )
    return breaks
