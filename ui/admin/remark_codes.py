"""The Code sets page for the wording of adjustment reason (CARC) and remark (RARC) codes.

ClinicDesk may not ship the wording of these lists, so the page explains where the
practice finds them and imports the CSV it saves. The remittance review screens show
the imported wording next to each code.
"""

import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services import remark_codes
from app.services.remark_codes import KIND_LABELS, RemarkCodeList
from ui.admin.common import RecordTable, Work, run_for
from ui.admin.forms import RecordDialog
from ui.context import AppContext
from ui.widgets import documents_path

log = logging.getLogger(__name__)

CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"
WHERE_TO_FIND = (
    "Remittances give a code for every adjustment, such as CO-45 or N130. ClinicDesk "
    "shows the codes, but the wording belongs to X12 (adjustment reason codes, CARC) and "
    "CMS (remark codes, RARC) and cannot come with the program. To see it on the "
    "remittance screens, download each list from x12.org/codes, save it as a CSV file "
    "with the code in the first column and its description in the second, and import "
    "it here. Import again when the lists change (three times a year)."
)


class CsvFileField(QWidget):
    """A CSV path typed or chosen with Browse…, starting in Documents."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = QLineEdit()
        self.path.setPlaceholderText("carc.csv saved from the published list")
        self.browse = QPushButton("&Browse…")
        self.browse.setAccessibleName("Browse for the file")
        # Otherwise the dialog makes it the default button, and Enter in the path opens
        # the file dialog instead of importing.
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self.choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.setFocusProxy(self.path)

    def choose(self) -> None:
        """Ask for the file with the system's file dialog."""
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose the code list", documents_path(), CSV_FILTER
        )
        if chosen:
            self.path.setText(chosen)

    def text(self) -> str:
        """Return the path as typed or chosen."""
        return self.path.text().strip()


class ImportRemarkCodesDialog(RecordDialog):
    """Imports one list's wording from a CSV file, replacing the list stored before."""

    progress_title = "Importing code wording"

    def __init__(self, context: AppContext, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(context, "Import CARC/RARC wording", parent)
        self.setObjectName("importRemarkCodesDialog")
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label[0].upper() + label[1:], key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.file = CsvFileField()
        form = self.form
        form.add_field("kind", "&List", self.kind, "Which list the file contains")
        form.add_field(
            "file", "&File", self.file,
            "A CSV file: code in the first column, description in the second; a header "
            "row is allowed",
        )  # fmt: skip
        self.file.path.textEdited.connect(lambda _text: self.mark_dirty())
        # The dialog reads a file into the database, so its button is labeled Import.
        import_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        import_button.setText("&Import")
        import_button.setAccessibleName("Import")
        self.finish_building()
        self.file.setFocus()

    def build_work(self) -> Work:
        actor = self.context.actor
        path = Path(self.file.text())
        kind = str(self.kind.currentData())

        def work(session: Session, _progress: Progress) -> Changes:
            return remark_codes.import_remark_codes(session, actor, path, kind)

        return work


class RemarkCodesSection(QWidget):
    """How many codes of each list have wording, with Import CARC/RARC wording…."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.lists: list[RemarkCodeList] = []
        self.dialog: ImportRemarkCodesDialog | None = None
        note = QLabel(WHERE_TO_FIND)
        note.setObjectName("subtleText")
        note.setWordWrap(True)
        self.import_button = QPushButton("&Import CARC/RARC wording…")
        self.import_button.setObjectName("importRemarkCodes")
        self.import_button.setAccessibleName("Import CARC/RARC wording")
        self.import_button.clicked.connect(self.open_import)
        self.table = RecordTable(("List", "Codes with wording", "Imported from"), "Code lists")
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(self.table)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.CODE_SETS):
            self.refresh()

    def refresh(self) -> None:
        """Reload the code counts in the background."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[RemarkCodeList]:
            return remark_codes.remark_code_lists(session, actor)

        run_for(self, self.context, work, self._show, read_only=True)

    def _show(self, lists: list[RemarkCodeList]) -> None:
        self.lists = lists
        rows = []
        for item in lists:
            label = item.label[0].upper() + item.label[1:]
            count = f"{item.code_count:,}" if item.code_count else "None imported"
            rows.append((item.kind, [label, count, item.source]))
        self.table.set_rows(rows)

    def open_import(self) -> ImportRemarkCodesDialog:
        """Open the import dialog (on the list selected in the table) and return it."""
        kind = self.table.selected_id() or remark_codes.CARC
        dialog = ImportRemarkCodesDialog(self.context, str(kind), self)
        self.dialog = dialog
        dialog.open()
        return dialog
