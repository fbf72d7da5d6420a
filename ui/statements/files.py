"""Where the Statements page's save dialogs open: the last folder used, else Documents.

Without a folder a file dialog opens in the program's working folder, which for an
installed copy is the install folder, and the exported files list guarantors. The
last folder is remembered while the program runs, for every Statements export.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

log = logging.getLogger(__name__)

CSV_FILTER = "CSV files (*.csv)"

_last_folder: Path | None = None


def start_folder() -> Path:
    """Return the folder a save dialog opens in: the last one used, Documents, or home."""
    if _last_folder is not None and _last_folder.is_dir():
        return _last_folder
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    # A new account may have no Documents folder yet; the dialog would then fall back
    # to the working folder, so the home folder is used instead.
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def remember_folder(path: Path) -> None:
    """Make the folder of `path` the one the next save dialog opens in."""
    global _last_folder  # noqa: PLW0603 (one remembered folder for the whole program)
    _last_folder = path.parent


def forget_folder() -> None:
    """Forget the last folder used (tests, and a sign-out that should leave no trace)."""
    global _last_folder  # noqa: PLW0603 (one remembered folder for the whole program)
    _last_folder = None


def choose_csv_file(parent: QWidget, title: str, file_name: str) -> Path | None:
    """Ask where to save a CSV file named `file_name` by default; None when cancelled."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(start_folder() / file_name), CSV_FILTER
    )
    if not chosen:
        return None
    path = Path(chosen)
    remember_folder(path)
    return path
