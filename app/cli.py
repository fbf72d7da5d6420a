"""The `clinicdesk` command line: set-up, backups, keys, audit checks and user accounts.

Secrets never go on the command line, where other users could read them in the process
list. They come from environment variables (CLINICDESK_PASSWORD, CLINICDESK_PASSPHRASE,
CLINICDESK_NEW_PASSWORD, CLINICDESK_NEW_PASSPHRASE, CLINICDESK_TOTP) or from a prompt
when a terminal is attached.

Exit codes: 0 success, 1 an error the user can fix (one line on stderr), 2 a usage
error, 3 an unexpected error (the traceback goes to the log file). With --json, every
command prints one JSON object whose "ok" is true exactly when the exit code is 0; a
failed command prints {"ok": false, "error": MESSAGE}.
When the reader of stdout closes the pipe early (`clinicdesk-cli info | head -2`), the
command stops quietly with exit code 1.
"""

import argparse
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import func, select

from app.db.database import Database
from app.errors import AuthenticationError, NotFoundError, UserError, ValidationError
from app.logging_setup import configure_logging
from app.paths import default_database_path, key_file_path
from app.security.audit import AuditAction
from app.security.permissions import Actor, Role
from app.services.demo import MAX_DEMO_PATIENTS
from app.validators import shorten_for_message

log = logging.getLogger(__name__)

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


