"""Exception tree shared by the services, the CLI and the GUI.

`UserError` and its subclasses are expected conditions: their message is written for
the person at the keyboard and states what is wrong and how to fix it. Any other exception
is a bug, logged with its traceback and shown in a report dialog.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.problems import Problem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ClinicDeskError(Exception):
    """Root of every exception ClinicDesk raises on purpose."""


class UserError(ClinicDeskError):
    """An expected failure whose message is shown to the user as it is.

    A service may set `audit_after_rollback` to a function that records the failed
    attempt: `Database.transaction` calls it with a fresh session after rolling the unit
    of work back, so the attempt stays on record although nothing else is kept.
    """

    audit_after_rollback: "Callable[[Session], object] | None" = None


class DatabaseLockedError(UserError):
    """The database file is open in another ClinicDesk process."""


class KeyFileError(UserError):
    """The key file beside the database is missing, unreadable or damaged."""


class WrongPassphraseError(UserError):
    """The recovery passphrase does not unwrap the database key."""


class DatabaseOpenError(UserError):
    """The database file cannot be opened with its key (damaged, truncated or foreign)."""


class KeyringUnavailableError(UserError):
    """No operating-system keyring can store or return the database key."""


class StorageError(UserError):
    """The open database failed under a unit of work: damaged, full, read-only or busy."""


class PermissionDeniedError(UserError):
    """The signed-in user's role does not allow the requested action.

    `denial` describes the attempt (an `app.security.permissions.Denial`). The unit of
    work that catches this error rolls back its changes and then records the denial in the
    audit log in a transaction of its own, so the record survives the rollback.
    """

    def __init__(self, message: str, denial: object | None = None) -> None:
        super().__init__(message)
        self.denial = denial


class AuthenticationError(UserError):
    """A sign-in, password change or second-factor check failed."""


class ValidationError(UserError):
    """Input failed validation; `problems` lists each field and its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [f"{problem.field}: {problem.message}" for problem in problems]
        super().__init__("Please correct the following:\n" + "\n".join(lines))


class NotFoundError(UserError):
    """A record named by the caller does not exist or is archived."""


class BackupError(UserError):
    """A backup or restore failed; nothing was replaced."""


class FileWriteError(UserError):
    """An export, report or printed form could not be written to the chosen path."""
