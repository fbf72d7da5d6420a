"""Restoring a backup into a database path, verified before it is used."""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3
from sqlalchemy import select

from app.clock import utc_now
from app.db.database import Database
from app.db.file_modes import copy_private, create_private_file, make_private, private_umask
from app.db.lock import DatabaseLock
from app.errors import (
    BackupError,
    KeyFileError,
    KeyringUnavailableError,
    UserError,
)
from app.models.system import Workstation
from app.paths import key_file_path, lock_file_path, pending_key_file_path
from app.security import keys
from app.security.audit import AuditAction, record
from app.security.permissions import system_actor
from app.services.database_copy import (
    PARTIAL_SUFFIX,
    STAMP_FORMAT,
    _as_backup_error,
    _connect,
    _export,
    _is_damaged_error,
    _remove_quietly,
    _sidecars,
    _verify,
)

log = logging.getLogger(__name__)

PassphraseProvider = Callable[[Path], str | None]


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """A database restored from a backup, and where a replaced database was moved."""

    path: Path
    key_path: Path
    verified: bool
    table_counts: dict[str, int]
    replaced_path: Path | None
    audit_recorded: bool = False  # True when the replacement was written to the audit log


def _damaged_backup_error(path: Path, exc: Exception) -> BackupError:
    return BackupError(
        f"The backup {path} is damaged ({exc}), so nothing was restored. Restore an older "
        "backup instead."
    )


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
