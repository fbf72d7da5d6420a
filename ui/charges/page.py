"""The Charges page: the queue of encounters to post, and the way into the editor.

Drafts come first, oldest first, so the biller works the queue from the top: Enter opens
the selected encounter, Ctrl+N starts one for a patient picked in the one-box search.
`open_encounter_for_appointment` is how Today and the Schedule open a visit's charges.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.progress import Progress
from app.security.permissions import Permission
from app.services import encounters, icd10
from app.services.encounter_forms import STATUS_DRAFT, STATUS_POSTED, EncounterSummary
from app.services.patient_search import PatientMatch
from app.services.today import practice_today
from ui.charges import keys
from ui.charges.line_values import money_text
from ui.charges.windows import open_encounter, open_new_encounter
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page, heading
from ui.patient.fields import DateField
from ui.patient.rows import button
from ui.row_model import RowTableModel
from ui.search_popup import PatientSearch
from ui.widgets import find_data

log = logging.getLogger(__name__)

COLUMNS = ("Number", "Date of service", "Patient", "Provider", "Lines", "Total", "Status")
STATUS_CHOICES = ((STATUS_DRAFT, "Drafts to post"), (STATUS_POSTED, "Posted"), (None, "All"))
SEARCH_DELAY_MS = 250
KEYS_TEXT = "Enter: open · Ctrl+N: new encounter · Ctrl+F: find · Tab: move between controls"

QueueResult = tuple[date, list[EncounterSummary]]


@dataclass(frozen=True, slots=True)
class OpenedEncounter:
    """The encounter of an appointment; `changes` makes the op runner announce a new draft."""

    encounter_id: uuid.UUID
    changes: Changes


def queue_cells(row: EncounterSummary) -> tuple[str, ...]:
    """Return the queue table's texts for one encounter."""
    return (
        row.encounter_number,
        f"{row.service_date:%m/%d/%Y}",
        row.patient_name,
        row.provider_name,
        str(row.line_count),
        money_text(row.total),
        row.status.capitalize(),
    )


def row_matches(row: EncounterSummary, text: str) -> bool:
    """Return True when the typed text is part of the patient's name or the number."""
    wanted = text.strip().casefold()
    return not wanted or any(
        wanted in value.casefold() for value in (row.patient_name, row.encounter_number)
    )


class QueueModel(RowTableModel[EncounterSummary]):
    """The queue's rows, with counts and totals right-aligned."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            COLUMNS,
            lambda row, column: queue_cells(row)[column],
            frozenset({"Lines", "Total"}),
            parent,
        )


class QueueTable(QTableView):
    """The queue's view; Enter emits `open_requested`."""

    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chargeQueue")
        self.setAccessibleName("Encounters")
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setToolTip("Enter opens the selected encounter.")

    def set_queue_model(self, model: "QueueModel") -> None:
        """Show `model`; the patient's name takes the spare width, so long names are not cut."""
        self.setModel(model)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Patient"), QHeaderView.ResizeMode.Stretch)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
            return
        super().keyPressEvent(event)


