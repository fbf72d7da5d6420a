"""Owner-only file modes for the database, its key, lock, journal files and backups."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db.database import Database
from app.paths import key_file_path, lock_file_path
from app.security.key_admin import change_passphrase, rotate_key
from app.security.permissions import system_actor
from app.services.backup import backup_database
from app.services.restore import restore_backup
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes only")

ACTOR = system_actor("T01")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    # A permissive umask, as on many desktops, so only the code under test can narrow it.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_create_files_owner_only(database: Database) -> None:
    with database.transaction() as session:
        session.execute(text("SELECT 1"))
    path = database.path

    assert _mode(path) == 0o600
    assert _mode(key_file_path(path)) == 0o600
    assert _mode(lock_file_path(path)) == 0o600


def test_journal_files_owner_only(database: Database) -> None:
    with database.session() as session:
        session.execute(text("CREATE TABLE scratch (value INTEGER)"))
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.commit()
        wal = database.path.with_name(database.path.name + "-wal")
        shm = database.path.with_name(database.path.name + "-shm")

        assert _mode(wal) == 0o600
        assert _mode(shm) == 0o600


def test_create_restores_umask(database: Database) -> None:
    current = os.umask(0o022)

    assert current == 0o022


def test_backup_files_owner_only(database: Database, tmp_path: Path) -> None:
    result = backup_database(database, ACTOR, folder=tmp_path / "backups")

    assert _mode(result.path) == 0o600
    assert _mode(result.key_path) == 0o600


def test_restore_files_owner_only(database: Database, tmp_path: Path) -> None:
    result = backup_database(database, ACTOR, folder=tmp_path / "backups")
    target = tmp_path / "restored" / "clinicdesk.db"

    restored = restore_backup(result.path, target, lambda _path: PASSPHRASE)

    assert _mode(restored.path) == 0o600
    assert _mode(restored.key_path) == 0o600
    assert _mode(lock_file_path(restored.path)) == 0o600


def test_rotated_key_file_owner_only(database: Database) -> None:
    rotate_key(database, ACTOR, PASSPHRASE)

    assert _mode(key_file_path(database.path)) == 0o600


def test_passphrase_key_file_owner_only(database: Database) -> None:
    change_passphrase(database, ACTOR, PASSPHRASE, "a different recovery passphrase")

    assert _mode(key_file_path(database.path)) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_open_tightens_old_modes(db_path: Path) -> None:
    Database.create(db_path, PASSPHRASE).close()
    for path in (db_path, key_file_path(db_path), lock_file_path(db_path)):
        path.chmod(0o644)

    Database.open(db_path, lambda _path: PASSPHRASE).close()

    for path in (db_path, key_file_path(db_path), lock_file_path(db_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
