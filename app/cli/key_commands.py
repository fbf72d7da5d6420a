"""The `key` commands: rotate the database key, change its passphrase, recover the keyring."""

import argparse

from app.cli.common import (
    NEW_PASSPHRASE_VAR,
    PASSPHRASE_VAR,
    Outcome,
    _database_path,
    _opened,
    _secret,
    _sign_in,
)
from app.paths import key_file_path


def cmd_key_rotate(args: argparse.Namespace) -> Outcome:
    """Re-encrypt the database with a new key."""
    from app.security.key_admin import rotate_key

    with _opened(args) as database:
        actor = _sign_in(database, args)
        passphrase = _secret(PASSPHRASE_VAR, "Recovery passphrase: ")
        rotate_key(database, actor, passphrase)
        path = database.path
    data = {"database": str(path), "key_file": str(key_file_path(path)), "rotated": True}
    text = [
        f"The database key of {path} was replaced. The recovery passphrase is unchanged.",
        "Backups made before now still open with their own .key files and the passphrase.",
    ]
    return Outcome(data, text)


def cmd_key_passphrase(args: argparse.Namespace) -> Outcome:
    """Change the recovery passphrase that wraps the database key."""
    from app.security.key_admin import change_passphrase

    with _opened(args) as database:
        actor = _sign_in(database, args)
        old = _secret(PASSPHRASE_VAR, "Current recovery passphrase: ")
        new = _secret(NEW_PASSPHRASE_VAR, "New recovery passphrase: ", confirm=True)
        change_passphrase(database, actor, old, new)
        path = database.path
    data = {"database": str(path), "key_file": str(key_file_path(path)), "changed": True}
    text = [
        f"The recovery passphrase of {path} was changed.",
        "Write the new passphrase on the recovery sheet. Backups made before now still "
        "open only with the old passphrase, so keep it until those backups are gone.",
    ]
    return Outcome(data, text)


def cmd_key_recover(args: argparse.Namespace) -> Outcome:
    """Put the database key back into this computer's keyring."""
    from app.security.key_admin import recover_keyring

    path = _database_path(args)
    recover_keyring(path, _secret(PASSPHRASE_VAR, "Recovery passphrase: "))
    text = [f"The key of {path} is in this computer's keyring again."]
    data = {"database": str(path), "key_file": str(key_file_path(path)), "recovered": True}
    return Outcome(data, text)
