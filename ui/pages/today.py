"""The Today page: how many appointments the practice has today and the list of them."""

import logging
from collections import Counter
from datetime import date

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services.today import AppointmentRow, practice_today, todays_appointments
from ui.context import AppContext
from ui.pages.base import Page, heading

log = logging.getLogger(__name__)

COLUMNS = ("Time", "Patient", "Provider", "Type", "Status")


def _time_text(row: AppointmentRow) -> str:
    return row.starts_at.strftime("%I:%M %p").lstrip("0")


def _row_texts(row: AppointmentRow) -> tuple[str, ...]:
    status = row.status.replace("_", " ").capitalize()
    kind = row.appointment_type.replace("_", " ").capitalize()
    return (_time_text(row), row.patient_name, row.provider_name, kind, status)


class TodayPage(Page):
    """Counts and the list of today's appointments, in the practice's time zone."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageToday")
        self.context = context
        self.day: date | None = None
        self.title = heading("Today")
        self.total = QLabel()
        self.total.setObjectName("countCard")
        self.breakdown = QLabel()
        self.breakdown.setObjectName("subtleText")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("todayTable")
        self.table.setAccessibleName("Today's appointments")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No appointments are booked for today.")
        self.empty.setObjectName("subtleText")
        self.empty.hide()

        counts = QHBoxLayout()
        counts.addWidget(self.total)
        counts.addWidget(self.breakdown, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(counts)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)

    def refresh(self) -> None:
        """Load today's appointments on a worker thread."""
        if not self.context.user.signed_in:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> tuple[date, list[AppointmentRow]]:
            day = practice_today(session)
            return day, todays_appointments(session, actor, day)

        self.context.ops.run(work, on_done=self._show, read_only=True)

    def _show(self, result: tuple[date, list[AppointmentRow]]) -> None:
        self.day, rows = result
        self.title.setText(f"Today, {self.day:%A, %B} {self.day.day}, {self.day:%Y}")
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            for column, text in enumerate(_row_texts(row)):
                self.table.setItem(index, column, QTableWidgetItem(text))
        self._show_counts(rows)

    def _show_counts(self, rows: list[AppointmentRow]) -> None:
        noun = "appointment" if len(rows) == 1 else "appointments"
        self.total.setText(f"{len(rows)} {noun}")
        by_status = Counter(row.status.replace("_", " ") for row in rows)
        self.breakdown.setText(", ".join(f"{count} {name}" for name, count in by_status.items()))
        self.empty.setVisible(not rows)

    def clear_data(self) -> None:
        """Remove the list so nothing about today's patients stays on screen."""
        self.table.setRowCount(0)
        self.total.clear()
        self.breakdown.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments, patients or providers change."""
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS, ChangeKind.PROVIDERS):
            self.refresh()
