"""The painted calendar grid: one column per provider, room or day, with mouse and keys.

The widget only draws a CalendarGrid and reports what the user asks for through
signals (book here, move this block, cancel it); the page runs the service calls.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from app.clock import format_time
from app.services.calendar_view import Block, CalendarGrid, ColumnKey
from ui.schedule import painting
from ui.schedule.geometry import (
    DEFAULT_ZOOM,
    MIN_COLUMN_WIDTH,
    ZOOM_LEVELS,
    Layout,
    block_lanes,
    column_index,
    hour_range,
)

RESIZE_EDGE = 6  # pixels above a block's bottom edge that start a resize
DRAG_START = 4  # pixels the mouse moves before a press becomes a drag


@dataclass
class Drag:
    """A mouse drag in progress: moving or resizing a block, or marking a free range."""

    kind: str  # "move", "resize" or "range"
    origin: QPointF
    block: Block | None
    column: int
    start_minute: float
    minutes: float
    offset_minute: float = 0.0
    active: bool = False


class ScheduleGrid(QWidget):
    """Draws the grid and turns mouse and keyboard input into requests."""

    book_requested = Signal(object, object, int)  # ColumnKey, start datetime, minutes
    open_requested = Signal(object)  # Block
    move_requested = Signal(object, object, object)  # Block, ColumnKey, start datetime
    resize_requested = Signal(object, int)  # Block, minutes
    cancel_requested = Signal(object)  # Block
    day_step_requested = Signal(int)  # -1 or +1
    today_requested = Signal()
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleGrid")
        self.setAccessibleName("Appointment calendar")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.grid = CalendarGrid("providers", [], [], {}, {})
        self.layout_ = Layout()
        self.grid_minutes = 15
        self.zoom = DEFAULT_ZOOM
        self.now: datetime | None = None
        self.cursor_column = 0
        self.cursor_minute = 60
        self.selected: uuid.UUID | None = None
        self.drag: Drag | None = None
        self._rects: dict[uuid.UUID, QRectF] = {}
        self._by_id: dict[uuid.UUID, Block] = {}

    # Data

    def show_grid(self, grid: CalendarGrid) -> None:
        """Draw `grid`, keeping the selection when its block is still there."""
        self.grid = grid
        self.drag = None
        self._by_id = {block.appointment_id: block for block in grid.blocks}
        if self.selected not in self._by_id:
            self.selected = None
        self.layout_.first_hour, self.layout_.last_hour = hour_range(grid)
        self.layout_.column_count = len(grid.columns)
        self.cursor_column = min(self.cursor_column, max(len(grid.columns) - 1, 0))
        self.relayout()

    def clear(self) -> None:
        """Forget every appointment shown (used when the screen locks)."""
        self.show_grid(CalendarGrid(self.grid.mode, [], [], {}, {}))

    def set_grid_minutes(self, minutes: int) -> None:
        """Draw lines and snap times every `minutes` minutes."""
        self.grid_minutes = minutes
        self.cursor_minute -= self.cursor_minute % minutes
        self.update()

    def zoom_by(self, step: int) -> None:
        """Zoom in (+1) or out (-1) one level."""
        self.zoom = max(0, min(len(ZOOM_LEVELS) - 1, self.zoom + step))
        self.relayout()

    def selected_block(self) -> Block | None:
        """The selected appointment, if any."""
        return self._by_id.get(self.selected) if self.selected else None

    def selected_slot(self) -> tuple[ColumnKey, datetime] | None:
        """The column and start of the slot cursor, when the grid has columns."""
        if not self.grid.columns:
            return None
        column = self.grid.columns[self.cursor_column]
        return column.key, self.layout_.moment_at(column.day, self.cursor_minute)

    def select_slot(self, column: int, minute: int) -> None:
        """Put the slot cursor on `column` at `minute` past the first visible hour."""
        self.cursor_column = max(0, min(column, len(self.grid.columns) - 1))
        self.cursor_minute = max(0, min(minute, self.layout_.total_minutes - self.grid_minutes))
        self.selected = None
        self.selection_changed.emit()
        self.update()

    def select_block(self, appointment_id: uuid.UUID | None) -> None:
        """Select one appointment (None clears the selection)."""
        self.selected = appointment_id if appointment_id in self._by_id else None
        block = self.selected_block()
        if block is not None:
            self.cursor_column = column_index(self.grid).get(block.column, self.cursor_column)
            self.cursor_minute = int(self.layout_.minute_of(block.starts_at))
        self.selection_changed.emit()
        self.update()

    def block_rect(self, appointment_id: uuid.UUID) -> QRectF | None:
        """Where a block is drawn, in widget coordinates (tests drag from here)."""
        return self._rects.get(appointment_id)

    def slot_point(self, column: int, minute: float) -> QPoint:
        """The widget point of `minute` in `column`, a little inside the column."""
        x = self.layout_.x_of(column) + self.layout_.column_width / 3
        return QPointF(x, self.layout_.y_of(minute) + 1).toPoint()

    def minute_of(self, moment: datetime) -> float:
        """Minutes from the first visible hour to `moment`."""
        return self.layout_.minute_of(moment)

    def relayout(self) -> None:
        """Fit the columns to the viewport width and the rows to the zoom."""
        layout = self.layout_
        layout.pixels_per_minute = ZOOM_LEVELS[self.zoom]
        available = self.parentWidget().width() if self.parentWidget() else self.width()
        count = max(layout.column_count, 1)
        layout.column_width = max(MIN_COLUMN_WIDTH, (available - 66) / count)
        self.setMinimumSize(layout.width(), layout.height())
        self.resize(max(layout.width(), available), layout.height())
        self._place_blocks()
        self.update()

    def _place_blocks(self) -> None:
        indexes = column_index(self.grid)
        by_column: dict[ColumnKey, list[Block]] = {}
        for block in self.grid.blocks:
            by_column.setdefault(block.column, []).append(block)
        self._rects = {}
        for key, blocks in by_column.items():
            lanes = block_lanes(blocks)
            for block in blocks:
                lane, count = lanes[block.appointment_id]
                rect = self.layout_.rect(
                    indexes[key], self.layout_.minute_of(block.starts_at), block.minutes
                )
                width = rect.width() / count
                self._rects[block.appointment_id] = QRectF(
                    rect.left() + lane * width, rect.top(), width - 1, rect.height()
                )

    # Painting

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), Qt.GlobalColor.white)
        painting.paint_background(painter, self.grid, self.layout_, self.grid_minutes)
        self._paint_now(painter)
        self._paint_cursor(painter)
        for block in self.grid.blocks:
            rect = self._rects.get(block.appointment_id)
            if rect is not None and rect.intersects(QRectF(event.rect())):
                dragging = self.drag is not None and self.drag.active and self.drag.block is block
                if dragging:
                    painter.setOpacity(0.35)
                painting.paint_block(painter, block, rect, block.appointment_id == self.selected)
                painter.setOpacity(1.0)
        self._paint_drag(painter)
        painting.paint_header(
            painter, self.grid, self.layout_, self.visibleRegion().boundingRect().top()
        )
        painter.end()

    def _paint_now(self, painter: QPainter) -> None:
        if self.now is None:
            return
        minute = self.layout_.minute_of(self.now)
        if not 0 <= minute <= self.layout_.total_minutes:
            return
        for index, column in enumerate(self.grid.columns):
            if column.day == self.now.date():
                painting.paint_now(painter, self.layout_, index, minute)

    def _paint_cursor(self, painter: QPainter) -> None:
        if not self.grid.columns or self.selected is not None:
            return
        rect = self.layout_.rect(self.cursor_column, self.cursor_minute, self.grid_minutes)
        painter.setPen(painting.SELECTION)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)

    def _paint_drag(self, painter: QPainter) -> None:
        drag = self.drag
        if drag is None or not drag.active:
            return
        rect = self.layout_.rect(drag.column, drag.start_minute, drag.minutes)
        painter.setPen(painting.SELECTION)
        painter.setBrush(painting.SELECTION.lighter(220))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(painting.TEXT)
        start = self.layout_.moment_at(self.grid.columns[drag.column].day, drag.start_minute)
        painter.drawText(
            rect.adjusted(6, 2, -2, -2),
            f"{format_time(start)}, {int(drag.minutes)} min",
        )

    # Mouse

    def block_at(self, point: QPointF) -> Block | None:
        """The block under `point`, topmost first."""
        for block in reversed(self.grid.blocks):
            rect = self._rects.get(block.appointment_id)
            if rect is not None and rect.contains(point):
                return block
        return None

    def _snap(self, minute: float) -> int:
        step = self.grid_minutes
        return int(round(minute / step) * step)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position()
        column = self.layout_.column_at(point.x())
        block = self.block_at(point)
        if block is not None:
            rect = self._rects[block.appointment_id]
            kind = "resize" if rect.bottom() - point.y() <= RESIZE_EDGE else "move"
            self.select_block(block.appointment_id)
            start = self.layout_.minute_of(block.starts_at)
            offset = self.layout_.minute_at(point.y()) - start
            self.drag = Drag(kind, point, block, self.cursor_column, start, block.minutes, offset)
        elif column is not None and self.layout_.minute_at(point.y()) >= 0:
            minute = int(self.layout_.minute_at(point.y()) // self.grid_minutes * self.grid_minutes)
            self.select_slot(column, minute)
            self.drag = Drag("range", point, None, column, minute, self.grid_minutes)
        self.setFocus()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        point = event.position()
        drag = self.drag
        if drag is None:
            self._update_cursor_shape(point)
            return
        if not drag.active and (point - drag.origin).manhattanLength() < DRAG_START:
            return
        drag.active = True
        minute = self.layout_.minute_at(point.y())
        if drag.kind == "move" and drag.block is not None:
            column = self.layout_.column_at(point.x())
            drag.column = drag.column if column is None else column
            drag.start_minute = max(0, self._snap(minute - drag.offset_minute))
        elif drag.kind == "resize":
            drag.minutes = max(self.grid_minutes, self._snap(minute - drag.start_minute))
        else:
            drag.minutes = max(self.grid_minutes, self._snap(minute - drag.start_minute))
        self.update()

    def _update_cursor_shape(self, point: QPointF) -> None:
        block = self.block_at(point)
        if block is None:
            self.unsetCursor()
            return
        near_bottom = self._rects[block.appointment_id].bottom() - point.y() <= RESIZE_EDGE
        shape = Qt.CursorShape.SizeVerCursor if near_bottom else Qt.CursorShape.OpenHandCursor
        self.setCursor(shape)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        drag, self.drag = self.drag, None
        if drag is None or not drag.active:
            self.update()
            return
        column = self.grid.columns[drag.column]
        start = self.layout_.moment_at(column.day, drag.start_minute)
        block = drag.block
        if drag.kind == "range":
            self.book_requested.emit(column.key, start, int(drag.minutes))
        elif drag.kind == "resize" and block is not None and drag.minutes != block.minutes:
            self.resize_requested.emit(block, int(drag.minutes))
        elif (
            drag.kind == "move"
            and block is not None
            and (start, column.key)
            != (
                block.starts_at,
                block.column,
            )
        ):
            self.move_requested.emit(block, column.key, start)
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        block = self.block_at(event.position())
        if block is not None:
            self.open_requested.emit(block)
            return
        slot = self.selected_slot()
        if slot is not None:
            self.book_requested.emit(slot[0], slot[1], 0)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            point = QPointF(event.pos())  # type: ignore[attr-defined]
            block = self.block_at(point)
            if block is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), painting.block_tooltip(block), self)  # type: ignore[attr-defined]
            return True
        return super().event(event)

    # Keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        modifiers = event.modifiers()
        control = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if control and key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus):
            self.zoom_by(1)
        elif control and key == Qt.Key.Key_Minus:
            self.zoom_by(-1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._arrow(key)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.day_step_requested.emit(-1 if key == Qt.Key.Key_PageUp else 1)
        elif key == Qt.Key.Key_T and not control:
            self.today_requested.emit()
        elif key == Qt.Key.Key_N and not control:
            slot = self.selected_slot()
            if slot is not None:
                self.book_requested.emit(slot[0], slot[1], 0)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            block = self.selected_block()
            if block is not None:
                self.open_requested.emit(block)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            block = self.selected_block()
            if block is not None:
                self.cancel_requested.emit(block)
        else:
            super().keyPressEvent(event)

    def _arrow(self, key: Qt.Key) -> None:
        """Move the slot cursor; from a selected block, step to the next block or slot."""
        block = self.selected_block()
        column, minute = self.cursor_column, self.cursor_minute
        if block is not None and key == Qt.Key.Key_Down:
            minute = int(self.layout_.minute_of(block.ends_at)) - self.grid_minutes
        if key == Qt.Key.Key_Up:
            minute -= self.grid_minutes
        elif key == Qt.Key.Key_Down:
            minute += self.grid_minutes
        elif key == Qt.Key.Key_Left:
            column -= 1
        else:
            column += 1
        self.select_slot(column, minute)
        target = self._block_starting_in_slot()
        if target is not None:
            self.select_block(target.appointment_id)

    def _block_starting_in_slot(self) -> Block | None:
        slot = self.selected_slot()
        if slot is None:
            return None
        key, start = slot
        end = start + timedelta(minutes=self.grid_minutes)
        for block in self.grid.blocks:
            if block.column == key and start <= block.starts_at < end:
                return block
        return None
