"""Shared pieces of the command line: results, secrets, sign-in, field labels, error output."""

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.db.database import Database
from app.errors import AuthenticationError, UserError, ValidationError
from app.paths import default_database_path
from app.security.permissions import Actor
from app.validators import shorten_for_message

# Names of environment variables, not secrets.
PASSWORD_VAR = "CLINICDESK_PASSWORD"  # noqa: S105
PASSPHRASE_VAR = "CLINICDESK_PASSPHRASE"  # noqa: S105
NEW_PASSWORD_VAR = "CLINICDESK_NEW_PASSWORD"  # noqa: S105
NEW_PASSPHRASE_VAR = "CLINICDESK_NEW_PASSPHRASE"  # noqa: S105
TOTP_VAR = "CLINICDESK_TOTP"

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 3


@dataclass
class Outcome:
    """A command's result: a JSON object, the same facts as text lines, and an exit code."""

    data: dict[str, Any]
    text: list[str] = field(default_factory=list)
    code: int = EXIT_OK


Handler = Callable[[argparse.Namespace], Outcome]


# Input: secrets and prompts.


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _secret(variable: str, prompt: str, confirm: bool = False) -> str:
    """Return the value of `variable`, or ask for it on the terminal."""
    value = os.environ.get(variable)
    if value:
        return value
    if not _interactive():
        raise UserError(
            f"{prompt.rstrip(': ')} is needed and no terminal is attached to ask for it. "
            f"Set the environment variable {variable} and run the command again."
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Type it again: ") != first:
        raise UserError("The two entries differ. Run the command again and type the same value.")
    return first


def _ask_passphrase(path: Path) -> str | None:
    return _secret(PASSPHRASE_VAR, f"Recovery passphrase for {path}: ")


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not _interactive():
        raise UserError(f"{question} Add --yes to confirm without a prompt.")
    return input(f"{question} Type yes to continue: ").strip().lower() == "yes"


# Opening the database and signing in.


def _database_path(args: argparse.Namespace) -> Path:
    chosen = Path(args.db).expanduser() if args.db else default_database_path()
    return chosen.resolve()


def source_path(text: str, kind: str) -> Path:
    """Return the file or folder to import, resolved; raise UserError for a blank path.

    Path("") means the current folder, so a blank argument (an unset shell variable)
    would otherwise import whatever that folder holds.
    """
    if not text.strip():
        raise UserError(f"The {kind} path is empty; give the file or folder to import.")
    return Path(text).expanduser().resolve()


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Database]:
    """Open the database for one command and close it (releasing the lock) afterwards."""
    database = Database.open(_database_path(args), _ask_passphrase)
    try:
        yield database
    finally:
        database.close()


def _try_sign_in(database: Database, username: str, password: str, code: str | None) -> Any:
    from app.security.auth import sign_in
    from app.services.numbering import local_workstation

    # The transaction commits even when sign-in fails, so the failed attempt stays audited.
    with database.transaction() as session:
        workstation = local_workstation(session).code
        return sign_in(session, username, password, workstation, totp_code=code)


def _sign_in(database: Database, args: argparse.Namespace) -> Actor:
    """Sign in as --user with the password from CLINICDESK_PASSWORD or a prompt."""
    if not args.user:
        raise UserError(
            "This command reads or changes practice data, so it needs --user NAME (a "
            "ClinicDesk user name) and that user's password in CLINICDESK_PASSWORD or at "
            "the prompt."
        )
    password = _secret(PASSWORD_VAR, f"Password for {args.user}: ")
    result = _try_sign_in(database, args.user, password, None)
    if result.needs_totp:
        code = _secret(TOTP_VAR, "Six-digit code from the authenticator app: ")
        result = _try_sign_in(database, args.user, password, code)
    if not result.ok or result.actor is None:
        raise AuthenticationError(result.message)
    if result.must_change_password:
        raise AuthenticationError(
            f"The password of {shorten_for_message(args.user)} was set by an administrator "
            "and must be changed "
            "first. Sign in to the ClinicDesk app once to choose a new password."
        )
    actor: Actor = result.actor
    return actor


# Readable names for the field paths of validation problems, which stay machine-readable
# in the services. An option in parentheses is the one that sets the value.
FIELD_LABELS = {
    "practice.legal_name": "Practice legal name (--practice-name)",
    "practice.billing_npi": "Practice billing NPI (--npi)",
    "practice.ein": "Employer identification number (--ein)",
    "practice.taxonomy_code": "Practice taxonomy code (--taxonomy)",
    "practice.address_line1": "Street address (--address)",
    "practice.address_line2": "Second address line (--address2)",
    "practice.city": "City (--city)",
    "practice.state": "State (--state)",
    "practice.zip_code": "ZIP code (--zip)",
    "practice.phone": "Phone number (--phone)",
    "practice.time_zone": "Time zone (--time-zone)",
    "locations": "Locations",
    "providers": "Providers (--provider)",
    "admin.username": "Administrator user name (--admin-user)",
    "admin.display_name": "Administrator's full name (--admin-name)",
    "admin.password": "Administrator password",
    "workstation_name": "Name of this computer (--workstation-name)",
    "password": "Password",
    "new_password": "New password",
    "username": "User name",
    "display_name": "Full name (--name)",
    "role": "Role (--role)",
}
ITEM_LABELS = {"locations": "Location", "providers": "Provider"}
ITEM_FIELD_LABELS = {
    "name": "name",
    "address_line1": "street address",
    "address_line2": "second address line",
    "city": "city",
    "state": "state",
    "zip_code": "ZIP code",
    "phone": "phone number",
    "place_of_service": "place of service",
    "rooms": "room",
    "first_name": "first name",
    "last_name": "last name",
    "credentials": "credentials",
    "npi": "NPI",
    "taxonomy_code": "taxonomy code",
}
# Such as "providers[0].npi" or "locations[1].rooms[2]".
ITEM_FIELD = re.compile(r"(?P<list>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)(?:\[(?P<sub>\d+)\])?")


def field_label(field: str) -> str:
    """Return the name a person reads for the problem field path `field`."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    match = ITEM_FIELD.fullmatch(field)
    if match and match["list"] in ITEM_LABELS:
        label = f"{ITEM_LABELS[match['list']]} {int(match['index']) + 1} "
        label += ITEM_FIELD_LABELS.get(match["field"], match["field"].replace("_", " "))
        return label + (f" {int(match['sub']) + 1}" if match["sub"] else "")
    return field.replace(".", " ").replace("_", " ").capitalize()


def _validation_message(error: ValidationError) -> str:
    lines = [f"{field_label(problem.field)}: {problem.message}" for problem in error.problems]
    return "Please correct the following: " + " ".join(lines)


def _print(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        document = {"ok": outcome.code == EXIT_OK, **outcome.data}
        print(json.dumps(document, default=str))  # noqa: T201 (command output)
        return
    for line in outcome.text:
        print(line)  # noqa: T201 (command output)


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def _fail(message: str, code: int, as_json: bool) -> int:
    """Print `message` as the command's one error line (and as JSON with --json)."""
    print(f"clinicdesk: error: {message}", file=sys.stderr)  # noqa: T201 (command output)
    if as_json:
        print(json.dumps({"ok": False, "error": message}))  # noqa: T201 (command output)
    return code
