"""The database key: a random 256-bit raw key, kept twice.

1. In the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service),
   under the database's id, so daily starts need no passphrase.
2. In a key file beside the database, wrapped with the administrator's recovery
   passphrase: Argon2id derives a key-encryption key, AES-256-GCM seals the database key
   with the database id as associated data. A lost keyring or a moved database is
   recovered from this file.
"""

import base64
import json
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import KeyFileError, KeyringUnavailableError, WrongPassphraseError

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_FILE_FORMAT = 1
KEYRING_SERVICE = "ClinicDesk database key"
MIN_PASSPHRASE_LENGTH = 12


@dataclass(frozen=True, slots=True)
class KdfParameters:
    """Argon2id cost settings, stored in the key file so they can change later."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4


# Tests lower this through set_default_kdf() so thousands of wraps stay fast.
_default_kdf = KdfParameters()


def set_default_kdf(parameters: KdfParameters) -> None:
    """Change the Argon2id cost used for new key files."""
    global _default_kdf  # noqa: PLW0603 (a process-wide setting by design)
    _default_kdf = parameters


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The parsed content of a key file."""

    database_id: uuid.UUID
    kdf: KdfParameters
    salt: bytes
    nonce: bytes
    wrapped_key: bytes


def generate_key() -> bytes:
    """Return a new random 256-bit database key."""
    return secrets.token_bytes(KEY_BYTES)


def key_pragma_value(key: bytes) -> str:
    """Return the PRAGMA key argument for a raw key, which skips SQLCipher's own KDF."""
    return f"\"x'{key.hex()}'\""


