"""The waitlist panel: who is waiting, their preferences, and who could take a freed time.

`show_offers` lists the entries that fit a freed time, each with a Book button.
`booked` carries the id of every appointment booked from the panel, so the calendar
can show it.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Permission
from app.services.calendar_view import BookingChoices, booking_choices
from app.services.scheduling_settings import practice_now
from app.services.waitlist import (
    WaitlistRow,
    describe_weekdays,
    describe_window,
    list_waitlist,
    remove_entry,
)
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.find_available_dialog import FindAvailableDialog, SlotPreferences
from ui.schedule.waitlist_entry_dialog import WaitlistEntryDialog
from ui.schedule.waitlist_offers import FreedTime, WaitlistOffers, list_table

log = logging.getLogger(__name__)

COLUMNS = ("Patient", "Provider", "Visit type", "Days", "Times", "Since", "Notes")


@dataclass(frozen=True, slots=True)
class _Loaded:
    rows: list[WaitlistRow]
    choices: BookingChoices
    today: date


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
        describe_window(row.earliest, row.latest),
        f"{row.added_on:%m/%d/%Y}",
        row.notes,
    )


class WaitlistPanel(QWidget):
    """The waiting entries with Add, Edit, Remove and Find a time, and the offers list."""

    booked = Signal(object)  # uuid.UUID of the appointment booked from the panel

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitlistPanel")
        self.context = context
        self.rows: list[WaitlistRow] = []
        self.choices: BookingChoices | None = None
        # The practice's date as of the last load; new entries' date fields start at it.
        self.today: date | None = None
        self.entry_dialog: WaitlistEntryDialog | None = None
        self.find_dialog: FindAvailableDialog | None = None
        self.remove_box: QMessageBox | None = None
        self._request = 0
        self._build()

    def _build(self) -> None:
        self.table = list_table(COLUMNS, "waitlistTable")
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
        self.offer_list = WaitlistOffers(self.context)
        self.offer_list.booked.connect(self.booked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.offer_list, 1)
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
            today = practice_now(session).date()
            return _Loaded(list_waitlist(session, actor), booking_choices(session, actor), today)

        self.context.ops.run(
            work, on_done=lambda loaded: self._show(number, loaded), read_only=True
        )

    def _show(self, number: int, loaded: _Loaded) -> None:
        if number != self._request:
            return
        chosen = self.selected_row()
        self.rows, self.choices, self.today = loaded.rows, loaded.choices, loaded.today
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
        if self.choices is None or self.today is None:
            return
        if not self.context.can(Permission.SCHEDULE_EDIT):
            return
        dialog = WaitlistEntryDialog(self.context, self.choices, self.today, row, self)
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
        self.offer_list.load(FreedTime(provider_id, starts_at, minutes))

    # Page hooks

    def clear_data(self) -> None:
        """Remove every patient from the screen (on sign-out or lock)."""
        self._request += 1
        self.rows = []
        self.table.setRowCount(0)
        self.offer_list.clear()
        self.count.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments, patients or providers change."""
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS, ChangeKind.PROVIDERS):
            self.refresh()
