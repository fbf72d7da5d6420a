"""The find-available dialog: search open times, pick one, and book it for a known patient.

Every control is reachable with Tab. Enter in the search fields runs Find, Enter on a
result chooses it, and Space checks or unchecks the provider under the cursor.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, time

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.clock import format_time
from app.errors import ValidationError
from app.ids import ProviderId
from app.progress import Progress
from app.services.booking import BookingOutcome, Conflict
from app.services.calendar_view import BookingChoices, booking_choices
from app.services.find_available import Slot, find_slots
from app.services.scheduling_settings import practice_now, scheduling_settings
from app.services.slot_booking import book_slot
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.slot_fields import OptionalTime, WeekdayBoxes
from ui.widgets import find_data

log = logging.getLogger(__name__)

RESULT_LIMIT = 40
DEFAULT_DAYS = 60
DEFAULT_MINUTES = 15


@dataclass(frozen=True, slots=True)
class SlotPreferences:
    """Starting values for the search; no provider ids means every provider."""

    provider_ids: tuple[uuid.UUID, ...] = ()
    appointment_type_id: uuid.UUID | None = None
    duration_minutes: int | None = None
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    earliest: time | None = None
    latest: time | None = None
    start_day: date | None = None


@dataclass(frozen=True, slots=True)
class _Setup:
    choices: BookingChoices
    today: date
    grid_minutes: int


def conflict_lines(conflicts: list[Conflict]) -> str:
    """Return one line per conflict, each marked Blocked or Warning."""
    return "\n".join(
        f"{'Blocked' if item.severity == 'block' else 'Warning'}: {item.message}"
        for item in conflicts
    )


class ResultTable(QTableWidget):
    """The open times found; Enter emits `chosen` with the row number."""

    chosen = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.chosen.emit(self.currentRow())
            event.accept()
            return
        super().keyPressEvent(event)


class FindAvailableDialog(QDialog):
    """Searches open times; `slot_chosen` carries (provider id, wall-clock start, minutes).

    With a patient the dialog also offers to book the chosen time and emits `booked`
    with the new appointment id. With `entry_id` the booking goes through the waitlist,
    which marks that entry booked.
    """

    slot_chosen = Signal(object, object, int)
    booked = Signal(object)

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        patient_id: uuid.UUID | None = None,
        *,
        patient_label: str = "",
        preferences: SlotPreferences | None = None,
        entry_id: uuid.UUID | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("findAvailableDialog")
        self.setWindowTitle("Find an open time")
        self.context = context
        self.patient_id = patient_id
        self.entry_id = entry_id
        self.preferences = preferences or SlotPreferences()
        self.choices: BookingChoices | None = None
        self.grid_minutes = 5
        self.slots: list[Slot] = []
        self.confirm_box: QMessageBox | None = None
        self._request = 0
        self._build(patient_label)
        self._load()

    # Building

    def _build(self, patient_label: str) -> None:
        self.providers = QListWidget()
        self.providers.setObjectName("findProviders")
        self.providers.setAccessibleName("Providers to search; Space checks or unchecks")
        self.providers.setMaximumHeight(110)
        self.visit_type = QComboBox()
        self.visit_type.setAccessibleName("Visit type")
        self.visit_type.currentIndexChanged.connect(self._type_changed)
        self.duration = QSpinBox()
        self.duration.setAccessibleName("Length in minutes")
        self.duration.setRange(5, 480)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setValue(DEFAULT_MINUTES)
        self.start_day = QDateEdit()
        self.start_day.setAccessibleName("First day to search")
        self.start_day.setDisplayFormat("ddd MM/dd/yyyy")
        self.start_day.setCalendarPopup(True)
        self.days = QSpinBox()
        self.days.setAccessibleName("Days to search")
        self.days.setRange(1, 366)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.weekdays = WeekdayBoxes()
        self.earliest = OptionalTime("Not before", time(8))
        self.latest = OptionalTime("Ending by", time(17))

        form = QFormLayout()
        if patient_label:
            form.addRow("Patient", QLabel(patient_label))
        for caption, field in (
            ("&Providers", self.providers), ("&Visit type", self.visit_type),
            ("&Length", self.duration), ("&Start day", self.start_day),
            ("Days &ahead", self.days), ("Days of the week", self.weekdays),
            ("Earliest start", self.earliest), ("Latest end", self.latest),
        ):  # fmt: skip
            form.addRow(caption, field)
        self.find_button = QPushButton("&Find")
        self.find_button.setObjectName("findButton")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find_now)
        self.results = self._build_results()
        self.status = QLabel("Set the search and press Find.")
        self.status.setObjectName("findStatus")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.find_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(620, 680)

    def _build_results(self) -> ResultTable:
        table = ResultTable(0, 3)
        table.setObjectName("findResults")
        table.setAccessibleName("Open times; Enter chooses")
        table.setHorizontalHeaderLabels(("Day", "Time", "Provider"))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.chosen.connect(self.choose_row)
        table.doubleClicked.connect(lambda index: self.choose_row(index.row()))
        return table

    # Loading the lists

    def _load(self) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> _Setup:
            now = practice_now(session)
            grid = scheduling_settings(session).grid_minutes
            return _Setup(booking_choices(session, actor), now.date(), grid)

        self.context.ops.run(work, on_done=self._loaded, on_error=self._failed, read_only=True)

    def _loaded(self, setup: _Setup) -> None:
        self.choices = setup.choices
        self.grid_minutes = setup.grid_minutes
        wanted = set(self.preferences.provider_ids)
        for choice in setup.choices.providers:
            item = QListWidgetItem(choice.label)
            item.setData(Qt.ItemDataRole.UserRole, choice.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = not wanted or choice.id in wanted
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.providers.addItem(item)
        self.providers.setCurrentRow(0)
        self.visit_type.addItem("(any length)", None)
        for choice in setup.choices.types:
            self.visit_type.addItem(f"{choice.label} ({choice.minutes} min)", choice.id)
        self._apply_preferences(setup.today)

    def _apply_preferences(self, today: date) -> None:
        wanted = self.preferences
        index = find_data(self.visit_type, wanted.appointment_type_id)
        self.visit_type.setCurrentIndex(max(index, 0))
        if wanted.duration_minutes:
            self.duration.setValue(wanted.duration_minutes)
        first = max(wanted.start_day or today, today)
        self.start_day.setDate(QDate(first.year, first.month, first.day))
        self.weekdays.set_weekdays(wanted.weekdays)
        self.earliest.set_value(wanted.earliest)
        self.latest.set_value(wanted.latest)

    def _type_changed(self) -> None:
        type_id = self.visit_type.currentData()
        kinds = self.choices.types if self.choices else []
        kind = next((choice for choice in kinds if choice.id == type_id), None)
        if kind is not None and kind.minutes:
            self.duration.setValue(kind.minutes)

    # Searching

    def checked_providers(self) -> list[uuid.UUID]:
        """Return the ids of the checked providers, in list order."""
        checked = []
        for row in range(self.providers.count()):
            item = self.providers.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                checked.append(item.data(Qt.ItemDataRole.UserRole))
        return checked

    def find_now(self) -> None:
        """Run the search on a worker thread; a result for an older search is dropped."""
        if self.choices is None:
            return
        self._request += 1
        number, actor = self._request, self.context.actor
        provider_ids = [ProviderId(value) for value in self.checked_providers()]
        minutes, start = self.duration.value(), self.start_day.date().toPython()
        days, weekdays = self.days.value(), self.weekdays.weekdays()
        earliest, latest = self.earliest.value(), self.latest.value()
        type_id, grid = self.visit_type.currentData(), self.grid_minutes
        assert isinstance(start, date)

        def work(session: Session, _progress: Progress) -> list[Slot]:
            return find_slots(
                session,
                actor,
                provider_ids,
                minutes,
                start,
                days=days,
                weekdays=weekdays,
                earliest=earliest,
                latest=latest,
                appointment_type_id=type_id,
                limit=RESULT_LIMIT,
                grid_minutes=grid,
                not_before=practice_now(session),
            )

        self.status.setText("Searching…")
        self.context.ops.run(
            work,
            on_done=lambda slots: self._found(number, slots),
            on_error=lambda error: self._search_failed(number, error),
            read_only=True,
        )

    def _found(self, number: int, slots: list[Slot]) -> None:
        if number != self._request:
            return
        self.slots = slots
        names = (
            {choice.id: choice.label for choice in self.choices.providers} if self.choices else {}
        )
        self.results.setRowCount(len(slots))
        for row, slot in enumerate(slots):
            cells = (
                f"{slot.starts_at:%a %m/%d/%Y}",
                format_time(slot.starts_at),
                names.get(slot.provider_id, ""),
            )
            for column, text in enumerate(cells):
                self.results.setItem(row, column, QTableWidgetItem(text))
        if not slots:
            self.status.setText("No open times match. Search more days or widen the times.")
            return
        self.status.setText(f"{len(slots)} open times. Enter chooses the selected time.")
        self.results.setCurrentCell(0, 0)
        self.results.setFocus()

    def _search_failed(self, number: int, error: BaseException) -> None:
        if number != self._request:
            return
        if isinstance(error, ValidationError):
            self.status.setText(str(error))
            return
        self._failed(error)

    def _failed(self, error: BaseException) -> None:
        self.status.setText("")
        show_error(self, error)

    # Choosing and booking

    def choose_row(self, row: int) -> None:
        """Announce the slot in `row`; with a known patient, offer to book it."""
        if not 0 <= row < len(self.slots):
            return
        slot = self.slots[row]
        minutes = self.duration.value()
        self.slot_chosen.emit(slot.provider_id, slot.starts_at, minutes)
        if self.patient_id is not None:
            self._confirm_booking(slot, minutes, self.results.item(row, 2).text())

    def _confirm_booking(self, slot: Slot, minutes: int, provider: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Book this time",
            f"Book {slot.starts_at:%a %m/%d/%Y} at {format_time(slot.starts_at)} with "
            f"{provider} for {minutes} minutes?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(
            lambda button: self.book(slot, minutes) if button is yes else None
        )
        box.finished.connect(box.deleteLater)
        self.confirm_box = box
        box.open()

    def book(self, slot: Slot, minutes: int) -> None:
        """Book the patient at `slot`; blocking conflicts refuse and are listed."""
        patient_id = self.patient_id
        if patient_id is None:
            return
        actor, entry_id = self.context.actor, self.entry_id
        type_id = self.visit_type.currentData()

        def work(session: Session, _progress: Progress) -> BookingOutcome:
            return book_slot(
                session, actor, patient_id, slot.provider_id, slot.starts_at,
                duration_minutes=minutes, appointment_type_id=type_id, entry_id=entry_id,
            )  # fmt: skip

        self.context.ops.run(work, on_done=self._booked, on_error=self._failed)

    def _booked(self, outcome: BookingOutcome) -> None:
        if outcome.appointment_id is None:
            self.status.setText("Not booked.\n" + conflict_lines(outcome.conflicts))
            return
        log.info("booked appointment %s from the find-available dialog", outcome.appointment_id)
        self.booked.emit(outcome.appointment_id)
        self.accept()
