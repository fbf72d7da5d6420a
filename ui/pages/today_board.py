"""The Today page's table: one row per appointment, with a colored status badge.

Waiting times are computed from each row's arrival time and the model's `now`, so the
page's minute timer updates them without reading the database.
"""

from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.clock import format_time, utc_now
from app.money import format_money
from app.services.front_desk import BoardRow, minutes_waiting
from ui.row_model import RowTableModel

AnyIndex = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "Time",
    "Patient",
    "Chart",
    "Provider",
    "Type",
    "Status",
    "Waiting",
    "Copay due",
    "Balance",
    "Intake",
    "Alerts",
    "Flags",
)
STATUS_COLUMN = COLUMNS.index("Status")
WAITING_COLUMN = COLUMNS.index("Waiting")
MONEY_AND_COUNTS = frozenset({"Waiting", "Copay due", "Balance", "Intake", "Alerts"})

# Badge colors as (background, text), chosen for a contrast ratio of at least 4.5:1.
STATUS_COLORS = {
    "scheduled": ("#e8eef7", "#1f3b63"),
    "confirmed": ("#dcecff", "#0b3d91"),
    "arrived": ("#fff1c2", "#5c4300"),
    "in_room": ("#d9f2e3", "#0f5132"),
    "checked_out": ("#e9ecef", "#343a40"),
    "no_show": ("#f8d7da", "#842029"),
    "cancelled": ("#f1f1f1", "#5a5a5a"),
    "rescheduled": ("#f1f1f1", "#5a5a5a"),
}
# A patient waiting this long gets the waiting cell highlighted.
LONG_WAIT_MINUTES = 20


def status_label(status: str) -> str:
    """Return a status as the desk reads it, such as "In room" for "in_room"."""
    return status.replace("_", " ").capitalize()


def waiting_text(minutes: int | None) -> str:
    """Return a waiting time such as "12 min" or "1 h 05 min", or "" when not waiting."""
    if minutes is None:
        return ""
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _intake_text(row: BoardRow) -> str:
    return f"{row.intake_missing} to do" if row.intake_missing else ""


def _balance_text(row: BoardRow) -> str:
    return format_money(row.balance) if row.balance else ""


def board_cells(row: BoardRow, now: datetime) -> tuple[str, ...]:
    """Return the table's texts for `row`, with waiting time measured at `now`."""
    return (
        format_time(row.starts_at),
        row.patient_name,
        row.chart_number,
        row.provider_name,
        status_label(row.appointment_type),
        status_label(row.status),
        waiting_text(minutes_waiting(row.status, row.arrived_at, now)),
        format_money(row.copay_due) if row.copay_due is not None else "",
        _balance_text(row),
        _intake_text(row),
        str(row.alert_count) if row.alert_count else "",
        ", ".join(row.flags),
    )


class BoardModel(RowTableModel[BoardRow]):
    """The day's rows; `now` (UTC) is the instant waiting times are measured at."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, self._cell, MONEY_AND_COUNTS, parent)
        self.now = utc_now()

    def _cell(self, row: BoardRow, column: int) -> str:
        return board_cells(row, self.now)[column]

    def set_now(self, now: datetime) -> None:
        """Measure waiting times at `now` and repaint the waiting column."""
        self.now = now
        if self.rows:
            top = self.index(0, WAITING_COLUMN)
            bottom = self.index(len(self.rows) - 1, WAITING_COLUMN)
            self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if index.column() == STATUS_COLUMN and role in _COLOR_ROLES:
            background, text = STATUS_COLORS.get(row.status, ("#ffffff", "#000000"))
            return QColor(background if role == Qt.ItemDataRole.BackgroundRole else text)
        if index.column() == WAITING_COLUMN and role == Qt.ItemDataRole.ForegroundRole:
            waited = minutes_waiting(row.status, row.arrived_at, self.now)
            if waited is not None and waited >= LONG_WAIT_MINUTES:
                return QColor("#a4161a")
        return super().data(index, role)


_COLOR_ROLES = (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole)

# Keys of the board's actions, without modifiers unless named.
ACTION_KEYS = {
    Qt.Key.Key_C: "check_in",
    Qt.Key.Key_R: "in_room",
    Qt.Key.Key_O: "check_out",
    Qt.Key.Key_B: "charges",
    Qt.Key.Key_S: "superbill",
}


class BoardTable(QTableView):
    """The board's view; action keys emit `action_requested` with the action's name.

    Enter or Return emits "open", C "check_in", R "in_room", O "check_out", B "charges",
    S "superbill" and Shift+N "no_show".
    """

    action_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayTable")
        self.setAccessibleName("Today's appointments")
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setToolTip(
            "Enter opens the record. C checks in, R puts in a room, O checks out, "
            "Shift+N marks a no-show."
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Turn the action keys into `action_requested`; other keys move as usual."""
        action = self._action_for(event)
        if action and self.currentIndex().isValid():
            self.action_requested.emit(action)
            return
        super().keyPressEvent(event)

    @staticmethod
    def _action_for(event: QKeyEvent) -> str:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return "open"
        if key == Qt.Key.Key_N and modifiers == Qt.KeyboardModifier.ShiftModifier:
            return "no_show"
        if modifiers == Qt.KeyboardModifier.NoModifier:
            return ACTION_KEYS.get(key, "")
        return ""
