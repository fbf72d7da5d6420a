"""The preview, confirm and report pages of the CSV import wizard (ui.admin.csv_import)."""

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)
from sqlalchemy.orm import Session

from app.errors import FileWriteError
from app.progress import Progress
from app.services import csv_import
from app.services.csv_import import (
    PREVIEW_COLUMNS,
    ImportMode,
    ImportPlan,
    ImportReport,
    PlannedRow,
    RowResult,
)
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.errors import show_error

if TYPE_CHECKING:
    from ui.admin.csv_import import CsvImportDialog

log = logging.getLogger(__name__)

# The preview table shows this many rows; the rows after them keep their default selection.
PREVIEW_LIMIT = 1000
PROBLEM_LIMIT = 2000
ERROR_BACKGROUND = QColor("#fbe4e2")
WARNING_BACKGROUND = QColor("#fff4d6")
PROBLEM_HEADERS = ("Row", "Column", "Severity", "Message")
REPORT_HEADERS = ("Row", "Result", "Chart number", "ID in old system", "Message")
SELECT_HEADER = "Import"


def make_table(headers: tuple[str, ...], name: str) -> QTableWidget:
    """Return a read-only table with `headers`, whole-row selection and no row numbers."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.setWordWrap(False)
    return table


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    return item


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for row_index, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.setItem(row_index, column, _item(text))
    table.resizeColumnsToContents()


class PreviewPage(QWizardPage):
    """Checks every row off the GUI thread and shows them as they will be saved."""

    def __init__(self, wizard: "CsvImportDialog") -> None:
        super().__init__()
        self.dialog = wizard
        self.setTitle("Check the rows")
        self.counts = QLabel("Checking the rows…")
        self.counts.setAccessibleName("Row counts")
        self.counts.setWordWrap(True)
        self.table = make_table((SELECT_HEADER, *PREVIEW_COLUMNS[1:]), "Rows to import")
        self.table.itemChanged.connect(lambda _item: self.completeChanged.emit())
        self.problems = make_table(PROBLEM_HEADERS, "Problems")
        self.skip_errors = QRadioButton("&Skip rows with errors and import the others")
        self.skip_errors.setChecked(True)
        self.all_or_nothing = QRadioButton("Import &nothing if any row has an error")
        self.row_for_item: dict[int, int] = {}
        # Going Back and Next again starts a new check; results of older checks are dropped.
        self.generation = 0

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.problems)
        modes = QHBoxLayout()
        modes.addWidget(self.skip_errors)
        modes.addWidget(self.all_or_nothing)
        modes.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counts)
        layout.addWidget(splitter, 1)
        layout.addLayout(modes)

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        """Start checking the rows with the chosen mapping."""
        self.dialog.plan = None
        self.table.setRowCount(0)
        self.problems.setRowCount(0)
        self.counts.setText("Checking the rows…")
        csv_file, mapping, source = self.dialog.csv_file, self.dialog.mapping, self.dialog.source
        actor = self.dialog.context.actor
        self.generation += 1
        generation = self.generation

        def work(session: Session, progress: Progress) -> ImportPlan:
            today = practice_today(session)
            return csv_import.validate_rows(
                session, actor, csv_file, mapping, today, source=source, progress=progress
            )

        def done(plan: ImportPlan) -> None:
            if generation == self.generation:
                self.show_plan(plan)

        run_for(self, self.dialog.context, work, done, self._failed, title="Checking rows")

    def _failed(self, error: BaseException) -> None:
        self.counts.setText("The rows could not be checked; go Back and change the mapping.")
        show_error(self, error)

    def show_plan(self, plan: ImportPlan) -> None:
        """Show the plan's counts, its first rows and every problem."""
        self.dialog.plan = plan
        counts = (
            f"{plan.new_count:,} new, {plan.update_count:,} updates, "
            f"{plan.error_count:,} with errors."
        )
        shown = plan.rows[:PREVIEW_LIMIT]
        if len(plan.rows) > len(shown):
            counts += f" The table shows the first {len(shown):,} of {len(plan.rows):,} rows."
        self.counts.setText(" ".join((counts, *plan.notes)))
        self._fill_rows(shown)
        problems = plan.problems()[:PROBLEM_LIMIT]
        _fill(
            self.problems,
            [(str(p.row_number), p.column, p.severity.value, p.message) for p in problems],
        )
        self.completeChanged.emit()

    def _fill_rows(self, rows: tuple[PlannedRow, ...]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        self.row_for_item.clear()
        for index, row in enumerate(rows):
            check = _item(str(row.row_number))
            if row.has_errors:
                check.setFlags(Qt.ItemFlag.ItemIsEnabled)
                check.setToolTip("This row has errors and cannot be imported.")
            else:
                check.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                state = (
                    Qt.CheckState.Checked if row.selected_by_default else Qt.CheckState.Unchecked
                )
                check.setCheckState(state)
            self.table.setItem(index, 0, check)
            for column, text in enumerate(row.preview[1:], start=1):
                self.table.setItem(index, column, _item(text))
            self._paint(index, row)
            self.row_for_item[index] = row.row_number
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    def _paint(self, index: int, row: PlannedRow) -> None:
        if row.has_errors:
            color = ERROR_BACKGROUND
        elif row.problems:
            color = WARNING_BACKGROUND
        else:
            return
        for column in range(self.table.columnCount()):
            item = self.table.item(index, column)
            if item is not None:
                item.setBackground(QBrush(color))

    def selected_rows(self) -> list[int]:
        """Return the row numbers to import: the ticked rows shown and the defaults after them."""
        plan = self.dialog.plan
        if plan is None:
            return []
        selected = []
        for index, row_number in self.row_for_item.items():
            item = self.table.item(index, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                selected.append(row_number)
        selected += [row.row_number for row in plan.rows[PREVIEW_LIMIT:] if row.selected_by_default]
        return selected

    def mode(self) -> ImportMode:
        """Return the import mode the radio buttons show."""
        return (
            ImportMode.ALL_OR_NOTHING if self.all_or_nothing.isChecked() else ImportMode.SKIP_ERRORS
        )

    def isComplete(self) -> bool:  # noqa: N802 (Qt override)
        """Allow Next once the plan is in and at least one row is selected."""
        return self.dialog.plan is not None and bool(self.selected_rows())

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        """Keep the selection and mode for the confirm page."""
        self.dialog.selected_rows = self.selected_rows()
        self.dialog.mode = self.mode()
        return True


class ConfirmPage(QWizardPage):
    """States what will be written; its commit button runs the import."""

    def __init__(self, wizard: "CsvImportDialog") -> None:
        super().__init__()
        self.dialog = wizard
        self.setTitle("Confirm the import")
        self.setCommitPage(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import summary")
        self.running = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        """Name the number of patients on the commit button."""
        plan = self.dialog.plan
        assert plan is not None
        chosen = set(self.dialog.selected_rows)
        rows = [row for row in plan.rows if row.row_number in chosen]
        new = sum(1 for row in rows if row.action is csv_import.RowAction.CREATE)
        count = len(rows)
        self.setButtonText(QWizard.WizardButton.CommitButton, f"&Import {count:,} patients")
        mode = (
            "If any row has an error, nothing is imported."
            if self.dialog.mode is ImportMode.ALL_OR_NOTHING
            else f"{len(plan.rows) - count:,} rows are left out (errors or not selected)."
        )
        self.summary.setText(
            f"{count:,} patients will be saved from {plan.csv_file.path.name}: {new:,} new and "
            f"{count - new:,} updates of patients imported before from {plan.source}. {mode} "
            "Everything is saved in one step, so a failure leaves the database as it was."
        )

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        """Start the import; the wizard moves on when it has finished."""
        if self.dialog.report is not None:
            return True
        if not self.running:
            self._start()
        return False

    def _start(self) -> None:
        self.running = True
        plan, selected, mode = self.dialog.plan, self.dialog.selected_rows, self.dialog.mode
        actor = self.dialog.context.actor
        assert plan is not None

        def work(session: Session, progress: Progress) -> ImportReport:
            return csv_import.apply_plan(
                session, actor, plan, selected, mode=mode, progress=progress
            )

        run_for(
            self, self.dialog.context, work, self._done, self._failed, title="Importing patients"
        )

    def _done(self, report: ImportReport) -> None:
        self.running = False
        self.dialog.report = report
        self.dialog.next()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self.summary.setText(f"Nothing was imported. {error}")
        show_error(self, error)


class ReportPage(QWizardPage):
    """The last page: the result of each row, with Save as CSV."""

    def __init__(self, wizard: "CsvImportDialog") -> None:
        super().__init__()
        self.dialog = wizard
        self.setTitle("Import finished")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import result")
        self.table = make_table(REPORT_HEADERS, "Import report")
        save = QPushButton("&Save report as CSV…")
        save.clicked.connect(self.save_report)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        """Show the counts and one line per row."""
        report = self.dialog.report
        assert report is not None
        self.summary.setText(
            f"{report.count(RowResult.CREATED):,} created, {report.count(RowResult.UPDATED):,} "
            f"updated, {report.count(RowResult.SKIPPED):,} skipped, "
            f"{report.count(RowResult.FAILED):,} failed."
        )
        rows = [
            (
                str(outcome.row_number),
                outcome.result.value,
                outcome.chart_number or "",
                outcome.external_id,
                outcome.message,
            )
            for outcome in report.outcomes
        ]
        _fill(self.table, rows)

    def save_report(self, path: Any = None) -> None:
        """Write the report as CSV to `path`, or to a file the user chooses."""
        report = self.dialog.report
        if report is None:
            return
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, "Save import report", "import-report.csv", "CSV files (*.csv)"
            )
        if not path:
            return
        try:
            csv_import.write_report_csv(report, Path(path))
        except FileWriteError as exc:
            self.summary.setText(str(exc))
            log.warning("import report not saved: %s", type(exc).__name__)
            return
        self.summary.setText(self.summary.text().split(" Saved to ")[0] + f" Saved to {path}.")
