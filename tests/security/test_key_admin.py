"""Key rotation and keyring recovery."""

from pathlib import Path

import keyring
import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import (
    KeyringUnavailableError,
    PermissionDeniedError,
    UserError,
    WrongPassphraseError,
)
from app.models import AuditEvent, Payer
from app.paths import key_file_path, pending_key_file_path
from app.security import keys
from app.security.key_admin import change_passphrase, recover_keyring, rotate_key
from app.security.permissions import Actor, Role, system_actor
from tests.conftest import PASSPHRASE

ADMIN = system_actor("T01")


def _add_payer(database: Database) -> None:
    with database.transaction() as session:
        session.add(Payer(name="Acme Health", payer_code="ACME1", claim_filing_indicator="CI"))


def _forget_keyring() -> None:
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]


def test_rotate_changes_key(database: Database) -> None:
    old_key = database.raw_key()

    changes = rotate_key(database, ADMIN, PASSPHRASE)

    new_key = database.raw_key()
    key_path = key_file_path(database.path)
    assert new_key != old_key
    assert keys.unwrap_key(keys.read_key_file(key_path), PASSPHRASE, key_path) == new_key
    assert keys.load_from_keyring(database.database_id) == new_key
    assert not pending_key_file_path(database.path).exists()
    assert changes.kinds


def test_rotate_keeps_data(database: Database) -> None:
    _add_payer(database)

    rotate_key(database, ADMIN, PASSPHRASE)
    with database.transaction() as session:
        names_now = session.scalars(select(Payer.name)).all()
    database.close()
    reopened = Database.open(database.path)
    with reopened.transaction() as session:
        names_reopened = session.scalars(select(Payer.name)).all()
    reopened.close()

    assert names_now == ["Acme Health"]
    assert names_reopened == ["Acme Health"]


def test_rotate_old_key_stops_working(database: Database) -> None:
    old_key = database.raw_key()
    rotate_key(database, ADMIN, PASSPHRASE)
    database.close()
    keys.store_in_keyring(database.database_id, old_key)

    with pytest.raises(KeyringUnavailableError):
        Database.open(database.path)


def test_rotate_is_audited(database: Database) -> None:
    rotate_key(database, ADMIN, PASSPHRASE)

    with database.transaction() as session:
        actions = session.scalars(select(AuditEvent.action)).all()

    assert "key_rotate" in actions


def test_rotate_needs_administrator(database: Database) -> None:
    manager = Actor(user_id=None, username="m", role=Role.MANAGER, workstation="T01")
    old_key = database.raw_key()

    with pytest.raises(PermissionDeniedError):
        rotate_key(database, manager, PASSPHRASE)

    assert database.raw_key() == old_key


def test_rotate_wrong_passphrase(database: Database) -> None:
    old_key_file = key_file_path(database.path).read_text()

    with pytest.raises(WrongPassphraseError):
        rotate_key(database, ADMIN, "not the recovery passphrase")

    assert key_file_path(database.path).read_text() == old_key_file
    assert not pending_key_file_path(database.path).exists()


def test_rotate_without_keyring(db_path: Path, no_keyring: None) -> None:
    database = Database.create(db_path, PASSPHRASE)
    rotate_key(database, ADMIN, PASSPHRASE)
    database.close()

    reopened = Database.open(db_path, lambda _path: PASSPHRASE)
    reopened.close()

    assert reopened.raw_key() == database.raw_key()


def test_recover_keyring_stores_key(database: Database) -> None:
    database.close()
    _forget_keyring()

    recover_keyring(database.path, PASSPHRASE)
    reopened = Database.open(database.path)
    reopened.close()

    assert keys.load_from_keyring(database.database_id) == database.raw_key()


def test_recover_keyring_wrong_passphrase(database: Database) -> None:
    database.close()
    _forget_keyring()

    with pytest.raises(WrongPassphraseError):
        recover_keyring(database.path, "not the recovery passphrase")

    assert keys.load_from_keyring(database.database_id) is None


def test_recover_without_keyring(db_path: Path, no_keyring: None) -> None:
    Database.create(db_path, PASSPHRASE).close()

    with pytest.raises(KeyringUnavailableError) as raised:
        recover_keyring(db_path, PASSPHRASE)

    assert "at each start" in str(raised.value)


NEW_PASSPHRASE = "lantern orchard pebble violin"


def test_passphrase_change_rewraps_key(database: Database) -> None:
    key_path = key_file_path(database.path)

    change_passphrase(database, ADMIN, PASSPHRASE, NEW_PASSPHRASE)
    stored = keys.read_key_file(key_path)

    assert keys.unwrap_key(stored, NEW_PASSPHRASE, key_path) == database.raw_key()
    with pytest.raises(WrongPassphraseError):
        keys.unwrap_key(stored, PASSPHRASE, key_path)


def test_passphrase_change_reopens(database: Database) -> None:
    change_passphrase(database, ADMIN, PASSPHRASE, NEW_PASSPHRASE)
    database.close()
    _forget_keyring()

    reopened = Database.open(database.path, lambda _path: NEW_PASSPHRASE)
    reopened.close()

    assert reopened.database_id == database.database_id


def test_passphrase_change_audited(database: Database) -> None:
    change_passphrase(database, ADMIN, PASSPHRASE, NEW_PASSPHRASE)

    with database.transaction() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.sequence.desc())).first()
    assert event is not None
    assert event.action == "update"
    assert event.object_type == "database"
    assert event.detail == "recovery passphrase changed"


def test_passphrase_change_wrong_old(database: Database) -> None:
    before = key_file_path(database.path).read_text()

    with pytest.raises(WrongPassphraseError):
        change_passphrase(database, ADMIN, "not the passphrase at all", NEW_PASSPHRASE)

    assert key_file_path(database.path).read_text() == before


@pytest.mark.parametrize("new", ["short", PASSPHRASE])
def test_passphrase_change_rejects_new(database: Database, new: str) -> None:
    before = key_file_path(database.path).read_text()

    with pytest.raises(UserError):
        change_passphrase(database, ADMIN, PASSPHRASE, new)

    assert key_file_path(database.path).read_text() == before


def test_passphrase_change_needs_admin(database: Database) -> None:
    manager = Actor(user_id=None, username="m", role=Role.MANAGER, workstation="T01")

    with pytest.raises(PermissionDeniedError):
        change_passphrase(database, manager, PASSPHRASE, NEW_PASSPHRASE)
