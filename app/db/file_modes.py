"""Owner-only permissions for the files that hold practice data or its key.

On POSIX systems the database, its key file, SQLite's -wal and -shm files, the lock file
and backups are created readable and writable by their owner only (mode 0600), so other
local accounts cannot copy them. SQLite gives -wal and -shm files the mode of their
database file. On Windows the folder's access list decides, so these helpers do nothing.
"""

import logging
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
# Clears the group and other bits of every file and folder created under it.
PRIVATE_UMASK = 0o077

_umask_lock = threading.Lock()


def _is_posix() -> bool:
    return os.name == "posix"


@contextmanager
def private_umask() -> Iterator[None]:
    """Create files owner-only while the block runs, then restore the previous umask.

    NOTE: the umask belongs to the whole process, so a file another thread creates
    meanwhile is owner-only too. The lock keeps two blocks from restoring out of order.
    """
    if not _is_posix():
        yield
        return
    with _umask_lock:
        previous = os.umask(PRIVATE_UMASK)
        try:
            yield
        finally:
            os.umask(previous)


def make_private(*paths: Path) -> None:
    """Set each existing file in `paths` to mode 0600 on POSIX, skipping missing files."""
    if not _is_posix():
        return
    for path in paths:
        try:
            os.chmod(path, PRIVATE_FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError as exc:
            # A file system without POSIX modes, such as a FAT drive, cannot store them.
            # The file stays usable, so this is a warning and not an error.
            log.warning("could not make %s owner-only: %s", path.name, exc.strerror)


def create_private_file(path: Path) -> None:
    """Create `path` empty and owner-only, replacing any file already there (POSIX only).

    SQLite keeps the mode of an existing empty file when it turns it into a database,
    so this makes a new database or backup private without changing the umask.
    """
    if not _is_posix():
        return
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    os.close(descriptor)


def copy_private(source: Path, target: Path) -> None:
    """Copy the bytes of `source` to `target`, which is owner-only from its creation."""
    create_private_file(target)
    shutil.copyfile(source, target)
