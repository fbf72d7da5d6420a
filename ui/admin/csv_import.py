"""Import patients from a CSV file: choose the file, map its columns, preview, confirm, report.

`CsvImportDialog` is a wizard. Checking the rows and saving them run through the
operation runner, off the GUI thread, with a progress dialog for large files. Nothing
is written until the user presses "Import N patients" on the confirm page, and the
rows are saved in one transaction. `CsvImportPanel` is the Admin → Import panel that
opens the wizard.
"""

import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from sqlalchemy.orm import Session

from app.errors import UserError
from app.progress import Progress
from app.security.permissions import Permission
from app.services import csv_import
from app.services.csv_import import ImportMode, ImportPlan, ImportReport, RowResult
from app.services.csv_mapping import TARGETS, Mapping, load_mapping, save_mapping
from app.services.csv_reading import CsvFile
from ui.admin.csv_import_pages import ConfirmPage, PreviewPage, ReportPage
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext
from ui.errors import show_error

log = logging.getLogger(__name__)

NOT_IMPORTED = "(not imported)"


class FilePage(QWizardPage):
    """Chooses the file and names the old system; reads the file on Next."""

    def __init__(self, wizard: "CsvImportDialog") -> None:
        super().__init__()
        self.dialog = wizard
        self.setTitle("Choose the CSV file")
        self.setSubTitle(
            "Export the patients from the old system as CSV. The source name tells "
            "later imports of the same system which patients they update."
        )
        self.path = QLineEdit()
        self.path.setAccessibleName("CSV file")
        self.path.setPlaceholderText("patients.csv")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.browse)
        self.source = QLineEdit()
        self.source.setAccessibleName("Source name")
        self.source.setPlaceholderText("Name of the old system, such as OldPM")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setAccessibleName("File problem")

        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path)
        form.addRow(file_label, row)
        form.addRow("&Source name:", self.source)
        form.addRow(self.error)
        self.reading = False
        self.path.textChanged.connect(self.completeChanged)
        self.source.textChanged.connect(self.completeChanged)

    def browse(self) -> None:
        """Ask for the file with the system file dialog."""
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose a CSV file", "", "CSV and text files (*.csv *.txt);;All files (*)"
        )
        if chosen:
            self.path.setText(chosen)

    def isComplete(self) -> bool:  # noqa: N802 (Qt override)
        """Allow Next once a file and a source name are given."""
        return bool(self.path.text().strip() and self.source.text().strip())

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        """Go on once the file is read; start reading it off the GUI thread otherwise.

        A file of tens of megabytes takes seconds to decode and parse, so the read runs
        on the operation runner and moves the wizard on when it has finished.
        """
        path = Path(self.path.text().strip())
        csv_file = self.dialog.csv_file
        if csv_file is not None and csv_file.path == path:
            self.dialog.source = self.source.text().strip()
            return True
        problems = csv_import.source_problems(self.source.text())
        if problems:
            self.error.setText(" ".join(problems))
        elif not self.reading:
            self._start_reading(path)
        return False

    def _start_reading(self, path: Path) -> None:
        self.reading = True
        self.error.setText(f"Reading {path.name}…")

        def work(_session: Session, _progress: Progress) -> CsvFile:
            return csv_import.read_csv_preview(path)

        self.dialog.context.ops.run(
            work,
            on_done=self._read,
            on_error=self._read_failed,
            title="Reading the file",
            parent=self,
            read_only=True,
        )

    def _read(self, csv_file: CsvFile) -> None:
        self.reading = False
        self.error.clear()
        self.dialog.csv_file = csv_file
        self.dialog.next()

    def _read_failed(self, error: BaseException) -> None:
        self.reading = False
        if isinstance(error, UserError):
            self.error.setText(str(error))
        else:
            show_error(self, error)


