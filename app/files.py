"""Writing export files so they appear complete or not at all.

Every export, printed form and report goes through `write_atomically`, so a path that
cannot be written fails the same way everywhere: a FileWriteError naming the path,
the reason and the fix, never a bare OSError. Missing folders are never created,
because a typo in a folder name would otherwise scatter patient files on the disk.
"""

import errno
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.errors import FileWriteError

log = logging.getLogger(__name__)

FIX = "Choose another folder or file name."

# Reasons for the errno values a write usually fails with; others use the OS text.
_REASONS: dict[int, str] = {
    errno.EACCES: "you do not have permission to write there",
    errno.EPERM: "you do not have permission to write there",
    errno.EROFS: "the disk or folder is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "the name is too long",
}


def target_problem(path: Path) -> str | None:
    """Return why `path` cannot be written as a new or replaced file, or None when it can."""
    try:
        return _stat_problem(path)
    except OSError as error:
        # Python 3.11's Path.is_dir raises for a name longer than the file system allows.
        return _REASONS.get(error.errno or 0) or error.strerror or str(error)


def _stat_problem(path: Path) -> str | None:
    parent = path.parent
    if path.is_dir():
        return f"{path} is a folder"
    if not parent.exists():
        return f"the folder {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"you do not have permission to write in the folder {parent}"
    return None


def check_target(path: Path) -> None:
    """Raise FileWriteError when `path` cannot be written, before any work is done."""
    problem = target_problem(path)
    if problem is not None:
        raise FileWriteError(f"Could not write {path}: {problem}. {FIX}")


def write_error(path: Path, error: OSError) -> FileWriteError:
    """Return the FileWriteError for an OSError met while writing `path`."""
    reason = target_problem(path) or _REASONS.get(error.errno or 0) or error.strerror
    return FileWriteError(f"Could not write {path}: {reason or error}. {FIX}")


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` with a temporary file beside `path`, then rename it to `path`.

    The file is owner-only on POSIX (mkstemp creates it with mode 0600) because
    exports and printed forms carry patient details. On any failure the temporary
    file is removed and `path` is left as it was. Raises FileWriteError when the
    folder is missing, is a file or is not writable, when `path` is a folder, or when
    the file system fails the write (a full or read-only disk).
    """
    check_target(path)
    try:
        descriptor, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    except OSError as error:
        log.warning("could not create a file beside %s: %s", path.name, error.strerror)
        raise write_error(path, error) from error

    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        log.warning("could not write %s: %s", path.name, error.strerror)
        raise write_error(path, error) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    log.debug("wrote %s", path.name)
