"""Opening, creating and closing the encrypted workstation database.

`Database` owns the SQLAlchemy engine, the process lock and the session factory. Callers
run each unit of work inside `database.transaction()`, which commits on success and rolls
back on error; services themselves never commit.
"""

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.db.file_modes import make_private, private_umask
from app.db.lock import DatabaseLock
from app.db.migrate import ensure_current, upgrade
from app.errors import (
    DatabaseOpenError,
    KeyFileError,
    KeyringUnavailableError,
    PermissionDeniedError,
    StorageError,
    UserError,
)
from app.paths import key_file_path, lock_file_path, pending_key_file_path
from app.search.index_keys import SEARCH_KEYS_FUNCTION, search_keys_sql
from app.security import keys

log = logging.getLogger(__name__)

PAGE_SIZE = 4096  # SQLCipher 4 default; the file size of a sound database is a multiple of it
BUSY_TIMEOUT_MS = 5000
# Page cache per connection in KiB (SQLite's negative cache_size form). SQLCipher decrypts
# and authenticates every page it reads from disk, so keeping 32 MiB of decrypted pages
# makes repeated reads of the day's working set cost what they cost without encryption.
CACHE_KIB = 32 * 1024
# Execution option that marks a unit of work as read-only (see Database.reading).
READ_ONLY_OPTION = "clinicdesk_read_only"

# Asked for when the keyring has no usable key; returns the recovery passphrase or None.
PassphraseProvider = Callable[[Path], str | None]


@dataclass(frozen=True, slots=True)
class OpenedKey:
    """The key that opened a database and where it came from."""

    key: bytes
    source: str  # "keyring" or "passphrase"


def _connect(path: Path, key: bytes) -> Any:
    """Open a DB-API connection and key it; no statement has touched the file yet."""
    connection = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    # SQLCipher writes page-decryption failures to stderr by default; they surface as
    # exceptions anyway, and stray lines would break the CLI's one-line error output.
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    return connection


def _configure(connection: Any) -> None:
    # WAL lets the GUI read while a worker thread writes; the mode persists in the file,
    # so after the first connection this is a no-op.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    # FULL keeps the last committed transaction through a power cut, which matters
    # more at a front desk than the small cost per commit.
    connection.execute("PRAGMA synchronous = FULL")
    # The patient search triggers call this function to fold names into index keys.
    connection.create_function(SEARCH_KEYS_FUNCTION, -1, search_keys_sql, deterministic=True)


def _probe(path: Path, key: bytes) -> bool:
    """Return True when `key` decrypts `path`; reads the schema pages and writes nothing.

    A wrong key fails on page 1 with "file is not a database". Any other error means the
    key worked but the file is damaged (for example truncated), so DatabaseOpenError is
    raised rather than asking for a passphrase that cannot help.
    """
    connection = _connect(path, key)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        if "not a database" in str(exc):
            return False
        log.warning("database file failed the open check: %s", exc)
        raise _damaged(path) from None
    finally:
        connection.close()
    return True


def _table_names(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _index_columns(connection: Any) -> list[tuple[str, str, str]]:
    """Return (index, table, first column) for every index that starts with a column."""
    indexes = connection.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"
    ).fetchall()
    found = []
    for index, table in indexes:
        columns = connection.execute(f'PRAGMA index_info("{index}")').fetchall()
        # An index on an expression has no column name to order by; its table is read anyway.
        if columns and columns[0][2] is not None:
            found.append((str(index), str(table), str(columns[0][2])))
    return found


def _read_table_ends(connection: Any, table: str) -> None:
    try:
        # Two statements on purpose: SQLite reads a lone min() or max() of the rowid
        # with one b-tree descent, but scans the whole table for both at once.
        connection.execute(f'SELECT min(rowid) FROM "{table}"').fetchone()
        connection.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()
    except sqlcipher3.OperationalError:
        # A WITHOUT ROWID table has no rowid column; its first row still reads its root.
        connection.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()


def _read_index_ends(connection: Any, index: str, table: str, column: str) -> None:
    for direction in ("ASC", "DESC"):
        connection.execute(
            f'SELECT "{column}" FROM "{table}" INDEXED BY "{index}" '
            f'ORDER BY "{column}" {direction} LIMIT 1'
        ).fetchone()


