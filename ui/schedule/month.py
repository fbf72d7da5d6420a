"""The month overview: a calendar whose days show how many visits are booked."""

from datetime import date

from PySide6.QtCore import QDate, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QCalendarWidget, QWidget


class MonthView(QCalendarWidget):
    """Draws each day's appointment count; a click on a day emits `day_chosen`."""

    day_chosen = Signal(object)  # date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleMonth")
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.counts: dict[date, int] = {}
        self.activated.connect(lambda day: self.day_chosen.emit(day.toPython()))

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
        painter.setPen(QColor("#1d5fa8"))
        label = f"{count} visit" + ("" if count == 1 else "s")
        painter.drawText(
            rect.adjusted(2, 0, -2, -3),
            Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
            label,
        )
        painter.restore()
