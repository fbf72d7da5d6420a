"""Copying a SQLCipher database into a new encrypted file and checking the copy.

Backup and restore both export to a partial file, verify it and only then rename it,
so both use these helpers and file-name constants.
"""

from contextlib import suppress
from pathlib import Path
from typing import Any

import sqlcipher3

from app.errors import (
    BackupError,
)
from app.security import keys

STAMP_FORMAT = "%Y%m%d-%H%M%S"
PARTIAL_SUFFIX = ".partial"

# SQLite's journal files beside a database.
DATABASE_SIDECAR_SUFFIXES = ("-wal", "-shm", "-journal")

# SQLite's messages for a file whose pages are damaged or that is no database at all.
DAMAGED_MESSAGES = ("malformed", "not a database")

# SQLite's messages for a full or failing disk and a folder it cannot create files in.
DISK_MESSAGES = ("disk is full", "disk i/o error", "unable to open")


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


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in DATABASE_SIDECAR_SUFFIXES]


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
