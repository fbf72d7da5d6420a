"""Opening a database: wrong or missing keys, damaged files, locks and the keyring."""

import hashlib
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import keyring
import pytest

from app.db.database import PAGE_SIZE, Database
from app.errors import (
    DatabaseLockedError,
    DatabaseOpenError,
    KeyFileError,
    KeyringUnavailableError,
    WrongPassphraseError,
)
from app.models import Coverage, Patient, Payer
from app.paths import key_file_path, pending_key_file_path
from app.security import keys
from tests.conftest import PASSPHRASE

PATIENT_NAME = "Quillonbright"
MEMBER_ID = "ZXQ8841207719"


def _ask(passphrase: str | None) -> Callable[[Path], str | None]:
    return lambda _path: passphrase


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[Path]:
    candidates = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    return [candidate for candidate in candidates if candidate.exists()]


def _closed_database(db_path: Path) -> Path:
    Database.create(db_path, PASSPHRASE).close()
    return db_path


def _forget_keyring() -> None:
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]


def _assert_unchanged_after(
    db_path: Path, error: type[Exception], ask: Callable[[Path], str | None]
) -> None:
    before = _sha256(db_path)
    with pytest.raises(error) as raised:
        Database.open(db_path, ask)
    assert str(db_path) in str(raised.value)
    assert _sha256(db_path) == before
    assert _sidecars(db_path) == []


def _overwrite(path: Path, offset: int, length: int = 64) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + length] = b"\xa5" * length
    path.write_bytes(bytes(data))


def test_open_wrong_passphrase(db_path: Path) -> None:
    _closed_database(db_path)
    _forget_keyring()

    _assert_unchanged_after(db_path, WrongPassphraseError, _ask("not the right passphrase"))


def test_open_missing_key_file(db_path: Path) -> None:
    _closed_database(db_path)
    key_file_path(db_path).unlink()

    _assert_unchanged_after(db_path, KeyFileError, _ask(PASSPHRASE))