def _check_readable(path: Path, key: bytes) -> None:
    """Raise DatabaseOpenError when a table's or index's first or last page fails to decrypt.

    SQLCipher checks a page only when it is read, so a damaged file can open cleanly and
    fail later. Reading both ends of every table and index touches each b-tree's root
    page and both outer leaves in a few milliseconds, whatever the file size. Damage to a
    page in the middle of a large table is still found only when that page is read (or
    by a backup's integrity check).
    """
    connection = _connect(path, key)
    try:
        for table in _table_names(connection):
            _read_table_ends(connection, table)
        for index, table, column in _index_columns(connection):
            _read_index_ends(connection, index, table, column)
    except sqlcipher3.DatabaseError as exc:
        log.warning("database file failed the open check: %s", exc)
        raise _damaged(path) from None
    finally:
        connection.close()


def _make_engine(path: Path, key: bytes) -> Engine:
    def creator() -> Any:
        connection = _connect(path, key)
        _configure(connection)
        return connection

    # module= makes SQLAlchemy wrap sqlcipher3's exceptions (IntegrityError and so on)
    # the way it wraps the standard sqlite3 module's. The URL names no file because the
    # creator opens it, and SQLAlchemy would then pick its in-memory pool, which shares one
    # connection per thread. A file database needs a real pool, so each unit of work
    # (a GUI worker, the backup's export) gets a connection of its own.
    engine = create_engine(
        "sqlite://", module=sqlcipher3.dbapi2, creator=creator, poolclass=QueuePool
    )

    # The DB-API driver runs in autocommit mode (isolation_level=None) so SQLAlchemy,
    # not the driver, decides where transactions begin; this is SQLAlchemy's documented
    # recipe for correct SAVEPOINT behaviour on SQLite. IMMEDIATE takes the write lock
    # at the start: a deferred transaction that reads and then writes fails at once with
    # "database is locked" when another write commits in between, whereas IMMEDIATE
    # waits up to busy_timeout for its turn. Units of work must therefore not nest on
    # one thread (the inner one would wait for the outer one's lock).
    # Read-only units of work (Database.reading) begin DEFERRED. In WAL mode a reader
    # does not wait for a writer, so lists and searches run while a write is open.
    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _check_file(path: Path) -> None:
    """Raise DatabaseOpenError for a path ClinicDesk cannot use as its database file."""
    if path.is_dir():
        raise DatabaseOpenError(
            f"{path} is a folder, not a database file. Give the path of the clinicdesk.db "
            "file with --db."
        )
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseOpenError(
            f"ClinicDesk cannot write to the database {path} or to its folder (read-only "
            "file, folder or disk). Give your user account write access to both, or copy "
            "the database and its .key file to a writable folder."
        )
    _check_size(path)


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0 or size % PAGE_SIZE:
        raise DatabaseOpenError(
            f"The database {path} is truncated or damaged ({size:,} bytes, which is not a whole "
            "number of pages). Nothing was changed. Restore the newest backup with "
            "'clinicdesk restore BACKUP --db NEW_PATH' and point ClinicDesk at the new file."
        )


def _damaged(path: Path) -> DatabaseOpenError:
    return DatabaseOpenError(
        f"The database {path} could not be read with the key from its key file, so the "
        "file is damaged, is not a ClinicDesk database, or the key file beside it belongs "
        "to another database. Nothing was changed. Put back the key file that came with "
        "this database, or restore the newest backup with "
        "'clinicdesk restore BACKUP --db NEW_PATH'."
    )


def _resolve_key(
    path: Path, key_file: keys.KeyFile, ask_passphrase: PassphraseProvider | None
) -> OpenedKey:
    """Find the key for `path`: keyring first, then the recovery passphrase."""
    stored = keys.load_from_keyring(key_file.database_id)
    if stored is not None and _probe(path, stored):
        return OpenedKey(stored, "keyring")
    if stored is not None:
        log.warning(
            "keyring key does not open database %s; asking for the passphrase", key_file.database_id
        )

    passphrase = ask_passphrase(path) if ask_passphrase else None
    if not passphrase:
        raise KeyringUnavailableError(
            f"The database key for {path} is not in this computer's keyring, and no recovery "
            "passphrase was given. Enter the passphrase from the printed recovery sheet, or "
            "set CLINICDESK_PASSPHRASE for command-line use."
        )

    key = keys.unwrap_key(key_file, passphrase, key_file_path(path))
    if not _probe(path, key):
        raise _damaged(path)
    _remember_in_keyring(key_file.database_id, key)
    return OpenedKey(key, "passphrase")


