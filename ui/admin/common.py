"""Building blocks shared by the Admin tabs: running services, tables and time display."""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)
from sqlalchemy.orm import Session

from app.clock import practice_zone
from app.progress import Progress
from ui.context import AppContext
from ui.errors import show_error
from ui.ops import Operation

log = logging.getLogger(__name__)

# Wider columns push the rest off screen, so cells are capped and show full text in a tooltip.
MAX_COLUMN_WIDTH = 320
# Spin boxes hold a few digits and a unit, so a narrow box reads better than a full row.
SPIN_BOX_WIDTH = 220

ID_ROLE = Qt.ItemDataRole.UserRole + 1

Work = Callable[[Session, Progress], Any]
# Ids are shown by their last characters: UUIDv7 ids begin with their creation time, so
# rows written together share their first characters and differ only at the end.
SHORT_ID_LENGTH = 8


class Cell(NamedTuple):
    """A table cell whose tooltip differs from its text, such as a shortened id."""

    text: str
    tooltip: str


def short_id_cell(value: object | None, prefix: str = "") -> Cell:
    """Return a cell showing `prefix` and the end of id `value`, with the full id as tooltip."""
    if value is None or str(value) == "":
        return Cell(prefix, prefix)
    full = str(value)
    short = ("…" if len(full) > SHORT_ID_LENGTH else "") + full[-SHORT_ID_LENGTH:]
    joined = " ".join(part for part in (prefix, short) if part)
    return Cell(joined, " ".join(part for part in (prefix, full) if part))


def run_for(
    widget: QWidget,
    context: AppContext,
    work: Work,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    title: str = "",
    read_only: bool = False,
) -> Operation:
    """Run `work` through the op runner, skipping callbacks once `widget` is deleted.

    Without `on_error`, failures go to the error presenter with `widget` as parent.
    `read_only` work takes no write lock, so a slow read does not hold up saves.
    """

    def done(result: Any) -> None:
        if shiboken6.isValid(widget) and on_done is not None:
            on_done(result)

    def failed(error: BaseException) -> None:
        if not shiboken6.isValid(widget):
            log.warning(
                "an Admin operation failed after its window closed: %s", type(error).__name__
            )
            return
        if on_error is not None:
            on_error(error)
        else:
            show_error(widget, error)

    return context.ops.run(
        work, on_done=done, on_error=failed, title=title, parent=widget, read_only=read_only
    )


def load_zone(session: Session) -> ZoneInfo | None:
    """Return the practice's time zone, or None before the practice is set up."""
    from app.services.practice import get_practice

    practice = get_practice(session)
    if practice is None:
        return None
    try:
        return practice_zone(practice.time_zone)
    except ValueError:
        log.warning("the practice time zone is not a known IANA name; showing UTC")
        return None


def format_instant(value: datetime | None, zone: ZoneInfo | None) -> str:
    """Format a UTC instant in the practice's local time, such as "2025-03-04 09:15 CST"."""
    if value is None:
        return ""
    local = value.astimezone(zone) if zone is not None else value
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def format_size(size_bytes: int) -> str:
    """Format a byte count for people, such as "4.2 MB"."""
    size = float(size_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size_bytes:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size_bytes:,} bytes"


class RecordTable(QTableWidget):
    """A read-only, sortable table whose rows each carry the id of the record they show."""

    def __init__(self, headers: Sequence[str], accessible_name: str, parent: QWidget | None = None):
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setAccessibleName(accessible_name)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # No sort column until the user clicks a header, so rows keep the service's order
        # (newest first for the audit log, by name elsewhere).
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str | Cell]]]) -> None:
        """Replace the contents with (record id, cells) rows, keeping the selection.

        A plain string cell is its own tooltip, so text cut off by the column shows in full.
        """
        previous = self.selected_id()
        self.setSortingEnabled(False)
        self.setRowCount(len(rows))
        for row_index, (record_id, cells) in enumerate(rows):
            for column, cell in enumerate(cells):
                text, tooltip = (cell, cell) if isinstance(cell, str) else cell
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, record_id)
                item.setToolTip(tooltip)
                self.setItem(row_index, column, item)
        self.setSortingEnabled(True)
        self.resizeColumnsToContents()
        # The stretched last column is left alone, because a width set on it sticks. In a
        # narrow table the column would then run past the edge, behind a scroll bar.
        capped = self.columnCount() - int(self.horizontalHeader().stretchLastSection())
        for column in range(capped):
            if self.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.setColumnWidth(column, MAX_COLUMN_WIDTH)
        self.select_id(previous)

    def selected_id(self) -> Any:
        """Return the id of the selected row, or None."""
        items = self.selectedItems()
        return items[0].data(ID_ROLE) if items else None

    def select_id(self, record_id: object) -> None:
        """Select the row showing `record_id`, if any."""
        if record_id is None:
            return
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.data(ID_ROLE) == record_id:
                self.selectRow(row)
                return

    def column_texts(self, column: int) -> list[str]:
        """Return the texts of one column, top to bottom."""
        texts = []
        for row in range(self.rowCount()):
            item = self.item(row, column)
            texts.append(item.text() if item is not None else "")
        return texts
