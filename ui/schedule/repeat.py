"""The booking panel's Repeat section: how a visit repeats and when the series ends."""

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from app.scheduling.recurrence import SeriesRule, week_of_month
from app.services.waitlist import WEEKDAY_NAMES
from ui.schedule.slot_fields import WeekdayBoxes
from ui.widgets import find_data

# Repeat choices in the order the combo box lists them: (label, kind). The last three
# labels are rewritten with the interval and the first visit's date as they change.
REPEAT_KINDS = (
    ("None", "none"),
    ("Daily", "daily"),
    ("Weekly", "weekly"),
    ("Every 2 weeks", "every_n_weeks"),
    ("Monthly on the same date", "monthly_by_date"),
    ("Monthly on the same weekday", "monthly_by_weekday"),
)
WEEK_CHOICES = (("1st", 1), ("2nd", 2), ("3rd", 3), ("4th", 4), ("Last", -1))
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_VISITS = 4
MAX_VISITS = 400
# The end date a new series starts with, counted from the first visit.
DEFAULT_END_DAYS = 90


def ordinal(number: int) -> str:
    """Return `number` with its English suffix, such as "1st", "22nd" or "13th"."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


class RepeatSection(QGroupBox):
    """Fields for a repeating booking; `rule()` is None while the choice is "None"."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Repeat", parent)
        self.setObjectName("repeatSection")
        self.first_day: date | None = None
        self._build()
        self._connect()
        self._show_fields()

    def _build(self) -> None:
        self.kind = QComboBox()
        self.kind.setObjectName("repeatKind")
        self.kind.setAccessibleName("Repeat")
        for label, kind in REPEAT_KINDS:
            self.kind.addItem(label, kind)
        self.interval = QSpinBox()
        self.interval.setRange(2, 52)
        self.interval.setPrefix("every ")
        self.interval.setSuffix(" weeks")
        self.interval.setAccessibleName("Weeks between visits")
        self.weekdays = WeekdayBoxes()
        for name, box in zip(WEEKDAY_NAMES, self.weekdays.boxes, strict=True):
            box.setAccessibleName(f"Repeat on {name}")
        self.month_day = QLabel()
        self.week = QComboBox()
        self.week.setAccessibleName("Week of the month")
        for label, number in WEEK_CHOICES:
            self.week.addItem(label, number)
        self.weekday = QComboBox()
        self.weekday.setAccessibleName("Weekday")
        for number, name in enumerate(WEEKDAY_NAMES):
            self.weekday.addItem(name, number)
        nth = QWidget()
        nth_layout = QHBoxLayout(nth)
        nth_layout.setContentsMargins(0, 0, 0, 0)
        nth_layout.addWidget(self.week)
        nth_layout.addWidget(self.weekday)
        self.nth = nth

        self.form = QFormLayout(self)
        self.form.addRow("&Repeat", self.kind)
        self.form.addRow("Interval", self.interval)
        self.form.addRow("On", self.weekdays)
        self.form.addRow("Day", self.month_day)
        self.form.addRow("On the", self.nth)
        self.end = self._build_end()
        self.form.addRow("Ends", self.end)

    def _build_end(self) -> QWidget:
        self.after = QRadioButton("&After")
        self.after.setChecked(True)
        self.visits = QSpinBox()
        self.visits.setObjectName("repeatVisits")
        self.visits.setRange(1, MAX_VISITS)
        self.visits.setValue(DEFAULT_VISITS)
        self.visits.setSuffix(" visits")
        self.visits.setAccessibleName("Number of visits")
        self.on_date = QRadioButton("O&n")
        self.until = QDateEdit()
        self.until.setObjectName("repeatUntil")
        self.until.setDisplayFormat("MM/dd/yyyy")
        self.until.setCalendarPopup(True)
        self.until.setAccessibleName("Last date of the series")
        self.until.setEnabled(False)
        group = QButtonGroup(self)
        group.addButton(self.after)
        group.addButton(self.on_date)
        end = QWidget()
        layout = QHBoxLayout(end)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.after, self.visits, self.on_date, self.until):
            layout.addWidget(widget)
        return end

    def _connect(self) -> None:
        self.kind.currentIndexChanged.connect(self._show_fields)
        self.interval.valueChanged.connect(lambda _value: self._name_kinds())
        for combo in (self.week, self.weekday):
            combo.currentIndexChanged.connect(lambda _index: self._name_kinds())
        self.after.toggled.connect(self._end_toggled)
        for box in self.weekdays.boxes:
            box.toggled.connect(lambda _checked: self.changed.emit())
        for spin in (self.interval, self.visits):
            spin.valueChanged.connect(lambda _value: self.changed.emit())
        for combo in (self.week, self.weekday):
            combo.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.until.dateChanged.connect(lambda _value: self.changed.emit())

    def _end_toggled(self, after: bool) -> None:
        self.visits.setEnabled(after)
        self.until.setEnabled(not after)
        self.changed.emit()

    def _show_fields(self) -> None:
        kind = self.current_kind()
        visible_rows = {
            self.interval: kind == "every_n_weeks",
            self.weekdays: kind in ("weekly", "every_n_weeks"),
            self.month_day: kind == "monthly_by_date",
            self.nth: kind == "monthly_by_weekday",
        }
        for widget, visible in visible_rows.items():
            self.form.setRowVisible(widget, visible)
        self.form.setRowVisible(self.end, kind != "none")
        self.changed.emit()

    def current_kind(self) -> str:
        """Return the chosen kind: "none", "daily", "weekly", "every_n_weeks" or a monthly one."""
        return str(self.kind.currentData())

    def set_first_visit(self, starts_at: datetime) -> None:
        """Default the weekday, day of the month, week and end date from the first visit."""
        day = starts_at.date()
        self.weekdays.set_weekdays((day.weekday(),))
        self.weekday.setCurrentIndex(day.weekday())
        self.week.setCurrentIndex(find_data(self.week, week_of_month(day)))
        self.month_day.setText(f"the {ordinal(day.day)} of each month")
        self.first_day = day
        end = day + timedelta(days=DEFAULT_END_DAYS)
        self.until.setDate(QDate(end.year, end.month, end.day))
        self._name_kinds()

    def _name_kinds(self) -> None:
        """Put the real interval, day and weekday in the repeat choices' labels."""
        labels = {"every_n_weeks": f"Every {self.interval.value()} weeks"}
        if self.first_day is not None:
            labels["monthly_by_date"] = f"Monthly on day {self.first_day.day}"
        week = str(self.week.currentText()).lower()
        weekday = DAY_NAMES[int(self.weekday.currentData())]
        labels["monthly_by_weekday"] = f"Monthly on the {week} {weekday}"
        for kind, label in labels.items():
            self.kind.setItemText(find_data(self.kind, kind), label)

    def end_date(self) -> date:
        """Return the end date the date field shows (used only with "On")."""
        chosen = self.until.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def rule(self) -> SeriesRule | None:
        """Return the rule the fields describe, or None when the visit does not repeat."""
        kind = self.current_kind()
        if kind == "none":
            return None
        count = self.visits.value() if self.after.isChecked() else None
        until = None if self.after.isChecked() else self.end_date()
        if kind == "daily":
            return SeriesRule("daily", count=count, until=until)
        if kind in ("weekly", "every_n_weeks"):
            interval = self.interval.value() if kind == "every_n_weeks" else 1
            return SeriesRule(
                "weekly", interval, self.weekdays.weekdays(), count=count, until=until
            )
        if kind == "monthly_by_date":
            return SeriesRule("monthly_by_date", count=count, until=until)
        return SeriesRule(
            "monthly_by_weekday",
            weekdays=(int(self.weekday.currentData()),),
            week_of_month=int(self.week.currentData()),
            count=count,
            until=until,
        )
