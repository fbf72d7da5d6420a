"""Tables of the Statements page: sorting by meaning, whole headers, Tab leaving the table.

A header click sorts money by amount, dates by day and notice levels in ladder order,
not by their text ("$100.00" before "$25.00", "01/05/2027" before "12/05/2026", "2nd
notice" before "Statement"). Every header is wide enough for its title even before
the first row arrives. Tab moves to the next control, because the arrow keys already
move between cells.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHeaderView, QSplitter, QTableWidget, QTableWidgetItem, QWidget

from app.services.notice_levels import LEVEL_CODES, PLAN_REMINDER
from ui.admin.common import ID_ROLE, MAX_COLUMN_WIDTH, Cell
from ui.patient.fields import parse_date
from ui.payments.common import RIGHT, MoneyTable

log = logging.getLogger(__name__)

SORT_ROLE = Qt.ItemDataRole.UserRole + 2
# The ladder's order, then the plan reminder, which is outside the ladder. A row that
# gets no notice (a skipped preview row) sorts after every level.
LEVEL_ORDER = (*LEVEL_CODES, PLAN_REMINDER)
NO_LEVEL_RANK = len(LEVEL_ORDER)
# Empty money and date cells sort before every value.
EMPTY_KEY = -(2**62)
# A handle of a few pixels in the page's background color can be neither seen nor grabbed.
SPLITTER_HANDLE = 8
SPLITTER_STYLE = (
    "QSplitter#statementSplitter::handle { background: #dde3ea; border-radius: 3px; }"
    "QSplitter#statementSplitter::handle:hover { background: #9fb3c8; }"
)


@dataclass(frozen=True, slots=True)
class SortCell:
    """A cell shown as `text` and sorted by `key` (see level_rank and instant_key)."""

    text: str
    key: int


def level_rank(code: str | None) -> int:
    """Return the position of notice level `code` on the ladder (None and unknown last)."""
    if code is None or code not in LEVEL_ORDER:
        return NO_LEVEL_RANK
    return LEVEL_ORDER.index(code)


def level_cell(code: str | None, text: str) -> SortCell:
    """Return a level cell that sorts in ladder order: statement, 2nd, 3rd, final."""
    return SortCell(text, level_rank(code))


def money_key(text: str) -> int:
    """Return the cents of a cell such as "$1,234.50" or "-$12.00" (EMPTY_KEY when blank)."""
    cleaned = text.replace("$", "").replace(",", "").strip()
    if not cleaned:
        return EMPTY_KEY
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return EMPTY_KEY


def date_key(text: str) -> int:
    """Return the day number of a cell such as "03/04/2026" (EMPTY_KEY when blank)."""
    day = parse_date(text.strip()[:10]) if text.strip() else None
    return day.toordinal() if day is not None else EMPTY_KEY


def format_timestamp(value: datetime | None, zone: ZoneInfo | None) -> str:
    """Format a UTC instant in the practice's zone, such as "12/05/2026 9:15 AM".

    Without a zone (before the practice is set up) the instant is shown in UTC.
    """
    if value is None:
        return ""
    local = value.astimezone(zone) if zone is not None else value
    hour = local.hour % 12 or 12
    suffix = "AM" if local.hour < 12 else "PM"
    return f"{local:%m/%d/%Y} {hour}:{local:%M} {suffix}"


def timestamp_cell(value: datetime | None, zone: ZoneInfo | None) -> SortCell:
    """Return a timestamp cell (see format_timestamp) that sorts by the instant."""
    key = int(value.timestamp()) if value is not None else EMPTY_KEY
    return SortCell(format_timestamp(value, zone), key)


class SortItem(QTableWidgetItem):
    """A table item that sorts by its SORT_ROLE key when both items have one."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if isinstance(mine, int) and isinstance(theirs, int):
            return mine < theirs
        return self.text() < other.text()


def leave_on_tab(table: QTableWidget) -> None:
    """Let Tab and Shift+Tab move to the next control instead of the next cell."""
    table.setTabKeyNavigation(False)


class StatementTable(MoneyTable):
    """A record table whose money, date and level columns sort by value.

    Money columns sort by amount and `date_columns` by day. A SortCell gives any other
    cell its own key, such as a notice level's ladder position.
    """

    def __init__(
        self,
        headers: Sequence[str],
        accessible_name: str,
        money_columns: Sequence[str] = (),
        date_columns: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(headers, accessible_name, money_columns, parent)
        self.date_columns = {list(headers).index(name) for name in date_columns}
        leave_on_tab(self)

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str | Cell | SortCell]]]) -> None:
        """Replace the contents with (record id, cells) rows, keeping the selection.

        A plain string cell is its own tooltip, so text cut off by the column shows in full.
        """
        previous = self.selected_id()
        self.setSortingEnabled(False)
        self.setRowCount(len(rows))
        for row_index, (record_id, cells) in enumerate(rows):
            for column, cell in enumerate(cells):
                self.setItem(row_index, column, self._item(record_id, column, cell))
        self.setSortingEnabled(True)
        self.resizeColumnsToContents()
        self._cap_widths()
        self.select_id(previous)

    def _item(self, record_id: object, column: int, cell: str | Cell | SortCell) -> SortItem:
        key: int | None
        if isinstance(cell, SortCell):
            text, tooltip, key = cell.text, cell.text, cell.key
        else:
            text, tooltip = (cell, cell) if isinstance(cell, str) else cell
            key = self._column_key(column, text)
        item = SortItem(text)
        item.setData(ID_ROLE, record_id)
        item.setToolTip(tooltip)
        if key is not None:
            item.setData(SORT_ROLE, key)
        if column in self.money_columns:
            item.setTextAlignment(RIGHT)
        return item

    def _column_key(self, column: int, text: str) -> int | None:
        if column in self.money_columns:
            return money_key(text)
        if column in self.date_columns:
            return date_key(text)
        return None

    def _cap_widths(self) -> None:
        # The stretched last column is left alone, because a width set on it sticks. In a
        # narrow table the column would then run past the edge, behind a scroll bar.
        capped = self.columnCount() - int(self.horizontalHeader().stretchLastSection())
        for column in range(capped):
            if self.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Widen each column to its whole title once the style sheet's bold font applies."""
        super().showEvent(event)
        fit_headers(self)


def fit_headers(table: QTableWidget) -> None:
    """Widen every column narrower than its header title (the last one stretches)."""
    header = table.horizontalHeader()
    last = table.columnCount() - 1
    for column in range(table.columnCount()):
        if column == last and header.stretchLastSection():
            continue
        if header.sectionResizeMode(column) != QHeaderView.ResizeMode.Interactive:
            continue
        title_width = header.sectionSizeHint(column)
        if table.columnWidth(column) < title_width:
            table.setColumnWidth(column, title_width)


def visible_splitter(orientation: Qt.Orientation) -> QSplitter:
    """Return a splitter whose handle is wide enough to see and grab, and never collapses."""
    splitter = QSplitter(orientation)
    splitter.setObjectName("statementSplitter")
    splitter.setChildrenCollapsible(False)
    splitter.setHandleWidth(SPLITTER_HANDLE)
    splitter.setStyleSheet(SPLITTER_STYLE)
    return splitter
