"""Encrypted, verified backups of the workstation database: writing, pruning and listing them.

A backup is a fresh SQLCipher file written by `sqlcipher_export` with the same key as the
database, plus a copy of the key file beside it, so the recovery passphrase opens it on
any computer. A backup gets its final name only after it has been reopened, checked
with `PRAGMA integrity_check` and found to hold the same number of rows in every table
as the database had at the moment of the export.
"""

import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlcipher3
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.db.database import Database
from app.db.file_modes import copy_private, create_private_file
from app.errors import (
    BackupError,
    StorageError,
)
from app.models.system import BackupRecord
from app.paths import backup_dir, key_file_path
from app.progress import Progress
from app.security.audit import AuditAction, Outcome, record
from app.security.permissions import Actor, Permission, require
from app.services.database_copy import (
    PARTIAL_SUFFIX,
    STAMP_FORMAT,
    _as_backup_error,
    _export,
    _is_damaged_error,
    _remove_quietly,
    _sidecars,
    _verify,
)
from app.services.settings import backup_settings

log = logging.getLogger(__name__)

BACKUP_PREFIX = "clinicdesk-"
BACKUP_INTERVAL = timedelta(hours=24)

# The exact name `_final_path` gives a backup. Pruning deletes only files named this way.
BACKUP_NAME = re.compile(r"clinicdesk-\d{8}-\d{6}(-\d+)?\.db")


@dataclass(frozen=True, slots=True)
class BackupResult:
    """A finished, verified backup."""

    path: Path
    key_path: Path
    verified: bool
    table_counts: dict[str, int]
    size_bytes: int
    changes: Changes


def _choose_folder(database: Database, folder: Path | None, configured: str) -> Path:
    if folder is not None:
        return folder.expanduser().resolve()
    if configured:
        return Path(configured).expanduser().resolve()
    return backup_dir(database.path)


def _final_path(folder: Path, started: datetime) -> Path:
    """Return `clinicdesk-YYYYMMDD-HHMMSS.db` in `folder`, numbered if that name is taken."""
    stem = BACKUP_PREFIX + started.strftime(STAMP_FORMAT)
    candidate = folder / f"{stem}.db"
    number = 1
    while candidate.exists() or key_file_path(candidate).exists():
        number += 1
        candidate = folder / f"{stem}-{number}.db"
    return candidate


def _report(progress: Progress | None, done: int, message: str) -> None:
    if progress is not None:
        progress.report(done, 3, message)


def _write_verified_copy(
    database: Database, folder: Path, started: datetime, progress: Progress | None
) -> tuple[Path, dict[str, int]]:
    """Export, verify, then give the copy and its key file their final names."""
    final = _final_path(folder, started)
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    final_key = key_file_path(final)
    partial_key = final_key.with_name(final_key.name + PARTIAL_SUFFIX)
    try:
        _report(progress, 0, "Copying the database")
        create_private_file(partial)
        raw = database.engine.raw_connection()
        try:
            counts = _export(raw.driver_connection, partial, database.raw_key())
        finally:
            raw.close()

        _report(progress, 1, "Checking the copy")
        _verify(partial, database.raw_key(), counts)
        copy_private(key_file_path(database.path), partial_key)

        # The key file goes first: a copy with its final name must never lack its key.
        os.replace(partial_key, final_key)
        os.replace(partial, final)
    except BaseException:
        _remove_quietly(partial, partial_key, *_sidecars(partial))
        raise
    _report(progress, 2, "Recording the backup")
    return final, counts


def _damaged_database_error(path: Path, exc: Exception) -> BackupError:
    return BackupError(
        f"The database {path} is damaged ({exc}), so no backup was made. The backup folder "
        "is not the cause. Stop using this database: restore the newest verified backup "
        "with 'clinicdesk restore BACKUP --db NEW_PATH' and point ClinicDesk at the new file."
    )


def _record_attempt(
    database: Database,
    actor: Actor,
    started: datetime,
    path: Path,
    *,
    counts: dict[str, int],
    failure: str = "",
) -> None:
    """Store a BackupRecord and the audit row for one attempt, in their own transaction."""
    verified = not failure
    size = path.stat().st_size if verified else 0
    with database.transaction() as session:
        row = BackupRecord(
            started_at=started,
            finished_at=utc_now(),
            file_name=path.name if verified else "",
            folder=str(path.parent),
            size_bytes=size,
            verified=verified,
            table_count=len(counts),
            row_count=sum(counts.values()),
            message=failure or f"Verified: {len(counts)} tables, {sum(counts.values())} rows.",
        )
        session.add(row)
        session.flush()
        outcome = Outcome.SUCCESS if verified else Outcome.FAILURE
        detail = path.name if verified else "backup failed"
        record(session, actor, AuditAction.BACKUP, "backup", row.id, outcome=outcome, detail=detail)