class NewEncounterDialog(QDialog):
    """Picks the patient (one-box search) and the date of service of a new encounter."""

    def __init__(self, context: AppContext, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newEncounterDialog")
        self.setWindowTitle("New encounter")
        self.patient: PatientMatch | None = None
        self.box = QLineEdit()
        self.box.setObjectName("encounterPatientSearch")
        self.box.setPlaceholderText("Last name or chart number, then Down and Enter")
        self.box.setAccessibleName("Patient search")
        self.search = PatientSearch(context, self.box, self, lambda: False, SEARCH_DELAY_MS)
        self.search.chosen.connect(self._chosen)

        self.chosen_label = QLabel("No patient chosen yet.")
        self.chosen_label.setObjectName("subtleText")
        self.service_date = DateField()
        self.service_date.set_date(today)
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open encounter")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        patient_caption = QLabel("&Patient")
        patient_caption.setBuddy(self.box)
        form.addRow(patient_caption, self.box)
        form.addRow(QLabel(""), self.chosen_label)
        date_caption = QLabel("&Date of service")
        date_caption.setBuddy(self.service_date)
        form.addRow(date_caption, self.service_date)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        # Room below the search box for the result list, which is drawn inside the dialog.
        self.resize(720, 420)

    def _chosen(self, match: PatientMatch) -> None:
        self.patient = match
        self.box.setText(match.display_name)
        self.chosen_label.setText(
            f"{match.display_name} · chart {match.chart_number} · "
            f"born {match.date_of_birth:%m/%d/%Y}"
        )
        self.problem.setVisible(False)
        self.service_date.setFocus(Qt.FocusReason.OtherFocusReason)
        self.service_date.selectAll()

    def accept(self) -> None:
        """Close when a patient and a valid date are chosen, else show what is missing."""
        if self.patient is None:
            self._refuse(
                "Choose a patient: type a name, press Down to pick from the list, then Enter."
            )
            self.box.setFocus()
            return
        if self.service_date.date_value() is None:
            self._refuse("Type the date of service as MM/DD/YYYY, such as 03/04/2026.")
            self.service_date.setFocus()
            return
        super().accept()

    def _refuse(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(True)


class ChargesPage(Page):
    """The encounter queue with a status filter and a search box."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageCharges")
        self.context = context
        self.all_rows: list[EncounterSummary] = []
        self.today: date | None = None
        self._request = 0
        self._code_index_loaded = False
        self.new_dialog: NewEncounterDialog | None = None
        self.title = heading("Charges")
        self.count = QLabel()
        self.count.setObjectName("countCard")

        self.filter = QComboBox()
        self.filter.setObjectName("chargeStatusFilter")
        self.filter.setAccessibleName("Show encounters")
        for value, text in STATUS_CHOICES:
            self.filter.addItem(text, value)
        self.filter.currentIndexChanged.connect(lambda _index: self.refresh())
        self.search = QLineEdit()
        self.search.setObjectName("chargeSearch")
        self.search.setPlaceholderText("Patient name or encounter number")
        self.search.setAccessibleName("Find encounters by patient or number")
        self.search.textChanged.connect(lambda _text: self._apply_search())

        self.new_button = button("New encounter (Ctrl+N)", "Start an encounter for a patient")
        self.new_button.clicked.connect(self.new_encounter)
        self.open_button = button("Open (Enter)", "Open the selected encounter")
        self.open_button.clicked.connect(self.open_selected)

        self.model = QueueModel(self)
        self.table = QueueTable(self)
        self.table.set_queue_model(self.model)
        self.table.open_requested.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.empty = QLabel("No encounters match.")
        self.empty.setObjectName("subtleText")
        self.empty.hide()
        hint = QLabel(KEYS_TEXT)
        hint.setObjectName("subtleText")
        self._layout(hint)
        self._shortcuts()

    def _layout(self, hint: QLabel) -> None:
        show = QLabel("&Show")
        show.setBuddy(self.filter)
        find = QLabel("&Find")
        find.setBuddy(self.search)
        bar = QHBoxLayout()
        bar.addWidget(self.count)
        bar.addSpacing(12)
        bar.addWidget(show)
        bar.addWidget(self.filter)
        bar.addWidget(find)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(hint)
        QWidget.setTabOrder(self.filter, self.search)
        QWidget.setTabOrder(self.search, self.new_button)
        QWidget.setTabOrder(self.new_button, self.open_button)
        QWidget.setTabOrder(self.open_button, self.table)

    def _shortcuts(self) -> None:
        for shortcut, slot in (
            (keys.QUEUE_NEW, self.new_encounter),
            (keys.QUEUE_SEARCH, self._focus_search),
        ):
            key = QShortcut(QKeySequence(shortcut.keys), self)
            key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            key.activated.connect(slot)

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # Loading

    def _take_focus(self) -> None:
        # Opened from the navigation, the focus is still outside (often in the patient
        # search), where the page's keys (Enter, Ctrl+N, Ctrl+F) do not reach it.
        focused = QApplication.focusWidget()
        if self.isVisible() and (focused is None or not self.isAncestorOf(focused)):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def refresh(self) -> None:
        """Load the queue on a worker thread; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self.new_button.setEnabled(self.context.can(Permission.CHARGE_POST))
        self._take_focus()
        self._request += 1
        request, actor = self._request, self.context.actor
        status = self.filter.currentData()

        def work(session: Session, _progress: Progress) -> QueueResult:
            return practice_today(session), encounters.encounter_queue(session, actor, status)

        self.context.ops.run(
            work,
            on_done=lambda result: self._show(request, result),
            on_error=self._show_error,
            read_only=True,
        )
        if not self._code_index_loaded:
            self._code_index_loaded = True
            self.context.ops.run(_load_code_index, read_only=True)

    def _show_error(self, error: BaseException) -> None:
        show_error(self, error)

    def _show(self, request: int, result: QueueResult) -> None:
        if request != self._request:
            return
        self.today, self.all_rows = result
        self._apply_search()

    def _apply_search(self) -> None:
        chosen = self.selected_row()
        rows = [row for row in self.all_rows if row_matches(row, self.search.text())]
        self.model.set_rows(rows)
        drafts = sum(1 for row in rows if row.status == STATUS_DRAFT)
        self.count.setText(f"{drafts} to post" if drafts else f"{len(rows)} shown")
        self.empty.setVisible(not rows)
        self._select(chosen.id if chosen is not None else None)

    def _select(self, encounter_id: uuid.UUID | None) -> None:
        for number, row in enumerate(self.model.rows):
            if encounter_id is None or row.id == encounter_id:
                self.table.selectRow(number)
                return
        if self.model.rows:
            self.table.selectRow(0)

    def selected_row(self) -> EncounterSummary | None:
        """Return the encounter under the table's cursor, or None."""
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    def set_status_filter(self, status: str | None) -> None:
        """Show drafts, posted encounters or (None) all of them."""
        self.filter.setCurrentIndex(max(find_data(self.filter, status), 0))

    # Actions

    def open_selected(self) -> None:
        """Open the selected encounter in its editor."""
        row = self.selected_row()
        if row is not None:
            open_encounter(self.context, row.id, self.window())

    def new_encounter(self) -> None:
        """Ask for the patient and date, then open an unsaved encounter (billers and up)."""
        if not self.context.can(Permission.CHARGE_POST):
            return
        dialog = NewEncounterDialog(self.context, self.today or utc_now().astimezone().date(), self)
        dialog.accepted.connect(lambda: self._start(dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.new_dialog = dialog
        dialog.open()
        dialog.activateWindow()
        dialog.box.setFocus(Qt.FocusReason.OtherFocusReason)

    def _start(self, dialog: NewEncounterDialog) -> None:
        if dialog.patient is None:
            return
        open_new_encounter(
            self.context, dialog.patient.patient_id, dialog.service_date.date_value(), self.window()
        )

    # Page hooks

    def clear_data(self) -> None:
        """Remove the queue so no patient stays on screen while locked."""
        self._request += 1
        self.all_rows = []
        self.model.set_rows([])
        self.count.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after encounters, the ledger or patients change."""
        if changes.touches(ChangeKind.ENCOUNTERS, ChangeKind.LEDGER, ChangeKind.PATIENTS):
            self.refresh()


def _load_code_index(_session: Session, _progress: Progress) -> None:
    # Reading the bundled ICD-10-CM edition takes seconds once per process, so it starts
    # in the background while the biller looks at the queue, before an editor needs it.
    icd10.load_bundled_edition()


def open_encounter_for_appointment(
    context: AppContext, appointment_id: uuid.UUID, parent: QWidget | None = None
) -> None:
    """Open the charges of an appointment, creating its draft encounter when there is none."""
    actor = context.actor

    def work(session: Session, _progress: Progress) -> OpenedEncounter:
        encounter_id = encounters.encounter_for_appointment(session, actor, appointment_id)
        # The draft may be new, so the returned changes make the queue reload.
        return OpenedEncounter(encounter_id, Changes.of(ChangeKind.ENCOUNTERS))

    def done(opened: OpenedEncounter) -> None:
        open_encounter(context, opened.encounter_id, parent)

    def failed(error: BaseException) -> None:
        show_error(parent, error)

    log.info("opening the charges of appointment %s", appointment_id)
    context.ops.run(work, on_done=done, on_error=failed)
