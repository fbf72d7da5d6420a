"""A read-only table model over a list of frozen rows, shared by the patient lists."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

T = TypeVar("T")
AnyIndex = QModelIndex | QPersistentModelIndex
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RowTableModel(QAbstractTableModel, Generic[T]):
    """Shows `rows` through `cell(row, column)`, with `columns` as the header."""

    def __init__(
        self,
        columns: Sequence[str],
        cell: Callable[[T, int], str],
        right_aligned: frozenset[str] = frozenset(),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.cell = cell
        self.right_aligned = right_aligned
        self.rows: list[T] = []

    def set_rows(self, rows: list[T]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(self.rows[index.row()], column)
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[column] in self.right_aligned:
            return RIGHT_ALIGNED
        return None

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None
