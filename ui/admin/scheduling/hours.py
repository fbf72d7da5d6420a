"""The Working hours tab: each provider's week as a grid of weekdays and time stretches."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.services import admin_records, schedule_hours
from app.services.schedule_hours import (
    WEEKDAY_NAMES,
    DayHoursInput,
    HoursSummary,
    Stretch,
    WeekHoursInput,
)
from ui.admin.common import run_for
from ui.admin.forms import ERROR_COLOR, line
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets import find_data

log = logging.getLogger(__name__)

Period = tuple[date | None, date | None]
HOURS_COLUMN = 1


@dataclass(frozen=True, slots=True)
class HoursData:
    """Everything the tab shows: providers, locations and the chosen provider's hours."""

    providers: list[tuple[uuid.UUID, str]]
    locations: list[tuple[uuid.UUID, str]]
    hours: list[HoursSummary]


def _parse_date(text: str) -> date | None:
    return date.fromisoformat(text.strip()) if text.strip() else None


class WorkingHoursTab(QWidget):
    """Edits one provider's week for one effective period at a time."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.data = HoursData([], [], [])
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.period = QComboBox()
        self.period.setAccessibleName("Hours period")
        self.effective_from = line("", 10)
        self.effective_from.setPlaceholderText("YYYY-MM-DD or blank")
        self.effective_from.setAccessibleName("Effective from")
        self.effective_until = line("", 10)
        self.effective_until.setPlaceholderText("YYYY-MM-DD or blank")
        self.effective_until.setAccessibleName("Effective until")
        self.grid = QTableWidget(len(WEEKDAY_NAMES), 2)
        self.grid.setAccessibleName("Weekly hours")
        self.grid.setHorizontalHeaderLabels(["Location", "Hours, such as 08:00-12:00, 13:00-17:00"])
        self.grid.setVerticalHeaderLabels(list(WEEKDAY_NAMES))
        self.grid.horizontalHeader().setStretchLastSection(True)
        self.location_boxes = [QComboBox() for _ in WEEKDAY_NAMES]
        for row, box in enumerate(self.location_boxes):
            box.setAccessibleName(f"{WEEKDAY_NAMES[row]} location")
            self.grid.setCellWidget(row, 0, box)
            self.grid.setItem(row, HOURS_COLUMN, QTableWidgetItem(""))
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setAccessibleName("Problems")
        self.problems.setStyleSheet(f"color: {ERROR_COLOR};")
        self.save_button = QPushButton("&Save hours")
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton("&Remove these hours")
        self.remove_button.clicked.connect(self.remove_period)
        self._build_layout()
        self.provider.currentIndexChanged.connect(lambda _index: self.refresh())
        self.period.currentIndexChanged.connect(lambda _index: self._show_period())
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_layout(self) -> None:
        top = QFormLayout()
        top.addRow("&Provider", self.provider)
        top.addRow("P&eriod", self.period)
        dates = QHBoxLayout()
        dates.addWidget(QLabel("Effective from"))
        dates.addWidget(self.effective_from)
        dates.addWidget(QLabel("until"))
        dates.addWidget(self.effective_until)
        dates.addStretch(1)
        top.addRow("", dates)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.SCHEDULE_SETUP, ChangeKind.PROVIDERS, ChangeKind.LOCATIONS):
            self.refresh()

    def refresh(self) -> None:
        """Reload providers, locations and the chosen provider's hours in the background."""
        actor, provider_id = self.context.actor, self.provider.currentData()

        def work(session: Session, _progress: object) -> HoursData:
            providers = admin_records.list_providers(session, actor)
            locations = admin_records.list_locations(session, actor)
            chosen = provider_id or (providers[0].id if providers else None)
            hours = (
                [] if chosen is None else schedule_hours.list_provider_hours(session, actor, chosen)
            )
            return HoursData(
                [(p.id, p.display_name) for p in providers],
                [(location.id, location.name) for location in locations],
                hours,
            )

        run_for(self, self.context, work, self._show)

    def _show(self, data: HoursData) -> None:
        self.data = data
        chosen = self.provider.currentData()
        self.provider.blockSignals(True)
        self.provider.clear()
        for provider_id, name in data.providers:
            self.provider.addItem(name, provider_id)
        self.provider.setCurrentIndex(max(find_data(self.provider, chosen), 0))
        self.provider.blockSignals(False)
        for box in self.location_boxes:
            box.clear()
            for location_id, name in data.locations:
                box.addItem(name, location_id)
        self._fill_periods()

    def _fill_periods(self) -> None:
        current = self.period.currentData()
        periods = list(schedule_hours.group_by_period(self.data.hours))
        self.period.blockSignals(True)
        self.period.clear()
        for period in periods:
            self.period.addItem(schedule_hours.describe_period(period), period)
        self.period.addItem("New period…", None)
        index = find_data(self.period, current) if current is not None else -1
        self.period.setCurrentIndex(max(index, 0))
        self.period.blockSignals(False)
        self._show_period()

    def _show_period(self) -> None:
        period: Period | None = self.period.currentData()
        self.problems.clear()
        rows = [] if period is None else schedule_hours.group_by_period(self.data.hours)[period]
        start, end = period if period is not None else (None, None)
        self.effective_from.setText(start.isoformat() if start else "")
        self.effective_until.setText(end.isoformat() if end else "")
        self.remove_button.setEnabled(period is not None)
        for weekday, box in enumerate(self.location_boxes):
            day_rows = [row for row in rows if row.weekday == weekday]
            stretches = [Stretch(row.starts, row.ends) for row in day_rows]
            text = schedule_hours.format_stretches(stretches)
            self.grid.item(weekday, HOURS_COLUMN).setText(text)
            if day_rows:
                box.setCurrentIndex(max(find_data(box, day_rows[0].location_id), 0))

    def week_input(self) -> WeekHoursInput:
        """Return the grid as a service input; raises ValueError for an unreadable date."""
        days = tuple(
            DayHoursInput(weekday, box.currentData(), self.grid.item(weekday, HOURS_COLUMN).text())
            for weekday, box in enumerate(self.location_boxes)
        )
        effective_from = _parse_date(self.effective_from.text())
        effective_until = _parse_date(self.effective_until.text())
        return WeekHoursInput(effective_from, effective_until, days)

    def save(self) -> None:
        """Save the grid as the provider's week for the period's dates."""
        provider_id = self.provider.currentData()
        if provider_id is None:
            return
        try:
            week = self.week_input()
        except ValueError:
            self.problems.setText("Enter dates as YYYY-MM-DD, such as 2026-03-02, or leave blank.")
            return
        self._run_week(provider_id, week)

    def remove_period(self) -> None:
        """Remove every stretch of the chosen period."""
        period: Period | None = self.period.currentData()
        provider_id = self.provider.currentData()
        if period is None or provider_id is None:
            return
        self._run_week(provider_id, WeekHoursInput(period[0], period[1], ()))

    def _run_week(self, provider_id: uuid.UUID, week: WeekHoursInput) -> None:
        actor = self.context.actor
        self.problems.clear()
        self.save_button.setEnabled(False)

        def work(session: Session, _progress: object) -> Any:
            return schedule_hours.save_provider_week(session, actor, provider_id, week)

        def done(_changes: Any) -> None:
            self.save_button.setEnabled(True)

        def failed(error: BaseException) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                self.problems.setText("\n".join(problem.message for problem in error.problems))
            else:
                show_error(self, error)

        run_for(self, self.context, work, done, failed)
