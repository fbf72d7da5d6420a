"""Drawing the calendar grid: hours, working time, blockouts, blocks and the now line."""

from datetime import time

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from app.clock import format_time
from app.services.calendar_facts import Span
from app.services.calendar_view import Block, CalendarGrid
from ui.schedule.geometry import GUTTER_WIDTH, HEADER_HEIGHT, Layout

OFF_HOURS = QColor("#eceff3")
BLOCKOUT = QColor("#d9dde3")
LINE = QColor("#d0d6de")
HOUR_LINE = QColor("#a9b4c2")
NOW_LINE = QColor("#d64545")
SELECTION = QColor("#1d5fa8")
TEXT = QColor("#1f2d3d")
STATUS_COLORS = {
    "scheduled": "#6b7c93",
    "confirmed": "#2e7d32",
    "arrived": "#ef6c00",
    "in_room": "#6a1b9a",
    "checked_out": "#37474f",
    "no_show": "#c62828",
}
# Short markers for the patient flags, drawn on the block's top row.
FLAG_MARKS = (
    ("new_patient", "NEW", "New patient"),
    ("balance_due", "$", "Balance due"),
    ("missing_intake", "FORMS", "Intake checklist not complete"),
    ("eligibility_unverified", "ELIG", "Insurance eligibility not verified"),
)


def status_label(status: str) -> str:
    """The status as screens show it, such as "In room"."""
    return status.replace("_", " ").capitalize()


def paint_background(
    painter: QPainter, grid: CalendarGrid, layout: Layout, grid_minutes: int
) -> None:
    """Draw off-hours shading, blockouts and the grid lines."""
    bottom = layout.y_of(layout.total_minutes)
    for index, column in enumerate(grid.columns):
        left = layout.x_of(index)
        spans = grid.working.get(column.key)
        if spans is not None:
            painter.fillRect(QRectF(left, HEADER_HEIGHT, layout.column_width, bottom), OFF_HOURS)
            for span in spans:
                top = layout.minute_of(span.start)
                length = (span.end - span.start).total_seconds() / 60
                painter.fillRect(
                    QRectF(
                        left,
                        layout.y_of(top),
                        layout.column_width,
                        length * layout.pixels_per_minute,
                    ),
                    Qt.GlobalColor.white,
                )
        for span in grid.blockouts.get(column.key, []):
            _paint_blockout(painter, layout, index, span)
    _paint_lines(painter, layout, grid_minutes, bottom)


def _paint_blockout(painter: QPainter, layout: Layout, index: int, span: Span) -> None:
    start, end = span.start, span.end
    first = max(layout.minute_of(start), 0.0) if start.date() == end.date() else 0.0
    last = layout.minute_of(end) if end.date() == start.date() else float(layout.total_minutes)
    rect = QRectF(
        layout.x_of(index), layout.y_of(first), layout.column_width,
        (last - first) * layout.pixels_per_minute,
    )  # fmt: skip
    painter.fillRect(rect, QBrush(BLOCKOUT, Qt.BrushStyle.BDiagPattern))
    painter.setPen(QColor("#5b6776"))
    painter.drawText(rect.adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignTop, span.title)


def _paint_lines(painter: QPainter, layout: Layout, grid_minutes: int, bottom: float) -> None:
    right = layout.x_of(layout.column_count)
    for minute in range(0, layout.total_minutes + 1, grid_minutes):
        y = layout.y_of(minute)
        on_hour = minute % 60 == 0
        painter.setPen(QPen(HOUR_LINE if on_hour else LINE, 1))
        painter.drawLine(QPointF(GUTTER_WIDTH, y), QPointF(right, y))
        if on_hour:
            hour = layout.first_hour + minute // 60
            painter.setPen(TEXT)
            label = format_time(time(hour % 24))
            painter.drawText(
                QRectF(0, y - 2, GUTTER_WIDTH - 6, 16), Qt.AlignmentFlag.AlignRight, label
            )
    painter.setPen(QPen(LINE, 1))
    for index in range(layout.column_count + 1):
        x = layout.x_of(index)
        painter.drawLine(QPointF(x, HEADER_HEIGHT), QPointF(x, bottom))


