"""Opening a database from unusual file states, and storage failures after opening."""

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db.database import Database
from app.errors import DatabaseOpenError, KeyFileError, StorageError
from app.paths import key_file_path, lock_file_path, pending_key_file_path
from tests.conftest import PASSPHRASE

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _closed_database(db_path: Path) -> Path:
    Database.create(db_path, PASSPHRASE).close()
    return db_path


def _open(db_path: Path) -> Database:
    return Database.open(db_path, lambda _path: PASSPHRASE)


def test_folder_as_database(tmp_path: Path) -> None:
    folder = tmp_path / "clinicdesk.db"
    folder.mkdir()
    with pytest.raises(DatabaseOpenError, match="is a folder"):
        _open(folder)


def test_lock_path_is_folder(db_path: Path) -> None:
    _closed_database(db_path)
    lock = lock_file_path(db_path)
    lock.unlink()
    lock.mkdir()
    with pytest.raises(DatabaseOpenError, match="lock file"):
        _open(db_path)


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_read_only_file_named(db_path: Path) -> None:
    _closed_database(db_path)
    db_path.chmod(stat.S_IRUSR)
    with pytest.raises(DatabaseOpenError, match="cannot write"):
        _open(db_path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_cost", 0),
        ("time_cost", 100_000),
        ("memory_cost_kib", -5),
        ("memory_cost_kib", 99_999_999),
        ("parallelism", 0),
    ],
)
def test_absurd_kdf_settings_rejected(db_path: Path, field: str, value: int) -> None:
    _closed_database(db_path)
    key_path = key_file_path(db_path)
    document = json.loads(key_path.read_text(encoding="utf-8"))
    document["kdf"][field] = value
    key_path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(KeyFileError, match="damaged"):
        _open(db_path)


@pytest.mark.parametrize("content", [b"[1, 2]", b"null", b"\xff\xfe\x00garbage", b""])
def test_malformed_key_file_rejected(db_path: Path, content: bytes) -> None:
    _closed_database(db_path)
    key_file_path(db_path).write_bytes(content)
    with pytest.raises(KeyFileError, match="damaged"):
        _open(db_path)


def test_short_nonce_rejected(db_path: Path) -> None:
    _closed_database(db_path)
    key_path = key_file_path(db_path)
    document = json.loads(key_path.read_text(encoding="utf-8"))
    document["nonce"] = "AAAA"
    key_path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(KeyFileError, match="nonce"):
        _open(db_path)


def test_unreadable_pending_key_moved_aside(db_path: Path) -> None:
    _closed_database(db_path)
    pending = pending_key_file_path(db_path)
    pending.write_text("not a key file", encoding="utf-8")

    _open(db_path).close()

    assert not pending.exists()
    kept = pending.with_name(pending.name + ".unreadable")
    assert kept.read_text(encoding="utf-8") == "not a key file"


def test_damaged_page_becomes_storage_error(db_path: Path) -> None:
    database = Database.create(db_path, PASSPHRASE)
    with database.transaction() as session:
        session.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, note TEXT)"))
        rows = [{"n": "x" * 200}] * 2000
        session.execute(text("INSERT INTO filler (note) VALUES (:n)"), rows)
    database.close()

    # Damage a page of the filler table, which fills the last hundred pages of the file,
    # past what the open check reads.
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:
        handle.seek((size // 4096 - 40) * 4096 + 300)
        handle.write(os.urandom(64))

    database = _open(db_path)
    try:
        with pytest.raises(StorageError, match="damaged"), database.transaction() as session:
            session.execute(text("SELECT count(*), max(length(note)) FROM filler")).one()
    finally:
        database.close()
