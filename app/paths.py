"""Default locations of the database, key file, backups and log."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "ClinicDesk"
APP_AUTHOR = "ClinicDesk"
DATABASE_FILE_NAME = "clinicdesk.db"
DB_ENV_VAR = "CLINICDESK_DB"


def data_dir() -> Path:
    """Return the per-user data folder (created on demand by callers that write)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    """Return the per-user log folder."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_database_path() -> Path:
    """Return the database path: `CLINICDESK_DB` if set, else the user data folder."""
    override = os.environ.get(DB_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return data_dir() / DATABASE_FILE_NAME


def key_file_path(database: Path) -> Path:
    """Return the key file that sits beside `database`."""
    return database.with_name(database.name + ".key")


def pending_key_file_path(database: Path) -> Path:
    """Return the key file a key rotation writes before it re-keys `database`."""
    return database.with_name(database.name + ".key.new")


def lock_file_path(database: Path) -> Path:
    """Return the lock file that marks `database` as open in a process."""
    return database.with_name(database.name + ".lock")


def backup_dir(database: Path) -> Path:
    """Return the default backup folder for `database`."""
    return database.parent / "backups"
