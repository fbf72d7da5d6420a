"""The month overview: a calendar whose days show how many visits are booked.

A click selects a day, and a double-click or Enter opens it in the day view.
"""

from datetime import date

from PySide6.QtCore import QDate, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QCalendarWidget, QWidget

OPEN_HINT = "Click selects a day. Double-click it or press Enter to open it in the day view."


class MonthView(QCalendarWidget):
    """Draws each day's appointment count and reports the day the user picks.

    `day_selected` carries the day a click or an arrow key selects, `day_chosen` the day
    opened with a double-click or Enter, and `month_shown` the first day of a month the
    calendar's own navigation turned to.
    """

    day_selected = Signal(object)  # date
    day_chosen = Signal(object)  # date
    month_shown = Signal(object)  # date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleMonth")
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setToolTip(OPEN_HINT)
        self.setAccessibleDescription(OPEN_HINT)
        self.counts: dict[date, int] = {}
        self.activated.connect(lambda day: self.day_chosen.emit(day.toPython()))
        self.selectionChanged.connect(
            lambda: self.day_selected.emit(self.selectedDate().toPython())
        )
        self.currentPageChanged.connect(
            lambda year, month: self.month_shown.emit(date(year, month, 1))
        )

    def show_month(self, day: date, counts: dict[date, int]) -> None:
        """Show the month of `day` with `counts` per day."""
        self.setSelectedDate(QDate(day))
        self.show_counts(counts)

    def show_counts(self, counts: dict[date, int]) -> None:
        """Replace the counts drawn in the days."""
        self.counts = counts
        self.updateCells()

    def paintCell(self, painter: QPainter, rect: QRect, day: QDate | date) -> None:  # noqa: N802 (Qt override)
        super().paintCell(painter, rect, day)
        value = day.toPython() if isinstance(day, QDate) else day
        count = self.counts.get(value)  # type: ignore[arg-type]
        if not count:
            return
        painter.save()
        # The selected day is drawn on the highlight color, so its count needs the text color
        # that goes with it.
        selected = value == self.selectedDate().toPython()
        painter.setPen(self.palette().highlightedText().color() if selected else QColor("#1d5fa8"))
        label = f"{count} visit" + ("" if count == 1 else "s")
        painter.drawText(
            rect.adjusted(2, 0, -2, -3),
            Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
            label,
        )
        painter.restore()