class MappingPage(QWizardPage):
    """One combo box of the file's headers per field, pre-filled from the header names."""

    def __init__(self, wizard: "CsvImportDialog") -> None:
        super().__init__()
        self.dialog = wizard
        self.setTitle("Match the columns")
        self.combos: dict[str, QComboBox] = {}
        self.samples: dict[str, QLabel] = {}
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        content = QWidget()
        groups = QVBoxLayout(content)
        for group in dict.fromkeys(target.group for target in TARGETS):
            groups.addWidget(self._group_box(group))
        groups.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        load = QPushButton("&Load mapping…")
        load.clicked.connect(self.load_mapping)
        save = QPushButton("Sa&ve mapping…")
        save.clicked.connect(self.save_mapping)
        self.mapping_status = QLabel()
        self.mapping_status.setWordWrap(True)
        self.mapping_status.setAccessibleName("Mapping file")
        buttons = QHBoxLayout()
        buttons.addWidget(load)
        buttons.addWidget(save)
        buttons.addWidget(self.mapping_status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def _group_box(self, group: str) -> QGroupBox:
        box = QGroupBox(group)
        grid = QGridLayout(box)
        for row, target in enumerate(target for target in TARGETS if target.group == group):
            combo = QComboBox()
            combo.setAccessibleName(target.label)
            combo.currentIndexChanged.connect(lambda _index, key=target.key: self._show_sample(key))
            label = QLabel(target.label + ":")
            label.setBuddy(combo)
            sample = QLabel()
            sample.setStyleSheet("color: palette(placeholder-text);")
            sample.setAccessibleName(f"Sample of {target.label}")
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(sample, row, 2)
            self.combos[target.key] = combo
            self.samples[target.key] = sample
        grid.setColumnStretch(2, 1)
        return box

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        """Fill the combo boxes with the file's headers and the suggested mapping."""
        csv_file = self.dialog.csv_file
        assert csv_file is not None
        suggested = csv_import.suggest_mapping(csv_file.headers)
        for key, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([NOT_IMPORTED, *csv_file.headers])
            header = suggested.get(key)
            combo.setCurrentIndex(csv_file.headers.index(header) + 1 if header else 0)
            combo.blockSignals(False)
            self._show_sample(key)
        self.summary.setText(
            f"{csv_file.path.name}: {len(csv_file.rows) + len(csv_file.ragged_rows):,} rows, "
            f"{len(csv_file.headers)} columns, {csv_file.encoding}, "
            f"{csv_file.delimiter_name} separated. Choose the column for each field, or "
            f"{NOT_IMPORTED}; the sample shows the first values of the chosen column."
        )

    def _show_sample(self, key: str) -> None:
        csv_file = self.dialog.csv_file
        combo = self.combos[key]
        if csv_file is None or combo.currentIndex() <= 0:
            self.samples[key].clear()
            return
        self.samples[key].setText(", ".join(csv_file.sample_values(combo.currentText())))

    def set_mapping(self, mapping: Mapping) -> list[str]:
        """Show `mapping` in the combo boxes; return the columns the file does not have."""
        missing = []
        for key, combo in self.combos.items():
            header = mapping.get(key)
            index = combo.findText(header) if header else 0
            if index < 0:
                missing.append(str(header))
                index = 0
            combo.setCurrentIndex(index)
        return missing

    def load_mapping(self, path: object = None) -> None:
        """Read a mapping saved as JSON (the file the command line's --mapping reads)."""
        if not path:
            path, _filter = QFileDialog.getOpenFileName(
                self, "Load a column mapping", "", "Mappings (*.json)"
            )
        if not path:
            return
        try:
            missing = self.set_mapping(load_mapping(Path(str(path))))
        except UserError as exc:
            self.mapping_status.setText(str(exc))
            return
        note = f" The file has no column {', '.join(missing)}." if missing else ""
        self.mapping_status.setText(f"Loaded {path}.{note}")

    def save_mapping(self, path: object = None) -> None:
        """Write the mapping as JSON, for the next file or for clinicdesk import csv --mapping."""
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, "Save the column mapping", "mapping.json", "Mappings (*.json)"
            )
        if not path:
            return
        try:
            save_mapping(self.mapping(), Path(str(path)))
        except OSError as exc:
            self.mapping_status.setText(
                f"The mapping could not be saved to {path}: {exc.strerror}."
            )
            return
        self.mapping_status.setText(f"Saved to {path}.")

    def mapping(self) -> Mapping:
        """Return the mapping the combo boxes show."""
        return {
            key: combo.currentText() if combo.currentIndex() > 0 else None
            for key, combo in self.combos.items()
        }

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        """Keep the mapping for the preview."""
        self.dialog.mapping = self.mapping()
        return True


class CsvImportDialog(QWizard):
    """The CSV import wizard: file, mapping, preview, confirm, report."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.csv_file: CsvFile | None = None
        self.source = ""
        self.mapping: Mapping = {}
        self.plan: ImportPlan | None = None
        self.selected_rows: list[int] = []
        self.mode = ImportMode.SKIP_ERRORS
        self.report: ImportReport | None = None
        self.setWindowTitle("Import patients from a CSV file")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.confirm_page = ConfirmPage(self)
        self.report_page = ReportPage(self)
        for page in (
            self.file_page,
            self.mapping_page,
            self.preview_page,
            self.confirm_page,
            self.report_page,
        ):
            self.addPage(page)
        self.resize(1000, 700)


class CsvImportPanel(QWidget):
    """The Admin → Import panel for CSV files: explains the import and opens the wizard."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dialog: CsvImportDialog | None = None
        intro = QLabel(
            "Bring patients over from another practice system. Export them as a CSV "
            "file, match its columns to ClinicDesk's fields and check every row before "
            "anything is saved. Importing a newer export with the same source name updates "
            "the patients of the first import."
        )
        intro.setWordWrap(True)
        self.start_button = QPushButton("&Import a CSV file…")
        self.start_button.clicked.connect(self.open_wizard)
        allowed = context.can(Permission.PATIENT_IMPORT)
        self.start_button.setEnabled(allowed)
        self.status = QLabel("" if allowed else "Your role does not allow importing patients.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Last CSV import")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.start_button, 0)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def open_wizard(self) -> CsvImportDialog:
        """Open the import wizard (window-modal) and return it."""
        dialog = CsvImportDialog(self.context, self)
        dialog.finished.connect(lambda _result: self._wizard_closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _wizard_closed(self, dialog: CsvImportDialog) -> None:
        report = dialog.report
        if report is not None:
            self.status.setText(
                f"Last import: {report.count(RowResult.CREATED):,} created, "
                f"{report.count(RowResult.UPDATED):,} updated, "
                f"{report.count(RowResult.SKIPPED) + report.count(RowResult.FAILED):,} "
                "not imported."
            )
        dialog.deleteLater()
        self.dialog = None
