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
import logging
import os
import sys

from app.cli.common import (
    EXIT_BUG,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_USER_ERROR,
    NEW_PASSPHRASE_VAR,
    NEW_PASSWORD_VAR,
    PASSPHRASE_VAR,
    PASSWORD_VAR,
    TOTP_VAR,
    Handler,
    Outcome,
    _fail,
    _one_line,
    _print,
    _validation_message,
    field_label,
)
from app.cli.parser import UsageError, build_parser
from app.errors import UserError, ValidationError
from app.logging_setup import configure_logging

__all__ = [
    "EXIT_BUG",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_USER_ERROR",
    "NEW_PASSPHRASE_VAR",
    "NEW_PASSWORD_VAR",
    "PASSPHRASE_VAR",
    "PASSWORD_VAR",
    "TOTP_VAR",
    "Handler",
    "Outcome",
    "UsageError",
    "build_parser",
    "field_label",
    "main",
]

log = logging.getLogger(__name__)


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
