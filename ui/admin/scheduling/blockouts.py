"""The Blockouts tab: lunches, meetings and holidays nobody books, with the holiday prefill."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.security.permissions import Actor
from app.services import admin_records, schedule_blockouts
from app.services.schedule_blockouts import (
    BLOCKOUT_KINDS,
    BLOCKOUT_SCOPES,
    MAX_HOLIDAY_YEAR,
    MIN_HOLIDAY_YEAR,
    BlockoutInput,
    BlockoutSummary,
    HolidayOutcome,
)
from app.services.schedule_hours import WEEKDAY_NAMES
from app.services.today import practice_today
from ui.admin.common import SPIN_BOX_WIDTH, Work, run_for
from ui.admin.forms import RecordDialog, line
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets import find_data

log = logging.getLogger(__name__)

DATE_TIME_FORMAT = "yyyy-MM-dd HH:mm"


@dataclass(frozen=True, slots=True)
class ScopeChoices:
    """Targets a blockout can cover, as (id, name) pairs per scope."""

    by_scope: dict[str, list[tuple[Any, str]]]


def load_scope_choices(session: Session, actor: Actor) -> ScopeChoices:
    """Return the active locations, providers and rooms a blockout can cover."""
    locations = admin_records.list_locations(session, actor)
    providers = admin_records.list_providers(session, actor)
    rooms = [
        (room.id, f"{location.name}, {room.name}")
        for location in locations
        for room in location.rooms
    ]
    return ScopeChoices(
        {
            "location": [(location.id, location.name) for location in locations],
            "provider": [(provider.id, provider.display_name) for provider in providers],
            "room": rooms,
        }
    )


def to_qdatetime(value: datetime) -> QDateTime:
    """Convert a naive wall-clock datetime to a QDateTime."""
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute))


def from_qdatetime(value: QDateTime) -> datetime:
    """Convert a QDateTime back to a naive wall-clock datetime, to the minute."""
    day, clock = value.date(), value.time()
    return datetime(day.year(), day.month(), day.day(), clock.hour(), clock.minute())  # noqa: DTZ001 (wall-clock time)


class WeekdayPicker(QWidget):
    """A row of weekday check boxes, Monday first."""

    edited = Signal()

    def __init__(self, chosen: tuple[int, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[QCheckBox] = []
        for index, name in enumerate(WEEKDAY_NAMES):
            box = QCheckBox(name[:3])
            box.setAccessibleName(name)
            box.setChecked(index in chosen)
            box.toggled.connect(lambda _checked: self.edited.emit())
            layout.addWidget(box)
            self.boxes.append(box)
        layout.addStretch(1)

    def weekdays(self) -> tuple[int, ...]:
        """Return the ticked weekdays, 0 Monday to 6 Sunday."""
        return tuple(index for index, box in enumerate(self.boxes) if box.isChecked())


class BlockoutDialog(RecordDialog):
    """Adds or edits a blockout."""

    def __init__(
        self,
        context: AppContext,
        blockout: BlockoutSummary | None,
        choices: ScopeChoices,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "Add blockout" if blockout is None else "Edit blockout", parent)
        self.blockout = blockout
        self.choices = choices
        self.title_field = line(blockout.title if blockout else "", 80)
        self.kind = QComboBox()
        for code, label in BLOCKOUT_KINDS.items():
            self.kind.addItem(label, code)
        self.scope = QComboBox()
        for code, label in BLOCKOUT_SCOPES.items():
            self.scope.addItem(label, code)
        self.target = QComboBox()
        self.starts_at = self._date_time_edit()
        self.ends_at = self._date_time_edit()
        self.repeat = WeekdayPicker(blockout.repeat_weekdays if blockout else ())
        self.repeat_until_on = QCheckBox("Repeat until a date")
        self.repeat_until = QDateEdit()
        self.repeat_until.setCalendarPopup(True)
        self.repeat_until.setDisplayFormat("yyyy-MM-dd")
        self._fill(blockout)
        self.scope.currentIndexChanged.connect(self._fill_targets)
        self._add_fields()
        self.finish_building()

    @staticmethod
    def _date_time_edit() -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(DATE_TIME_FORMAT)
        return edit

    def _fill(self, blockout: BlockoutSummary | None) -> None:
        today = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)  # noqa: DTZ005 (a wall-clock default the user edits)
        self.kind.setCurrentIndex(find_data(self.kind, blockout.kind if blockout else "other"))
        self.scope.setCurrentIndex(
            find_data(self.scope, blockout.scope if blockout else "practice")
        )
        self._fill_targets()
        if blockout is not None and blockout.scope_id is not None:
            self.target.setCurrentIndex(max(find_data(self.target, blockout.scope_id), 0))
        self.starts_at.setDateTime(to_qdatetime(blockout.starts_at if blockout else today))
        ends_at = blockout.ends_at if blockout else today + timedelta(hours=1)
        self.ends_at.setDateTime(to_qdatetime(ends_at))
        until = blockout.repeat_until if blockout else None
        self.repeat_until_on.setChecked(until is not None)
        shown = until or (blockout.starts_at.date() if blockout else today.date())
        self.repeat_until.setDate(QDate(shown.year, shown.month, shown.day))

    def _fill_targets(self) -> None:
        self.target.clear()
        scope = str(self.scope.currentData())
        for target_id, name in self.choices.by_scope.get(scope, []):
            self.target.addItem(name, target_id)
        self.target.setEnabled(scope != "practice")

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("title", "&Title", self.title_field, "Such as Staff meeting")
        form.add_field("kind", "&Kind", self.kind)
        form.add_field("scope", "&Covers", self.scope)
        form.add_field("scope_id", "&Which", self.target)
        form.add_field("starts_at", "&Starts", self.starts_at, "Practice time")
        form.add_field(
            "ends_at", "&Ends", self.ends_at,
            "Practice time; for a whole day, end at 00:00 of the next day",
        )  # fmt: skip
        form.add_field("repeat_weekdays", "&Repeat weekly on", self.repeat)
        form.add_field("repeat_until_on", "", self.repeat_until_on)
        form.add_field("repeat_until", "Repeat &until", self.repeat_until)

    def values(self) -> BlockoutInput:
        """Return the dialog's values as a service input."""
        scope = str(self.scope.currentData())
        until_date = self.repeat_until.date()
        until = date(until_date.year(), until_date.month(), until_date.day())
        return BlockoutInput(
            title=self.title_field.text(),
            kind=str(self.kind.currentData()),
            scope=scope,
            scope_id=None if scope == "practice" else self.target.currentData(),
            starts_at=from_qdatetime(self.starts_at.dateTime()),
            ends_at=from_qdatetime(self.ends_at.dateTime()),
            repeat_weekdays=self.repeat.weekdays(),
            repeat_until=until if self.repeat_until_on.isChecked() else None,
        )

    def build_work(self) -> Work:
        actor = self.context.actor
        blockout_id = self.blockout.id if self.blockout else None
        data = self.values()
        return lambda session, _p: schedule_blockouts.save_blockout(
            session, actor, blockout_id, data
        )


