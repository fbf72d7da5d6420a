"""A posted encounter's lines, with "Reverse line…" and "Correct line…" for the selected one.

Posted charges never change: a reversal writes an offsetting ledger row, and a
correction is a reversal plus a new line that names the line it replaces. Reversed
lines stay listed, struck through.
"""

import logging
import uuid
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.encounter_forms import LineForm, PostedLine
from ui.charges.editor_data import CodeOption
from ui.charges.line_values import money_text
from ui.charges.lines import LineRow, caption_row
from ui.patient.rows import button
from ui.row_model import RowTableModel

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = ("Line", "Code", "Description", "Modifiers", "Units", "Charge", "Status")
REASON_MAX_LENGTH = 200


def status_text(line: PostedLine, positions: dict[uuid.UUID, int]) -> str:
    """Return the status of a posted line, such as "Reversed" or "Posted, replaces line 2"."""
    if line.reversed:
        return "Reversed"
    if line.replaces_id is not None and line.replaces_id in positions:
        return f"Posted, replaces line {positions[line.replaces_id]}"
    return "Posted"


class PostedLineModel(RowTableModel[PostedLine]):
    """Posted lines; reversed ones are drawn struck through and grayed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, self._cell, frozenset({"Units", "Charge"}), parent)
        self.positions: dict[uuid.UUID, int] = {}
        self.descriptions: dict[str, str] = {}

    def set_rows(self, rows: list[PostedLine]) -> None:
        """Replace every row (and the line numbers that "replaces line N" refers to)."""
        self.positions = {line.id: line.position for line in rows}
        super().set_rows(rows)

    def _cell(self, line: PostedLine, column: int) -> str:
        values = (
            str(line.position),
            line.procedure_code,
            self.descriptions.get(line.procedure_code, ""),
            " ".join(line.modifiers),
            str(line.units),
            money_text(line.charge_amount),
            status_text(line, self.positions),
        )
        return values[column]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.rows[index.row()]
        if line.reversed and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if line.reversed and role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#6b6b6b")
        return super().data(index, role)


class PostedLinesPanel(QWidget):
    """The posted lines table and its two actions; each action signal carries a line."""

    reverse_requested = Signal(object)  # PostedLine
    correct_requested = Signal(object)  # PostedLine

    def __init__(self, can_post: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postedLines")
        self.can_post = can_post
        self.model = PostedLineModel(self)
        self.table = QTableView()
        self.table.setObjectName("postedLineTable")
        self.table.setAccessibleName("Posted service lines")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(150)

        self.reverse = button("Re&verse line…", "Reverse the selected posted line")
        self.reverse.clicked.connect(lambda: self._request(self.reverse_requested))
        self.correct = button("Correc&t line…", "Correct the selected posted line")
        self.correct.clicked.connect(lambda: self._request(self.correct_requested))

        self.note = QLabel(
            "Posted charges cannot be edited. Reverse a line to take its charge back, or "
            "correct it to post a replacement; both ask for a reason."
        )
        self.note.setObjectName("subtleText")
        self.note.setWordWrap(True)

        actions = QHBoxLayout()
        actions.addWidget(self.reverse)
        actions.addWidget(self.correct)
        actions.addWidget(self.note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self._enable()

    def set_lines(self, lines: list[PostedLine], descriptions: dict[str, str]) -> None:
        """Show `lines`, with each code's description, and select the first line in force."""
        self.model.descriptions = descriptions
        self.model.set_rows(lines)
        first = next((row for row, line in enumerate(lines) if not line.reversed), 0)
        if lines:
            self.table.selectRow(first)
        self._enable()

    def selected(self) -> PostedLine | None:
        """Return the selected line, or None."""
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    def focus_chain(self) -> list[QWidget]:
        """Return the table and the actions in Tab order."""
        return [self.table, self.reverse, self.correct]

    def _enable(self) -> None:
        line = self.selected()
        usable = self.can_post and line is not None and not line.reversed
        self.reverse.setEnabled(usable)
        self.correct.setEnabled(usable)

    def _request(self, signal: Any) -> None:
        line = self.selected()
        if line is not None and not line.reversed:
            signal.emit(line)


class ReasonDialog(QDialog):
    """Asks why a posted line is reversed; OK stays off until a reason is typed."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        text = QLabel(prompt)
        text.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reasonField")
        self.reason.setMaxLength(REASON_MAX_LENGTH)
        caption = QLabel("&Reason (required)")
        caption.setBuddy(self.reason)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason.textChanged.connect(self._enable)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(caption)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self._enable()
        self.setMinimumWidth(440)

    def reason_text(self) -> str:
        """Return the reason as typed, trimmed."""
        return self.reason.text().strip()

    def _enable(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.reason_text()))


class CorrectLineDialog(ReasonDialog):
    """Edits the replacement for a posted line, with the required reason for the correction.

    `row` is an ordinary grid row, so the editor prices its code the same way.
    """

    def __init__(
        self,
        line: LineForm,
        option: CodeOption | None,
        fee_editable: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Correct a posted line",
            "The posted line is reversed and this line is posted in its place.",
            parent,
        )
        self.setObjectName("correctLineDialog")
        self.row = LineRow(fee_editable)
        self.row.set_value(line, option)
        self.row.set_number(1)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, caption_row())
        layout.insertWidget(2, self.row)
        self.setMinimumWidth(980)
        self.row.code.setFocus(Qt.FocusReason.OtherFocusReason)

    def line_value(self) -> LineForm:
        """Return the replacement line as typed."""
        return self.row.value()
