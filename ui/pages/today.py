"""The Today page: the front desk's board of the day's appointments and its one-key actions.

Enter opens the selected patient's record, C checks the patient in (after the check-in
dialog), R puts the patient in a room, O checks out and Shift+N marks a no-show after a
confirmation. The booking service enforces the status rules and this page calls it.
"""

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import format_time, utc_now
from app.errors import UserError
from app.progress import Progress
from app.security.permissions import Permission
from app.services import booking
from app.services.check_in import CheckIn, check_in, check_in_checklist
from app.services.front_desk import INACTIVE_STATUSES, BoardRow, today_board
from app.services.today import practice_today
from ui.charges.page import open_encounter_for_appointment
from ui.charges.print_actions import print_superbill
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page, heading
from ui.pages.check_in_dialog import CheckInDialog
from ui.pages.today_board import BoardModel, BoardTable, status_label
from ui.patient.record import open_patient
from ui.payments.take_payment import PaymentStart, TakePaymentDialog, open_take_payment
from ui.schedule.reminder_actions import ReminderButtons
from ui.schedule.waitlist_panel import WaitlistPanel
from ui.widgets import find_data

log = logging.getLogger(__name__)

# Waiting times are shown in whole minutes, so the timer repaints them once a minute.
TICK_MS = 60_000
ALL = ""
ACTIVE = "active"
STATUS_CHOICES = (
    (ACTIVE, "Not cancelled"),
    (ALL, "All statuses"),
    ("scheduled", "Scheduled"),
    ("confirmed", "Confirmed"),
    ("arrived", "Arrived (waiting)"),
    ("in_room", "In room"),
    ("checked_out", "Checked out"),
    ("no_show", "No-show"),
    ("cancelled", "Cancelled"),
    ("rescheduled", "Rescheduled"),
)

BoardResult = tuple[date, list[BoardRow]]


def status_matches(row: BoardRow, choice: str) -> bool:
    """Return True when `row` passes the status filter `choice`."""
    if choice == ALL:
        return True
    if choice == ACTIVE:
        return row.status not in INACTIVE_STATUSES
    return row.status == choice


