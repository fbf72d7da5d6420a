"""The Patients page: a table of patients filtered by the global search box."""

import logging
import uuid

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.contact import display_phone
from app.ids import PatientId
from app.progress import Progress
from app.security.permissions import Permission
from app.services.patient_list import PatientRow, count_patients, list_patients
from ui.context import AppContext
from ui.pages.base import Page, heading
from ui.patient.duplicates_dialog import FormDuplicateCheck
from ui.patient.record import open_patient
from ui.row_model import RowTableModel

log = logging.getLogger(__name__)

COLUMNS = ("Chart number", "Name", "Date of birth", "Sex", "Phone", "Status")
LIST_LIMIT = 200

AnyIndex = QModelIndex | QPersistentModelIndex


def summary_text(shown: int, total: int, searching: bool) -> str:
    """Return the line above the table, such as "Showing the first 200 of 500 patients"."""
    noun = "patient" if total == 1 else "patients"
    if shown < total:
        return (
            f"Showing the first {shown:,} of {total:,} {noun} — type in the search box "
            "(Ctrl+K) to narrow."
        )
    if searching:
        verb = "matches" if total == 1 else "match"
        return f"{total:,} {noun} {verb} the search."
    return f"{total:,} {noun}. Type in the search box (Ctrl+K) to find one."


def _cell(row: PatientRow, column: int) -> str:
    values = (
        row.chart_number,
        row.display_name,
        row.date_of_birth.strftime("%m/%d/%Y"),
        row.sex,
        display_phone(row.phone),
        row.status.capitalize(),
    )
    return values[column]


class PatientTableModel(RowTableModel[PatientRow]):
    """Read-only rows from list_patients."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, _cell, parent=parent)


class PatientsPage(Page):
    """Lists patients by last name or chart number."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pagePatients")
        self.context = context
        self.filter_text = ""
        # The patient whose row is selected when the next list arrives (set by the search box).
        self.pending_patient: PatientId | None = None
        self._request = 0
        self.model = PatientTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("patientTable")
        self.table.setAccessibleName("Patients")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open_row)
        self.table.setToolTip("Enter or double-click opens the patient's record.")
        self.summary = QLabel()
        self.summary.setObjectName("subtleText")
        self.new_button = QPushButton("&New patient")
        self.new_button.setObjectName("newPatientButton")
        self.new_button.setAccessibleName("Register a new patient")
        self.new_button.clicked.connect(self.new_patient)
        # New patients are checked against likely duplicates before their first save.
        self.check_duplicates = True

        top = QHBoxLayout()
        top.addWidget(heading("Patients"))
        top.addStretch(1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def new_patient(self) -> QWidget:
        """Open an empty registration form in a record window."""
        check = None
        if self.check_duplicates:
            # One check per form: it holds the matches this form's user ruled different.
            check = FormDuplicateCheck(self.context, self.window(), self.open_patient)
        return open_patient(self.context, None, self.window(), check)

    def open_patient(self, patient_id: uuid.UUID) -> QWidget:
        """Open the record of `patient_id` (or bring its open window forward)."""
        return open_patient(self.context, patient_id, self.window())

    def _open_row(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < len(self.model.rows):
            self.open_patient(self.model.rows[index.row()].patient_id)

    def set_filter(self, text: str) -> None:
        """Show patients whose last name or chart number starts with `text`."""
        self.filter_text = text.strip()
        self.pending_patient = None
        self.refresh()

    def select_patient(self, patient_id: PatientId, chart_number: str) -> None:
        """Filter by `chart_number` and select the patient's row when the list arrives.

        Call refresh (or open the page) afterwards to load the list.
        """
        self.filter_text = chart_number
        self.pending_patient = patient_id

    def refresh(self) -> None:
        """Reload the list on a worker thread; an older answer arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self.new_button.setEnabled(self.context.can(Permission.PATIENT_EDIT))
        self._request += 1
        request, actor, text = self._request, self.context.actor, self.filter_text

        def work(session: Session, _progress: Progress) -> tuple[list[PatientRow], int]:
            rows = list_patients(session, actor, text, LIST_LIMIT)
            return rows, count_patients(session, actor, text)

        self.context.ops.run(
            work, on_done=lambda result: self._show(request, *result), read_only=True
        )

    def _show(self, request: int, rows: list[PatientRow], total: int) -> None:
        if request != self._request:
            return
        self.model.set_rows(rows)
        self.summary.setText(summary_text(len(rows), total, bool(self.filter_text)))
        self._select_pending()

    def _select_pending(self) -> None:
        expected, self.pending_patient = self.pending_patient, None
        if expected is None:
            return
        for number, row in enumerate(self.model.rows):
            if row.patient_id == expected:
                self.table.selectRow(number)
                self.table.scrollTo(self.model.index(number, 0))
                return
        log.info("patient %s from the search is no longer listed", expected)

    def clear_data(self) -> None:
        """Empty the table so no patient stays on screen."""
        self._request += 1
        self.pending_patient = None
        self.model.set_rows([])
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after patients change."""
        if changes.touches(ChangeKind.PATIENTS):
            self.refresh()
