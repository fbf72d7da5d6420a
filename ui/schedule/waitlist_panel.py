"""The waitlist panel: who is waiting, their preferences, and who could take a freed time.

The calendar calls `show_offers` after a cancel or a move; each offer has a Book
button. `booked` carries the id of every appointment booked from the panel, so the
calendar can show it.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Permission
from app.services.booking import BookingOutcome
from app.services.calendar_view import BookingChoices, booking_choices
from app.services.slot_booking import book_offer
from app.services.waitlist import (
    WaitlistOffer,
    WaitlistRow,
    describe_weekdays,
    list_waitlist,
    offers_for,
    remove_entry,
)
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.find_available_dialog import (
    FindAvailableDialog,
    SlotPreferences,
    conflict_lines,
)
from ui.schedule.slot_fields import time_text, window_text
from ui.schedule.waitlist_entry_dialog import WaitlistEntryDialog

log = logging.getLogger(__name__)

COLUMNS = ("Patient", "Provider", "Visit type", "Days", "Times", "Since", "Notes")
OFFER_COLUMNS = ("Patient", "Phone", "Fits", "")


@dataclass(frozen=True, slots=True)
class _Loaded:
    rows: list[WaitlistRow]
    choices: BookingChoices


@dataclass(frozen=True, slots=True)
class FreedTime:
    """A time the calendar freed, which the offers list is about."""

    provider_id: uuid.UUID
    starts_at: datetime
    minutes: int


def row_cells(row: WaitlistRow) -> tuple[str, ...]:
    """Return the list's cells for one entry, in COLUMNS order."""
    kind = row.appointment_type or f"{row.duration_minutes} min"
    if row.appointment_type:
        kind += f" ({row.duration_minutes} min)"
    return (
        f"{row.patient_name} ({row.chart_number})",
        row.provider_name,
        kind,
        describe_weekdays(row.weekdays),
        window_text(row.earliest, row.latest),
        # Shown in the workstation's zone, which is normally the practice's.
        f"{row.added_at.astimezone():%m/%d/%Y}",
        row.notes,
    )


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class WaitlistPanel(QWidget):
    """The waiting entries with Add, Edit, Remove and Find a time, and the offers list."""

    booked = Signal(object)  # uuid.UUID of the appointment booked from the panel

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitlistPanel")
        self.context = context
        self.rows: list[WaitlistRow] = []
        self.offers: list[WaitlistOffer] = []
        self.freed: FreedTime | None = None
        self.choices: BookingChoices | None = None
        self.entry_dialog: WaitlistEntryDialog | None = None
        self.find_dialog: FindAvailableDialog | None = None
        self.remove_box: QMessageBox | None = None
        self._request = 0
        self._build()

    def _build(self) -> None:
        self.table = _table(COLUMNS, "waitlistTable")
        self.table.setAccessibleName("Waitlist, oldest first")
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.remove_button = QPushButton("Re&move")
        self.find_button = QPushButton("Find a &time…")
        self.add_button.clicked.connect(self.add_entry)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.confirm_remove)
        self.find_button.clicked.connect(self.find_time)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.find_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.count = QLabel()
        self.count.setObjectName("subtleText")
        self.offer_title = QLabel("Freed times show here after a cancel or a move.")
        self.offer_title.setObjectName("subtleText")
        self.offer_title.setWordWrap(True)
        self.offer_table = _table(OFFER_COLUMNS, "waitlistOffers")
        self.offer_table.setAccessibleName("Waiting patients who fit the freed time")
        self.offer_table.horizontalHeader().setStretchLastSection(False)
        self.offer_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.offer_table.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.offer_title)
        layout.addWidget(self.offer_table, 1)
        self._enable_actions()

    def _enable_actions(self) -> None:
        may_edit = self.context.can(Permission.SCHEDULE_EDIT)
        self.add_button.setEnabled(may_edit and self.choices is not None)
        for button in (self.edit_button, self.remove_button, self.find_button):
            button.setEnabled(may_edit and bool(self.rows))

    # Loading

    def refresh(self) -> None:
        """Load the waiting entries on a worker thread; a late older result is dropped."""
        if not self.context.user.signed_in:
            return
        self._request += 1
        number, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> _Loaded:
            return _Loaded(list_waitlist(session, actor), booking_choices(session, actor))

        self.context.ops.run(
            work, on_done=lambda loaded: self._show(number, loaded), read_only=True
        )

    def _show(self, number: int, loaded: _Loaded) -> None:
        if number != self._request:
            return
        chosen = self.selected_row()
        self.rows, self.choices = loaded.rows, loaded.choices
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            for column, text in enumerate(row_cells(row)):
                self.table.setItem(index, column, QTableWidgetItem(text))
        noun = "patient" if len(self.rows) == 1 else "patients"
        self.count.setText(f"{len(self.rows)} {noun} waiting")
        keep = next(
            (i for i, row in enumerate(self.rows) if chosen and row.entry_id == chosen.entry_id),
            0,
        )
        if self.rows:
            self.table.selectRow(keep)
        self._enable_actions()

    def selected_row(self) -> WaitlistRow | None:
        """Return the entry under the cursor, or None."""
        index = self.table.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    # Entry actions

    def add_entry(self) -> None:
        """Open the form for a new entry."""
        self._open_entry(None)

    def edit_selected(self) -> None:
        """Open the form for the selected entry."""
        row = self.selected_row()
        if row is not None:
            self._open_entry(row)

    def _open_entry(self, row: WaitlistRow | None) -> None:
        if self.choices is None or not self.context.can(Permission.SCHEDULE_EDIT):
            return
        dialog = WaitlistEntryDialog(self.context, self.choices, row, self)
        dialog.finished.connect(dialog.deleteLater)
        self.entry_dialog = dialog
        dialog.open()

    def confirm_remove(self) -> None:
        """Ask before taking the selected entry off the list."""
        row = self.selected_row()
        if row is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove from the waitlist",
            f"Take {row.patient_name} off the waitlist? The entry stays in the history.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda button: self.remove(row) if button is yes else None)
        box.finished.connect(box.deleteLater)
        self.remove_box = box
        box.open()

    def remove(self, row: WaitlistRow) -> None:
        """Take `row`'s entry off the waitlist."""
        actor, entry_id = self.context.actor, row.entry_id

        def work(session: Session, _progress: Progress) -> Changes:
            return remove_entry(session, actor, entry_id)

        self.context.ops.run(work, on_error=lambda error: show_error(self, error))

    def find_time(self) -> None:
        """Search open times with the selected entry's preferences; booking marks it booked."""
        row = self.selected_row()
        if row is None or not self.context.can(Permission.SCHEDULE_EDIT):
            return
        preferences = SlotPreferences(
            provider_ids=(row.provider_id,) if row.provider_id else (),
            appointment_type_id=row.appointment_type_id,
            duration_minutes=row.duration_minutes,
            weekdays=row.weekdays,
            earliest=row.earliest,
            latest=row.latest,
            start_day=row.available_from,
        )
        dialog = FindAvailableDialog(
            self.context,
            self,
            row.patient_id,
            patient_label=f"{row.patient_name} ({row.chart_number})",
            preferences=preferences,
            entry_id=row.entry_id,
        )
        dialog.booked.connect(self.booked)
        dialog.finished.connect(dialog.deleteLater)
        self.find_dialog = dialog
        dialog.open()

    # Offers for a freed time

    def show_offers(self, provider_id: uuid.UUID, starts_at: datetime, minutes: int) -> None:
        """List the waiting patients who fit `minutes` from `starts_at` with the provider."""
        actor = self.context.actor
        self.freed = FreedTime(provider_id, starts_at, minutes)

        def work(session: Session, _progress: Progress) -> list[WaitlistOffer]:
            return offers_for(session, actor, provider_id, starts_at, minutes)

        self.context.ops.run(work, on_done=self._show_offers, read_only=True)

    def _show_offers(self, offers: list[WaitlistOffer]) -> None:
        freed = self.freed
        if freed is None:
            return
        self.offers = offers
        when = f"{freed.starts_at:%a %m/%d/%Y} at {time_text(freed.starts_at)}"
        if not offers:
            self.offer_title.setText(f"Nobody waiting fits {freed.minutes} minutes on {when}.")
        else:
            self.offer_title.setText(f"Waiting patients who fit {freed.minutes} minutes on {when}:")
        self.offer_table.setRowCount(len(offers))
        for index, offer in enumerate(offers):
            for column, text in enumerate((offer.patient_name, offer.phone, offer.why)):
                self.offer_table.setItem(index, column, QTableWidgetItem(text))
            button = QPushButton("Book")
            button.setObjectName("offerBook")
            button.setAccessibleName(f"Book {offer.patient_name}")
            button.setEnabled(self.context.can(Permission.SCHEDULE_EDIT))
            button.clicked.connect(lambda _checked=False, chosen=offer: self.book_offer(chosen))
            self.offer_table.setCellWidget(index, 3, button)
        self.offer_table.setVisible(bool(offers))

    def book_offer(self, offer: WaitlistOffer) -> None:
        """Book `offer`'s entry at the start of the freed time."""
        freed = self.freed
        if freed is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> BookingOutcome:
            return book_offer(session, actor, offer.entry_id, freed.provider_id, freed.starts_at)

        self.context.ops.run(work, on_done=self._offer_booked, on_error=self._offer_failed)

    def _offer_booked(self, outcome: BookingOutcome) -> None:
        if outcome.appointment_id is None:
            self.offer_title.setText("Not booked.\n" + conflict_lines(outcome.conflicts))
            return
        log.info("booked appointment %s from a waitlist offer", outcome.appointment_id)
        self.freed = None
        self.offers = []
        self.offer_table.setRowCount(0)
        self.offer_table.hide()
        self.offer_title.setText("Booked. The patient is off the waitlist.")
        self.booked.emit(outcome.appointment_id)

    def _offer_failed(self, error: BaseException) -> None:
        show_error(self, error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove every patient from the screen (on sign-out or lock)."""
        self._request += 1
        self.rows, self.offers, self.freed = [], [], None
        self.table.setRowCount(0)
        self.offer_table.setRowCount(0)
        self.offer_table.hide()
        self.count.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments, patients or providers change."""
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS, ChangeKind.PROVIDERS):
            self.refresh()
