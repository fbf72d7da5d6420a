"""Administrator key tasks: rotating the key, changing its passphrase, refilling the keyring."""

import logging
import os
from pathlib import Path

from app.changes import ChangeKind, Changes
from app.db.database import Database
from app.db.file_modes import make_private, private_umask
from app.errors import (
    DatabaseOpenError,
    KeyringUnavailableError,
    PermissionDeniedError,
    UserError,
)
from app.paths import key_file_path, pending_key_file_path
from app.security import keys
from app.security.audit import AuditAction, record
from app.security.permissions import Actor, Role

log = logging.getLogger(__name__)


def _require_administrator(actor: Actor) -> None:
    if actor.role is not Role.ADMINISTRATOR:
        raise PermissionDeniedError(
            f"Only an administrator may change the database key; your role is "
            f"{actor.role.label}. Ask an administrator to do it."
        )


def rotate_key(database: Database, actor: Actor, passphrase: str) -> Changes:
    """Re-encrypt the database with a new random key, wrapped with `passphrase`.

    `passphrase` must open the current key file, which proves the administrator holds
    the recovery passphrase. The steps run in an order that a crash at any point leaves
    recoverable: the new key file is written as `<db>.key.new`, the database is re-keyed,
    the new key file replaces the old one, and the keyring is updated last.
    `Database.open` finishes or discards a rotation that stopped in between.
    """
    _require_administrator(actor)
    _check_key_file(database, passphrase)

    new_key = keys.generate_key()
    pending = pending_key_file_path(database.path)
    _write_private_key_file(pending, keys.wrap_key(database.database_id, new_key, passphrase))
    database.rekey(new_key)
    os.replace(pending, key_file_path(database.path))
    _store_if_possible(database, new_key)

    with database.transaction() as session:
        record(session, actor, AuditAction.KEY_ROTATE, "database", database.database_id)
    log.info("rotated the key of database %s", database.database_id)
    return Changes.of(ChangeKind.AUDIT)


def _check_key_file(database: Database, passphrase: str) -> None:
    """Raise unless `passphrase` unwraps the key file into the open database's key."""
    key_path = key_file_path(database.path)
    current = keys.read_key_file(key_path)
    if keys.unwrap_key(current, passphrase, key_path) != database.raw_key():
        raise DatabaseOpenError(
            f"The key file {key_path} does not match the open database, so nothing was "
            "changed. Copy the right key file back from the newest backup and try again."
        )


def _write_private_key_file(path: Path, key_file: keys.KeyFile) -> None:
    with private_umask():
        keys.write_key_file(path, key_file)
    make_private(path)


def change_passphrase(database: Database, actor: Actor, old: str, new: str) -> Changes:
    """Wrap the database's current key with the recovery passphrase `new`.

    `old` must open the current key file. The key itself, and so the keyring entry,
    stays the same. The key file is replaced atomically, so a crash leaves the old
    passphrase or the new one working. Key files of earlier backups keep the old
    passphrase. Raises PermissionDeniedError for a non-administrator,
    WrongPassphraseError for a wrong `old` or a too short `new`, and UserError when
    `new` equals `old`.
    """
    _require_administrator(actor)
    _check_key_file(database, old)
    keys.check_passphrase_strength(new)
    if new == old:
        raise UserError(
            "The new recovery passphrase is the same as the current one, so nothing was "
            "changed. Choose a different passphrase."
        )

    wrapped = keys.wrap_key(database.database_id, database.raw_key(), new)
    _write_private_key_file(key_file_path(database.path), wrapped)

    with database.transaction() as session:
        record(
            session,
            actor,
            AuditAction.UPDATE,
            "database",
            database.database_id,
            detail="recovery passphrase changed",
        )
    log.info("changed the recovery passphrase of database %s", database.database_id)
    return Changes.of(ChangeKind.AUDIT)


def _store_if_possible(database: Database, key: bytes) -> None:
    if not keys.keyring_available():
        return
    try:
        keys.store_in_keyring(database.database_id, key)
    except KeyringUnavailableError:
        # The new key file is already in place, so the passphrase still opens the database.
        log.warning("could not store the rotated key of database %s", database.database_id)


def recover_keyring(path: Path, passphrase: str) -> None:
    """Unwrap the key in the key file beside the database at `path` into the OS keyring.

    Raises KeyringUnavailableError when this computer has no keyring, and
    WrongPassphraseError or KeyFileError when the key file cannot be opened.
    """
    path = path.expanduser().resolve()
    key_path = key_file_path(path)
    key_file = keys.read_key_file(key_path)
    key = keys.unwrap_key(key_file, passphrase, key_path)
    if not keys.keyring_available():
        raise KeyringUnavailableError(
            "This computer has no system keyring to store the database key in, so ClinicDesk "
            "will ask for the recovery passphrase at each start (or read "
            "CLINICDESK_PASSPHRASE on the command line)."
        )
    keys.store_in_keyring(key_file.database_id, key)
    log.info("stored the key of database %s in the keyring", key_file.database_id)
