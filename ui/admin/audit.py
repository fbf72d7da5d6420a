"""The Audit log tab: filtered events, CSV export and a check of the hash chain."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.problems import Problem
from app.progress import Progress
from app.security import audit
from app.security.audit import AuditAction, ChainBreak
from app.services import audit_log
from app.services.audit_log import AuditFilter, AuditRow
from ui.admin.common import Cell, RecordTable, format_instant, load_zone, run_for, short_id_cell
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext

log = logging.getLogger(__name__)

# Detail is last because the last column stretches to the table's right edge.
HEADERS = (
    "Time", "User", "Role", "Workstation", "Action", "Object", "Outcome", "Patient id", "Detail",
)  # fmt: skip
PAGE_SIZE = 1000
# QDateEdit cannot be empty, so its minimum date stands for "no limit".
NO_DATE = QDate(2000, 1, 1)
INTACT_COLOR = "#1b5e20"


@dataclass(frozen=True)
class AuditPage:
    """One page of matching events and the zone their times are shown in."""

    rows: list[AuditRow]
    zone: ZoneInfo | None


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the chain: every break found, and how many rows exist."""

    breaks: list[ChainBreak]
    event_count: int


def action_label(action: str) -> str:
    """Return an audit action as shown on screen, such as "Permission denied"."""
    return action.replace("_", " ").capitalize()


def chain_message(report: ChainReport) -> str:
    """Return the verification result in words."""
    if not report.breaks:
        return f"Intact: all {report.event_count:,} audit events link correctly."
    first = report.breaks[0]
    more = len(report.breaks) - 1
    extra = f" ({more} other workstation chains also break.)" if more else ""
    return (
        f"Broken: on workstation {first.workstation}, at event {first.sequence}, "
        f"{first.reason}.{extra} Someone changed or removed audit rows outside ClinicDesk. "
        "Keep this computer as it is and tell the practice's privacy officer."
    )


def date_input() -> QDateEdit:
    """Return a date picker whose lowest value means "any date"."""
    picker = QDateEdit()
    picker.setCalendarPopup(True)
    picker.setMinimumDate(NO_DATE)
    picker.setSpecialValueText("Any date")
    picker.setDisplayFormat("yyyy-MM-dd")
    picker.setDate(NO_DATE)
    picker.setToolTip("Dates count whole days in UTC, as the audit log stores them")
    return picker


def picked_date(picker: QDateEdit) -> date | None:
    """Return the picked date, or None when the picker shows "Any date"."""
    value = picker.date()
    if value == NO_DATE:
        return None
    return date(value.year(), value.month(), value.day())


