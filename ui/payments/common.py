"""Pieces the Payments page's tabs share: money fields, tables, counts and messages."""

import logging
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.money import format_money
from ui.admin.common import Cell, RecordTable
from ui.patient.fields import DateField

log = logging.getLogger(__name__)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# Money fields hold at most "$123,456.78", so a narrow box reads better than a full row.
MONEY_FIELD_WIDTH = 120
# style.qss pads header sections 8 pixels each side, plus a border and a little air.
HEADER_PADDING = 20


def plural(count: int, noun: str) -> str:
    """Return "1 payment" or "3 payments" (nouns with a plain -s plural only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def money_field(name: str, placeholder: str = "0.00") -> QLineEdit:
    """Return a right-aligned line edit for dollars and cents, named `name` for screen readers."""
    field = QLineEdit()
    field.setAccessibleName(name)
    field.setPlaceholderText(placeholder)
    field.setAlignment(RIGHT)
    field.setMaxLength(16)
    field.setMaximumWidth(MONEY_FIELD_WIDTH)
    return field


def date_field(name: str) -> DateField:
    """Return a date field wide enough for "MM/DD/YYYY" with the style sheet's padding."""
    field = DateField()
    field.setAccessibleName(name)
    field.setFixedWidth(field.fontMetrics().horizontalAdvance("00/00/00000") + 28)
    return field


def action_button(text: str, name: str) -> QPushButton:
    """Return a push button that never shrinks below its text."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setMinimumWidth(button.sizeHint().width())
    return button


def status_line(accessible_name: str) -> QLabel:
    """Return a wrapping label for a tab's last outcome, empty until something happens."""
    label = QLabel()
    label.setObjectName("subtleText")
    label.setWordWrap(True)
    label.setAccessibleName(accessible_name)
    return label


class MoneyTable(RecordTable):
    """A record table whose money columns are right-aligned so cents line up."""

    def __init__(
        self,
        headers: Sequence[str],
        accessible_name: str,
        money_columns: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(headers, accessible_name, parent)
        self.money_columns = {list(headers).index(name) for name in money_columns}

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str | Cell]]]) -> None:
        """Replace the rows (see RecordTable.set_rows) and right-align the money columns."""
        super().set_rows(rows)
        for row in range(self.rowCount()):
            for column in self.money_columns:
                item = self.item(row, column)
                if item is not None:
                    item.setTextAlignment(RIGHT)


def fit_columns(table: QTableWidget, skipped: Collection[int], limit: int) -> None:
    """Size each column but `skipped` to its bold title and its cells, at most `limit` pixels.

    Qt sizes a header to its text plus room for a sort arrow on every column, which costs
    each short column about 25 pixels. Only the sorted column shows the arrow, so only its
    title may be shortened with an ellipsis.
    """
    bold = QFont(table.horizontalHeader().font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for column in range(table.columnCount()):
        title = table.horizontalHeaderItem(column)
        if column in skipped or title is None:
            continue
        lines = title.text().split("\n")
        title_width = max(metrics.horizontalAdvance(line) for line in lines) + HEADER_PADDING
        width = max(table.sizeHintForColumn(column), title_width)
        table.setColumnWidth(column, min(width, limit))


class FittedMoneyTable(MoneyTable):
    """A money table whose `stretched` columns share the spare width and the rest fit tightly.

    Each other column is as wide as its bold title or its widest cell, at most `limit`
    pixels. Longer text shows in full in the cell's tooltip. The titles of `wrapped`
    columns show on two lines, so six columns fit in half a window.
    """

    def __init__(
        self,
        headers: Sequence[str],
        accessible_name: str,
        money_columns: Sequence[str],
        *,
        stretched: Sequence[str],
        limit: int,
        wrapped: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(headers, accessible_name, money_columns, parent)
        self.stretched = {list(headers).index(name) for name in stretched}
        self.limit = limit
        for name in wrapped:
            title = self.horizontalHeaderItem(list(headers).index(name))
            if title is not None:
                title.setText(name.replace(" ", "\n", 1))
        header = self.horizontalHeader()
        for column in self.stretched:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str | Cell]]]) -> None:
        """Replace the rows (see MoneyTable.set_rows) and fit the other columns tightly."""
        super().set_rows(rows)
        fit_columns(self, self.stretched, self.limit)


def money_text(amount: Decimal | None) -> str:
    """Format an amount such as "$25.00" (empty for None)."""
    return format_money(amount) if amount is not None else ""


class CheckTable(QTableWidget):
    """A read-only table whose first column ticks rows; Space ticks the current row.

    Each row carries a record id; `ticks_changed` fires whenever a tick changes. The
    column named `stretch_column` takes the spare width (the last column by default).
    """

    ticks_changed = Signal()

    def __init__(
        self,
        headers: Sequence[str],
        accessible_name: str,
        money_columns: Sequence[str] = (),
        parent: QWidget | None = None,
        *,
        stretch_column: str | None = None,
    ) -> None:
        super().__init__(0, len(headers) + 1, parent)
        self.setHorizontalHeaderLabels(["", *headers])
        self.setAccessibleName(f"{accessible_name}; Space ticks the row")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch_column is None:
            header.setStretchLastSection(True)
        else:
            stretched = list(headers).index(stretch_column) + 1
            header.setSectionResizeMode(stretched, QHeaderView.ResizeMode.Stretch)
        self.money_columns = {list(headers).index(name) + 1 for name in money_columns}
        self.record_ids: list[object] = []
        self.itemChanged.connect(lambda _item: self.ticks_changed.emit())

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str]]]) -> None:
        """Replace the rows with (record id, cells) pairs, none ticked."""
        self.blockSignals(True)
        self.setRowCount(len(rows))
        self.record_ids = [record_id for record_id, _cells in rows]
        for number, (_record_id, cells) in enumerate(rows):
            tick = QTableWidgetItem()
            tick.setFlags(tick.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            tick.setCheckState(Qt.CheckState.Unchecked)
            self.setItem(number, 0, tick)
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column in self.money_columns:
                    item.setTextAlignment(RIGHT)
                self.setItem(number, column, item)
        self.blockSignals(False)
        self.ticks_changed.emit()

    def checked_ids(self) -> list[Any]:
        """Return the ids of the ticked rows, top to bottom."""
        return [
            record_id
            for number, record_id in enumerate(self.record_ids)
            if self._tick(number) == Qt.CheckState.Checked
        ]

    def set_checked(self, record_ids: Sequence[object]) -> None:
        """Tick exactly the rows of `record_ids`."""
        for number, record_id in enumerate(self.record_ids):
            item = self.item(number, 0)
            if item is not None:
                ticked = record_id in record_ids
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def current_id(self) -> Any:
        """Return the id of the current row, or None."""
        row = self.currentRow()
        return self.record_ids[row] if 0 <= row < len(self.record_ids) else None

    def _tick(self, number: int) -> Qt.CheckState | None:
        item = self.item(number, 0)
        return item.checkState() if item is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Tick or untick the current row with Space."""
        item = self.item(self.currentRow(), 0) if self.currentRow() >= 0 else None
        if event.key() == Qt.Key.Key_Space and item is not None:
            checked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)
