"""The Import tab: bring patients in from other systems, one panel per importer.

The tab shows a chooser above a stack of importer panels; `FhirImportPanel` imports
FHIR R4 bundles. Another importer adds its panel with `ImportTab.add_importer`.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import FileWriteError, UserError
from app.progress import Progress
from app.services.fhir_import import import_fhir
from app.services.fhir_report import ImportReport, review_rank, write_report_csv
from app.services.today import practice_today
from ui.admin.common import RecordTable, run_for
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext
from ui.errors import show_error
from ui.ops import Operation

log = logging.getLogger(__name__)

HEADERS = ("File", "Resource", "Id", "Outcome", "Message")
OUTCOMES = ("imported", "updated", "unchanged", "skipped", "failed")
ALL_OUTCOMES = "All outcomes"
ID_COLUMN = HEADERS.index("Id")
MESSAGE_COLUMN = HEADERS.index("Message")
# Enough of an id to tell rows apart at a glance.
ID_COLUMN_CHARACTERS = 12
PROGRESS_POLL_MS = 100


class FhirImportPanel(QWidget):
    """Chooses a bundle file or folder, imports it off the GUI thread, shows the report."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.report: ImportReport | None = None
        self.operation: Operation | None = None
        self.path = QLineEdit()
        self.path.setAccessibleName("Bundle file or folder")
        self.path.setPlaceholderText("A FHIR bundle (.json) or a folder of bundles")
        self.file_button = QPushButton("Choose &file…")
        self.file_button.clicked.connect(self.choose_file)
        self.folder_button = QPushButton("Choose f&older…")
        self.folder_button.clicked.connect(self.choose_folder)

        self.import_button = QPushButton("&Import")
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_import)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.progress.setValue(0)
        self.status = QLabel("Choose a file or folder, then Import.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Import result")

        self.outcome_filter = QComboBox()
        self.outcome_filter.setAccessibleName("Show rows with outcome")
        self.outcome_filter.addItems([ALL_OUTCOMES, *OUTCOMES])
        self.outcome_filter.currentIndexChanged.connect(self._show_rows)
        self.table = RecordTable(HEADERS, "Import report")
        self.save_button = QPushButton("&Save report as CSV…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_report_path)

        self._poll = QTimer(self)
        self._poll.setInterval(PROGRESS_POLL_MS)
        self._poll.timeout.connect(self._update_progress)
        self._layout()

    def _layout(self) -> None:
        chooser = QHBoxLayout()
        chooser.addWidget(self.path, 1)
        chooser.addWidget(self.file_button)
        chooser.addWidget(self.folder_button)
        actions = QHBoxLayout()
        actions.addWidget(self.import_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.progress, 1)
        report_bar = QHBoxLayout()
        report_bar.addWidget(QLabel("Show:"))
        report_bar.addWidget(self.outcome_filter)
        report_bar.addStretch(1)
        report_bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Bundles", chooser)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addLayout(report_bar)
        layout.addWidget(self.table, 1)

    # ---- choosing -----------------------------------------------------------------------

    def choose_file(self) -> None:
        """Pick one bundle file."""
        dialog = QFileDialog(self, "Choose a FHIR bundle", self.path.text())
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("FHIR bundles (*.json)")
        dialog.fileSelected.connect(self.path.setText)
        dialog.open()

    def choose_folder(self) -> None:
        """Pick a folder of bundle files."""
        dialog = QFileDialog(self, "Choose a folder of FHIR bundles", self.path.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.path.setText)
        dialog.open()

    # ---- importing ----------------------------------------------------------------------

    def start_import(self) -> None:
        """Import the chosen file or folder on a worker thread."""
        text = self.path.text().strip()
        if not text:
            self._show_status("Choose a bundle file or folder first.", error=True)
            return
        source, actor = Path(text).expanduser(), self.context.actor

        def work(session: Session, progress: Progress) -> ImportReport:
            return import_fhir(session, actor, source, practice_today(session), progress)

        self._set_running(True)
        self._show_status(f"Importing {source.name}…")
        self.operation = run_for(self, self.context, work, self._imported, self._failed)

    def cancel_import(self) -> None:
        """Stop the running import at its next file; nothing it wrote is kept."""
        if self.operation is not None:
            self.operation.progress.cancel()
            self._show_status("Cancelling…")

    def _set_running(self, running: bool) -> None:
        for widget in (self.import_button, self.file_button, self.folder_button, self.path):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)
            self.progress.setFormat("%p%")
            self._poll.start()
        else:
            self._poll.stop()

    def _update_progress(self) -> None:
        if self.operation is None:
            return
        done, total, message = self.operation.progress.snapshot()
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, total))
        if message:
            self.progress.setFormat(f"%p% {message}")

    def _imported(self, report: ImportReport) -> None:
        self.operation = None
        self._set_running(False)
        self.progress.setValue(self.progress.maximum())
        self.progress.setFormat("%p% Finished")
        self.report = report
        failed = report.failed_files
        lines = [report.summary(), *(result.message for result in failed)]
        self._show_status("\n".join(lines), error=bool(failed))
        self.save_button.setEnabled(True)
        self._show_rows()

    def _failed(self, error: BaseException) -> None:
        self.operation = None
        self._set_running(False)
        self._show_status(f"Import failed; nothing was saved. {error}", error=True)
        if not isinstance(error, UserError):
            show_error(self, error)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {ERROR_COLOR};" if error else "")
        self.status.setText(text)

    # ---- report -------------------------------------------------------------------------

    def _show_rows(self) -> None:
        """Fill the table with the report rows of the chosen outcome, those to review first."""
        if self.report is None:
            return
        wanted = self.outcome_filter.currentText()
        rows = [
            (index, [row.file, row.resource_type, row.resource_id, row.outcome, row.message])
            for index, row in enumerate(self.report.rows)
            if wanted in (ALL_OUTCOMES, row.outcome)
        ]
        offset = len(self.report.rows)
        rows += [
            (offset + index, [result.file, "", "", "failed", result.message])
            for index, result in enumerate(self.report.failed_files)
            if wanted in (ALL_OUTCOMES, "failed")
        ]
        # A stable sort, so rows of one rank keep the file order.
        rows.sort(key=lambda row: review_rank(row[1][1], row[1][3]))
        self.table.set_rows(rows)
        self._size_columns()

    def _size_columns(self) -> None:
        """Keep the Id column narrow and give the Message column the rest of the width.

        Synthea ids are 36-character UUIDs that the user rarely reads. The cell's tooltip
        shows the whole id.
        """
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(MESSAGE_COLUMN, QHeaderView.ResizeMode.Stretch)
        compact = self.table.fontMetrics().horizontalAdvance("0" * ID_COLUMN_CHARACTERS)
        if self.table.columnWidth(ID_COLUMN) > compact:
            self.table.setColumnWidth(ID_COLUMN, compact)

    def choose_report_path(self) -> None:
        """Ask where to save the report, then save it."""
        dialog = QFileDialog(self, "Save the import report", "import-report.csv")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda chosen: self.save_report(Path(chosen)))
        dialog.open()

    def save_report(self, path: Path) -> None:
        """Write the report rows to `path` as CSV."""
        if self.report is None:
            return
        try:
            write_report_csv(self.report, path)
        except FileWriteError as exc:
            log.warning("import report not saved: %s", type(exc).__name__)
            self._show_status(str(exc), error=True)
            return
        self._show_status(f"Report saved to {path}.")


class ImportTab(QWidget):
    """The Import tab: a chooser of importers above the chosen importer's panel."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.kind = QComboBox()
        self.kind.setAccessibleName("What to import")
        self.panels = QStackedWidget()
        self.kind.currentIndexChanged.connect(self.panels.setCurrentIndex)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Import:"))
        chooser.addWidget(self.kind)
        chooser.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addWidget(self.panels, 1)
        self.fhir_panel = FhirImportPanel(context)
        self.add_importer("FHIR bundles", self.fhir_panel)
        # Imported here, not at the top, so the module stays importable on its own.
        from ui.admin.csv_import import CsvImportPanel

        self.csv_panel = CsvImportPanel(context)
        self.add_importer("CSV file of patients", self.csv_panel)

    def add_importer(self, title: str, panel: QWidget) -> None:
        """Offer another importer, such as a CSV file panel, in the chooser."""
        self.panels.addWidget(panel)
        self.kind.addItem(title)
