"""The Recall page: patients due back by a date, with CSV export."""

import calendar
import logging
import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services import recall
from app.services.recall import RecallDue
from ui.admin.common import RecordTable, run_for
from ui.context import AppContext
from ui.pages.base import Page, heading

log = logging.getLogger(__name__)

HEADERS = (
    "Due on",
    "Days overdue",
    "Name",
    "Chart number",
    "Date of birth",
    "Phones",
    "Email",
    "Contact by",
    "Reminders",
    "Last visit",
)


def end_of_next_month(today: date) -> date:
    """Return the last day of the month after `today`'s month."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def recall_cells(row: RecallDue) -> list[str]:
    """Return the table cells of one recall row."""
    return [
        _day(row.due_on),
        str(row.overdue_days) if row.overdue_days else "",
        row.name,
        row.chart_number,
        _day(row.date_of_birth),
        ", ".join(row.phones),
        row.email,
        row.preferred_contact,
        "Yes" if row.reminder_consent else "No",
        _day(row.last_visit),
    ]


class RecallTable(RecordTable):
    """The recall rows; Enter emits activated_id with the selected patient's id."""

    activated_id = Signal(object)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Open the selected patient on Enter or Return."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_id():
            self.activated_id.emit(self.selected_id())
            return
        super().keyPressEvent(event)


class RecallPage(Page):
    """Lists patients whose recall is due by a chosen date."""

    open_patient_requested = Signal(object)  # uuid.UUID of the patient to open

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rows: list[RecallDue] = []
        self.through = QDateEdit()
        self.through.setCalendarPopup(True)
        self.through.setDisplayFormat("MM/dd/yyyy")
        self.through.setAccessibleName("Due through")
        through = end_of_next_month(date.today())  # noqa: DTZ011 (the workstation's date is close enough for a default filter)
        self.through.setDate(QDate(through.year, through.month, through.day))
        self.through.dateChanged.connect(self.refresh)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(self.choose_export_file)
        self.summary = QLabel()
        self.summary.setObjectName("subtleText")
        self.table = RecallTable(HEADERS, "Patients due for recall")
        self.table.doubleClicked.connect(lambda _index: self._open_selected())
        self.table.activated_id.connect(self.open_patient_requested.emit)

        filters = QHBoxLayout()
        label = QLabel("Due &through")
        label.setBuddy(self.through)
        filters.addWidget(label)
        filters.addWidget(self.through)
        filters.addStretch(1)
        filters.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Recall"))
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def through_date(self) -> date:
        """Return the chosen "due through" date."""
        chosen = self.through.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def refresh(self) -> None:
        """Reload the list in the background."""
        if not self.context.user.signed_in:
            return
        actor, through = self.context.actor, self.through_date()

        def work(session: Session, _progress: Progress) -> list[RecallDue]:
            return recall.recall_due_list(session, actor, through)

        run_for(self, self.context, work, self._show)

    def _show(self, rows: list[RecallDue]) -> None:
        self.rows = rows
        self.table.set_rows([(row.patient_id, recall_cells(row)) for row in rows])
        noun = "patient is" if len(rows) == 1 else "patients are"
        self.summary.setText(f"{len(rows)} {noun} due by {self.through_date():%m/%d/%Y}.")

    def _open_selected(self) -> None:
        patient_id = self.table.selected_id()
        if isinstance(patient_id, uuid.UUID):
            self.open_patient_requested.emit(patient_id)

    def choose_export_file(self) -> None:
        """Ask for a file name, then export the list to it."""
        name, _filter = QFileDialog.getSaveFileName(
            self, "Export recall list", "recall.csv", "CSV files (*.csv)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Write the list as CSV to `path` in the background (audited by the service)."""
        actor, through = self.context.actor, self.through_date()

        def work(session: Session, _progress: Progress) -> int:
            return recall.export_recall_csv(session, actor, through, path)

        run_for(
            self,
            self.context,
            work,
            lambda count: self.summary.setText(
                f"Exported {count} {'patient' if count == 1 else 'patients'} to {path.name}."
            ),
        )

    def clear_data(self) -> None:
        """Empty the table so no patient stays on screen."""
        self.rows = []
        self.table.set_rows([])
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after patients or appointments change."""
        if changes.touches(ChangeKind.PATIENTS, ChangeKind.APPOINTMENTS):
            self.refresh()
