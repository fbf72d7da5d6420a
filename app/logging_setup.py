"""Application logging: a rotating log file for diagnosis, errors on the console."""

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.paths import log_dir as default_log_dir

LOG_FILE_NAME = "clinicdesk.log"
MAX_LOG_BYTES = 1024 * 1024
LOG_BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

# Marks the handlers this module installed, so a second call replaces them instead of
# adding duplicates (and leaves handlers that pytest or a host program added alone).
_HANDLER_MARK = "_clinicdesk_handler"


def _mark(handler: logging.Handler) -> logging.Handler:
    setattr(handler, _HANDLER_MARK, True)
    return handler


def _remove_ours(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()


def _without_traceback(record: logging.LogRecord) -> bool:
    # A record with a traceback is a bug report for the log file only. The code that
    # logged it prints one line to the user naming the log file.
    return record.exc_info is None


def _console_handler(verbose: bool) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO if verbose else logging.ERROR)
    handler.setFormatter(logging.Formatter("clinicdesk: %(levelname)s: %(message)s"))
    handler.addFilter(_without_traceback)
    return handler


def configure_logging(
    verbose: bool = False, log_dir: Path | None = None, console: bool = True
) -> Path:
    """Log to `clinicdesk.log` (1 MB, five old files kept) and errors to stderr.

    `verbose` records DEBUG in the file and shows INFO on the console; otherwise the
    console shows ERROR and above only. `console=False` leaves stderr alone, for a
    program that prints its own one-line errors. Calling this again replaces the
    handlers of the earlier call. Returns the log file path.
    """
    folder = log_dir if log_dir is not None else default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / LOG_FILE_NAME

    root = logging.getLogger()
    _remove_ours(root)
    formatter = logging.Formatter(LOG_FORMAT)

    file_handler = RotatingFileHandler(
        log_file, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUP_COUNT, encoding="utf-8"
    )
    file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    file_handler.setFormatter(formatter)
    root.addHandler(_mark(file_handler))

    if console:
        root.addHandler(_mark(_console_handler(verbose)))

    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return log_file


def stop_logging() -> None:
    """Remove and close the handlers configure_logging installed (at exit, and in tests)."""
    _remove_ours(logging.getLogger())
