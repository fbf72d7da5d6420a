"""Input widgets shared by the find-available dialog and the waitlist entry form."""

from datetime import date, time

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QTimeEdit, QWidget

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
