"""The offers for a freed time: waiting patients who fit it, each with a Book button.

Both the waitlist panel and the calendar's pop-up after a cancel or a move show this
list. Book goes through `slot_booking.book_offer`, so every conflict check applies and
the entry is marked booked. `booked` carries the new appointment's id.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.clock import format_time
from app.progress import Progress
from app.security.permissions import Permission
from app.services.booking import BookingOutcome
from app.services.slot_booking import book_offer
from app.services.waitlist import WaitlistOffer, offers_for
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.find_available_dialog import conflict_lines

log = logging.getLogger(__name__)

OFFER_COLUMNS = ("Patient", "Phone", "Fits", "")
BOOK_COLUMN = 3
WAITING_TEXT = "Freed times show here after a cancel or a move."


@dataclass(frozen=True, slots=True)
class FreedTime:
    """A time the calendar freed, which the offers list is about."""

    provider_id: uuid.UUID
    starts_at: datetime
    minutes: int

    def describe(self) -> str:
        """Return the time in words, such as "30 minutes on Mon 02/09/2026 at 10:00 AM"."""
        day = f"{self.starts_at:%a %m/%d/%Y}"
        return f"{self.minutes} minutes on {day} at {format_time(self.starts_at)}"


def list_table(columns: tuple[str, ...], name: str) -> QTableWidget:
    """Return a read-only table that selects one whole row, with `columns` as headers."""
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


class WaitlistOffers(QWidget):
    """A title and a table of offers. Book books the offer's entry at the freed time."""

    booked = Signal(object)  # uuid.UUID of the appointment booked from an offer

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.offers: list[WaitlistOffer] = []
        self.freed: FreedTime | None = None
        self.title = QLabel(WAITING_TEXT)
        self.title.setObjectName("subtleText")
        self.title.setWordWrap(True)
        self.table = list_table(OFFER_COLUMNS, "waitlistOffers")
        self.table.setAccessibleName("Waiting patients who fit the freed time")
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        # Takes the spare height while the table is hidden, so the title stays at the top.
        layout.addStretch()

    def load(self, freed: FreedTime) -> None:
        """Ask the waitlist who fits `freed` and list them."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[WaitlistOffer]:
            return offers_for(session, actor, freed.provider_id, freed.starts_at, freed.minutes)

        self.context.ops.run(
            work, on_done=lambda offers: self.show_offers(freed, offers), read_only=True
        )

    def show_offers(self, freed: FreedTime, offers: list[WaitlistOffer]) -> None:
        """List `offers` for `freed`, each with a Book button."""
        self.freed = freed
        self.offers = offers
        if offers:
            self.title.setText(f"Waiting patients who fit {freed.describe()}:")
        else:
            self.title.setText(f"Nobody waiting fits {freed.describe()}.")
        may_book = self.context.can(Permission.SCHEDULE_EDIT)
        self.table.setRowCount(len(offers))
        for index, offer in enumerate(offers):
            for column, text in enumerate((offer.patient_name, offer.phone, offer.why)):
                self.table.setItem(index, column, QTableWidgetItem(text))
            button = QPushButton("Book")
            button.setObjectName("offerBook")
            button.setAccessibleName(f"Book {offer.patient_name}")
            button.setEnabled(may_book)
            button.clicked.connect(lambda _checked=False, chosen=offer: self.book_offer(chosen))
            self.table.setCellWidget(index, BOOK_COLUMN, button)
        self.table.setVisible(bool(offers))

    def book_button(self, row: int) -> QPushButton | None:
        """Return the Book button of offer `row`, or None when there is no such row."""
        widget = self.table.cellWidget(row, BOOK_COLUMN)
        return widget if isinstance(widget, QPushButton) else None

    def book_offer(self, offer: WaitlistOffer) -> None:
        """Book `offer`'s entry at the start of the freed time."""
        freed = self.freed
        if freed is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> BookingOutcome:
            return book_offer(session, actor, offer.entry_id, freed.provider_id, freed.starts_at)

        self.context.ops.run(
            work, on_done=self._booked, on_error=lambda error: show_error(self, error)
        )

    def _booked(self, outcome: BookingOutcome) -> None:
        if outcome.appointment_id is None:
            self.title.setText("Not booked.\n" + conflict_lines(outcome.conflicts))
            return
        log.info("booked appointment %s from a waitlist offer", outcome.appointment_id)
        self.clear()
        self.title.setText("Booked. The patient is off the waitlist.")
        self.booked.emit(outcome.appointment_id)

    def clear(self) -> None:
        """Drop the offers and their patients from the screen."""
        self.freed = None
        self.offers = []
        self.table.setRowCount(0)
        self.table.hide()
        self.title.setText(WAITING_TEXT)
