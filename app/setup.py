"""Create a new practice database in one step, leaving nothing behind on failure."""

import logging
from pathlib import Path

from app.db.database import Database
from app.errors import ValidationError
from app.paths import key_file_path, lock_file_path
from app.problems import has_errors
from app.security.permissions import Actor
from app.services.practice import PracticeSetup, initialize_practice, validate_setup

log = logging.getLogger(__name__)


def remove_database_files(path: Path) -> None:
    """Delete a closed database and the files beside it (key, WAL, shared memory, lock)."""
    path = path.resolve()
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    for leftover in (path, key_file_path(path), *companions, lock_file_path(path)):
        leftover.unlink(missing_ok=True)


def create_practice_database(
    path: Path, setup: PracticeSetup, passphrase: str
) -> tuple[Database, Actor]:
    """Create an encrypted database at `path` and set up the practice in it.

    The input is validated before any file is written (ValidationError lists every
    problem). If set-up fails after the file exists, the new database and its key file
    are removed so a retry at the same path works. Returns the open database and the
    first administrator.
    """
    problems = validate_setup(setup)
    if has_errors(problems):
        raise ValidationError(problems)

    database = Database.create(path, passphrase)
    try:
        with database.transaction() as session:
            result = initialize_practice(session, setup)
    except BaseException:
        log.warning("practice set-up failed; removing the new database %s", database.database_id)
        database.close()
        remove_database_files(database.path)
        raise

    return database, result.admin