def paint_header(painter: QPainter, grid: CalendarGrid, layout: Layout, top: float) -> None:
    """Draw the column labels in a band starting at `top` (kept visible while scrolling)."""
    band = QRectF(0, top, layout.x_of(layout.column_count) + 1, HEADER_HEIGHT)
    painter.fillRect(band, QColor("#f4f6f9"))
    painter.setPen(TEXT)
    bold = QFont(painter.font())
    bold.setBold(True)
    painter.setFont(bold)
    for index, column in enumerate(grid.columns):
        rect = QRectF(layout.x_of(index) + 4, top, layout.column_width - 8, HEADER_HEIGHT)
        text = painter.fontMetrics().elidedText(
            column.label, Qt.TextElideMode.ElideRight, int(rect.width())
        )
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignHCenter, text)
    painter.setFont(QFont(painter.font().family(), painter.font().pointSize()))
    painter.setPen(QPen(HOUR_LINE, 1))
    painter.drawLine(QPointF(0, top + HEADER_HEIGHT), QPointF(band.right(), top + HEADER_HEIGHT))


def paint_block(painter: QPainter, block: Block, rect: QRectF, selected: bool) -> None:
    """Draw one appointment: type color, name, type, status badge and flag marks."""
    fill = QColor(block.color)
    if block.status in ("no_show", "checked_out"):
        fill = fill.lighter(150)
    painter.setPen(QPen(SELECTION if selected else fill.darker(140), 3 if selected else 1))
    painter.setBrush(fill.lighter(170))
    painter.drawRoundedRect(rect, 4, 4)
    painter.fillRect(QRectF(rect.left(), rect.top(), 4, rect.height()), fill)

    inner = rect.adjusted(7, 1, -3, -1)
    painter.setPen(TEXT)
    metrics = painter.fontMetrics()
    line_height = metrics.height()
    name = block_title(block)
    badge_width = _paint_badge(painter, block.status, inner)
    first_line = QRectF(inner.left(), inner.top(), inner.width() - badge_width - 4, line_height)
    painter.drawText(
        first_line,
        Qt.AlignmentFlag.AlignLeft,
        metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(first_line.width())),
    )
    if inner.height() >= 2 * line_height:
        marks = " ".join(mark for field, mark, _text in FLAG_MARKS if getattr(block.flags, field))
        second = f"{block.type_name}  {marks}".strip()
        rect2 = QRectF(inner.left(), inner.top() + line_height, inner.width(), line_height)
        painter.drawText(
            rect2,
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(second, Qt.TextElideMode.ElideRight, int(rect2.width())),
        )


def block_title(block: Block) -> str:
    """Return the first line of a block: its start time and the patient's name."""
    return f"{format_time(block.starts_at)} {block.patient_name}"


def _paint_badge(painter: QPainter, status: str, inner: QRectF) -> float:
    if status == "scheduled":
        return 0.0
    text = status_label(status)
    metrics = painter.fontMetrics()
    width = metrics.horizontalAdvance(text) + 8
    badge = QRectF(inner.right() - width, inner.top() + 1, width, metrics.height() - 1)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(STATUS_COLORS.get(status, "#6b7c93")))
    painter.drawRoundedRect(badge, 3, 3)
    painter.setPen(Qt.GlobalColor.white)
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    return width


def paint_now(painter: QPainter, layout: Layout, column: int, minute: float) -> None:
    """Draw the current-time line across one column."""
    y = layout.y_of(minute)
    painter.setPen(QPen(NOW_LINE, 2))
    painter.drawLine(QPointF(layout.x_of(column), y), QPointF(layout.x_of(column + 1), y))


def block_tooltip(block: Block) -> str:
    """Return the hover text of a block: everything the block is too small to show."""
    end = block.ends_at
    lines = [
        f"{block.patient_name} ({block.chart_number})",
        f"{format_time(block.starts_at)} to {format_time(end)}, {block.minutes} min",
        f"{block.type_name}, {status_label(block.status)}",
    ]  # fmt: skip
    lines.extend(text for field, _mark, text in FLAG_MARKS if getattr(block.flags, field))
    if block.reason:
        lines.append(f"Reason: {block.reason}")
    if block.notes:
        lines.append(f"Notes: {block.notes}")
    if block.conflict_note:
        lines.append(f"Conflict: {block.conflict_note}")
    return "<br>".join(_escape(line) for line in lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
