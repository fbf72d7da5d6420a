"""The Schedule page: day, week and month calendars with booking, moving and cancelling."""

import calendar
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Permission
from app.services import booking, calendar_view, waitlist
from app.services.calendar_view import Block, BookingChoices, CalendarGrid, ColumnKey, SavedView
from app.services.scheduling_settings import practice_now
from ui.charges.page import open_encounter_for_appointment
from ui.charges.print_actions import print_superbill
from ui.context import AppContext
from ui.errors import show_error
from ui.icons import icon
from ui.pages.base import Page, heading
from ui.schedule.booking import BookingPanel, conflict_text
from ui.schedule.dialogs import AppointmentDialog, CancelDialog, WaitlistOffersDialog
from ui.schedule.grid import ScheduleGrid
from ui.schedule.month import OPEN_HINT, MonthView
from ui.schedule.waitlist_offers import FreedTime
from ui.widgets import find_data

log = logging.getLogger(__name__)

COMBO_CHARACTERS = 12
DATE_MIN_WIDTH = 140

VIEWS = (
    ("day_providers", "Day by provider"),
    ("day_rooms", "Day by room"),
    ("week_provider", "Week of a provider"),
    ("week_room", "Week of a room"),
    ("month", "Month"),
)
NOW_TICK_MS = 60_000


def _utc_wall() -> datetime:
    """UTC now without its zone; adding the practice's offset gives practice wall clock."""
    return datetime.now(UTC).replace(tzinfo=None)


