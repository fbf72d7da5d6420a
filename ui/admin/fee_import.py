"""The fee schedule import dialog: choose the schedule, preview every row, then import.

Nothing is written until Import is pressed, and Import stays disabled while any row or
the new schedule has an error. The import writes every row or none.
"""

import logging
import uuid
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import UserError
from app.progress import Progress
from app.services import fee_csv
from app.services.fee_csv import FeeImportPreview, FeeImportResult, FeeRow, ImportTarget, RowStatus
from app.services.fee_schedules import FeeScheduleSummary
from ui.admin.common import RecordTable, run_for
from ui.admin.fee_schedule_fields import ScheduleFields
from ui.admin.forms import ERROR_COLOR, FieldForm
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets import find_data

log = logging.getLogger(__name__)

PREVIEW_HEADERS = ("Row", "Status", "Code", "Modifier", "Fee", "Description", "Problems and notes")
STATUS_COLORS = {
    RowStatus.NEW: "#1b5e20",
    RowStatus.CHANGED: "#8a5a00",
    RowStatus.UNCHANGED: "#555555",
    RowStatus.ERROR: ERROR_COLOR,
}
NEW_SCHEDULE = "new"


def row_cells(row: FeeRow) -> list[str]:
    """Return the preview table cells of one row."""
    notes = [problem.text for problem in row.problems] + list(row.notes)
    if row.creates_code:
        notes.append(f"Adds {row.parsed.code} to Procedure codes.")
    return [
        str(row.row_number),
        row.status.label,
        row.parsed.code,
        row.parsed.modifier,
        row.change_text,
        row.parsed.description,
        " ".join(notes),
    ]


class FeeImportDialog(QDialog):
    """Previews a fee file against a schedule and imports it when the user confirms."""

    def __init__(
        self,
        context: AppContext,
        path: Path,
        schedules: list[FeeScheduleSummary],
        selected_id: uuid.UUID | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.path = path
        self.preview: FeeImportPreview | None = None
        self.result_value: FeeImportResult | None = None
        self.busy = False
        self.setWindowTitle(f"Import fee schedule from {path.name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumSize(860, 560)

        self.target = QComboBox()
        self.target.setAccessibleName("Import into")
        for schedule in schedules:
            if not schedule.archived:
                self.target.addItem(schedule.name, schedule.id)
        self.target.addItem("New schedule…", NEW_SCHEDULE)
        self.target.setCurrentIndex(max(find_data(self.target, selected_id), 0))
        self.fields = ScheduleFields(context, self, None)
        self.new_form = FieldForm()
        self.fields.add_to(self.new_form)
        self.new_group = QGroupBox("New schedule")
        QVBoxLayout(self.new_group).addWidget(self.new_form)
        self.preview_button = QPushButton("&Preview")
        self.preview_button.setAccessibleName("Preview")
        self.preview_button.clicked.connect(self.run_preview)
        self.summary = QLabel("Reading the file…")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Preview summary")
        self.table = RecordTable(PREVIEW_HEADERS, "Preview rows")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setAccessibleName("Import")
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.target.currentIndexChanged.connect(self._target_changed)
        self._target_changed()

    def _lay_out(self) -> None:
        top = QFormLayout()
        top.addRow("File:", QLabel(str(self.path)))
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.preview_button)
        caption = QLabel("Import &into:")
        caption.setBuddy(self.target)
        top.addRow(caption, target_row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.new_group)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)

    def _chosen_target(self) -> ImportTarget:
        data = self.target.currentData()
        if data == NEW_SCHEDULE:
            return ImportTarget(new_schedule=self.fields.build_form())
        return ImportTarget(schedule_id=data)

    def _target_changed(self) -> None:
        creating = self.target.currentData() == NEW_SCHEDULE
        self.new_group.setVisible(creating)
        if creating:
            # The new schedule's fields start blank, so the user types them and then
            # presses Preview instead of reading an error about a missing name.
            self._show_preview(None)
            self.summary.setText("Fill in the new schedule, then press Preview.")
            self.fields.name.setFocus()
        else:
            self.run_preview()

    def run_preview(self) -> None:
        """Check every row of the file against the chosen schedule, off the GUI thread."""
        if self.busy:
            return
        self.busy = True
        self.import_button.setEnabled(False)
        self.summary.setText("Checking every row…")
        actor, path, target = self.context.actor, self.path, self._chosen_target()

        def work(session: Session, _progress: Progress) -> FeeImportPreview:
            return fee_csv.preview_fee_import(session, actor, path, target)

        run_for(self, self.context, work, self._previewed, self._failed, title="Checking the file")

    def _previewed(self, preview: FeeImportPreview) -> None:
        self.busy = False
        self._show_preview(preview)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._show_preview(None)
        if isinstance(error, UserError):
            # A file that cannot be read, or a schedule archived meanwhile: the message
            # names the fix, so it stays in view above the empty table.
            self.summary.setText(str(error))
            self.summary.setStyleSheet(f"color: {ERROR_COLOR};")
        else:
            show_error(self, error)

    def _show_preview(self, preview: FeeImportPreview | None) -> None:
        self.preview = preview
        self.summary.setStyleSheet("")
        self.new_form.clear_problems()
        if preview is None:
            self.table.set_rows([])
            self.import_button.setEnabled(False)
            return
        self.new_form.show_problems(list(preview.schedule_problems))
        self.table.set_rows([(row.row_number, row_cells(row)) for row in preview.rows])
        self._paint_statuses(preview)
        lines = [preview.summary()]
        if preview.ignored_columns:
            lines.append(f"Ignored columns: {', '.join(preview.ignored_columns)}.")
        if not preview.can_import:
            lines.append("Fix the errors in the file or the schedule, then press Preview again.")
            self.summary.setStyleSheet(f"color: {ERROR_COLOR};")
        self.summary.setText(" ".join(lines))
        self.import_button.setEnabled(preview.can_import)
        if preview.can_import:
            self.import_button.setDefault(True)

    def _paint_statuses(self, preview: FeeImportPreview) -> None:
        by_row = {row.row_number: row.status for row in preview.rows}
        for index in range(self.table.rowCount()):
            item = self.table.item(index, 1)
            number = self.table.item(index, 0)
            if item is None or number is None:
                continue
            status = by_row.get(int(number.text()))
            if status is not None:
                item.setForeground(QColor(STATUS_COLORS[status]))

    def status_texts(self) -> list[str]:
        """Return the Status column, top to bottom."""
        return self.table.column_texts(1)

    def run_import(self) -> None:
        """Write the previewed rows, all or none, then close."""
        preview = self.preview
        if self.busy or preview is None or not preview.can_import:
            return
        self.busy = True
        self.import_button.setEnabled(False)
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> FeeImportResult:
            return fee_csv.apply_fee_import(session, actor, preview)

        run_for(self, self.context, work, self._imported, self._failed, title="Importing prices")

    def _imported(self, result: FeeImportResult) -> None:
        self.busy = False
        self.result_value = result
        log.info("fee import finished for schedule %s", result.schedule_id)
        self.accept()

    def reject(self) -> None:
        """Close without importing, unless an import is running."""
        if not self.busy:
            super().reject()


def result_message(name: str, result: FeeImportResult) -> str:
    """Return an import's outcome in one sentence for the tab's status line."""
    return (
        f"Imported into {name}: {result.added:,} prices added, {result.changed:,} changed, "
        f"{result.unchanged:,} unchanged, {result.codes_created:,} procedure codes created."
    )
