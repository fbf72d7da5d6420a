"""The claim worklist table: one row per claim, sortable, with several rows selectable.

The model sorts the rows themselves (dates, amounts and counts by value, not by their
text), so a sorted view needs no proxy and row numbers in the view are row numbers in
`model.rows`.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.money import format_money
from app.services.claim_worklist import WorklistRow
from ui.row_model import RIGHT_ALIGNED

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "Claim",
    "Patient",
    "Chart",
    "Payer",
    "Provider",
    "Date of service",
    "Age",
    "Amount",
    "Status",
    "Problems",
    "Filing days left",
    "Assigned to",
    "Follow-up",
)
NUMERIC_COLUMNS = frozenset({"Age", "Amount", "Filing days left"})
# Most payers deny a claim received after their filing limit, so the last month is flagged.
FILING_WARNING_DAYS = 30
WARNING_COLOR = QColor("#b3261e")


def problems_text(row: WorklistRow) -> str:
    """Return the scrub findings count, such as "2 errors, 1 warning" (empty when none)."""
    parts = []
    if row.error_count:
        parts.append(f"{row.error_count} error{'s' if row.error_count != 1 else ''}")
    if row.warning_count:
        parts.append(f"{row.warning_count} warning{'s' if row.warning_count != 1 else ''}")
    return ", ".join(parts)


def filing_text(days_left: int | None) -> str:
    """Return the days left to file, or how many days the filing limit has passed."""
    if days_left is None:
        return ""
    if days_left < 0:
        return f"{-days_left} past"
    return str(days_left)


def filing_urgent(days_left: int | None) -> bool:
    """Return True when the payer's filing limit is 30 days away or has passed."""
    return days_left is not None and days_left <= FILING_WARNING_DAYS


def date_text(value: date | None) -> str:
    """Format a date as MM/DD/YYYY (empty for None)."""
    return f"{value:%m/%d/%Y}" if value is not None else ""


def worklist_cells(row: WorklistRow) -> tuple[str, ...]:
    """Return the table's texts for one claim, in COLUMNS order."""
    return (
        row.claim_number,
        row.patient_name,
        row.chart_number,
        row.payer_name,
        row.provider_name,
        date_text(row.service_date),
        str(row.age_days),
        format_money(row.amount),
        row.status_label,
        problems_text(row),
        filing_text(row.filing_days_left),
        row.assigned_to_name or "",
        date_text(row.follow_up_on),
    )


def _sort_keys() -> tuple[Callable[[WorklistRow], Any], ...]:
    # Rows without a value sort after those with one in ascending order.
    far_date = date.max
    return (
        lambda row: row.claim_number,
        lambda row: row.patient_name.casefold(),
        lambda row: row.chart_number,
        lambda row: row.payer_name.casefold(),
        lambda row: row.provider_name.casefold(),
        lambda row: row.service_date,
        lambda row: row.age_days,
        lambda row: row.amount,
        lambda row: row.status_label,
        lambda row: (row.error_count, row.warning_count),
        lambda row: row.filing_days_left if row.filing_days_left is not None else 1_000_000,
        lambda row: (row.assigned_to_name or "").casefold(),
        lambda row: row.follow_up_on or far_date,
    )


SORT_KEYS = _sort_keys()


class WorklistModel(QAbstractTableModel):
    """The worklist rows; filing days are red when 30 or fewer remain or the limit passed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[WorklistRow] = []
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder

    def set_rows(self, rows: list[WorklistRow]) -> None:
        """Replace every row, keeping the column the user sorted by."""
        self.beginResetModel()
        self.rows = self._sorted(rows)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return worklist_cells(row)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC_COLUMNS:
            return RIGHT_ALIGNED
        if role == Qt.ItemDataRole.ForegroundRole and column == "Filing days left":
            return QBrush(WARNING_COLOR) if filing_urgent(row.filing_days_left) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    @staticmethod
    def _tooltip(row: WorklistRow, column: str) -> str | None:
        if column == "Filing days left" and row.filing_days_left is not None:
            if row.filing_days_left < 0:
                return "The payer's filing limit has passed; the payer may deny this claim."
            return f"{row.filing_days_left} days left before the payer's filing limit."
        if column == "Status" and row.last_event:
            return row.last_event
        return None

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by the value behind `column` (the view calls this on a header click)."""
        self.sort_column, self.sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        self.rows = self._sorted(self.rows)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[WorklistRow]) -> list[WorklistRow]:
        if not 0 <= self.sort_column < len(SORT_KEYS):
            return list(rows)
        descending = self.sort_order == Qt.SortOrder.DescendingOrder
        return sorted(rows, key=SORT_KEYS[self.sort_column], reverse=descending)

    def row_of(self, claim_id: uuid.UUID) -> int:
        """Return the row number showing `claim_id`, or -1."""
        return next(
            (number for number, row in enumerate(self.rows) if row.claim_id == claim_id), -1
        )


class WorklistTable(QTableView):
    """The worklist's view: Enter emits `open_requested`, several rows may be selected."""

    open_requested = Signal()

    def __init__(self, model: WorklistModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("claimWorklist")
        self.setAccessibleName("Claims")
        self.setModel(model)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        # No sort indicator until the user clicks a header, so rows keep the service's order.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setWordWrap(False)
        self.setToolTip(
            "Enter opens the selected claim. Shift or Ctrl with a click or the arrow keys "
            "selects several claims for Scrub, Send, Print, Assign and notes."
        )
        # Every column fits its text, so patient names are never cut; spare width goes last.
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    def worklist_model(self) -> WorklistModel:
        """Return the model as its own type."""
        model = self.model()
        assert isinstance(model, WorklistModel)
        return model

    def current_row(self) -> WorklistRow | None:
        """Return the claim under the cursor, or None."""
        index = self.currentIndex()
        rows = self.worklist_model().rows
        if not index.isValid() or index.row() >= len(rows):
            return None
        return rows[index.row()]

    def selected_claims(self) -> list[WorklistRow]:
        """Return the selected claims in view order (the current claim when none is selected)."""
        rows = self.worklist_model().rows
        numbers = sorted({index.row() for index in self.selectionModel().selectedRows()})
        chosen = [rows[number] for number in numbers if number < len(rows)]
        current = self.current_row()
        if not chosen and current is not None:
            chosen = [current]
        return chosen

    def select_claims(self, claim_ids: list[uuid.UUID]) -> bool:
        """Select the rows of `claim_ids`, the first becoming current; False when none shows."""
        model = self.worklist_model()
        numbers = [model.row_of(claim_id) for claim_id in claim_ids]
        numbers = [number for number in numbers if number >= 0]
        if not numbers:
            return False
        self.selectRow(numbers[0])
        selection = self.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for number in numbers[1:]:
            selection.select(model.index(number, 0), flags)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
            return
        super().keyPressEvent(event)
