"""Printing the superbill and the walkout receipt from the Schedule, Today and encounter
screens: ask where to save the PDF, write it in the background, then open it.
"""

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from sqlalchemy.orm import Session

from app.progress import Progress
from app.services.superbill import superbill_pdf
from app.services.walkout import walkout_pdf
from ui.admin.common import run_for
from ui.context import AppContext
from ui.ops import Operation
from ui.widgets import documents_path

log = logging.getLogger(__name__)

OpenFile = Callable[[Path], None]


def open_pdf(path: Path, parent: QWidget) -> None:
    """Open the PDF in the desktop's viewer, or show where it was saved when none opens."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return
    log.warning("no PDF viewer opened %s", path.name)
    text = f"Saved {path}. No PDF viewer opened it, so open the file from its folder to print."
    box = QMessageBox(QMessageBox.Icon.Information, "PDF saved", text, parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def print_superbill(
    context: AppContext,
    appointment_id: uuid.UUID | None,
    parent: QWidget,
    *,
    path: Path | None = None,
    open_file: OpenFile | None = None,
) -> Operation | None:
    """Save a superbill PDF, pre-filled for the appointment or blank for None, and open it.

    Without `path` a save dialog requests the file, and None is returned when it is cancelled.
    `open_file` receives the written file (the default opens it in the PDF viewer).
    """
    default_name = "superbill.pdf" if appointment_id is not None else "superbill-blank.pdf"
    target = path or _choose_path(parent, default_name)
    if target is None:
        return None
    actor = context.actor

    def work(session: Session, _progress: Progress) -> Path:
        return superbill_pdf(session, actor, appointment_id, target)

    return run_for(
        parent, context, work, _opener(parent, open_file), title="Writing the superbill…"
    )


def print_walkout(
    context: AppContext,
    encounter_id: uuid.UUID,
    parent: QWidget,
    *,
    path: Path | None = None,
    open_file: OpenFile | None = None,
) -> Operation | None:
    """Save the encounter's walkout receipt PDF and open it.

    Without `path` a save dialog requests the file, and None is returned when it is cancelled.
    `open_file` receives the written file (the default opens it in the PDF viewer).
    """
    target = path or _choose_path(parent, "walkout-receipt.pdf")
    if target is None:
        return None
    actor = context.actor

    def work(session: Session, _progress: Progress) -> Path:
        return walkout_pdf(session, actor, encounter_id, target)

    done = _opener(parent, open_file)
    return run_for(parent, context, work, done, title="Writing the receipt…")


def _choose_path(parent: QWidget, default_name: str) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(
        parent, "Save PDF", documents_path(default_name), "PDF files (*.pdf)"
    )
    return Path(name) if name else None


def _opener(parent: QWidget, open_file: OpenFile | None) -> OpenFile:
    if open_file is not None:
        return open_file
    return lambda path: open_pdf(path, parent)
