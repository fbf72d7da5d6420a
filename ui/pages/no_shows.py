"""The No-shows report tab: missed visits in a date range and how often each patient missed."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import format_time
from app.progress import Progress
from app.services.no_shows import NoShowRow, no_show_report
from ui.admin.common import run_for
from ui.context import AppContext
from ui.pages.base import Page, heading
from ui.pages.recall import RecallTable
from ui.pages.today_board import status_label

log = logging.getLogger(__name__)

VISIT_HEADERS = ("Date", "Time", "Patient", "Chart number", "Provider", "Type")
PATIENT_HEADERS = ("Patient", "Chart number", "No-shows in range", "On record", "Last missed")
# The range the tab opens with: the last 30 days, today included.
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class PatientCount:
    """One patient's no-shows in the report's range and in the whole record."""

    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    in_range: int
    on_record: int
    last_missed_on: date


def count_by_patient(rows: list[NoShowRow]) -> list[PatientCount]:
    """Group the report's rows by patient, most no-shows in the range first, then by name."""
    grouped: dict[uuid.UUID, list[NoShowRow]] = {}
    for row in rows:
        grouped.setdefault(row.patient_id, []).append(row)
    counts = [
        PatientCount(
            patient_id=patient_id,
            patient_name=missed[0].patient_name,
            chart_number=missed[0].chart_number,
            in_range=len(missed),
            on_record=missed[0].patient_no_shows,
            last_missed_on=max(row.starts_at for row in missed).date(),
        )
        for patient_id, missed in grouped.items()
    ]
    counts.sort(key=lambda count: (-count.in_range, count.patient_name.casefold()))
    return counts


def _to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class NoShowsPage(Page):
    """Lists no-shows between two dates; Enter or double-click opens the patient."""

    open_patient_requested = Signal(object)  # uuid.UUID of the patient to open

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rows: list[NoShowRow] = []
        self.patients_shown: list[PatientCount] = []
        self._request = 0
        today = date.today()  # noqa: DTZ011 (the workstation's date is close enough for a default range)
        self.date_from = self._date_edit("From", today - timedelta(days=DEFAULT_DAYS - 1))
        self.date_to = self._date_edit("Through", today)
        self.summary = QLabel()
        self.summary.setObjectName("subtleText")
        self.patients = RecallTable(PATIENT_HEADERS, "Patients with no-shows")
        self.visits = RecallTable(VISIT_HEADERS, "Missed visits")
        for table in (self.patients, self.visits):
            table.activated_id.connect(self.open_patient_requested.emit)
            table.doubleClicked.connect(lambda _index, table=table: self._open(table))

        filters = QHBoxLayout()
        for text, edit in (("&From", self.date_from), ("&Through", self.date_to)):
            label = QLabel(text)
            label.setBuddy(edit)
            filters.addWidget(label)
            filters.addWidget(edit)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("No-shows"))
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("By patient"))
        layout.addWidget(self.patients, 1)
        layout.addWidget(QLabel("Missed visits"))
        layout.addWidget(self.visits, 2)

    def _date_edit(self, name: str, value: date) -> QDateEdit:
        edit = QDateEdit(_to_qdate(value))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("MM/dd/yyyy")
        edit.setAccessibleName(name)
        edit.dateChanged.connect(self.refresh)
        return edit

    def set_range(self, day_from: date, day_to: date) -> None:
        """Show the no-shows from `day_from` through `day_to` (call refresh to load)."""
        for edit, value in ((self.date_from, day_from), (self.date_to, day_to)):
            edit.blockSignals(True)
            edit.setDate(_to_qdate(value))
            edit.blockSignals(False)

    def refresh(self) -> None:
        """Reload the report in the background; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self._request += 1
        request, actor = self._request, self.context.actor
        day_from, day_to = _from_qdate(self.date_from.date()), _from_qdate(self.date_to.date())
        if day_to < day_from:
            self._show_rows([])
            self.summary.setText("The end date is before the start date. Choose a later end date.")
            return

        def work(session: Session, _progress: Progress) -> list[NoShowRow]:
            return no_show_report(session, actor, day_from, day_to)

        run_for(self, self.context, work, lambda rows: self._show(request, rows))

    def _show(self, request: int, rows: list[NoShowRow]) -> None:
        if request != self._request:
            return
        self._show_rows(rows)
        patients = len(self.patients_shown)
        visits = "no-show" if len(rows) == 1 else "no-shows"
        people = "patient" if patients == 1 else "patients"
        day_from, day_to = _from_qdate(self.date_from.date()), _from_qdate(self.date_to.date())
        self.summary.setText(
            f"{len(rows)} {visits} by {patients} {people} from {day_from:%m/%d/%Y} "
            f"through {day_to:%m/%d/%Y}."
        )

    def _show_rows(self, rows: list[NoShowRow]) -> None:
        self.rows = rows
        self.patients_shown = count_by_patient(rows)
        self.patients.set_rows(
            [
                (
                    count.patient_id,
                    [
                        count.patient_name,
                        count.chart_number,
                        str(count.in_range),
                        str(count.on_record),
                        f"{count.last_missed_on:%m/%d/%Y}",
                    ],
                )
                for count in self.patients_shown
            ]
        )
        self.visits.set_rows([(row.patient_id, _visit_cells(row)) for row in rows])

    def _open(self, table: RecallTable) -> None:
        patient_id = table.selected_id()
        if isinstance(patient_id, uuid.UUID):
            self.open_patient_requested.emit(patient_id)

    def clear_data(self) -> None:
        """Empty both tables so no patient stays on screen."""
        self._request += 1
        self._show_rows([])
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments or patients change."""
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS):
            self.refresh()


def _visit_cells(row: NoShowRow) -> list[str]:
    return [
        f"{row.starts_at:%m/%d/%Y}",
        format_time(row.starts_at),
        row.patient_name,
        row.chart_number,
        row.provider_name,
        status_label(row.appointment_type),
    ]