class TodayPage(Page):
    """The day's appointments by time, with status, waiting time, money due and intake."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageToday")
        self.context = context
        self.day: date | None = None
        self.all_rows: list[BoardRow] = []
        self._request = 0
        self.check_in_dialog: CheckInDialog | None = None
        self.take_payment_dialog: TakePaymentDialog | None = None
        self.no_show_box: QMessageBox | None = None
        self.title = heading("Today")
        self.total = QLabel()
        self.total.setObjectName("countCard")
        self.breakdown = QLabel()
        self.breakdown.setObjectName("subtleText")
        self.breakdown.setWordWrap(True)
        self.model = BoardModel(self)
        self.table = BoardTable(self)
        self.table.setModel(self.model)
        self.table.action_requested.connect(self.run_action)
        self.table.doubleClicked.connect(lambda _index: self.run_action("open"))
        self.empty = QLabel("No appointments match for today.")
        self.empty.setObjectName("subtleText")
        self.empty.hide()
        self.keys = QLabel(
            "Enter: open record · C: check in · R: in room · O: check out · "
            "B: charges · S: superbill · Shift+N: no-show"
        )
        self.keys.setObjectName("subtleText")
        self._build_filters()

        counts = QHBoxLayout()
        counts.addWidget(self.total)
        counts.addWidget(self.breakdown, 1)
        counts.addLayout(self.filters)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(counts)
        self.reminders = ReminderButtons(context, lambda: self.day)
        layout.addWidget(self.reminders)
        # The waitlist sits beside the board until the Schedule page can hold it.
        self.waitlist = WaitlistPanel(context)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.waitlist)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.keys)

        # Repaints waiting times from each row's arrival time; it never reads the database.
        self.clock = QTimer(self)
        self.clock.setInterval(TICK_MS)
        self.clock.timeout.connect(self.tick)

    def _build_filters(self) -> None:
        self.provider_filter = QComboBox()
        self.provider_filter.setObjectName("todayProviderFilter")
        self.provider_filter.setAccessibleName("Provider filter")
        self.provider_filter.addItem("All providers", None)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("todayStatusFilter")
        self.status_filter.setAccessibleName("Status filter")
        for value, choice_text in STATUS_CHOICES:
            self.status_filter.addItem(choice_text, value)
        self.provider_filter.currentIndexChanged.connect(lambda _index: self._apply_filters())
        self.status_filter.currentIndexChanged.connect(lambda _index: self._apply_filters())
        self.filters = QHBoxLayout()
        for caption, combo in (
            ("&Provider", self.provider_filter),
            ("&Status", self.status_filter),
        ):
            label = QLabel(caption)
            label.setBuddy(combo)
            self.filters.addWidget(label)
            self.filters.addWidget(combo)

    # Loading

    def refresh(self) -> None:
        """Load the board on a worker thread; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self._request += 1
        request, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> BoardResult:
            now = utc_now()
            day = practice_today(session, now)
            return day, today_board(session, actor, day, now)

        self.context.ops.run(
            work, on_done=lambda result: self._show(request, result), read_only=True
        )
        self.waitlist.refresh()

    def _show_error(self, error: BaseException) -> None:
        # Parented to the page, so a refused status change is shown even when no window
        # is active (the shared fallback parents to the active window).
        show_error(self, error)

    def _show(self, request: int, result: BoardResult) -> None:
        if request != self._request:
            return
        self.day, self.all_rows = result
        self.title.setText(f"Today, {self.day:%A, %B} {self.day.day}, {self.day:%Y}")
        self._fill_providers()
        self._apply_filters()
        self.clock.start()

    def _fill_providers(self) -> None:
        chosen = self.provider_filter.currentData()
        providers = {row.provider_id: row.provider_name for row in self.all_rows}
        self.provider_filter.blockSignals(True)
        self.provider_filter.clear()
        self.provider_filter.addItem("All providers", None)
        for provider_id, name in sorted(providers.items(), key=lambda item: item[1]):
            self.provider_filter.addItem(name, provider_id)
        index = find_data(self.provider_filter, chosen)
        self.provider_filter.setCurrentIndex(max(index, 0))
        self.provider_filter.blockSignals(False)

    def _apply_filters(self) -> None:
        selected = self.selected_row()
        provider_id = self.provider_filter.currentData()
        status = self.status_filter.currentData()
        rows = [
            row
            for row in self.all_rows
            if (provider_id is None or row.provider_id == provider_id)
            and status_matches(row, status)
        ]
        self.model.now = utc_now()
        self.model.set_rows(rows)
        self._show_counts(rows)
        self._select(selected.appointment_id if selected else None)

    def _select(self, appointment_id: uuid.UUID | None) -> None:
        for number, row in enumerate(self.model.rows):
            if appointment_id is None or row.appointment_id == appointment_id:
                self.table.selectRow(number)
                return

    def _show_counts(self, rows: list[BoardRow]) -> None:
        noun = "appointment" if len(rows) == 1 else "appointments"
        self.total.setText(f"{len(rows)} {noun}")
        by_status = Counter(status_label(row.status).lower() for row in rows)
        self.breakdown.setText(", ".join(f"{count} {name}" for name, count in by_status.items()))
        self.empty.setVisible(not rows)

    def tick(self) -> None:
        """Move the waiting times on to the current minute (no database access)."""
        self.model.set_now(utc_now())

    def selected_row(self) -> BoardRow | None:
        """Return the row under the table's cursor, or None."""
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    # Actions

    def run_action(self, action: str) -> None:
        """Run board action `action`: "open", "check_in", "in_room", "check_out", "charges",
        "superbill" or "no_show"."""
        row = self.selected_row()
        if row is None:
            return
        if action == "open":
            open_patient(self.context, row.patient_id, self.window())
        elif action == "check_in":
            self._start_check_in(row)
        elif action == "in_room":
            self.change_status(row, "in_room")
        elif action == "check_out":
            self.change_status(row, "checked_out")
        elif action == "no_show":
            self._confirm_no_show(row)
        elif action == "charges":
            self._open_charges(row)
        elif action == "superbill":
            print_superbill(self.context, row.appointment_id, self)

    def _open_charges(self, row: BoardRow) -> None:
        if not self.context.can(Permission.CHARGE_POST):
            self._show_error(
                UserError("Your role cannot enter charges. A biller or provider enters them.")
            )
            return
        if row.status != "checked_out":
            self._show_error(
                UserError("Charges open once the patient is checked out; press O to check out.")
            )
            return
        open_encounter_for_appointment(self.context, row.appointment_id, self.window())

    def _start_check_in(self, row: BoardRow) -> None:
        actor, appointment_id = self.context.actor, row.appointment_id

        def work(session: Session, _progress: Progress) -> CheckIn:
            return check_in_checklist(session, actor, appointment_id)

        self.context.ops.run(
            work, on_done=self.show_check_in, on_error=self._show_error, read_only=True
        )

    def show_check_in(self, checklist: CheckIn) -> None:
        """Open the check-in dialog (kept as `check_in_dialog`); accepting it marks arrival."""
        collect = self._collect_copay if self.context.can(Permission.PAYMENT_POST) else None
        dialog = CheckInDialog(
            checklist,
            self,
            can_record_eligibility=self.context.can(Permission.PATIENT_EDIT),
            collect_copay=collect,
        )
        dialog.accepted.connect(lambda: self._arrive(checklist, dialog.eligibility_confirmed()))
        dialog.finished.connect(dialog.deleteLater)
        self.check_in_dialog = dialog
        dialog.open()

    def _collect_copay(self, dialog: CheckInDialog) -> None:
        """Open the take-payment dialog over the check-in, prefilled with the copay due."""
        checklist = dialog.checklist
        start = PaymentStart(
            checklist.patient_id,
            f"{checklist.patient_name} (chart {checklist.chart_number})",
            kind="copay",
            amount=checklist.copay_due,
            appointment_id=checklist.appointment_id,
        )

        def opened(payment_dialog: TakePaymentDialog) -> None:
            self.take_payment_dialog = payment_dialog
            payment_dialog.saved.connect(
                lambda _payment_id: dialog.copay_collected(payment_dialog.amount_value())
            )

        open_take_payment(self.context, start, dialog, opened)

    def _arrive(self, checklist: CheckIn, eligibility_confirmed: bool) -> None:
        actor, appointment_id = self.context.actor, checklist.appointment_id

        def work(session: Session, _progress: Progress) -> Changes:
            return check_in(
                session, actor, appointment_id, eligibility_confirmed=eligibility_confirmed
            )

        log.info("appointment %s: checking in", appointment_id)
        self.context.ops.run(work, on_error=self._show_error)

    def _confirm_no_show(self, row: BoardRow) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Mark as no-show",
            f"Mark {row.patient_name}'s {format_time(row.starts_at)} visit with "
            f"{row.provider_name} as a no-show? A no-show fee is posted if the practice "
            "charges one.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        # A message box closes with the clicked button's code, not Accepted, so the button
        # itself is checked.
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(
            lambda button: self.change_status(row, "no_show") if button is yes else None
        )
        box.finished.connect(box.deleteLater)
        self.no_show_box = box
        box.open()

    def change_status(
        self, row: BoardRow, status: str, on_done: Callable[[Changes], None] | None = None
    ) -> None:
        """Ask the booking service to move `row`'s appointment to `status`."""
        actor, appointment_id = self.context.actor, row.appointment_id

        def work(session: Session, _progress: Progress) -> Changes:
            if status == "checked_out":
                return booking.checkout(session, actor, appointment_id)
            return booking.set_status(session, actor, appointment_id, status)

        log.info("appointment %s: requesting status %s", appointment_id, status)
        self.context.ops.run(work, on_done=on_done, on_error=self._show_error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove the board so nothing about today's patients stays on screen."""
        self._request += 1
        self.clock.stop()
        self.all_rows = []
        self.model.set_rows([])
        self.total.clear()
        self.breakdown.clear()
        self.waitlist.clear_data()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after appointments, patients, coverages, money or providers change."""
        if changes.touches(
            ChangeKind.APPOINTMENTS,
            ChangeKind.PATIENTS,
            ChangeKind.PROVIDERS,
            ChangeKind.COVERAGES,
            ChangeKind.LEDGER,
            ChangeKind.DOCUMENTS,
        ):
            self.refresh()
