"""One process per database file, enforced with an OS file lock.

The lock is held on `<database>.lock` for as long as the database is open. The OS drops
it when the process dies, so a crash never leaves a stale lock behind; the file's text
(process id, host, start time) only serves to name the holder in the error message.
"""

import json
import logging
import os
import socket
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

from app.clock import utc_now
from app.db.file_modes import make_private
from app.errors import DatabaseLockedError, DatabaseOpenError

log = logging.getLogger(__name__)


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        # NOTE: Windows locks byte ranges, so another process cannot read the holder's
        # text while the lock is held and the message falls back to a generic holder.
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another ClinicDesk process"
    return (
        f"ClinicDesk process {holder.get('pid', '?')} on {holder.get('host', '?')}"
        f" (started {holder.get('started', '?')})"
    )


class DatabaseLock:
    """Exclusive lock on a database file; use as a context manager or call release()."""

    def __init__(self, lock_path: Path, database: Path) -> None:
        self.lock_path = lock_path
        self.database = database
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise DatabaseLockedError naming the process that holds it."""
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
            make_private(self.lock_path)
        except OSError as exc:
            raise DatabaseOpenError(
                f"Could not create the lock file {self.lock_path} ({exc.strerror}). ClinicDesk "
                "needs write access to the database's folder; if a folder has that name, "
                "remove it."
            ) from exc
        if not _try_lock(handle):
            handle.close()
            raise DatabaseLockedError(
                f"The database {self.database} is already open in "
                f"{_describe_holder(self.lock_path)}. Close ClinicDesk there first, "
                "or open a different database with --db."
            )

        handle.seek(0)
        handle.truncate()
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": utc_now().isoformat(),
        }
        handle.write(json.dumps(holder))
        handle.flush()
        self._handle = handle
        log.debug("locked database file %s", self.database.name)

    def release(self) -> None:
        """Drop the lock; safe to call twice."""
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None

    def __enter__(self) -> "DatabaseLock":
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
