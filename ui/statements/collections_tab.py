"""The Collections tab: accounts ready for an agency, placing them, and the placements.

Top: the placement candidates as of a date (today unless another is typed), ticked and
placed together with "Place with agency…", which requests the agency name and confirms
the count and total. Bottom: the placements with what the agency has recovered. "Export
CSV…" writes the agency file of the ticked placements, "Record recovery…" enters the
agency's payment on the selected one, and "Recall…" takes it back. Billers see both
lists; placing, exporting, recoveries and recalls need a manager.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services import collections
from app.services.collections import STATUS_LABELS, CandidateRow, PlacementOutcome, PlacementRow
from app.services.today import practice_today
from ui.admin.common import load_zone, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.help import (
    COLLECTIONS_EXPORT,
    COLLECTIONS_RECORD,
    COLLECTIONS_RELOAD,
)
from ui.pages.base import Page
from ui.patient.fields import format_date
from ui.payments.common import CheckTable, action_button, date_field, plural, status_line
from ui.payments.dialogs import open_dialog
from ui.statements.collections_dialogs import PlaceDialog, RecallDialog, RecoveryDialog
from ui.statements.files import choose_csv_file
from ui.statements.tables import format_timestamp, leave_on_tab, visible_splitter

log = logging.getLogger(__name__)

CANDIDATE_COLUMNS = (
    "Account", "Guarantor", "Patients", "Balance", "Final notice", "Last payment",
    "Oldest service",
)  # fmt: skip
PLACEMENT_COLUMNS = (
    "Account", "Guarantor", "Agency", "Placed", "Placed amount", "Recovered", "Agency fees",
    "Outstanding", "Status", "Exported",
)  # fmt: skip
PLACEMENT_MONEY = ("Placed amount", "Recovered", "Agency fees", "Outstanding")
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.LEDGER, ChangeKind.PATIENTS)
MANAGER_ONLY = "Placing, exporting, recoveries and recalls need a manager."

RELOAD = COLLECTIONS_RELOAD
EXPORT = COLLECTIONS_EXPORT
RECORD = COLLECTIONS_RECORD


@dataclass(frozen=True, slots=True)
class CollectionsLoad:
    """One load of the tab."""

    today: date
    on: date
    candidates: list[CandidateRow]
    placements: list[PlacementRow]
    zone: ZoneInfo | None


def candidate_cells(row: CandidateRow) -> list[str]:
    """Return one candidate's cells, in CANDIDATE_COLUMNS order."""
    return [
        row.account_number,
        row.guarantor_name,
        ", ".join(row.patient_names),
        format_money(row.balance),
        format_date(row.last_statement_on),
        format_date(row.last_payment_on),
        format_date(row.oldest_service_on),
    ]


def placement_cells(row: PlacementRow, zone: ZoneInfo | None = None) -> list[str]:
    """Return one placement's cells, in PLACEMENT_COLUMNS order."""
    return [
        row.account_number,
        row.guarantor_name,
        row.agency,
        format_date(row.placed_on),
        format_money(row.placed_amount),
        format_money(row.recovered),
        format_money(row.fees),
        format_money(row.outstanding),
        STATUS_LABELS.get(row.status, row.status),
        format_timestamp(row.exported_at, zone),
    ]


def check_table(
    headers: tuple[str, ...], accessible_name: str, money: tuple[str, ...], object_name: str
) -> CheckTable:
    """Return a tick table whose every column fits its contents, behind a scroll bar if need be.

    A stretched column gets only the width the others leave, so in a table wider than
    the screen it shrinks to nothing (a middle one) or to its title (the last one).
    """
    table = CheckTable(headers, accessible_name, money)
    table.setObjectName(object_name)
    table.horizontalHeader().setStretchLastSection(False)
    leave_on_tab(table)
    return table