class AuditTab(QWidget):
    """Shows audit events newest first, with filters, export and chain verification."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.stale = False
        self._build_filters()
        self.table = RecordTable(HEADERS, "Audit events")
        self.count_label = QLabel()
        self.chain_label = QLabel()
        self.chain_label.setWordWrap(True)
        self.chain_label.setAccessibleName("Audit chain status")
        layout = QVBoxLayout(self)
        layout.addLayout(self.filter_grid)
        layout.addLayout(self._action_row())
        layout.addWidget(self.chain_label)
        layout.addWidget(self.table)
        layout.addWidget(self.count_label)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_filters(self) -> None:
        self.username = QLineEdit()
        self.username.setPlaceholderText("Any user")
        self.action = QComboBox()
        self.action.addItem("Any action", "")
        for action in AuditAction:
            self.action.addItem(action_label(action.value), action.value)
        self.patient_id = QLineEdit()
        self.patient_id.setPlaceholderText("Any patient")
        self.patient_problem = QLabel()
        self.patient_problem.setStyleSheet(f"color: {ERROR_COLOR};")
        self.patient_problem.setAccessibleName("Patient id problem")
        self.patient_problem.setWordWrap(True)
        self.patient_problem.setVisible(False)
        self.date_from = date_input()
        self.date_to = date_input()
        grid = QGridLayout()
        fields: list[tuple[str, QWidget]] = [
            ("&User name", self.username),
            ("Ac&tion", self.action),
            ("&Patient id (from the patient's record)", self.patient_id),
            ("&From", self.date_from),
            ("T&o", self.date_to),
        ]
        for column, (text, widget) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(widget)
            widget.setAccessibleName(text.replace("&", ""))
            grid.addWidget(label, 0, column)
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.patient_problem, 2, 0, 1, len(fields))
        for line_edit in (self.username, self.patient_id):
            line_edit.returnPressed.connect(self.refresh)
        self.filter_grid = grid

    def _action_row(self) -> QHBoxLayout:
        self.apply_button = QPushButton("&Apply filters")
        self.apply_button.clicked.connect(self.refresh)
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(self.choose_export_file)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.clicked.connect(self.verify_chain)
        row = QHBoxLayout()
        for button in (self.apply_button, self.clear_button):
            row.addWidget(button)
        row.addStretch(1)
        for button in (self.export_button, self.verify_button):
            row.addWidget(button)
        return row

    def clear_filters(self) -> None:
        """Reset every filter and reload."""
        self.username.clear()
        self.action.setCurrentIndex(0)
        self.patient_id.clear()
        self.date_from.setDate(NO_DATE)
        self.date_to.setDate(NO_DATE)
        self.refresh()

    def current_filter(self) -> tuple[AuditFilter | None, list[Problem]]:
        """Return the filter as entered, or None and the problems with it."""
        text = self.patient_id.text().strip()
        patient: uuid.UUID | None = None
        if text:
            try:
                patient = uuid.UUID(text)
            except ValueError:
                message = (
                    f"Patient id {text} is not valid. Copy the id from the patient's record; "
                    "it looks like 0190a5c2-7b1e-7c3d-9f00-123456789abc."
                )
                return None, [Problem("patient_id", message)]
        chosen = AuditFilter(
            username=self.username.text().strip() or None,
            patient_id=patient,
            action=self.action.currentData() or None,
            date_from=picked_date(self.date_from),
            date_to=picked_date(self.date_to),
        )
        return chosen, []

    def _checked_filter(self) -> AuditFilter | None:
        chosen, problems = self.current_filter()
        self.patient_problem.setText("\n".join(problem.message for problem in problems))
        self.patient_problem.setVisible(bool(problems))
        return chosen

    def _on_changed(self, _changes: Changes) -> None:
        # Every audited write adds events, so any change may add rows here.
        if self.isVisible():
            self.refresh()
        else:
            self.stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.stale:
            self.stale = False
            self.refresh()

    def refresh(self) -> None:
        """Reload the newest matching events."""
        chosen = self._checked_filter()
        if chosen is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> AuditPage:
            rows = audit_log.query_events(session, actor, chosen, limit=PAGE_SIZE)
            return AuditPage(rows, load_zone(session))

        run_for(self, self.context, work, self._show)

    def _show(self, page: AuditPage) -> None:
        self.table.set_rows([(row.id, self._cells(row, page.zone)) for row in page.rows])
        count = len(page.rows)
        if count >= PAGE_SIZE:
            self.count_label.setText(
                f"Showing the newest {count:,} matching events. Narrow the filters to see older "
                "ones, or export them all to CSV."
            )
        else:
            self.count_label.setText(f"{count:,} matching events, newest first.")

    @staticmethod
    def _cells(row: AuditRow, zone: ZoneInfo | None) -> list[str | Cell]:
        kind = row.object_type.replace("_", " ")
        return [
            format_instant(row.occurred_at, zone),
            row.username,
            row.role.replace("_", " ").capitalize(),
            row.workstation,
            action_label(row.action),
            short_id_cell(row.object_id, kind),
            row.outcome.capitalize(),
            short_id_cell(row.patient_id),
            row.detail,
        ]

    def choose_export_file(self) -> None:
        """Ask where to save the CSV file, then export to it."""
        dialog = QFileDialog(self, "Export audit events", str(Path.home() / "audit-log.csv"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda name: self.export_to(Path(name)))
        dialog.open()

    def export_to(self, path: Path) -> None:
        """Write every event matching the filters to `path` as CSV."""
        chosen = self._checked_filter()
        if chosen is None:
            return
        actor = self.context.actor

        def done(count: int) -> None:
            self.count_label.setText(f"Exported {count:,} events to {path}.")

        def work(session: Session, _progress: Progress) -> int:
            return audit_log.export_csv(session, actor, chosen, path, overwrite=True)

        run_for(self, self.context, work, done, title="Exporting audit events…")

    def verify_chain(self) -> None:
        """Check that no audit row was changed or removed, and show the result."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ChainReport:
            breaks = audit_log.verify(session, actor)
            return ChainReport(breaks, audit.count_events(session))

        self.chain_label.setText("Checking the audit chain…")
        run_for(self, self.context, work, self._show_chain, title="Checking the audit chain…")

    def _show_chain(self, report: ChainReport) -> None:
        color = INTACT_COLOR if not report.breaks else ERROR_COLOR
        self.chain_label.setStyleSheet(f"color: {color}; font-weight: bold;")
        self.chain_label.setText(chain_message(report))