def check_passphrase_strength(passphrase: str) -> None:
    """Raise WrongPassphraseError when a new recovery passphrase is too short."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_LENGTH:
        raise WrongPassphraseError(
            f"The recovery passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters. "
            "Choose a longer one, such as four unrelated words."
        )


def _derive(passphrase: str, salt: bytes, kdf: KdfParameters) -> bytes:
    return hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost_kib,
        parallelism=kdf.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def wrap_key(database_id: uuid.UUID, key: bytes, passphrase: str) -> KeyFile:
    """Seal `key` with a key derived from `passphrase`."""
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    kdf = _default_kdf
    sealed = AESGCM(_derive(passphrase, salt, kdf)).encrypt(nonce, key, database_id.bytes)
    return KeyFile(database_id, kdf, salt, nonce, sealed)


def unwrap_key(key_file: KeyFile, passphrase: str, path: Path) -> bytes:
    """Return the database key, or raise WrongPassphraseError naming the key file."""
    kek = _derive(passphrase, key_file.salt, key_file.kdf)
    try:
        return AESGCM(kek).decrypt(key_file.nonce, key_file.wrapped_key, key_file.database_id.bytes)
    except InvalidTag:
        raise WrongPassphraseError(
            f"The recovery passphrase does not open the key file {path}. Check the "
            "passphrase on the printed recovery sheet (it is case-sensitive) and try again."
        ) from None


def _encode(key_file: KeyFile) -> str:
    document = {
        "format": KEY_FILE_FORMAT,
        "database_id": str(key_file.database_id),
        "kdf": {
            "name": "argon2id",
            "time_cost": key_file.kdf.time_cost,
            "memory_cost_kib": key_file.kdf.memory_cost_kib,
            "parallelism": key_file.kdf.parallelism,
        },
        "cipher": "aes-256-gcm",
        "salt": base64.b64encode(key_file.salt).decode("ascii"),
        "nonce": base64.b64encode(key_file.nonce).decode("ascii"),
        "wrapped_key": base64.b64encode(key_file.wrapped_key).decode("ascii"),
    }
    return json.dumps(document, indent=2) + "\n"


# Argon2id settings a key file may ask for. Outside these, a damaged or hostile file
# could make opening hang for minutes or exhaust memory before the passphrase is checked.
KDF_LIMITS = {
    "time_cost": (1, 20),
    "memory_cost_kib": (1024, 4 * 1024 * 1024),
    "parallelism": (1, 16),
}
FIELD_BYTES = {"salt": 16, "nonce": 12, "wrapped_key": KEY_BYTES + 16}


def _kdf_from(document: dict[str, Any]) -> KdfParameters:
    kdf = document["kdf"]
    values = {name: int(kdf[name]) for name in KDF_LIMITS}
    for name, (low, high) in KDF_LIMITS.items():
        if not low <= values[name] <= high:
            raise ValueError(f"kdf {name} {values[name]} is outside {low}..{high}")
    return KdfParameters(**values)


def _field(document: dict[str, Any], name: str) -> bytes:
    value = base64.b64decode(document[name], validate=True)
    if len(value) != FIELD_BYTES[name]:
        raise ValueError(f"{name} has {len(value)} bytes instead of {FIELD_BYTES[name]}")
    return value


def _decode(document: Any) -> KeyFile:
    if not isinstance(document, dict):
        raise TypeError("the file does not hold a key file object")
    if document.get("format") != KEY_FILE_FORMAT:
        raise ValueError(f"unknown key file format {document.get('format')!r}")
    return KeyFile(
        database_id=uuid.UUID(document["database_id"]),
        kdf=_kdf_from(document),
        salt=_field(document, "salt"),
        nonce=_field(document, "nonce"),
        wrapped_key=_field(document, "wrapped_key"),
    )


def write_key_file(path: Path, key_file: KeyFile) -> None:
    """Write `key_file` to `path` atomically: a crash leaves the old file or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(_encode(key_file))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_key_file(path: Path) -> KeyFile:
    """Parse the key file at `path`, or raise KeyFileError naming it and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFileError(
            f"The key file {path} is damaged (it is not text). Copy it back from the newest "
            "backup folder; the database itself is untouched."
        ) from exc
    except FileNotFoundError:
        raise KeyFileError(
            f"The key file {path} is missing. It must sit beside the database. Copy it back "
            "from the newest backup folder (each backup has a matching .key file) and start again."
        ) from None
    except OSError as exc:
        raise KeyFileError(f"Could not read the key file {path}: {exc.strerror}.") from exc

    try:
        return _decode(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(
            f"The key file {path} is damaged ({exc}). Copy it back from the newest backup "
            "folder; the database itself is untouched."
        ) from exc


# Keyring access. Any backend failure means "no keyring": the caller falls back to the
# recovery passphrase, so a broken desktop keyring never stops the clinic from working.


def keyring_available() -> bool:
    """Return True when an OS keyring backend exists (not the fail or null backend)."""
    backend = keyring.get_keyring()
    priority = getattr(backend, "priority", 0)
    return bool(priority and priority > 0)


def load_from_keyring(database_id: uuid.UUID) -> bytes | None:
    """Return the key stored for `database_id`, or None when absent or unavailable."""
    if not keyring_available():
        return None
    try:
        stored = keyring.get_password(KEYRING_SERVICE, str(database_id))
    except (keyring.errors.KeyringError, OSError) as exc:
        log.warning("keyring read failed, falling back to the passphrase: %s", type(exc).__name__)
        return None
    if stored is None:
        return None
    try:
        key = bytes.fromhex(stored)
    except ValueError:
        log.warning("keyring entry for database %s is not hex; ignoring it", database_id)
        return None
    return key if len(key) == KEY_BYTES else None


def store_in_keyring(database_id: uuid.UUID, key: bytes) -> None:
    """Save the key for `database_id`, or raise KeyringUnavailableError."""
    try:
        keyring.set_password(KEYRING_SERVICE, str(database_id), key.hex())
    except (keyring.errors.KeyringError, OSError) as exc:
        raise KeyringUnavailableError(
            "Could not save the database key in the system keyring "
            f"({type(exc).__name__}). ClinicDesk will ask for the recovery passphrase at "
            "each start instead."
        ) from exc