def _remember_in_keyring(database_id: uuid.UUID, key: bytes) -> None:
    if not keys.keyring_available():
        return
    try:
        keys.store_in_keyring(database_id, key)
    except KeyringUnavailableError:
        log.warning("could not store the database key in the keyring; the passphrase stays needed")


def _ask_once(ask_passphrase: PassphraseProvider | None) -> PassphraseProvider | None:
    """Wrap `ask_passphrase` so one open requests the passphrase at most once."""
    if ask_passphrase is None:
        return None
    answers: dict[Path, str | None] = {}

    def ask(path: Path) -> str | None:
        if path not in answers:
            answers[path] = ask_passphrase(path)
        return answers[path]

    return ask


def _finish_key_rotation(path: Path, ask_passphrase: PassphraseProvider | None) -> None:
    """Settle a key rotation that stopped between writing `<db>.key.new` and renaming it.

    Rotation writes the new key file first, re-keys, then renames the new file over the
    old one and updates the keyring last. So while `.key.new` exists the keyring still
    has the old key: if that key opens the file the re-key never happened, otherwise
    the new key file (unwrapped with the recovery passphrase) must open it.
    """
    pending = pending_key_file_path(path)
    if not pending.exists():
        return
    current = keys.read_key_file(key_file_path(path))
    try:
        pending_file = keys.read_key_file(pending)
    except KeyFileError:
        # Unusable, so it cannot finish anything; kept under another name, never deleted.
        pending.replace(pending.with_name(pending.name + ".unreadable"))
        log.warning("moved aside an unreadable key file left by an interrupted key rotation")
        return
    stored = keys.load_from_keyring(current.database_id)
    if stored is not None and _probe(path, stored):
        log.warning("discarding the key file of an unfinished key rotation (database not re-keyed)")
        pending.unlink()
        return

    passphrase = ask_passphrase(path) if ask_passphrase else None
    if not passphrase:
        return  # the ordinary key lookup below raises the message that requests it
    new_key = keys.unwrap_key(pending_file, passphrase, pending)
    if _probe(path, new_key):
        log.warning("completing an interrupted key rotation of database %s", current.database_id)
        os.replace(pending, key_file_path(path))
        _remember_in_keyring(current.database_id, new_key)
        return
    if _probe(path, keys.unwrap_key(current, passphrase, key_file_path(path))):
        log.warning("discarding the key file of an unfinished key rotation (database not re-keyed)")
        pending.unlink()


def _remove_new_files(path: Path, key_path: Path) -> None:
    for leftover in (path, key_path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)


