"""The "Not billed" report tab: checked-out visits whose charges are not posted, oldest first."""

import logging
import uuid
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services.unbilled import UnbilledVisit, export_unbilled_csv, unbilled_visits
from ui.admin.common import run_for
from ui.context import AppContext
from ui.pages.base import Page, heading
from ui.pages.recall import RecallTable
from ui.pages.today_board import status_label

log = logging.getLogger(__name__)

HEADERS = ("Date of service", "Days", "Patient", "Chart number", "Provider", "Type", "Encounter")


def visit_cells(visit: UnbilledVisit) -> list[str]:
    """Return the table cells of one visit."""
    return [
        f"{visit.service_date:%m/%d/%Y}",
        str(visit.days_since),
        visit.patient_name,
        visit.chart_number,
        visit.provider_name,
        status_label(visit.appointment_type),
        f"{visit.encounter_number} (draft)" if visit.encounter_number else "None yet",
    ]


class NotBilledPage(Page):
    """Lists visits without posted charges; Enter or double-click opens the visit's encounter."""

    open_encounter = Signal(object)  # uuid.UUID of the appointment whose encounter to open

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.visits: list[UnbilledVisit] = []
        self._request = 0
        self.summary = QLabel()
        self.summary.setObjectName("subtleText")
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(self.choose_export_file)
        # The table carries appointment ids, so Enter emits the appointment to open.
        self.table = RecallTable(HEADERS, "Appointments not billed")
        self.table.activated_id.connect(self.open_encounter.emit)
        self.table.doubleClicked.connect(lambda _index: self._open_selected())

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Appointments not billed"))
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        """Reload the report in the background; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self._request += 1
        request, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[UnbilledVisit]:
            return unbilled_visits(session, actor)

        run_for(self, self.context, work, lambda visits: self._show(request, visits))

    def _show(self, request: int, visits: list[UnbilledVisit]) -> None:
        if request != self._request:
            return
        self.visits = visits
        self.table.set_rows([(visit.appointment_id, visit_cells(visit)) for visit in visits])
        if not visits:
            self.summary.setText("Every checked-out visit has posted charges.")
            return
        noun = "visit has" if len(visits) == 1 else "visits have"
        self.summary.setText(
            f"{len(visits)} checked-out {noun} no posted charges; the oldest is "
            f"{visits[0].days_since} days old."
        )

    def _open_selected(self) -> None:
        appointment_id = self.table.selected_id()
        if isinstance(appointment_id, uuid.UUID):
            self.open_encounter.emit(appointment_id)

    def choose_export_file(self) -> None:
        """Ask for a file name, then export the report to it."""
        name, _filter = QFileDialog.getSaveFileName(
            self, "Export appointments not billed", "not-billed.csv", "CSV files (*.csv)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Write the report as CSV to `path` in the background (audited by the service)."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> int:
            return export_unbilled_csv(session, actor, path)

        run_for(
            self,
            self.context,
            work,
            lambda count: self.summary.setText(
                f"Exported {count} {'visit' if count == 1 else 'visits'} to {path.name}."
            ),
        )

    def clear_data(self) -> None:
        """Empty the table so no patient stays on screen."""
        self._request += 1
        self.visits = []
        self.table.set_rows([])
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments, encounters or patients change."""
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.ENCOUNTERS, ChangeKind.PATIENTS):
            self.refresh()