class SchedulePage(Page):
    """The calendar; every read and write runs through the operation runner."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageSchedule")
        self.context = context
        self.day: date | None = None
        self.choices: BookingChoices | None = None
        self.views: list[SavedView] = []
        self.column_ids: list[uuid.UUID] | None = None
        self.now_offset = timedelta(0)
        self.panel: BookingPanel | None = None
        self.waitlist_offers = WaitlistOffersDialog(context, self)
        self.waitlist_offers.booked.connect(self._after_waitlist_booking)
        self.notice: QMessageBox | None = None
        self._load_number = 0
        self._pending_select: uuid.UUID | None = None
        self._build()
        self.now_timer = QTimer(self)
        self.now_timer.setInterval(NOW_TICK_MS)
        self.now_timer.timeout.connect(self._tick)
        self.now_timer.start()

    # Building

    def _build(self) -> None:
        self.title = heading("Schedule")
        self.date_label = QLabel()
        self.date_label.setObjectName("scheduleDate")
        self.grid = ScheduleGrid()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.grid)
        self.scroll.setWidgetResizable(False)
        self.scroll.viewport().installEventFilter(self)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _value: self.grid.update())
        self.month = MonthView()
        self.month.day_chosen.connect(self._open_day)
        self.month.day_selected.connect(self._month_day_selected)
        self.month.month_shown.connect(self._month_shown)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.scroll)
        self.stack.addWidget(self.month)
        self.status = QLabel()
        self.status.setObjectName("subtleText")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self._toolbar())
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        self._connect_grid()

    def _toolbar(self) -> QVBoxLayout:
        self.previous = QPushButton(icon("fa6s.chevron-left"), "")
        self.previous.setToolTip("Previous day (Page Up)")
        self.next = QPushButton(icon("fa6s.chevron-right"), "")
        self.next.setToolTip("Next day (Page Down)")
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Go to today (T)")
        self.view = QComboBox()
        self.view.setObjectName("scheduleView")
        for code, label in VIEWS:
            self.view.addItem(label, code)
        self.subject = QComboBox()
        self.subject.setObjectName("scheduleSubject")
        self.subject.setToolTip("Whose week to show")
        self.grid_minutes = QComboBox()
        for minutes in calendar_view.GRID_MINUTES:
            self.grid_minutes.addItem(f"{minutes} min grid", minutes)
        self.grid_minutes.setCurrentIndex(2)
        self.saved = QComboBox()
        self.saved.setObjectName("savedViews")
        self.saved.setToolTip("Saved views")
        self.save_button = QPushButton("Save view…")
        self.delete_button = QPushButton("Delete view")
        self.book_button = QPushButton(icon("fa6s.plus"), "Book")
        self.book_button.setToolTip("Book at the selected time (N)")

        self.previous.clicked.connect(lambda: self.step_day(-1))
        self.next.clicked.connect(lambda: self.step_day(1))
        self.today_button.clicked.connect(self.go_today)
        self.view.currentIndexChanged.connect(lambda _index: self._view_changed())
        self.subject.currentIndexChanged.connect(lambda _index: self.reload())
        self.grid_minutes.currentIndexChanged.connect(
            lambda _index: self.grid.set_grid_minutes(self.grid_minutes.currentData())
        )
        self.saved.activated.connect(self._apply_saved)
        self.save_button.clicked.connect(self._save_view)
        self.delete_button.clicked.connect(self._delete_view)
        self.book_button.clicked.connect(self._book_at_cursor)

        # Combos size to a short text rather than their longest item, and the date may be
        # cut short, so the toolbar fits a 1366-pixel screen beside the navigation.
        for combo in (self.view, self.subject, self.grid_minutes, self.saved):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(COMBO_CHARACTERS)
        self.date_label.setMinimumWidth(DATE_MIN_WIDTH)
        self.date_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        # Two rows: moving through days and booking above, the choice of view below.
        moving = QHBoxLayout()
        for widget in (self.previous, self.today_button, self.next, self.date_label):
            moving.addWidget(widget)
        moving.addStretch(1)
        moving.addWidget(self.book_button)
        viewing = QHBoxLayout()
        for widget in (self.view, self.subject, self.grid_minutes):
            viewing.addWidget(widget)
        viewing.addStretch(1)
        for widget in (self.saved, self.save_button, self.delete_button):
            viewing.addWidget(widget)
        rows = QVBoxLayout()
        rows.addLayout(moving)
        rows.addLayout(viewing)
        return rows

    def _connect_grid(self) -> None:
        grid = self.grid
        grid.book_requested.connect(self.open_booking)
        grid.open_requested.connect(self.open_appointment)
        grid.move_requested.connect(self._move_to_column)
        grid.resize_requested.connect(self.resize_block)
        grid.cancel_requested.connect(self.cancel)
        grid.day_step_requested.connect(self.step_day)
        grid.today_requested.connect(self.go_today)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self.grid.relayout()
        return False

    # Page hooks

    def refresh(self) -> None:
        """Load the lists, the saved views and the calendar."""
        if not self.context.user.signed_in:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> tuple[Any, ...]:
            choices = calendar_view.booking_choices(session, actor)
            views = calendar_view.saved_views(session, actor) if actor.user_id else []
            return choices, views, practice_now(session)

        self.context.ops.run(work, on_done=self._loaded, read_only=True)

    def _loaded(self, result: tuple[BookingChoices, list[SavedView], datetime]) -> None:
        self.choices, self.views, now = result
        self.now_offset = now - _utc_wall()
        if self.day is None:
            self.day = now.date()
        self._fill_saved()
        self._fill_subjects()
        self.reload()

    def clear_data(self) -> None:
        """Drop every appointment and name on screen (the screen is locking)."""
        self.grid.clear()
        self.month.show_counts({})
        self.waitlist_offers.clear()
        if self.panel is not None:
            self.panel.close()

    def handle_changes(self, changes: Changes) -> None:
        """Reload what changed; a hidden page reloads when it is opened again."""
        if not self.isVisible():
            return
        if changes.touches(ChangeKind.PROVIDERS, ChangeKind.LOCATIONS, ChangeKind.SCHEDULE_SETUP):
            self.refresh()
        elif changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS, ChangeKind.COVERAGES):
            self.reload()
        if changes.touches(ChangeKind.SETTINGS):
            self._reload_saved()

    # Loading

    @property
    def mode(self) -> str:
        """The view code, such as "day_providers"."""
        return str(self.view.currentData())

    def reload(self) -> None:
        """Load the current view for the current day; an older answer is dropped."""
        if self.day is None or not self.context.user.signed_in:
            return
        self._load_number += 1
        number, actor, day, mode = self._load_number, self.context.actor, self.day, self.mode
        columns = self.column_ids
        subject = self.subject.currentData()
        self._show_date()

        def work(session: Session, _progress: Progress) -> Any:
            if mode == "month":
                return calendar_view.month_summary(session, actor, day.year, day.month, columns)
            kind = "providers" if mode.endswith(("providers", "provider")) else "rooms"
            if mode.startswith("week"):
                if subject is None:
                    return CalendarGrid(kind, [], [], {}, {})
                monday = day - timedelta(days=day.weekday())
                return calendar_view.week_view(session, actor, monday, kind, subject)
            return calendar_view.day_view(session, actor, day, kind, columns)

        self.context.ops.run(
            work, on_done=lambda result: self._show(number, result), read_only=True
        )

    def _show(self, number: int, result: Any) -> None:
        if number != self._load_number:
            return
        if isinstance(result, dict):
            self.stack.setCurrentWidget(self.month)
            assert self.day is not None
            self.month.show_month(self.day, result)
            return
        self.stack.setCurrentWidget(self.scroll)
        self.grid.show_grid(result)
        if self._pending_select is not None:
            self.grid.select_block(self._pending_select)
            self._pending_select = None
        self._tick()

    def _show_date(self) -> None:
        assert self.day is not None
        day = self.day
        if self.mode.startswith("week"):
            monday = day - timedelta(days=day.weekday())
            text = f"Week of {monday:%B} {monday.day}, {monday:%Y}"
        elif self.mode == "month":
            text = f"{day:%B %Y}"
        else:
            text = f"{day:%A, %B} {day.day}, {day:%Y}"
        self.date_label.setText(text)

    def _tick(self) -> None:
        self.grid.now = _utc_wall() + self.now_offset
        self.grid.update()

    def _view_changed(self) -> None:
        self.subject.setVisible(self.mode.startswith("week"))
        if self.mode == "month":
            self.status.setText(OPEN_HINT)
        self._fill_subjects()
        self.reload()

    def _fill_subjects(self) -> None:
        if self.choices is None:
            return
        choices = self.choices.rooms if self.mode == "week_room" else self.choices.providers
        self.subject.blockSignals(True)
        current = self.subject.currentData()
        self.subject.clear()
        for choice in choices:
            self.subject.addItem(choice.label, choice.id)
        index = find_data(self.subject, current)
        self.subject.setCurrentIndex(max(index, 0))
        self.subject.blockSignals(False)
        self.subject.setVisible(self.mode.startswith("week"))

    # Navigation

    def step_day(self, step: int) -> None:
        """Go `step` days (weeks or months in those views) back or forward."""
        if self.day is None:
            return
        if self.mode.startswith("week"):
            self.day += timedelta(days=7 * step)
        elif self.mode == "month":
            month = self.day.month - 1 + step
            self.day = date(self.day.year + month // 12, month % 12 + 1, 1)
        else:
            self.day += timedelta(days=step)
        self.reload()

    def go_today(self) -> None:
        """Go to today's date in the practice's time zone."""
        self.day = (_utc_wall() + self.now_offset).date()
        self.reload()

    def _open_day(self, day: date) -> None:
        self.day = day
        self.view.setCurrentIndex(0)

    def _month_day_selected(self, day: date) -> None:
        """Make the day selected in the month view the page's day, so other views open on it."""
        if self.mode != "month" or self.day is None or day == self.day:
            return
        same_month = (day.year, day.month) == (self.day.year, self.day.month)
        self.day = day
        if not same_month:
            self.reload()

    def _month_shown(self, first: date) -> None:
        """Load the counts of a month the calendar's own navigation turned to."""
        if self.mode != "month" or self.day is None:
            return
        if (first.year, first.month) == (self.day.year, self.day.month):
            return
        last = calendar.monthrange(first.year, first.month)[1]
        self.day = first.replace(day=min(self.day.day, last))
        self.reload()

    # Saved views

    def _fill_saved(self) -> None:
        self.saved.clear()
        self.saved.addItem("Saved views…", None)
        for view in self.views:
            self.saved.addItem(view.name, view.id)
        self.delete_button.setEnabled(bool(self.views))

    def _reload_saved(self) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[SavedView]:
            return calendar_view.saved_views(session, actor)

        def done(views: list[SavedView]) -> None:
            self.views = views
            self._fill_saved()

        self.context.ops.run(work, on_done=done, read_only=True)

    def _apply_saved(self, index: int) -> None:
        view = next((view for view in self.views if view.id == self.saved.itemData(index)), None)
        if view is None:
            return
        self.column_ids = list(view.column_ids) or None
        self.grid_minutes.setCurrentIndex(max(find_data(self.grid_minutes, view.grid_minutes), 0))
        self.view.setCurrentIndex(max(find_data(self.view, view.mode), 0))
        if self.mode.startswith("week") and view.column_ids:
            self.subject.setCurrentIndex(max(find_data(self.subject, view.column_ids[0]), 0))
        self.reload()

    def _save_view(self) -> None:
        name, accepted = QInputDialog.getText(self, "Save view", "Name of this view:")
        if not accepted or not name.strip():
            return
        actor, mode, minutes = self.context.actor, self.mode, self.grid_minutes.currentData()
        if mode.startswith("week"):
            ids = [self.subject.currentData()]
        else:
            ids = [
                column.id for column in self.grid.grid.columns if column.id != calendar_view.NO_ROOM
            ]

        def work(session: Session, _progress: Progress) -> Changes:
            return calendar_view.save_view(
                session, actor, name, mode=mode, grid_minutes=minutes, column_ids=ids
            )

        self.context.ops.run(work, on_error=lambda error: show_error(self, error))

    def _delete_view(self) -> None:
        view_id = self.saved.currentData()
        if view_id is None:
            self.status.setText("Pick a saved view in the list first, then delete it.")
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return calendar_view.delete_view(session, actor, view_id)

        self.context.ops.run(work, on_error=lambda error: show_error(self, error))

    # Booking, moving, cancelling

    def _book_at_cursor(self) -> None:
        slot = self.grid.selected_slot()
        if slot is not None:
            self.open_booking(slot[0], slot[1], 0)

    def open_booking(self, key: ColumnKey, starts_at: datetime, minutes: int) -> None:
        """Open the booking panel at a slot, with the column's provider or room filled in."""
        if self.choices is None or not self.context.can(Permission.SCHEDULE_EDIT):
            self.status.setText("Your role can view the schedule but not book.")
            return
        if self.panel is not None:
            self.panel.close()
        self.panel = BookingPanel(self.context, self.choices, self)
        self.panel.booked.connect(self._after_booking)
        by_room = self.grid.grid.mode == "rooms"
        self.panel.prefill(
            starts_at, minutes, None if by_room else key[0], key[0] if by_room else None
        )
        self.panel.show()
        self.panel.patient.setFocus()

    def _after_booking(self, appointment_id: uuid.UUID) -> None:
        self.status.setText("Booked.")
        self._pending_select = appointment_id

    def _after_waitlist_booking(self, appointment_id: uuid.UUID) -> None:
        self.status.setText("Booked from the waitlist. The patient is off the waitlist.")
        self._pending_select = appointment_id

    def _move_to_column(self, block: Block, key: ColumnKey, starts_at: datetime) -> None:
        column_id = key[0]
        if self.grid.grid.mode == "rooms":
            room = None if column_id == calendar_view.NO_ROOM else column_id
            self.move(block, starts_at, room_id=room)
        elif self.mode.startswith("week"):
            self.move(block, starts_at)
        else:
            self.move(block, starts_at, provider_id=column_id)

    def move(
        self,
        block: Block,
        starts_at: datetime,
        minutes: int | None = None,
        provider_id: uuid.UUID | None = None,
        room_id: uuid.UUID | None = None,
    ) -> None:
        """Move through the engine; a blocked move redraws the block where it was."""

        def done(outcome: booking.BookingOutcome) -> None:
            if self._written(outcome, "Moved.", "Not moved"):
                self.offer_waitlist(FreedTime(block.provider_id, block.starts_at, block.minutes))

        self._change_time(block, starts_at, minutes, provider_id, room_id, done)

    def resize_block(self, block: Block, minutes: int) -> None:
        """Change the visit's length through the engine; a blocked resize snaps back.

        A shorter visit frees the end of its old time, so the waitlist is asked about that.
        """

        def done(outcome: booking.BookingOutcome) -> None:
            if not self._written(outcome, f"Resized to {minutes} minutes.", "Not resized"):
                return
            if minutes < block.minutes:
                freed_at = block.starts_at + timedelta(minutes=minutes)
                self.offer_waitlist(FreedTime(block.provider_id, freed_at, block.minutes - minutes))

        self._change_time(block, block.starts_at, minutes, None, None, done)

    def _change_time(  # noqa: PLR0917 (the arguments of booking.move, plus the callback)
        self,
        block: Block,
        starts_at: datetime,
        minutes: int | None,
        provider_id: uuid.UUID | None,
        room_id: uuid.UUID | None,
        done: Callable[[booking.BookingOutcome], None],
    ) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> booking.BookingOutcome:
            return booking.move(
                session, actor, block.appointment_id, starts_at, minutes, provider_id, room_id
            )

        self.context.ops.run(work, on_done=done, on_error=self._write_failed)

    def _written(self, outcome: booking.BookingOutcome, done_text: str, refused_title: str) -> bool:
        """Report a move or resize in the status line, and return False if conflicts stopped it."""
        if outcome.appointment_id is None:
            self.grid.show_grid(self.grid.grid)  # the block snaps back
            text = f"{refused_title}. " + conflict_text(outcome.conflicts)
            self.status.setText(text)
            self._notice(refused_title, text)
            return False
        warnings = conflict_text(outcome.conflicts)
        self.status.setText(done_text + (f"\n{warnings}" if warnings else ""))
        return True

    def _notice(self, title: str, text: str) -> None:
        """Show `text` in a box that does not block the page (it may wait while work runs)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("scheduleNotice")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.notice = box

    def _write_failed(self, error: BaseException) -> None:
        self.grid.show_grid(self.grid.grid)
        show_error(self, error)

    def cancel(self, block: Block) -> None:
        """Ask for a reason and who cancelled, then cancel through the engine."""
        dialog = CancelDialog(block, self)
        if dialog.exec() != CancelDialog.DialogCode.Accepted:
            return
        actor, reason, by, scope = self.context.actor, dialog.reason.text(), dialog.by, dialog.scope

        def work(session: Session, _progress: Progress) -> Changes:
            return booking.cancel(session, actor, block.appointment_id, reason, by, scope)  # type: ignore[arg-type]

        def done(_changes: Changes) -> None:
            self.status.setText("Cancelled.")
            self.offer_waitlist(FreedTime(block.provider_id, block.starts_at, block.minutes))

        self.context.ops.run(work, on_done=done, on_error=lambda error: show_error(self, error))

    def open_appointment(self, block: Block) -> None:
        """Show the appointment with its status actions, "Move to day", cancel, charges
        and the superbill."""
        dialog = AppointmentDialog(
            block,
            self.context.can(Permission.SCHEDULE_EDIT),
            self,
            can_charge=self.context.can(Permission.CHARGE_POST),
        )
        if dialog.exec() != AppointmentDialog.DialogCode.Accepted:
            return
        if dialog.action == "cancel":
            self.cancel(block)
        elif dialog.action == "move_day":
            starts_at = datetime.combine(dialog.move_day, block.starts_at.time())
            self.move(block, starts_at)
        elif dialog.action == "status" and dialog.chosen_status:
            self._set_status(block, dialog.chosen_status)
        elif dialog.action == "charges":
            open_encounter_for_appointment(self.context, block.appointment_id, self.window())
        elif dialog.action == "superbill":
            print_superbill(self.context, block.appointment_id, self)

    def _set_status(self, block: Block, status: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return booking.set_status(session, actor, block.appointment_id, status)

        self.context.ops.run(work, on_error=lambda error: show_error(self, error))

    def offer_waitlist(self, freed: FreedTime) -> None:
        """Ask the waitlist who fits the `freed` time, and show them when someone does."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[waitlist.WaitlistOffer]:
            return waitlist.offers_for(
                session, actor, freed.provider_id, freed.starts_at, freed.minutes
            )

        def done(offers: list[waitlist.WaitlistOffer]) -> None:
            if offers:
                self.waitlist_offers.show_offers(freed, offers)

        self.context.ops.run(work, on_done=done, read_only=True)