class Database:
    """An open, keyed and locked workstation database."""

    def __init__(
        self, path: Path, engine: Engine, lock: DatabaseLock, database_id: uuid.UUID, key: bytes
    ) -> None:
        self.path = path
        self._key = key
        self.engine = engine
        self.database_id = database_id
        self._lock = lock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, path: Path, ask_passphrase: PassphraseProvider | None = None) -> "Database":
        """Open an existing database, raising a UserError that names the file on failure."""
        path = path.resolve()
        if not path.exists():
            raise DatabaseOpenError(
                f"There is no database at {path}. Run 'clinicdesk init' to set up a practice, "
                "or give the right path with --db."
            )
        _check_file(path)

        lock = DatabaseLock(lock_file_path(path), path)
        lock.acquire()
        # Files made by versions before owner-only modes are tightened here.
        make_private(path, key_file_path(path))
        ask = _ask_once(ask_passphrase)
        try:
            _finish_key_rotation(path, ask)
            key_file = keys.read_key_file(key_file_path(path))
            opened = _resolve_key(path, key_file, ask)
            _check_readable(path, opened.key)
            engine = _make_engine(path, opened.key)
            ensure_current(engine, path)
        except BaseException:
            lock.release()
            raise

        log.info("opened database %s (key from %s)", key_file.database_id, opened.source)
        return cls(path, engine, lock, key_file.database_id, opened.key)

    @classmethod
    def create(cls, path: Path, passphrase: str) -> "Database":
        """Create a new encrypted database and its key file, then apply every migration."""
        path = path.resolve()
        key_path = key_file_path(path)
        for existing in (path, key_path):
            if existing.exists():
                raise DatabaseOpenError(
                    f"{existing} already exists, so no new database was created there. "
                    "Open it instead, or choose another path with --db."
                )
        keys.check_passphrase_strength(passphrase)
        path.parent.mkdir(parents=True, exist_ok=True)

        database_id = uuid.uuid4()
        key = keys.generate_key()
        lock = DatabaseLock(lock_file_path(path), path)
        # Owner-only from the first byte: the lock, key, database, -wal and -shm files.
        with private_umask():
            lock.acquire()
        try:
            with private_umask():
                keys.write_key_file(key_path, keys.wrap_key(database_id, key, passphrase))
                engine = _make_engine(path, key)
                upgrade(engine)
            make_private(path, key_path, lock_file_path(path))
            _remember_in_keyring(database_id, key)
        except BaseException:
            # Leave nothing half-made behind: a later create at the same path must work.
            lock.release()
            _remove_new_files(path, key_path)
            raise

        log.info("created database %s", database_id)
        return cls(path, engine, lock, database_id, key)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session whose work is committed on success and rolled back on error.

        A PermissionDeniedError that carries a denial, and a UserError that carries an
        `audit_after_rollback` function, are audited after the rollback, in a transaction
        of their own, so refused and failed attempts are on record even though nothing
        else of the unit of work is kept.
        """
        try:
            with self._sessions() as session, session.begin():
                yield session
        except PermissionDeniedError as denied:
            if denied.denial is not None:
                self._record_denial(denied.denial)
            raise
        except UserError as failed:
            if failed.audit_after_rollback is not None:
                with self._sessions() as session, session.begin():
                    failed.audit_after_rollback(session)
            raise
        except (OperationalError, SQLAlchemyDatabaseError) as error:
            message = storage_error_message(self.path, error)
            if message is None:
                raise
            log.warning("database error in a unit of work: %s", type(error.orig).__name__)
            raise StorageError(message) from error

    def _record_denial(self, denial: object) -> None:
        from app.security.audit import record_denial  # audit imports the models

        with self._sessions() as session, session.begin():
            record_denial(session, denial)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session for work that only reads; its transaction takes no write lock.

        A write inside it may fail with "database is locked" when another unit of work
        writes at the same time, so anything that writes belongs in transaction().
        """
        with self.transaction() as session:
            session.connection(execution_options={READ_ONLY_OPTION: True})
            yield session

    def session(self) -> Session:
        """Return a new session; the caller owns its transaction and must close it."""
        return self._sessions()

    def raw_key(self) -> bytes:
        """Return the key this database was opened with (for backups and re-keying)."""
        return self._key

    def rekey(self, new_key: bytes) -> None:
        """Re-encrypt every page with `new_key`, then reconnect with it.

        The caller must have saved the new key (wrapped in `<db>.key.new`) first. Every
        pooled connection is closed so none keeps using the old key; SQLCipher 4 re-keys
        a WAL database in one transaction, so a crash leaves the old key or the new one.
        """
        self.engine.dispose()
        connection = _connect(self.path, self._key)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute(f"PRAGMA rekey = {keys.key_pragma_value(new_key)}")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()

        self._key = new_key
        self.engine = _make_engine(self.path, new_key)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        log.info("re-keyed database %s", self.database_id)

    def close(self) -> None:
        """Checkpoint the WAL, close every connection and release the lock."""
        # On the driver connection, outside any transaction: SQLAlchemy would wrap the
        # statement in BEGIN IMMEDIATE, and SQLite cannot checkpoint inside a write.
        raw = self.engine.raw_connection()
        driver = raw.driver_connection
        assert driver is not None  # a pooled connection always has its driver connection
        try:
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlcipher3.Error:
            log.warning("WAL checkpoint failed while closing the database", exc_info=True)
        finally:
            raw.close()
        self.engine.dispose()
        self._lock.release()


def storage_error_message(path: Path, error: Exception) -> str | None:
    """Return a user message for a storage failure met after opening, or None for a bug.

    Damaged pages, a full disk, a read-only file and a lock held too long are conditions
    of the machine, not of the code, so they reach the user as a message with the fix.
    """
    if isinstance(error, IntegrityError):
        return None
    text = str(getattr(error, "orig", error)).lower()
    if "malformed" in text or "not a database" in text:
        return str(_damaged(path))
    if "full" in text:
        return (
            f"The disk holding {path} is full, so the change was not saved. Free some space "
            "and try again; nothing was half-written."
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"The database {path} has become read-only, so the change was not saved. Check "
            "the file's permissions and that the disk is still connected."
        )
    if "locked" in text or "busy" in text:
        return (
            f"The database {path} stayed busy with other work for too long, so the change "
            "was not saved. Wait a moment and try again."
        )
    return None
