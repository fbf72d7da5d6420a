"""The argument parser of every `clinicdesk` command."""

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from app.cli.audit_commands import cmd_audit_export, cmd_audit_verify
from app.cli.backup_commands import cmd_backup, cmd_restore
from app.cli.claims_commands import (
    cmd_claims_build,
    cmd_claims_export,
    cmd_claims_print,
    cmd_claims_scrub,
    cmd_claims_submit,
    cmd_x12_import,
    cmd_x12_validate,
)
from app.cli.common import (
    NEW_PASSPHRASE_VAR,
    NEW_PASSWORD_VAR,
    PASSPHRASE_VAR,
    PASSWORD_VAR,
    Handler,
)
from app.cli.csv_commands import cmd_import_csv
from app.cli.fee_commands import cmd_fees_export, cmd_fees_import
from app.cli.import_commands import cmd_import_fhir
from app.cli.info import cmd_info
from app.cli.key_commands import cmd_key_passphrase, cmd_key_recover, cmd_key_rotate
from app.cli.ledger_commands import cmd_ledger_lock, cmd_ledger_verify
from app.cli.setup_commands import INIT_FIELDS, cmd_demo, cmd_init
from app.cli.statement_commands import (
    cmd_statements_history,
    cmd_statements_preview,
    cmd_statements_run,
)
from app.cli.user_commands import (
    cmd_user_add,
    cmd_user_list,
    cmd_user_reset_password,
    cmd_user_unlock,
)
from app.security.audit import AuditAction
from app.security.permissions import Role
from app.services.demo import MAX_DEMO_PATIENTS
from app.validators import shorten_for_message


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


def _add_csv_import(imports: Any, common: argparse.ArgumentParser) -> None:
    csv_import = _add_command(
        imports, common, "csv", cmd_import_csv, "import patients from another system's CSV file"
    )
    csv_import.description = (
        "Check every row of a CSV file of patients and import the rows without errors, in "
        "one transaction. Rows of patients imported before from the same --source update "
        "those patients instead of adding them again. Exits 1 when any row has errors."
    )
    csv_import.add_argument("path", metavar="PATH", help="CSV file exported by the old system")
    csv_import.add_argument(
        "--source",
        required=True,
        metavar="NAME",
        help="name of the old system, such as OldPM; reuse it for later files of that system",
    )
    csv_import.add_argument(
        "--mapping",
        metavar="FILE.json",
        help='column mapping as JSON, such as {"first_name": "FNAME", "ssn": null} '
        "(default: suggested from the headers)",
    )
    csv_import.add_argument(
        "--dry-run", action="store_true", help="check and list problems, save nothing"
    )
    csv_import.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="import nothing when any row has errors (default: skip those rows)",
    )
    csv_import.add_argument(
        "--include-duplicates",
        action="store_true",
        help="also import rows that look like a patient already in the file or the database",
    )


def _add_import_commands(group: Any, common: argparse.ArgumentParser) -> None:
    imports = _add_group(
        group, common, "import", "import patients from another system"
    ).add_subparsers(dest="import_command", required=True, metavar="{csv,fhir}")
    _add_csv_import(imports, common)
    _add_fhir_import(imports, common)


def _add_fhir_import(imports: Any, common: argparse.ArgumentParser) -> None:
    fhir = _add_command(
        imports, common, "fhir", cmd_import_fhir, "import FHIR R4 bundles (a file or a folder)"
    )
    fhir.description = (
        "Import patients, coverages, payers, outside providers and past visits from FHIR R4 "
        "JSON bundles, such as Synthea output. Importing the same data again updates the "
        "records instead of adding copies. Needs --user with the manager or administrator "
        "role. Exits 1 when any file failed; the other files are still imported."
    )
    fhir.add_argument("path", help="a bundle .json file, or a folder searched for .json files")
    fhir.add_argument("--report", metavar="FILE.csv", help="also write the report rows to CSV")