class UsageError(Exception):
    """A command line that argparse rejected, carrying argparse's message."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")


def _count_type(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """Return an argparse type for a whole number from `minimum` to `maximum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{shorten_for_message(text)!r} is not a whole number"
            ) from None
        if value < minimum or (maximum is not None and value > maximum):
            limit = (
                f"from {minimum:,} to {maximum:,}"
                if maximum is not None
                else f"{minimum:,} or more"
            )
            raise argparse.ArgumentTypeError(f"{value:,} is out of range: use {limit}")
        return value

    return parse


def _choice_type(values: list[str], what: str) -> Callable[[str], str]:
    """Return an argparse type that accepts one of `values` and lists them all otherwise."""

    def parse(text: str) -> str:
        if text in values:
            return text
        listed = ", ".join(values[:-1]) + " or " + values[-1]
        raise argparse.ArgumentTypeError(
            f"{shorten_for_message(text)!r} is not {what}: use {listed}"
        )

    return parse


def _role(text: str) -> Role:
    return Role(_choice_type([role.value for role in Role], "a role")(text))


def _audit_action(text: str) -> str:
    return _choice_type([action.value for action in AuditAction], "an audit action")(text)


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


# Commands: set-up.


def _required_text(args: argparse.Namespace, names: dict[str, str]) -> dict[str, str]:
    """Return each named option, asking on a terminal for any left out."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for name, prompt in names.items():
        value = getattr(args, name)
        if not value and _interactive():
            value = input(f"{prompt}: ").strip()
        if value:
            values[name] = value
        else:
            missing.append("--" + name.replace("_", "-"))
    if missing:
        raise UserError(f"Missing {', '.join(missing)}. Give each of them and run init again.")
    return values


def _parse_provider(text: str) -> Any:
    from app.services.practice import ProviderInput

    parts = [part.strip() for part in text.split(",")]
    names = parts[0].split() if parts else []
    if len(parts) != 4 or len(names) < 2:
        raise UserError(
            f'The provider {shorten_for_message(text)!r} is not in the form "First Last, '
            "CREDENTIALS, NPI, "
            'TAXONOMY", for example --provider "Ana Diaz, MD, 1234567893, 207Q00000X".'
        )
    return ProviderInput(
        first_name=" ".join(names[:-1]),
        last_name=names[-1],
        credentials=parts[1],
        npi=parts[2],
        taxonomy_code=parts[3],
    )


INIT_FIELDS = {
    "practice_name": "Practice legal name",
    "npi": "Practice billing NPI (10 digits)",
    "ein": "Employer identification number (NN-NNNNNNN)",
    "taxonomy": "Practice taxonomy code",
    "address": "Street address",
    "city": "City",
    "state": "State (two letters)",
    "zip": "ZIP code (ZIP+4)",
    "phone": "Phone number",
    "time_zone": "Time zone (such as America/Chicago)",
    "location_name": "Name of the first location",
    "admin_name": "Administrator's full name",
    "workstation_name": "Name of this computer (such as Front desk 1)",
}


def _practice_setup(args: argparse.Namespace, password: str) -> Any:
    from app.services.practice import AdminAccount, LocationInput, PracticeInfo, PracticeSetup

    text = _required_text(args, INIT_FIELDS)
    practice = PracticeInfo(
        legal_name=text["practice_name"],
        billing_npi=text["npi"],
        ein=text["ein"],
        taxonomy_code=text["taxonomy"],
        address_line1=text["address"],
        address_line2=args.address2 or "",
        city=text["city"],
        state=text["state"],
        zip_code=text["zip"],
        phone=text["phone"],
        time_zone=text["time_zone"],
    )
    location = LocationInput(
        name=text["location_name"],
        address_line1=practice.address_line1,
        address_line2=practice.address_line2,
        city=practice.city,
        state=practice.state,
        zip_code=practice.zip_code,
        phone=practice.phone,
    )
    return PracticeSetup(
        practice=practice,
        locations=(location,),
        providers=tuple(_parse_provider(item) for item in args.provider or ()),
        admin=AdminAccount(args.admin_user, text["admin_name"], password),
        workstation_name=text["workstation_name"],
    )


def _recovery_reminder(path: Path) -> list[str]:
    return [
        f"Key file: {key_file_path(path)}",
        "Write the recovery passphrase on the recovery sheet and keep it locked away. "
        "Without it, a lost keyring or a moved database cannot be opened.",
    ]


def _refuse_existing(path: Path) -> None:
    if path.exists() or key_file_path(path).exists():
        raise UserError(
            f"{path} already exists, so nothing was created. Choose another path with --db, "
            "or open the existing database."
        )


def cmd_init(args: argparse.Namespace) -> Outcome:
    """Create the practice database."""
    from app.setup import create_practice_database

    path = _database_path(args)
    _refuse_existing(path)
    password = _secret(PASSWORD_VAR, f"New password for {args.admin_user}: ", confirm=True)
    setup = _practice_setup(args, password)
    passphrase = _secret(PASSPHRASE_VAR, "New recovery passphrase: ", confirm=True)

    database, admin = create_practice_database(path, setup, passphrase)
    database.close()
    data = {
        "database": str(path),
        "key_file": str(key_file_path(path)),
        "practice": setup.practice.legal_name,
        "admin_user": admin.username,
        "workstation": admin.workstation,
    }
    text = [f"Created the practice {setup.practice.legal_name} in {path}."]
    return Outcome(data, text + _recovery_reminder(path))


def cmd_demo(args: argparse.Namespace) -> Outcome:
    """Create a database filled with made-up patients for training and trials."""
    from app.clock import utc_now
    from app.services.demo import create_demo_database

    path = _database_path(args)
    _refuse_existing(path)
    password = _secret(PASSWORD_VAR, f"New password for {args.admin_user}: ", confirm=True)
    passphrase = _secret(PASSPHRASE_VAR, "New recovery passphrase: ", confirm=True)

    today: date = utc_now().date()
    database, _admin, summary = create_demo_database(
        path, passphrase, args.admin_user, password, args.patients, args.seed, today
    )
    database.close()
    data = {"database": str(path), "key_file": str(key_file_path(path)), "patients": args.patients}
    data["summary"] = {name: value for name, value in _plain(summary).items() if name != "changes"}
    text = [f"Created a demo practice with {args.patients} made-up patients in {path}."]
    return Outcome(data, text + _recovery_reminder(path))


def _plain(value: Any) -> Any:
    """Return `value` as JSON-ready data (dataclasses become objects)."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(asdict(value), default=str))
    return json.loads(json.dumps(value, default=str))


# Commands: keys, audit, backups.


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


def cmd_audit_verify(args: argparse.Namespace) -> Outcome:
    """Check the hash chain of the audit log."""
    from app.security.audit import count_events
    from app.services.audit_log import verify

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            breaks = verify(session, actor)
            rows = count_events(session)

    found = [
        {"workstation": item.workstation, "sequence": item.sequence, "reason": item.reason}
        for item in breaks
    ]
    data = {"intact": not breaks, "rows": rows, "breaks": found}
    if not breaks:
        return Outcome(data, [f"intact: {rows} rows"])
    text = [f"broken: the audit log was changed ({len(breaks)} workstation chains affected)"]
    text += [f"workstation {b.workstation}, row {b.sequence}: {b.reason}" for b in breaks]
    return Outcome(data, text, EXIT_USER_ERROR)


def _parse_day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        shown = shorten_for_message(value)
        raise UserError(f"{option} {shown!r} is not a date. Use YYYY-MM-DD.") from None


def _audit_filter(args: argparse.Namespace) -> Any:
    from app.services.audit_log import AuditFilter

    first = _parse_day(args.date_from, "--from")
    last = _parse_day(args.until, "--until")
    if first is not None and last is not None and first > last:
        raise UserError(
            f"--from {first.isoformat()} is after --until {last.isoformat()}, so no day "
            "matches. Swap the two dates."
        )
    return AuditFilter(username=args.by_user, action=args.action, date_from=first, date_to=last)


def cmd_audit_export(args: argparse.Namespace) -> Outcome:
    """Write matching audit rows to a CSV file."""
    from app.services.audit_log import export_csv

    audit_filter = _audit_filter(args)
    target = Path(args.to).expanduser().resolve()
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            count = export_csv(session, actor, audit_filter, target, overwrite=args.overwrite)
    return Outcome({"file": str(target), "rows": count}, [f"Wrote {count} audit rows to {target}."])


def cmd_backup(args: argparse.Namespace) -> Outcome:
    """Write a verified, encrypted backup."""
    from app.services.backup import backup_database

    folder = Path(args.to).expanduser() if args.to else None
    with _opened(args) as database:
        actor = _sign_in(database, args)
        result = backup_database(database, actor, folder=folder, keep_last=args.keep)
    data = {
        "backup": str(result.path),
        "key_file": str(result.key_path),
        "verified": result.verified,
        "size_bytes": result.size_bytes,
        "rows": sum(result.table_counts.values()),
        "tables": result.table_counts,
    }
    text = [
        f"Backup written and verified: {result.path} ({result.size_bytes:,} bytes, "
        f"{sum(result.table_counts.values()):,} rows).",
        f"Its key file: {result.key_path}",
    ]
    return Outcome(data, text)


def cmd_restore(args: argparse.Namespace) -> Outcome:
    """Restore a backup into a database file."""
    from app.services.backup import restore_backup

    target = _database_path(args)
    if args.replace and target.exists():
        question = f"This replaces {target}; the old file is kept beside it as .replaced-DATE."
        if not _confirm(question, args.yes):
            return Outcome({"restored": False}, ["Nothing was restored."], EXIT_USER_ERROR)

    result = restore_backup(Path(args.file), target, _ask_passphrase, replace=args.replace)
    data = {
        "database": str(result.path),
        "key_file": str(result.key_path),
        "verified": result.verified,
        "rows": sum(result.table_counts.values()),
        "replaced": str(result.replaced_path) if result.replaced_path else None,
    }
    text = [f"Restored {args.file} into {result.path} and verified it."]
    if result.replaced_path:
        data["audit_recorded"] = result.audit_recorded
        text.append(f"The replaced database is kept as {result.replaced_path}.")
        text.append("Audit events recorded after the backup was made are in that file.")
    if result.replaced_path and not result.audit_recorded:
        text.append(
            "The restore could not be written to the audit log; the log file has the reason."
        )
    return Outcome(data, text)


# Commands: users and information.


def _user(session: Any, username: str) -> Any:
    from app.services.users import get_user_by_username

    user = get_user_by_username(session, username)
    if user is None:
        shown = shorten_for_message(username)
        raise NotFoundError(f"There is no user named {shown!r}. Run 'user list' to see them.")
    return user


def _user_id(session: Any, username: str) -> Any:
    return _user(session, username).id


def cmd_user_list(args: argparse.Namespace) -> Outcome:
    """List the user accounts."""
    from app.services.users import list_users

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            users = list_users(session, actor, include_archived=args.all)
    rows = [
        {
            "username": user.username,
            "name": user.display_name,
            "role": user.role.value,
            "archived": user.archived,
            "locked": user.locked,
        }
        for user in users
    ]
    text = [
        f"{row['username']:<20} {row['role']:<14} {row['name']}"
        + (" (archived)" if row["archived"] else "")
        + (" (locked)" if row["locked"] else "")
        for row in rows
    ]
    return Outcome({"users": rows}, text)


def cmd_user_add(args: argparse.Namespace) -> Outcome:
    """Create a user account."""
    from app.services.users import create_user

    with _opened(args) as database:
        actor = _sign_in(database, args)
        password = _secret(NEW_PASSWORD_VAR, f"Password for the new user {args.username}: ", True)
        with database.transaction() as session:
            written = create_user(session, actor, args.username, args.name, args.role, password)
    username = written.user.username
    text = [f"Created the user {username} ({written.user.role.label})."]
    return Outcome({"username": username, "role": written.user.role.value}, text)


def cmd_user_reset_password(args: argparse.Namespace) -> Outcome:
    """Give a user a temporary password to change at the next sign-in."""
    from app.services.users import reset_password

    with _opened(args) as database:
        actor = _sign_in(database, args)
        password = _secret(NEW_PASSWORD_VAR, f"Temporary password for {args.username}: ", True)
        with database.transaction() as session:
            reset_password(session, actor, _user_id(session, args.username), password)
    text = [f"{args.username} must choose a new password at the next sign-in."]
    return Outcome({"username": args.username, "reset": True}, text)


def cmd_user_unlock(args: argparse.Namespace) -> Outcome:
    """End a user's sign-in lockout."""
    from app.services.users import is_locked, unlock_user

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            user = _user(session, args.username)
            was_locked = is_locked(user)
            unlock_user(session, actor, user.id)
    data = {"username": args.username, "unlocked": was_locked, "was_locked": was_locked}
    if not was_locked:
        text = f"{args.username} was not locked, so there was nothing to unlock."
        return Outcome(data, [text])
    return Outcome(data, [f"Unlocked {args.username}."])


def _count(session: Any, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _info_data(database: Database) -> dict[str, Any]:
    from app.db.migrate import current_revision, head_revision
    from app.models import Appointment, Patient, Practice, User
    from app.services.backup import last_verified_backup

    with database.transaction() as session:
        practice = session.scalar(select(Practice).limit(1))
        backup = last_verified_backup(session)
        data: dict[str, Any] = {
            "practice": practice.legal_name if practice else None,
            "users": _count(session, User),
            "patients": _count(session, Patient),
            "appointments": _count(session, Appointment),
            "last_verified_backup": None,
        }
        if backup is not None and backup.finished_at is not None:
            data["last_verified_backup"] = {
                "file": str(Path(backup.folder) / backup.file_name),
                "finished_at": backup.finished_at.isoformat(),
            }
    data["schema_revision"] = current_revision(database.engine)
    data["schema_head"] = head_revision()
    return data


def cmd_info(args: argparse.Namespace) -> Outcome:
    """Show the database path, key file, schema and record counts (no patient data)."""
    with _opened(args) as database:
        data = {
            "database": str(database.path),
            "database_id": str(database.database_id),
            "key_file": str(key_file_path(database.path)),
            "size_bytes": database.path.stat().st_size,
            **_info_data(database),
        }
    backup = data["last_verified_backup"]
    text = [
        f"Database:      {data['database']} ({data['size_bytes']:,} bytes)",
        f"Key file:      {data['key_file']}",
        f"Schema:        {data['schema_revision']} (newest known: {data['schema_head']})",
        f"Practice:      {data['practice'] or '(not set up)'}",
        f"Users:         {data['users']}",
        f"Patients:      {data['patients']}",
        f"Appointments:  {data['appointments']}",
        f"Last backup:   {backup['file'] + ' at ' + backup['finished_at'] if backup else 'none'}",
    ]
    return Outcome(data, text)


# Parser and entry point.


def _common_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """Add the options every command accepts, before or after the command name."""

    def default(value: Any) -> Any:
        # Subcommands must not overwrite a value given before the command name.
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--db",
        default=default(None),
        help="database file (default: $CLINICDESK_DB, else the ClinicDesk data folder)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON object instead of text",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="log details to the console and the log file",
    )
    parser.add_argument(
        "--user",
        default=default(None),
        help="ClinicDesk user to sign in as (password from $CLINICDESK_PASSWORD)",
    )


def _add_command(
    group: Any, common: argparse.ArgumentParser, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=help_text)
    parser.set_defaults(handler=handler)
    return parser


def _add_group(
    group: Any, common: argparse.ArgumentParser, name: str, help_text: str
) -> argparse.ArgumentParser:
    # The common options here too, so "key --json recover" works like "key recover --json".
    parser: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=help_text)
    return parser


def _add_setup_commands(group: Any, common: argparse.ArgumentParser) -> None:
    init = _add_command(group, common, "init", cmd_init, "set up a new practice database")
    init.epilog = (
        f"The administrator's password comes from {PASSWORD_VAR} and the recovery "
        f"passphrase from {PASSPHRASE_VAR}, or from prompts on a terminal."
    )
    required = init.add_argument_group(
        "required practice details",
        "Each of these is required. On a terminal, init asks for any that are left out.",
    )
    for name, prompt in INIT_FIELDS.items():
        required.add_argument("--" + name.replace("_", "-"), help=f"required: {prompt}")
    init.add_argument("--address2", help="second address line (suite, floor)")
    init.add_argument("--admin-user", default="admin", help="administrator user name")
    init.add_argument(
        "--provider",
        action="append",
        metavar='"FIRST LAST, CRED, NPI, TAXONOMY"',
        help="a rendering provider; repeat for each",
    )

    demo = _add_command(group, common, "demo", cmd_demo, "create a demo database")
    demo.add_argument(
        "--patients",
        type=_count_type(0, MAX_DEMO_PATIENTS),
        default=200,
        help=f"number of made-up patients (0 to {MAX_DEMO_PATIENTS:,})",
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    demo.add_argument("--admin-user", default="admin", help="administrator user name")


def _add_admin_commands(group: Any, common: argparse.ArgumentParser) -> None:
    key = _add_group(
        group, common, "key", "rotate or recover the database key, or change its passphrase"
    ).add_subparsers(dest="key_command", required=True, metavar="{rotate,passphrase,recover}")
    rotate = _add_command(
        key, common, "rotate", cmd_key_rotate, "re-encrypt with a new key (same passphrase)"
    )
    rotate.description = (
        "Re-encrypt the database with a new random key. The recovery passphrase stays the "
        "same; 'clinicdesk key passphrase' changes it."
    )
    passphrase = _add_command(
        key, common, "passphrase", cmd_key_passphrase, "change the recovery passphrase"
    )
    passphrase.description = (
        "Change the recovery passphrase that unlocks the key file. The database key stays "
        f"the same. The current passphrase comes from {PASSPHRASE_VAR} and the new one from "
        f"{NEW_PASSPHRASE_VAR}, or from prompts on a terminal. Needs --user with an "
        "administrator account. Backups made before the change keep the old passphrase."
    )
    _add_command(key, common, "recover", cmd_key_recover, "put the key back into the keyring")

    audit = _add_group(group, common, "audit", "check or export the audit log").add_subparsers(
        dest="audit_command", required=True, metavar="{verify,export}"
    )
    _add_command(audit, common, "verify", cmd_audit_verify, "check the audit hash chain")
    export = _add_command(audit, common, "export", cmd_audit_export, "write audit rows to CSV")
    export.add_argument("--to", required=True, metavar="FILE.csv", help="CSV file to write")
    export.add_argument("--by-user", help="only rows of this user name")
    export.add_argument(
        "--action",
        type=_audit_action,
        metavar="ACTION",
        help="only rows of this action: " + ", ".join(action.value for action in AuditAction),
    )
    export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first UTC day")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="last UTC day (inclusive)")
    export.add_argument(
        "--overwrite", action="store_true", help="replace FILE.csv if it exists already"
    )

    backup = _add_command(group, common, "backup", cmd_backup, "write a verified backup")
    backup.add_argument("--to", metavar="DIR", help="backup folder (default: from Settings)")
    backup.add_argument(
        "--keep",
        type=_count_type(1),
        help="number of backups of this database to keep in the folder (at least 1)",
    )

    restore = _add_command(group, common, "restore", cmd_restore, "restore a backup into --db")
    restore.add_argument("file", help="backup file (clinicdesk-YYYYMMDD-HHMMSS.db)")
    restore.add_argument("--replace", action="store_true", help="replace an existing --db file")
    restore.add_argument("--yes", action="store_true", help="confirm --replace without a prompt")


def _add_user_commands(group: Any, common: argparse.ArgumentParser) -> None:
    user = _add_group(group, common, "user", "manage user accounts").add_subparsers(
        dest="user_command", required=True, metavar="{list,add,reset-password,unlock}"
    )
    listing = _add_command(user, common, "list", cmd_user_list, "list user accounts")
    listing.add_argument("--all", action="store_true", help="include archived accounts")
    add = _add_command(user, common, "add", cmd_user_add, "create a user account")
    add.epilog = (
        f"The new user's password comes from {NEW_PASSWORD_VAR}, or from a prompt on a "
        f"terminal. --user and {PASSWORD_VAR} sign in the administrator who adds the account."
    )
    add.add_argument("username")
    add.add_argument(
        "--role",
        required=True,
        type=_role,
        metavar="ROLE",
        help="user's role: " + ", ".join(role.value for role in Role),
    )
    add.add_argument("--name", required=True, help="the person's full name")
    reset = _add_command(
        user, common, "reset-password", cmd_user_reset_password, "set a temporary password"
    )
    reset.epilog = f"The temporary password comes from {NEW_PASSWORD_VAR} or a prompt."
    reset.add_argument("username")
    unlock = _add_command(user, common, "unlock", cmd_user_unlock, "end a sign-in lockout")
    unlock.add_argument("username")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    # A fixed name, so usage lines read the same under clinicdesk-cli or python -m app.cli.
    parser = _Parser(prog="clinicdesk", description="ClinicDesk administration commands.")
    _common_options(parser, defaults=True)
    common = _Parser(add_help=False)
    _common_options(common, defaults=False)

    group = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_setup_commands(group, common)
    _add_admin_commands(group, common)
    _add_user_commands(group, common)
    _add_command(group, common, "info", cmd_info, "show the database, its key file and counts")
    return parser


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


def _parse(argv: list[str] | None) -> argparse.Namespace | int:
    """Return the parsed arguments, or the exit code after --help or a usage error."""
    try:
        return build_parser().parse_args(argv)
    except UsageError as exc:
        words = sys.argv[1:] if argv is None else argv
        return _fail(str(exc), EXIT_USAGE, "--json" in words)
    except SystemExit as exc:  # argparse exits after --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    # Every log record goes to the log file. The console gets them only with
    # --verbose, so the command's own error line is the only line it prints.
    log_file = configure_logging(verbose=args.verbose, console=args.verbose)
    try:
        outcome = args.handler(args)
    except ValidationError as exc:
        fields = ", ".join(problem.field for problem in exc.problems)
        log.info("command %s failed: invalid %s", args.command, fields)
        return _fail(_one_line(_validation_message(exc)), EXIT_USER_ERROR, args.json)
    except UserError as exc:
        log.info("command %s failed: %s", args.command, type(exc).__name__)
        return _fail(_one_line(exc), EXIT_USER_ERROR, args.json)
    except KeyboardInterrupt:
        return _fail("cancelled; nothing more was changed.", EXIT_USER_ERROR, args.json)
    except Exception:
        log.exception("unexpected error in command %s", args.command)
        message = (
            f"an unexpected problem stopped the command. The details are in {log_file}; "
            "send that file to your ClinicDesk support contact."
        )
        return _fail(message, EXIT_BUG, args.json)

    _print(outcome, args.json)
    code: int = outcome.code
    return code


def _quiet_closed_stdout() -> None:
    """Send later output to devnull after the reader of stdout went away.

    Python flushes stdout again at exit; pointing the descriptor at devnull keeps that
    flush from raising a second BrokenPipeError (the recipe in the Python documentation
    of the signal module, under "Note on SIGPIPE").
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    parsed = _parse(argv)
    if isinstance(parsed, int):
        return parsed
    try:
        code = _run(parsed)
        sys.stdout.flush()
    except BrokenPipeError:
        # A reader such as `head` closed the pipe early. Exit 1, as Python's own
        # recipe does, but print nothing: the reader took all the lines it wanted.
        _quiet_closed_stdout()
        return EXIT_USER_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
