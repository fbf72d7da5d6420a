"""Writing the Payments page's PDFs (receipts, day sheets, deposit reports) and opening them.

Each PDF goes to the user's Documents folder under a name that never replaces an
earlier file, so a reprint keeps the first copy.
"""

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from app.progress import Progress
from app.security.permissions import Actor
from ui.admin.common import run_for
from ui.charges.print_actions import open_pdf
from ui.context import AppContext
from ui.ops import Operation
from ui.widgets import documents_path

log = logging.getLogger(__name__)

# A service call that writes a PDF to the path given and returns the path it wrote.
WritePdf = Callable[[Session, Actor, Path], Path]
OpenFile = Callable[[Path], None]


def free_path(folder: Path, stem: str) -> Path:
    """Return `folder/stem.pdf`, or `stem-2.pdf`, `stem-3.pdf`… when that file exists."""
    candidate = folder / f"{stem}.pdf"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}.pdf"
        number += 1
    return candidate


def print_pdf(
    context: AppContext,
    parent: QWidget,
    stem: str,
    write: WritePdf,
    *,
    title: str,
    folder: Path | None = None,
    open_file: OpenFile | None = None,
) -> Operation:
    """Write a PDF named after `stem` into Documents (or `folder`) and open it.

    `open_file` receives the written file; the default opens it in the PDF viewer.
    """
    target = free_path(folder or Path(documents_path()), stem)
    target.parent.mkdir(parents=True, exist_ok=True)
    actor = context.actor

    def work(session: Session, _progress: Progress) -> Path:
        return write(session, actor, target)

    def done(path: Path) -> None:
        log.info("wrote %s", path.name)
        if open_file is not None:
            open_file(path)
        else:
            open_pdf(path, parent)

    return run_for(parent, context, work, done, title=title)