def _add_ledger_commands(group: Any, common: argparse.ArgumentParser) -> None:
    ledger = _add_group(group, common, "ledger", "check the money ledger").add_subparsers(
        dest="ledger_command", required=True, metavar="{verify,lock}"
    )
    verify = _add_command(
        ledger,
        common,
        "verify",
        cmd_ledger_verify,
        "check ledger hashes, audit events, reversals and balances",
    )
    verify.description = (
        "Check that no posted ledger row was changed, added or removed outside ClinicDesk, "
        "that every reversal cancels one row, and that each patient's balance equals the "
        "sum of their rows. Needs --user with the audit permission. Exits 1 on findings."
    )
    lock = _add_command(ledger, common, "lock", cmd_ledger_lock, "show or set the ledger lock date")
    lock.description = (
        "Close every day up to and including DATE to posting, so closed months stay as they "
        "were reported. Without DATE, show the current lock date; 'none' reopens every day. "
        "Needs --user with the manager or administrator role."
    )
    lock.add_argument("date", nargs="?", metavar="DATE", help="YYYY-MM-DD, or none")


def _add_fee_import(fees: Any, common: argparse.ArgumentParser) -> None:
    fee_import = _add_command(
        fees, common, "import", cmd_fees_import, "import a fee schedule CSV file"
    )
    fee_import.description = (
        "Check every row of a fee schedule CSV file (columns code, description, fee and "
        "optionally modifier, units, requires_ndc, kind) and import all rows or none. Codes "
        "missing from Procedure codes are created. Needs --user with the manager or "
        "administrator role."
    )
    fee_import.add_argument("path", metavar="PATH", help="CSV file to import")
    fee_import.add_argument(
        "--schedule", required=True, metavar="NAME", help="fee schedule to import into"
    )
    fee_import.add_argument(
        "--dry-run", action="store_true", help="check the file and save nothing"
    )
    fee_import.add_argument(
        "--effective-from",
        metavar="YYYY-MM-DD",
        help="first day of a new schedule; creates --schedule when no schedule has that name",
    )
    fee_import.add_argument(
        "--effective-to", metavar="YYYY-MM-DD", help="last day of a new schedule (default: no end)"
    )
    fee_import.add_argument(
        "--payer", metavar="NAME", help="payer of a new allowed-amount schedule"
    )


def _add_fee_commands(group: Any, common: argparse.ArgumentParser) -> None:
    fees = _add_group(
        group, common, "fees", "import or export fee schedules as CSV"
    ).add_subparsers(dest="fees_command", required=True, metavar="{import,export}")
    _add_fee_import(fees, common)
    fee_export = _add_command(
        fees, common, "export", cmd_fees_export, "write a fee schedule to CSV"
    )
    fee_export.add_argument(
        "path", metavar="PATH", help="CSV file to write (replaced if it exists)"
    )
    fee_export.add_argument(
        "--schedule", required=True, metavar="NAME", help="fee schedule to export"
    )


def _add_claims_commands(group: Any, common: argparse.ArgumentParser) -> None:
    claims = _add_group(group, common, "claims", "build, check, send and print claims")
    commands = claims.add_subparsers(
        dest="claims_command", required=True, metavar="{build,scrub,export,submit,print}"
    )
    build = _add_command(
        commands, common, "build", cmd_claims_build, "build claims from posted charges"
    )
    build.description = (
        "Build claims from posted charges that are not on a claim yet, one per patient, "
        "payer, provider and date of service (split above 50 lines or 12 diagnoses), then "
        "scrub them. Needs --user with the biller, manager or administrator role. Exits 1 "
        "when any new claim is on hold."
    )
    scrub = _add_command(commands, common, "scrub", cmd_claims_scrub, "check claims before sending")
    scrub.description = (
        "Check claims on hold, ready or rejected (or only the claims named) against the "
        "claim rules and the payer rule files, and list what to fix. Exits 1 when any "
        "claim stays on hold."
    )
    scrub.add_argument("claims", nargs="*", metavar="CLAIM", help="claim numbers (default: all)")
    export = _add_command(
        commands, common, "export", cmd_claims_export, "write ready claims to 837P files"
    )
    export.description = (
        "Write every claim that is ready to send into an 837P file per clearinghouse, for "
        "upload by hand, and mark the claims sent."
    )
    export.add_argument(
        "--out", required=True, metavar="FILE", help="837P file to write, or a folder"
    )
    submit = _add_command(commands, common, "submit", cmd_claims_submit, "send ready claims")
    submit.description = (
        "Send every claim that is ready: upload its 837P file to the clearinghouse over "
        "SFTP, or save it in the clearinghouse's outbox folder when no SFTP server is set. "
        "A file is never sent twice."
    )
    print_command = _add_command(
        commands, common, "print", cmd_claims_print, "write claims as CMS-1500 PDF forms"
    )
    print_command.add_argument("claims", nargs="+", metavar="CLAIM", help="claim numbers")
    print_command.add_argument("--out", required=True, metavar="FILE.pdf", help="PDF to write")
    print_command.add_argument(
        "--mode",
        choices=["form", "data"],
        default="form",
        help="form: the whole form on plain paper; data: data only, for red forms",
    )