def test_open_truncated_mid_page(db_path: Path) -> None:
    _closed_database(db_path)
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:
        handle.truncate(size - PAGE_SIZE // 2)

    _assert_unchanged_after(db_path, DatabaseOpenError, _ask(PASSPHRASE))


def test_open_truncated_to_half(db_path: Path) -> None:
    _closed_database(db_path)
    pages = db_path.stat().st_size // PAGE_SIZE
    with open(db_path, "r+b") as handle:
        handle.truncate(pages // 2 * PAGE_SIZE)

    _assert_unchanged_after(db_path, DatabaseOpenError, _ask(PASSPHRASE))


def test_open_truncated_with_keyring_key(db_path: Path) -> None:
    _closed_database(db_path)
    pages = db_path.stat().st_size // PAGE_SIZE
    with open(db_path, "r+b") as handle:
        handle.truncate(pages // 2 * PAGE_SIZE)

    _assert_unchanged_after(db_path, DatabaseOpenError, _ask(None))


@pytest.mark.parametrize("page", [1, 2])
def test_open_corrupted_page(db_path: Path, page: int) -> None:
    _closed_database(db_path)
    _overwrite(db_path, (page - 1) * PAGE_SIZE + PAGE_SIZE // 2)

    _assert_unchanged_after(db_path, DatabaseOpenError, _ask(PASSPHRASE))


def test_open_corrupted_last_page(db_path: Path) -> None:
    _closed_database(db_path)
    _overwrite(db_path, db_path.stat().st_size - PAGE_SIZE // 2)

    _assert_unchanged_after(db_path, DatabaseOpenError, _ask(PASSPHRASE))


def test_open_twice_names_pid(database: Database) -> None:
    import os

    with pytest.raises(DatabaseLockedError) as raised:
        Database.open(database.path)

    assert f"process {os.getpid()}" in str(raised.value)


def test_file_holds_no_plaintext_phi(database: Database) -> None:
    with database.transaction() as session:
        payer = Payer(name="Acme Health", payer_code="ACME1", claim_filing_indicator="CI")
        session.add(payer)
        patient = Patient(
            chart_number="T-000001",
            first_name="Ada",
            last_name=PATIENT_NAME,
            date_of_birth=date(1980, 2, 3),
            sex="F",
        )
        session.add(patient)
        session.flush()
        session.add(
            Coverage(patient_id=patient.id, payer_id=payer.id, priority=1, member_id=MEMBER_ID)
        )
    database.close()

    raw = database.path.read_bytes()
    assert PATIENT_NAME.encode() not in raw
    assert MEMBER_ID.encode() not in raw
    assert PATIENT_NAME.encode("utf-16-le") not in raw


def test_open_without_keyring_asks(db_path: Path, no_keyring: None) -> None:
    _closed_database(db_path)
    asked: list[Path] = []

    def ask(path: Path) -> str:
        asked.append(path)
        return PASSPHRASE

    opened = Database.open(db_path, ask)
    opened.close()

    assert asked == [db_path.resolve()]


def test_open_without_keyring_or_passphrase(db_path: Path, no_keyring: None) -> None:
    _closed_database(db_path)

    _assert_unchanged_after(db_path, KeyringUnavailableError, _ask(None))


def test_open_stale_keyring_key(db_path: Path) -> None:
    _closed_database(db_path)
    database_id = keys.read_key_file(key_file_path(db_path)).database_id
    keys.store_in_keyring(database_id, keys.generate_key())

    opened = Database.open(db_path, _ask(PASSPHRASE))
    key = opened.raw_key()
    opened.close()

    assert keys.load_from_keyring(database_id) == key


def test_open_stale_keyring_without_passphrase(db_path: Path) -> None:
    _closed_database(db_path)
    database_id = keys.read_key_file(key_file_path(db_path)).database_id
    keys.store_in_keyring(database_id, keys.generate_key())

    _assert_unchanged_after(db_path, KeyringUnavailableError, _ask(None))


def _write_pending_key(db_path: Path, key: bytes) -> None:
    database_id = keys.read_key_file(key_file_path(db_path)).database_id
    keys.write_key_file(pending_key_file_path(db_path), keys.wrap_key(database_id, key, PASSPHRASE))


def test_open_discards_unused_new_key(db_path: Path) -> None:
    _closed_database(db_path)
    old_key_file = key_file_path(db_path).read_text()
    _write_pending_key(db_path, keys.generate_key())

    Database.open(db_path).close()

    assert not pending_key_file_path(db_path).exists()
    assert key_file_path(db_path).read_text() == old_key_file


def test_open_finishes_interrupted_rotation(db_path: Path) -> None:
    database = Database.create(db_path, PASSPHRASE)
    new_key = keys.generate_key()
    _write_pending_key(db_path, new_key)
    database.rekey(new_key)
    database.close()

    reopened = Database.open(db_path, _ask(PASSPHRASE))
    reopened.close()

    assert reopened.raw_key() == new_key
    assert not pending_key_file_path(db_path).exists()
    assert keys.load_from_keyring(reopened.database_id) == new_key


def test_rekey_keeps_rows_and_drops_old_key(database: Database) -> None:
    with database.transaction() as session:
        session.add(Payer(name="Acme Health", payer_code="ACME1", claim_filing_indicator="CI"))
    old_key = database.raw_key()
    new_key = keys.generate_key()

    database.rekey(new_key)
    with database.transaction() as session:
        names = [payer.name for payer in session.query(Payer)]
    database.close()

    assert names == ["Acme Health"]
    keys.store_in_keyring(database.database_id, old_key)
    with pytest.raises(KeyringUnavailableError):
        Database.open(database.path)


def test_open_unknown_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / f"{uuid.uuid4()}.db"

    with pytest.raises(DatabaseOpenError) as raised:
        Database.open(missing)

    assert str(missing) in str(raised.value)