class CollectionsTab(Page):
    """Tab of placement candidates and placements, with place, export, recovery and recall."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionsTab")
        self.context = context
        self.today: date | None = None
        self.listed_on: date | None = None
        self.candidates: list[CandidateRow] = []
        self.placements: list[PlacementRow] = []
        self.zone: ZoneInfo | None = None
        self.pending_ticks: tuple[uuid.UUID, ...] = ()
        self._request = 0
        self.dialog: QWidget | None = None

        self.as_of = date_field("Candidates as of")
        self.as_of.setObjectName("collectionsAsOf")
        self.as_of.returnPressed.connect(self.refresh)
        self.find_button = action_button("Fin&d", "findCandidates")
        self.find_button.clicked.connect(self.refresh)
        self.candidate_table = check_table(
            CANDIDATE_COLUMNS, "Placement candidates", ("Balance",), "candidateTable"
        )
        self.candidate_table.ticks_changed.connect(self._update_actions)
        self.candidate_note = QLabel()
        self.candidate_note.setObjectName("subtleText")
        self.candidate_note.setWordWrap(True)
        self.place_button = action_button("&Place with agency…", "placeWithAgency")
        self.place_button.clicked.connect(self.place_ticked)

        self.show_closed = QCheckBox("Show recalled and paid in f&ull")
        self.show_closed.setObjectName("collectionsShowClosed")
        self.show_closed.toggled.connect(lambda _checked: self.refresh())
        self.placement_table = check_table(
            PLACEMENT_COLUMNS, "Placements", PLACEMENT_MONEY, "placementTable"
        )
        self.placement_table.ticks_changed.connect(self._update_actions)
        self.placement_table.itemSelectionChanged.connect(self._update_actions)
        self.export_button = action_button("E&xport CSV…", "exportPlacements")
        self.export_button.clicked.connect(self.choose_export_file)
        self.recovery_button = action_button("Record &recovery…", "recordRecovery")
        self.recovery_button.clicked.connect(self.record_recovery)
        self.recall_button = action_button("Re&call…", "recallPlacement")
        self.recall_button.clicked.connect(self.recall_selected)
        self.status = status_line("Last collections action")
        self._bind_keys()
        self._lay_out()
        self._update_actions()

    def _bind_keys(self) -> None:
        for shortcut, slot in (
            (RELOAD, self.refresh),
            (EXPORT, self.choose_export_file),
            (RECORD, self.record_recovery),
        ):
            action = QAction(shortcut.action, self)
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, call=slot: call())
            self.addAction(action)

    def _lay_out(self) -> None:
        find_row = QHBoxLayout()
        caption = QLabel("Candidates &as of")
        caption.setBuddy(self.as_of)
        find_row.addWidget(caption)
        find_row.addWidget(self.as_of)
        find_row.addWidget(self.find_button)
        find_row.addStretch(1)
        find_row.addWidget(self.place_button)
        candidate_box = QGroupBox("Ready for collections")
        candidate_layout = QVBoxLayout(candidate_box)
        candidate_layout.addLayout(find_row)
        candidate_layout.addWidget(self.candidate_note)
        candidate_layout.addWidget(self.candidate_table, 1)

        placement_row = QHBoxLayout()
        placement_row.addWidget(self.show_closed)
        placement_row.addStretch(1)
        for button in (self.export_button, self.recovery_button, self.recall_button):
            placement_row.addWidget(button)
        placement_box = QGroupBox("Placed with agencies")
        placement_layout = QVBoxLayout(placement_box)
        placement_layout.addWidget(self.placement_table, 1)
        placement_layout.addLayout(placement_row)

        splitter = visible_splitter(Qt.Orientation.Vertical)
        splitter.addWidget(candidate_box)
        splitter.addWidget(placement_box)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    # Loading

    def refresh(self) -> None:
        """Reload the candidates and placements in the background (billers and managers)."""
        if not self.context.user.signed_in or not self.context.can(Permission.STATEMENT_RUN):
            self._update_actions()
            return
        problems = self.as_of.problems("as_of", "The date")
        if problems:
            self.status.setText(problems[0].message)
            return
        self._request += 1
        request, actor = self._request, self.context.actor
        typed = self.as_of.date_value()
        include_closed = self.show_closed.isChecked()

        def work(session: Session, _progress: Progress) -> CollectionsLoad:
            today = practice_today(session)
            on = typed or today
            return CollectionsLoad(
                today,
                on,
                collections.placement_candidates(session, actor, on),
                collections.list_placements(session, actor, include_closed),
                load_zone(session),
            )

        run_for(
            self, self.context, work, lambda loaded: self._loaded(request, loaded),
            read_only=True,
        )  # fmt: skip

    def _loaded(self, request: int, loaded: CollectionsLoad) -> None:
        if request != self._request:
            return
        self.today, self.listed_on, self.zone = loaded.today, loaded.on, loaded.zone
        if not self.as_of.text().strip():
            self.as_of.set_date(loaded.today)
        self.candidates = loaded.candidates
        self.placements = loaded.placements
        self.candidate_table.set_rows(
            [(row.account_id, candidate_cells(row)) for row in self.candidates]
        )
        total = sum((row.balance for row in self.candidates), ZERO)
        self.candidate_note.setText(
            f"{plural(len(self.candidates), 'account')} owing {format_money(total)} "
            f"passed the wait after their final notice by {format_date(loaded.on)}."
            if self.candidates
            else f"No account is ready for collections on {format_date(loaded.on)}."
        )
        self.placement_table.set_rows(
            [(row.placement_id, placement_cells(row, self.zone)) for row in self.placements]
        )
        if self.pending_ticks:
            self.placement_table.set_checked(list(self.pending_ticks))
            self.pending_ticks = ()
        self._update_actions()

    # Selection

    def ticked_candidates(self) -> list[CandidateRow]:
        """Return the ticked candidates, top to bottom."""
        ticked = set(self.candidate_table.checked_ids())
        return [row for row in self.candidates if row.account_id in ticked]

    def ticked_placements(self) -> list[PlacementRow]:
        """Return the ticked placements that are still with the agency."""
        ticked = set(self.placement_table.checked_ids())
        return [
            row
            for row in self.placements
            if row.placement_id in ticked and row.status == collections.PLACED
        ]

    def selected_placement(self) -> PlacementRow | None:
        """Return the placement of the current row, or None."""
        placement_id = self.placement_table.current_id()
        return next((row for row in self.placements if row.placement_id == placement_id), None)

    def _update_actions(self) -> None:
        manager = self.context.can(Permission.PAYMENT_VOID)
        selected = self.selected_placement()
        open_selected = selected is not None and selected.status == collections.PLACED
        self.place_button.setEnabled(manager and bool(self.candidate_table.checked_ids()))
        self.export_button.setEnabled(manager and bool(self.ticked_placements()))
        self.recovery_button.setEnabled(manager and open_selected)
        self.recall_button.setEnabled(manager and open_selected)
        for button in (
            self.place_button,
            self.export_button,
            self.recovery_button,
            self.recall_button,
        ):
            button.setToolTip("" if manager else MANAGER_ONLY)

    # Actions

    def place_ticked(self) -> None:
        """Ask for the agency and confirm the total, then place the ticked accounts."""
        ticked = self.ticked_candidates()
        if not ticked or self.listed_on is None or not self.context.can(Permission.PAYMENT_VOID):
            return
        dialog = PlaceDialog(self.context, ticked, self.listed_on, self)
        dialog.saved.connect(self._placed)
        self.dialog = open_dialog(dialog)

    def _placed(self, outcome: object) -> None:
        if not isinstance(outcome, PlacementOutcome):
            return
        # The new placements come back ticked, ready for Export CSV.
        self.pending_ticks = outcome.placement_ids
        self.status.setText(
            f"Placed {plural(len(outcome.placement_ids), 'account')} and wrote off "
            f"{format_money(outcome.total)}. Export the agency file for them next."
        )

    def choose_export_file(self) -> None:
        """Ask where to save the agency file of the ticked placements, then write it."""
        if not self.ticked_placements() or not self.context.can(Permission.PAYMENT_VOID):
            self.status.setText("Tick the placements to send to the agency first.")
            return
        # The tab loaded before any placement could be ticked, so today is known.
        day = self.today.isoformat() if self.today is not None else ""
        chosen = choose_csv_file(self, "Export the agency file", f"collections-{day}.csv")
        if chosen is not None:
            self.export_to(chosen)

    def export_to(self, path: Path) -> None:
        """Write the agency file of the ticked placements to `path` in the background."""
        placement_ids = [row.placement_id for row in self.ticked_placements()]
        if not placement_ids:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> int:
            return collections.export_placement_csv(session, actor, placement_ids, path)

        def done(count: int) -> None:
            self.status.setText(
                f"Wrote {plural(count, 'placement')} to {path}. The file lists guarantors' "
                "contact details, so send it to the agency securely."
            )
            self.refresh()

        run_for(self, self.context, work, done, self.show_error, title="Exporting")

    def record_recovery(self) -> None:
        """Open the recovery dialog for the selected placement."""
        row = self.selected_placement()
        if row is None or row.status != collections.PLACED or self.today is None:
            self.status.setText("Select a placement that is with the agency first.")
            return
        if not self.context.can(Permission.PAYMENT_VOID):
            return
        dialog = RecoveryDialog(self.context, row, self.today, self)
        dialog.saved.connect(lambda _changes: self.status.setText("Recovery recorded."))
        self.dialog = open_dialog(dialog)

    def recall_selected(self) -> None:
        """Ask why, then recall the selected placement."""
        row = self.selected_placement()
        if row is None or row.status != collections.PLACED:
            self.status.setText("Select a placement that is with the agency first.")
            return
        if not self.context.can(Permission.PAYMENT_VOID):
            return
        dialog = RecallDialog(self.context, row, self)
        dialog.saved.connect(
            lambda _changes: self.status.setText(
                f"Recalled account {row.account_number} from {row.agency}."
            )
        )
        self.dialog = open_dialog(dialog)

    def show_error(self, error: BaseException) -> None:
        """Show a failed action in the error dialog."""
        show_error(self, error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove every account and placement from the screen (lock or sign-out)."""
        self._request += 1
        self.candidates, self.placements = [], []
        self.candidate_table.set_rows([])
        self.placement_table.set_rows([])
        self.candidate_note.clear()
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments, the ledger or patients change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()