def describe_repeat(record: BlockoutSummary) -> str:
    """Describe how a blockout repeats, such as "Mon, Wed until 2026-06-30"."""
    if record.rule and not record.repeat_weekdays:
        return record.rule  # a rule this screen did not write, shown as stored
    if not record.repeat_weekdays:
        return ""
    days = ", ".join(WEEKDAY_NAMES[day][:3] for day in record.repeat_weekdays)
    return f"{days} until {record.repeat_until.isoformat()}" if record.repeat_until else days


class BlockoutsTab(RecordListTab):
    """Lists blockouts still in effect, with a button adding a year's federal holidays."""

    kind = ChangeKind.SCHEDULE_SETUP
    noun = "blockout"
    headers = ("Title", "Kind", "Covers", "Starts", "Ends", "Repeats")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.choices = ScopeChoices({})
        super().__init__(context, parent)
        self.year = QSpinBox()
        self.year.setRange(MIN_HOLIDAY_YEAR, MAX_HOLIDAY_YEAR)
        self.year.setValue(date.today().year)  # noqa: DTZ011 (a default the user edits)
        self.year.setMaximumWidth(SPIN_BOX_WIDTH)
        self.year.setAccessibleName("Holiday year")
        self.holidays_button = QPushButton("Add US federal &holidays for")
        self.holidays_button.setAccessibleName("Add US federal holidays")
        self.holidays_button.clicked.connect(self.add_holidays)
        self.holidays_result = line()
        self.holidays_result.setReadOnly(True)
        self.holidays_result.setAccessibleName("Holiday result")
        row = QHBoxLayout()
        row.addWidget(self.holidays_button)
        row.addWidget(self.year)
        row.addWidget(self.holidays_result, 1)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)  # built by RecordListTab
        layout.insertLayout(1, row)

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        # The add and edit dialogs pick from these; replacing the attribute is one step.
        self.choices = load_scope_choices(session, actor)
        starting = None if include_archived else practice_today(session)
        return schedule_blockouts.list_blockouts(
            session, actor, include_archived=include_archived, starting=starting
        )

    def cells(self, record: BlockoutSummary) -> list[str]:
        return [
            record.title,
            BLOCKOUT_KINDS.get(record.kind, record.kind),
            record.scope_name,
            f"{record.starts_at:%Y-%m-%d %H:%M}",
            f"{record.ends_at:%Y-%m-%d %H:%M}",
            describe_repeat(record),
        ]

    def make_dialog(self, record: BlockoutSummary | None) -> RecordDialog:
        return BlockoutDialog(self.context, record, self.choices, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return schedule_blockouts.archive_blockout(session, actor, record_id)

    def describe(self, record: BlockoutSummary) -> str:
        return record.title

    def add_holidays(self) -> None:
        """Add the chosen year's US federal holidays as whole-practice blockouts."""
        actor, year = self.context.actor, self.year.value()
        self.holidays_button.setEnabled(False)

        def work(session: Session, _progress: object) -> HolidayOutcome:
            return schedule_blockouts.prefill_holidays(session, actor, year)

        def done(outcome: HolidayOutcome) -> None:
            self.holidays_button.setEnabled(True)
            added, present = len(outcome.added), len(outcome.already_present)
            self.holidays_result.setText(
                f"{outcome.year}: {added} holidays added, {present} already listed."
            )

        def failed(error: BaseException) -> None:
            self.holidays_button.setEnabled(True)
            show_error(self, error)

        run_for(self, self.context, work, done, failed)