def _add_statement_commands(group: Any, common: argparse.ArgumentParser) -> None:
    statements = _add_group(group, common, "statements", "preview and run patient statements")
    commands = statements.add_subparsers(
        dest="statements_command", required=True, metavar="{preview,run,history}"
    )
    preview = _add_command(
        commands, common, "preview", cmd_statements_preview, "show what a statement run would send"
    )
    preview.description = (
        "List every guarantor with a balance: the notice a run would send them (statement, "
        "2nd, 3rd or final notice) and why, or why they are skipped (under the minimum, only "
        "insurance owes, on hold, on a payment plan, with collections, too soon). Prints "
        "and sends nothing; a guarantor seen for the first time gets an account number. "
        "Needs --user with the biller, manager or administrator role."
    )
    preview.add_argument("--date", metavar="YYYY-MM-DD", help="statement date (default: today)")
    run = _add_command(commands, common, "run", cmd_statements_run, "make and print statements")
    run.description = (
        "Make the statements the preview lists, keep each one in the guarantor's history, "
        "and save the printed ones as one PDF. With --send, also email the ones whose "
        "guarantor agreed to email, through the practice's mail server; a failed message "
        "stays queued and is retried. Exits 1 when an account was left out for a problem "
        "or an email is still waiting or failed."
    )
    run.add_argument("--date", metavar="YYYY-MM-DD", help="statement date (default: today)")
    run.add_argument(
        "--out", metavar="FILE.pdf", help="printed batch (default: statements/ beside the database)"
    )
    run.add_argument("--send", action="store_true", help="also email the emailed statements")
    history = _add_command(
        commands, common, "history", cmd_statements_history, "list a guarantor's statements"
    )
    history.description = (
        "List every statement and notice made for a guarantor's account: date, level, amount "
        "due, channel (print or email) and status. GUARANTOR is the account number printed "
        "on the statement or any of its patients' chart numbers."
    )
    history.add_argument("guarantor", metavar="GUARANTOR", help="account or chart number")


def _add_x12_commands(group: Any, common: argparse.ArgumentParser) -> None:
    x12 = _add_group(group, common, "x12", "read and check X12 files")
    commands = x12.add_subparsers(dest="x12_command", required=True, metavar="{import,validate}")
    x12_import = _add_command(
        commands,
        common,
        "import",
        cmd_x12_import,
        "read a 999, 277CA or 835 remittance from the clearinghouse",
    )
    x12_import.description = (
        "Read a 999 or 277CA acknowledgement and update the claims it answers, or an 835 "
        "remittance and post its payments as the payer's ERA posting mode says. A file is "
        "read once; rejected claims go back on the Claims page with the reason, and claim "
        "payments that need a biller wait on the Payments page under Remittances."
    )
    x12_import.add_argument("path", metavar="FILE", help="X12 file to read")
    validate = _add_command(
        commands, common, "validate", cmd_x12_validate, "check an X12 file with pyx12"
    )
    validate.description = (
        "Check an X12 file's envelope and counts, and its implementation guide with pyx12 "
        "(837P, 835, 999 and 277CA). Exits 1 when pyx12 finds problems. Needs no database."
    )
    validate.add_argument("path", metavar="FILE", help="X12 file to check")


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
    _add_import_commands(group, common)
    _add_fee_commands(group, common)
    _add_ledger_commands(group, common)
    _add_claims_commands(group, common)
    _add_statement_commands(group, common)
    _add_x12_commands(group, common)
    _add_command(group, common, "info", cmd_info, "show the database, its key file and counts")
    return parser