def _record_failure(
    database: Database, actor: Actor, started: datetime, folder: Path, message: str
) -> None:
    # The disk that just failed may hold the database too. The user must still see the
    # backup error, not a second error from recording it.
    try:
        _record_attempt(database, actor, started, folder / "failed", counts={}, failure=message)
    except (SQLAlchemyError, OSError, StorageError):
        log.exception("could not record the failed backup of database %s", database.database_id)


def _checked_keep_last(keep_last: int) -> int:
    if keep_last < 1:
        raise BackupError(
            f"The number of backups to keep must be at least 1, not {keep_last}, so no backup "
            "was made. Change it in Settings > Backups or with --keep."
        )
    return keep_last


def backup_database(
    database: Database,
    actor: Actor,
    folder: Path | None = None,
    keep_last: int | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    """Write, verify and record an encrypted backup, then prune old ones.

    The daily automatic backup passes `system_actor(...)`. Raises BackupError naming the
    folder when the copy cannot be written or fails verification; no file with the final
    name is left behind then. Also raises BackupError, before writing anything, when
    `keep_last` (or the Settings value it defaults to) is less than 1.
    """
    require(actor, Permission.BACKUP_RUN)
    with database.transaction() as session:
        settings = backup_settings(session)
    keep = _checked_keep_last(settings.keep_last if keep_last is None else keep_last)
    target = _choose_folder(database, folder, settings.folder)
    started = utc_now()

    try:
        target.mkdir(parents=True, exist_ok=True)
        path, counts = _write_verified_copy(database, target, started, progress)
    except (BackupError, OSError, sqlcipher3.Error) as exc:
        if _is_damaged_error(exc):
            error = _damaged_database_error(database.path, exc)
        else:
            error = _as_backup_error(target, exc)
        log.info("backup of database %s failed: %s", database.database_id, type(exc).__name__)
        _record_failure(database, actor, started, target, str(error))
        raise error from exc

    _record_attempt(database, actor, started, path, counts=counts)
    _prune(target, database.database_id, keep, just_made=path)
    size = path.stat().st_size
    log.info("backup %s verified: %d tables, %d bytes", path.name, len(counts), size)
    return BackupResult(
        path=path,
        key_path=key_file_path(path),
        verified=True,
        table_counts=counts,
        size_bytes=size,
        changes=Changes.of(ChangeKind.BACKUPS, ChangeKind.AUDIT),
    )


def _belongs_to(path: Path, database_id: uuid.UUID) -> bool:
    try:
        document = json.loads(key_file_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("database_id") == str(database_id)


def _modified_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _prunable(folder: Path, database_id: uuid.UUID, just_made: Path) -> list[tuple[int, Path]]:
    """Return this database's other backups in `folder` with their modification times."""
    found: list[tuple[int, Path]] = []
    for path in folder.glob(f"{BACKUP_PREFIX}*.db"):
        if path == just_made or not BACKUP_NAME.fullmatch(path.name):
            continue
        modified = _modified_ns(path)
        if modified is not None and path.is_file() and _belongs_to(path, database_id):
            found.append((modified, path))
    return found


def _prune(folder: Path, database_id: uuid.UUID, keep_last: int, just_made: Path) -> list[Path]:
    """Delete this database's oldest backups so that `keep_last` remain, `just_made` among them.

    The age of a backup is its file's modification time, not the time in its name: a
    name written while the clock was wrong must not decide which backups survive.
    """
    others = sorted(_prunable(folder, database_id, just_made), reverse=True)
    removed = [path for _modified, path in others[keep_last - 1 :]]
    for path in removed:
        _remove_quietly(path, key_file_path(path))
    if removed:
        log.info("pruned %d old backups from the backup folder", len(removed))
    return removed


def last_verified_backup(session: Session) -> BackupRecord | None:
    """Return the newest verified backup record, or None when there is none."""
    return session.scalar(
        select(BackupRecord)
        .where(BackupRecord.verified.is_(True))
        .order_by(BackupRecord.finished_at.desc())
        .limit(1)
    )


def backup_due(session: Session, now: datetime) -> bool:
    """Return True when no backup was verified in the 24 hours before `now`."""
    last = last_verified_backup(session)
    return last is None or last.finished_at is None or last.finished_at <= now - BACKUP_INTERVAL


def list_backups(session: Session, limit: int = 50) -> list[BackupRecord]:
    """Return the newest backup attempts first, failed ones included."""
    rows = session.scalars(
        select(BackupRecord).order_by(BackupRecord.started_at.desc()).limit(limit)
    )
    return list(rows)
