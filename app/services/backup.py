"""Encrypted, verified backups of the workstation database, and restoring them.

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
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.db.database import Database
from app.db.file_modes import copy_private, create_private_file, make_private, private_umask
from app.db.lock import DatabaseLock
from app.errors import (
    BackupError,
    KeyFileError,
    KeyringUnavailableError,
    StorageError,
    UserError,
)
from app.models.system import BackupRecord, Workstation
from app.paths import backup_dir, key_file_path, lock_file_path, pending_key_file_path
from app.progress import Progress
from app.security import keys
from app.security.audit import AuditAction, Outcome, record
from app.security.permissions import Actor, Permission, require, system_actor
from app.services.settings import backup_settings

log = logging.getLogger(__name__)

BACKUP_PREFIX = "clinicdesk-"
STAMP_FORMAT = "%Y%m%d-%H%M%S"
PARTIAL_SUFFIX = ".partial"
BACKUP_INTERVAL = timedelta(hours=24)

# The exact name `_final_path` gives a backup. Pruning deletes only files named this way.
BACKUP_NAME = re.compile(r"clinicdesk-\d{8}-\d{6}(-\d+)?\.db")

# SQLite's journal files beside a database.
DATABASE_SIDECAR_SUFFIXES = ("-wal", "-shm", "-journal")

# SQLite's messages for a file whose pages are damaged or that is no database at all.
DAMAGED_MESSAGES = ("malformed", "not a database")

# SQLite's messages for a full or failing disk and a folder it cannot create files in.
DISK_MESSAGES = ("disk is full", "disk i/o error", "unable to open")

PassphraseProvider = Callable[[Path], str | None]


@dataclass(frozen=True, slots=True)
class BackupResult:
    """A finished, verified backup."""

    path: Path
    key_path: Path
    verified: bool
    table_counts: dict[str, int]
    size_bytes: int
    changes: Changes


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """A database restored from a backup, and where a replaced database was moved."""

    path: Path
    key_path: Path
    verified: bool
    table_counts: dict[str, int]
    replaced_path: Path | None
    audit_recorded: bool = False  # True when the replacement was written to the audit log


# SQLCipher helpers shared by backup and restore.


def _connect(path: Path, key: bytes) -> Any:
    connection = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    return connection


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _table_counts(connection: Any, schema: str = "main") -> dict[str, int]:
    names = connection.execute(
        f"SELECT name FROM {schema}.sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return {
        str(name): int(connection.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])
        for (name,) in names
    }


def _export(source: Any, target: Path, key: bytes) -> dict[str, int]:
    """Copy the database open on `source` into a new file `target`; return its row counts.

    The counts and the export run in one read transaction, so they describe the same
    snapshot even while another connection writes.
    """
    source.execute(
        f"ATTACH DATABASE {_sql_string(str(target))} AS backup KEY {keys.key_pragma_value(key)}"
    )
    try:
        source.execute("BEGIN")
        try:
            counts = _table_counts(source)
            user_version = int(source.execute("PRAGMA main.user_version").fetchone()[0])
            source.execute("SELECT sqlcipher_export('backup')")
            source.execute(f"PRAGMA backup.user_version = {user_version}")
            source.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some errors, such as a full disk.
            if source.in_transaction:
                source.execute("ROLLBACK")
            raise
    finally:
        source.execute("DETACH DATABASE backup")
    return counts


def _verify(path: Path, key: bytes, expected: dict[str, int]) -> None:
    """Reopen `path` with `key`; raise BackupError unless it is intact and complete."""
    connection = _connect(path, key)
    try:
        check = [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()]
        counts = _table_counts(connection)
    except sqlcipher3.DatabaseError as exc:
        raise BackupError(f"The copy {path} could not be read back ({exc}).") from exc
    finally:
        connection.close()

    if check != ["ok"]:
        raise BackupError(f"The copy {path} failed its integrity check: {'; '.join(check[:3])}.")
    if counts != expected:
        differing = sorted(
            name
            for name in expected.keys() | counts.keys()
            if expected.get(name) != counts.get(name)
        )
        raise BackupError(
            f"The copy {path} does not hold the same rows as the original "
            f"(tables {', '.join(differing)} differ)."
        )


def _folder_error(folder: Path, exc: OSError) -> BackupError:
    reason = exc.strerror or type(exc).__name__
    return BackupError(
        f"Could not write the backup to {folder}: {reason}. Check that the folder exists, "
        "that you may write to it and that the disk has free space (about the size of the "
        "database), or choose another folder in Settings > Backups or with --to."
    )


def _is_damaged_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlcipher3.DatabaseError) and any(m in text for m in DAMAGED_MESSAGES)


def _is_disk_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, OSError) or any(message in text for message in DISK_MESSAGES)


def _remove_quietly(*paths: Path) -> None:
    for path in paths:
        with suppress(OSError):
            path.unlink(missing_ok=True)


# Backup.


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


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in DATABASE_SIDECAR_SUFFIXES]


def _damaged_database_error(path: Path, exc: Exception) -> BackupError:
    return BackupError(
        f"The database {path} is damaged ({exc}), so no backup was made. The backup folder "
        "is not the cause. Stop using this database: restore the newest verified backup "
        "with 'clinicdesk restore BACKUP --db NEW_PATH' and point ClinicDesk at the new file."
    )


def _damaged_backup_error(path: Path, exc: Exception) -> BackupError:
    return BackupError(
        f"The backup {path} is damaged ({exc}), so nothing was restored. Restore an older "
        "backup instead."
    )


def _as_backup_error(folder: Path, exc: Exception) -> BackupError:
    if isinstance(exc, BackupError):
        return exc
    if isinstance(exc, OSError):
        return _folder_error(folder, exc)
    if _is_disk_error(exc):
        return BackupError(
            f"Could not write the backup to {folder}: {exc}. Check that the disk has free "
            "space (about the size of the database) and that you may write to the folder, "
            "or choose another folder in Settings > Backups or with --to."
        )
    return BackupError(f"The backup to {folder} failed: {exc}. Nothing was kept.")


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


# Restore.


def _probe(path: Path, key: bytes) -> bool:
    connection = _connect(path, key)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        return False
    finally:
        connection.close()
    return True


def _read_backup_key_file(backup_file: Path) -> keys.KeyFile:
    key_path = key_file_path(backup_file)
    if not key_path.exists():
        raise KeyFileError(
            f"{backup_file} has no key file beside it ({key_path.name} is missing), so it "
            "cannot be restored. A ClinicDesk backup is a clinicdesk-YYYYMMDD-HHMMSS.db file "
            "with a matching .key file beside it. Choose such a file, or copy the backup's "
            ".key file back beside it."
        )
    return keys.read_key_file(key_path)


def _backup_key(backup_file: Path, ask_passphrase: PassphraseProvider | None) -> bytes:
    """Find the backup's key: the keyring entry for its database id, else the passphrase."""
    key_path = key_file_path(backup_file)
    key_file = _read_backup_key_file(backup_file)
    stored = keys.load_from_keyring(key_file.database_id)
    if stored is not None and _probe(backup_file, stored):
        return stored

    passphrase = ask_passphrase(backup_file) if ask_passphrase else None
    if not passphrase:
        raise KeyringUnavailableError(
            f"The key for the backup {backup_file} is not in this computer's keyring. Enter "
            "the recovery passphrase of the practice, or set CLINICDESK_PASSPHRASE."
        )
    key = keys.unwrap_key(key_file, passphrase, key_path)
    if not _probe(backup_file, key):
        raise BackupError(
            f"The backup {backup_file} could not be read with its own key file, so it is "
            "damaged. Restore an older backup instead."
        )
    return key


