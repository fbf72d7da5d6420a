"""Input widgets shared by the booking panel, the find-available dialog and the waitlist form."""

import math
from datetime import date, time

from PySide6.QtCore import QDate, QEvent, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QPlainTextEdit,
    QTimeEdit,
    QWidget,
)

from app.services.waitlist import WEEKDAY_NAMES

WORKDAYS = (0, 1, 2, 3, 4)


class WeekdayBoxes(QWidget):
    """Seven check boxes, Monday to Sunday, Monday to Friday checked at first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[QCheckBox] = []
        for number, name in enumerate(WEEKDAY_NAMES):
            box = QCheckBox(name)
            box.setAccessibleName(f"Search {name}")
            box.setChecked(number in WORKDAYS)
            layout.addWidget(box)
            self.boxes.append(box)

    def weekdays(self) -> tuple[int, ...]:
        """Return the checked days, 0 for Monday to 6 for Sunday."""
        return tuple(number for number, box in enumerate(self.boxes) if box.isChecked())

    def set_weekdays(self, weekdays: tuple[int, ...]) -> None:
        """Check exactly `weekdays`."""
        for number, box in enumerate(self.boxes):
            box.setChecked(number in weekdays)


class OptionalTime(QWidget):
    """A time that applies only while its check box is checked."""

    def __init__(self, caption: str, default: time, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(caption)
        self.edit = QTimeEdit(QTime(default.hour, default.minute))
        self.edit.setDisplayFormat("h:mm AP")
        self.edit.setAccessibleName(caption)
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)

    def value(self) -> time | None:
        """Return the time, or None when the box is unchecked."""
        if not self.check.isChecked():
            return None
        chosen = self.edit.time()
        return time(chosen.hour(), chosen.minute())

    def set_value(self, value: time | None) -> None:
        """Check the box and show `value`, or uncheck it for None."""
        self.check.setChecked(value is not None)
        if value is not None:
            self.edit.setTime(QTime(value.hour, value.minute))


class OptionalDate(QWidget):
    """A date that applies only while its check box is checked.

    The field starts at `default`; pass the practice's today, because the workstation's
    own date can differ in the evening.
    """

    def __init__(self, caption: str, default: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(caption)
        self.edit = QDateEdit(QDate(default.year, default.month, default.day))
        self.edit.setDisplayFormat("MM/dd/yyyy")
        self.edit.setCalendarPopup(True)
        self.edit.setAccessibleName(caption)
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)

    def value(self) -> date | None:
        """Return the date, or None when the box is unchecked."""
        if not self.check.isChecked():
            return None
        chosen = self.edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def set_value(self, value: date | None) -> None:
        """Check the box and show `value`, or uncheck it for None."""
        self.check.setChecked(value is not None)
        if value is not None:
            self.edit.setDate(QDate(value.year, value.month, value.day))


class NotesBox(QPlainTextEdit):
    """A notes field sized in lines of its own font, so a short form cannot squeeze it.

    It is at least MIN_LINES and at most MAX_LINES tall, and Tab moves on to the next field.
    """

    MIN_LINES = 3
    MAX_LINES = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self._fit_to_font()

    def lines_height(self, lines: int) -> int:
        """Return the height in pixels that shows `lines` lines of text."""
        margin = self.document().documentMargin()
        text = lines * self.fontMetrics().lineSpacing()
        return math.ceil(text + 2 * margin + 2 * self.frameWidth())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_to_font()

    def _fit_to_font(self) -> None:
        self.setMinimumHeight(self.lines_height(self.MIN_LINES))
        self.setMaximumHeight(self.lines_height(self.MAX_LINES))
