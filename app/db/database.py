"""Opening, creating and closing the encrypted workstation database.

`Database` owns the SQLAlchemy engine, the process lock and the session factory. Callers
run each unit of work inside `database.transaction()`, which commits on success and rolls
back on error; services themselves never commit.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.db.lock import DatabaseLock
from app.errors import DatabaseOpenError, KeyringUnavailableError
from app.paths import key_file_path, lock_file_path
from app.security import keys

log = logging.getLogger(__name__)

PAGE_SIZE = 4096  # SQLCipher 4 default; the file size of a sound database is a multiple of it
BUSY_TIMEOUT_MS = 5000

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
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    return connection


def _configure(connection: Any) -> None:
    # WAL lets the GUI read while a worker thread writes; the mode persists in the file,
    # so after the first connection this is a no-op.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL keeps the last committed transaction through a power cut, which matters
    # more at a front desk than the small cost per commit.
    connection.execute("PRAGMA synchronous = FULL")


def _probe(path: Path, key: bytes) -> bool:
    """Return True when `key` decrypts `path`; reads page 1 only and writes nothing."""
    connection = _connect(path, key)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        return False
    finally:
        connection.close()
    return True


def _make_engine(path: Path, key: bytes) -> Engine:
    def creator() -> Any:
        connection = _connect(path, key)
        _configure(connection)
        return connection

    # module= makes SQLAlchemy wrap sqlcipher3's exceptions (IntegrityError and so on)
    # the way it wraps the standard sqlite3 module's.
    engine = create_engine("sqlite://", module=sqlcipher3.dbapi2, creator=creator)

    # The DB-API driver runs in autocommit mode (isolation_level=None) so SQLAlchemy,
    # not the driver, decides where transactions begin; this is SQLAlchemy's documented
    # recipe for correct SAVEPOINT behaviour on SQLite.
    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


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
        f"The database {path} could not be read with its own key, so the file is damaged or "
        "is not a ClinicDesk database. Nothing was changed. Restore the newest backup with "
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
        key_file = keys.read_key_file(key_file_path(path))
        _check_size(path)

        lock = DatabaseLock(lock_file_path(path), path)
        lock.acquire()
        try:
            opened = _resolve_key(path, key_file, ask_passphrase)
            engine = _make_engine(path, opened.key)
        except BaseException:
            lock.release()
            raise

        log.info("opened database %s (key from %s)", key_file.database_id, opened.source)
        return cls(path, engine, lock, key_file.database_id, opened.key)

    @classmethod
    def create(cls, path: Path, passphrase: str) -> "Database":
        """Create a new encrypted database and its key file, then apply every migration."""
        from app.db.migrate import upgrade  # migrations import models; keep start-up light

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
        lock.acquire()
        try:
            keys.write_key_file(key_path, keys.wrap_key(database_id, key, passphrase))
            engine = _make_engine(path, key)
            upgrade(engine)
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
        """Yield a session whose work is committed on success and rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def session(self) -> Session:
        """Return a new session; the caller owns its transaction and must close it."""
        return self._sessions()

    def raw_key(self) -> bytes:
        """Return the key this database was opened with (for backups and re-keying)."""
        return self._key

    def close(self) -> None:
        """Checkpoint the WAL, close every connection and release the lock."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception:
            log.warning("WAL checkpoint failed while closing the database", exc_info=True)
        self.engine.dispose()
        self._lock.release()


def database_error_message(path: Path, error: Exception) -> str:
    """Return a user message for a SQLite error met after the database opened."""
    text_ = str(error)
    if "malformed" in text_ or "not a database" in text_:
        return str(_damaged(path))
    if "full" in text_:
        return (
            f"The disk holding {path} is full, so the change was not saved. Free some space "
            "and try again; nothing was half-written."
        )
    if "locked" in text_ or "busy" in text_:
        return f"The database {path} is busy. Wait a moment and try again."
    return f"The database {path} reported an error: {text_}."