def _replaced_name(target: Path, stamp: str) -> Path:
    candidate = target.with_name(f"{target.name}.replaced-{stamp}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = target.with_name(f"{target.name}.replaced-{stamp}-{number}")
    return candidate


def _companions(database: Path) -> list[Path]:
    """Return the files that must move with `database` for it to open again."""
    return [*_sidecars(database), key_file_path(database), pending_key_file_path(database)]


def _move_aside(target: Path) -> Path:
    """Rename the database at `target` and its companions, keeping them usable together.

    The pending key file of an unfinished key rotation moves too. Left at `target`, it
    would be deleted when the restored database opens, and it may be the only key that
    opens the replaced database.
    """
    moved = _replaced_name(target, utc_now().strftime(STAMP_FORMAT))
    for companion, destination in zip(_companions(target), _companions(moved), strict=True):
        if companion.exists():
            os.replace(companion, destination)
    os.replace(target, moved)
    log.info("moved the replaced database aside as %s", moved.name)
    return moved


def _check_target(backup_file: Path, target: Path, replace: bool) -> None:
    if target == backup_file:
        raise BackupError(
            f"Restore into a new path, not onto the backup {backup_file} itself. "
            "Give another file name with --db."
        )
    if target.exists() and not replace:
        raise BackupError(
            f"{target} already exists, so nothing was restored. To replace it, confirm the "
            "replacement (in the command line: add --replace, then answer yes or add --yes). "
            "The old database is kept beside it with a .replaced-DATE name, never deleted."
        )


def _copy_from_backup(backup_file: Path, target: Path, key: bytes) -> dict[str, int]:
    """Write a verified copy of `backup_file` to `target`'s partial name; return its counts."""
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    _remove_quietly(partial)
    try:
        create_private_file(partial)
        source = _connect(backup_file, key)
        try:
            counts = _export(source, partial, key)
        finally:
            source.close()
        _verify(partial, key, counts)
    except BaseException:
        _remove_quietly(partial, *_sidecars(partial))
        raise
    return counts


def _put_in_place(
    backup_file: Path, target: Path, key: bytes
) -> tuple[dict[str, int], Path | None]:
    """Copy and verify the backup, move an existing `target` aside, then rename the copy.

    The caller holds `target`'s lock. Returns the verified row counts and the replaced
    database's new path (None when `target` did not exist).
    """
    try:
        counts = _copy_from_backup(backup_file, target, key)
    except (OSError, sqlcipher3.Error) as exc:
        if _is_damaged_error(exc):
            raise _damaged_backup_error(backup_file, exc) from exc
        raise _as_backup_error(target.parent, exc) from exc

    replaced = _move_aside(target) if target.exists() else None
    key_partial = target.with_name(key_file_path(target).name + PARTIAL_SUFFIX)
    copy_private(key_file_path(backup_file), key_partial)
    os.replace(key_partial, key_file_path(target))
    os.replace(target.with_name(target.name + PARTIAL_SUFFIX), target)
    make_private(target, key_file_path(target), lock_file_path(target))
    return counts, replaced


def _ask_once(ask_passphrase: PassphraseProvider | None) -> PassphraseProvider | None:
    """Wrap `ask_passphrase` so one restore requests the passphrase at most once.

    The backup and the restored copy share one key, so one passphrase opens both.
    """
    if ask_passphrase is None:
        return None
    answers: list[str | None] = []

    def ask(path: Path) -> str | None:
        if not answers:
            answers.append(ask_passphrase(path))
        return answers[0]

    return ask


def _record_replacement(
    backup_file: Path, target: Path, replaced: Path, ask_passphrase: PassphraseProvider | None
) -> bool:
    """Append the RESTORE audit row to the restored database; return False when that failed.

    The restore itself has succeeded by then, so a failure here is logged and reported
    rather than raised.
    """
    detail = f"restored from backup {backup_file.name}; replaced file kept as {replaced.name}"
    try:
        restored = Database.open(target, ask_passphrase)
    except UserError as exc:
        log.warning("could not open the restored database to audit the restore: %s", exc)
        return False
    try:
        with restored.transaction() as session:
            workstation = session.scalar(
                select(Workstation.code).where(Workstation.is_local.is_(True))
            )
            # Only a database that never finished practice set-up lacks a local workstation.
            actor = system_actor(workstation or "system")
            record(
                session, actor, AuditAction.RESTORE, "database", restored.database_id, detail=detail
            )
    finally:
        restored.close()
    log.info("recorded the restore in the audit log of database %s", restored.database_id)
    return True


def restore_backup(
    backup_file: Path,
    target: Path,
    ask_passphrase: PassphraseProvider | None,
    replace: bool = False,
) -> RestoreResult:
    """Restore `backup_file` into the database path `target`, verified before it is used.

    An existing `target` is replaced only with `replace=True`, and then it is renamed to
    `<name>.replaced-YYYYMMDD-HHMMSS` (with its journal, .key and .key.new files), never
    deleted. After replacing a database, a RESTORE row naming both files is appended to
    the restored database's audit log, after the copy was verified row by row (so
    `table_counts` excludes that row). The restored audit log ends at the backup's time:
    the events recorded after it stay in the replaced file.
    Raises DatabaseLockedError when `target` is open in a ClinicDesk process.
    """
    backup_file = backup_file.expanduser().resolve()
    target = target.expanduser().resolve()
    if not backup_file.is_file():
        raise BackupError(
            f"There is no backup file at {backup_file}. Check the path; backups are named "
            "clinicdesk-YYYYMMDD-HHMMSS.db and sit in the backups folder beside the database."
        )
    _check_target(backup_file, target, replace)
    ask = _ask_once(ask_passphrase)
    key = _backup_key(backup_file, ask)

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = DatabaseLock(lock_file_path(target), target)
    with private_umask():
        lock.acquire()
    try:
        counts, replaced = _put_in_place(backup_file, target, key)
    finally:
        lock.release()
    log.info("restored backup %s: %d tables", backup_file.name, len(counts))

    audited = replaced is not None and _record_replacement(backup_file, target, replaced, ask)
    return RestoreResult(
        path=target,
        key_path=key_file_path(target),
        verified=True,
        table_counts=counts,
        replaced_path=replaced,
        audit_recorded=audited,
    )
