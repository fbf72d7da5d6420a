"""Opening statement PDFs: the stored bytes are written to a temporary file and opened.

Statements and batches are kept in the database exactly as printed or sent. Opening one
writes a copy into a folder of the system's temporary directory that only this user may
read, then hands the file to the PDF viewer. A copy never replaces an earlier one.
"""

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from app.files import write_atomically
from app.progress import Progress
from app.security.permissions import Actor
from ui.admin.common import run_for
from ui.charges.print_actions import open_pdf
from ui.context import AppContext
from ui.ops import Operation
from ui.payments.printing import OpenFile, free_path

log = logging.getLogger(__name__)

# A service call that returns a stored PDF (and audits that it was opened), or None when
# there is nothing to open.
FetchPdf = Callable[[Session, Actor], bytes | None]
TEMP_FOLDER_NAME = "clinicdesk-statements"


def temp_folder() -> Path:
    """Return the folder for opened statement PDFs, made readable by this user only."""
    folder = Path(tempfile.gettempdir()) / TEMP_FOLDER_NAME
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def open_stored_pdf(
    context: AppContext,
    parent: QWidget,
    stem: str,
    fetch: FetchPdf,
    *,
    title: str,
    folder: Path | None = None,
    open_file: OpenFile | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_empty: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
) -> Operation:
    """Fetch a PDF off the GUI thread, write it as `stem`.pdf and open it.

    The file goes to `folder`, or to the temporary folder when None. `open_file`
    receives the written path; the default opens it in the PDF viewer. When `fetch`
    returns None, nothing is written and `on_empty` is called. `after` is called last
    either way, for callers whose fetch changed what they list.
    """
    actor = context.actor

    def work(session: Session, _progress: Progress) -> Path | None:
        data = fetch(session, actor)
        if data is None:
            return None
        target = free_path(folder or temp_folder(), stem)

        def write(path: Path) -> None:
            path.write_bytes(data)

        write_atomically(target, write)
        return target

    def done(path: Path | None) -> None:
        if path is None:
            if on_empty is not None:
                on_empty()
        else:
            log.info("wrote %s", path.name)
            if open_file is not None:
                open_file(path)
            else:
                open_pdf(path, parent)
        if after is not None:
            after()

    return run_for(parent, context, work, done, on_error, title=title)
