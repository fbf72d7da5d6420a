"""Writing export files so they appear complete or not at all."""

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` with a temporary file beside `path`, then rename it to `path`.

    The file is owner-only on POSIX (mkstemp creates it with mode 0600) because
    exports and printed forms carry patient details. On any failure the temporary
    file is removed and `path` is left as it was.
    """
    descriptor, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    log.debug("wrote %s", path.name)
