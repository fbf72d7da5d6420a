"""The service-line grid of the encounter editor: one row of fields per line.

Each row registers its fields with the problem board under "lines[i].<attribute>",
and registers again whenever a line is added, duplicated or removed, so the indexes
always match the order `values()` returns. The grid prices nothing itself. It emits
`price_requested` and `search_requested`, and the editor replies on the GUI thread
with `apply_price` and `show_options`.
"""

import copy
import logging
from decimal import Decimal

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.problems import Problem
from app.services.encounter_forms import MAX_MODIFIERS, LineForm
from ui.charges.editor_data import CodeOption, PricedLine
from ui.charges.line_values import (
    clean_modifier,
    line_total,
    money_text,
    parse_pointers,
    pointer_problems,
    pointer_text,
    remap_pointers,
)
from ui.patient.feedback import ProblemBoard, problem_label
from ui.patient.fields import format_amount, money_problems, parse_money
from ui.widgets import connect_edits, find_data

log = logging.getLogger(__name__)

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
# The NDC units a claim accepts (X12 element CTP05-1 and the CMS-1500 shaded line).
NDC_UNITS = (
    ("", "Unit"),
    ("UN", "UN — each"),
    ("ML", "ML — milliliter"),
    ("GR", "GR — gram"),
    ("F2", "F2 — international unit"),
    ("ME", "ME — milligram"),
)
MAX_UNITS = 9999
SEARCH_DELAY_MS = 150
DESCRIPTION_CHARACTERS = 38
AnyIndex = QModelIndex | QPersistentModelIndex

# Widths in pixels of the grid's fixed columns, shared by the caption row and every line.
WIDTHS = {
    "number": 22,
    "code": 74,
    "modifier": 36,
    "units": 66,
    "fee": 78,
    "pointers": 70,
    "total": 86,
}


class CodeCompleter(QCompleter):
    """Completion list of procedure codes; choosing an entry puts only its code in the box."""

    def __init__(self, parent: QWidget) -> None:
        self.options = QStandardItemModel(parent)
        super().__init__(self.options, parent)
        self.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.setMaxVisibleItems(10)

    def pathFromIndex(self, index: AnyIndex) -> str:  # noqa: N802 (Qt override)
        return str(index.data(CODE_ROLE) or "")

    def set_options(self, options: list[CodeOption]) -> None:
        """List `options` in the given order (the provider's favorites come first)."""
        self.options.clear()
        for option in options:
            item = QStandardItem(option.label)
            item.setData(option.code, CODE_ROLE)
            item.setToolTip(option.label)
            self.options.appendRow(item)


def _fixed(widget: QWidget, key: str) -> QWidget:
    widget.setFixedWidth(WIDTHS[key])
    return widget


def caption_row() -> QWidget:
    """Return the captions above the grid, aligned with the line fields."""
    holder = QWidget()
    holder.setObjectName("lineCaptions")
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)

    def caption(text: str, key: str | None = None, stretch: int = 0) -> None:
        label = QLabel(text)
        label.setObjectName("subtleText")
        if key is not None:
            label.setFixedWidth(WIDTHS[key])
        row.addWidget(label, stretch)

    caption("#", "number")
    caption("Code", "code")
    caption("Description", stretch=3)
    for number in range(1, MAX_MODIFIERS + 1):
        caption(f"M{number}", "modifier")
    caption("Units", "units")
    caption("Fee", "fee")
    caption("Pointers", "pointers")
    caption("Line note", stretch=2)
    caption("Line total", "total")
    return holder


class LineRow(QWidget):
    """One service line; `code_committed` fires when a new code was typed or chosen."""

    edited = Signal()
    code_committed = Signal(object)  # the row
    search_typed = Signal(object, str)  # the row and the text typed in its code box

    def __init__(self, fee_editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chargeLine")
        self.line = LineForm()
        self.fee_editable = fee_editable
        self.fee: Decimal | None = None
        self.fee_given = False
        self.units_typed = False
        self.priced_code = ""
        self.requires_ndc = False

        self.number = QLabel()
        self.code = QLineEdit()
        self.code.setMaxLength(5)
        self.code.setPlaceholderText("Code")
        self.completer = CodeCompleter(self.code)
        self.code.setCompleter(self.completer)
        self.description = QLabel()
        self.description.setObjectName("lineDescription")
        self.modifiers = [QLineEdit() for _ in range(MAX_MODIFIERS)]
        for number, edit in enumerate(self.modifiers, start=1):
            edit.setMaxLength(2)
            edit.setAccessibleName(f"Modifier {number}")
        self.units = QSpinBox()
        self.units.setRange(1, MAX_UNITS)
        self.units.setAccessibleName("Units")
        self.units.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.fee_box = QLineEdit()
        self.fee_box.setAccessibleName("Fee per unit")
        self.fee_box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.pointers = QLineEdit()
        self.pointers.setAccessibleName("Diagnosis pointers")
        self.pointers.setToolTip("Diagnoses this line treats: 1 2, 12 or A B")
        self.note = QLineEdit()
        self.note.setAccessibleName("Line note")
        self.total = QLabel()
        self.total.setObjectName("lineTotal")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.ndc_code = QLineEdit()
        self.ndc_code.setAccessibleName("NDC")
        self.ndc_code.setPlaceholderText("NDC, such as 00409-4888-20")
        self.ndc_quantity = QLineEdit()
        self.ndc_quantity.setAccessibleName("NDC quantity")
        self.ndc_quantity.setPlaceholderText("Quantity")
        self.ndc_unit = QComboBox()
        self.ndc_unit.setAccessibleName("NDC unit")
        for value, text in NDC_UNITS:
            self.ndc_unit.addItem(text, value)
        self.problem = problem_label("Line")
        self._set_fee_access()
        self._build()
        self._connect()

    def _emit_edited(self) -> None:
        # Edit signals carry the new value, which `edited` does not.
        self.edited.emit()

    def _build(self) -> None:
        main = QHBoxLayout()
        main.setContentsMargins(0, 0, 0, 0)
        main.addWidget(_fixed(self.number, "number"))
        main.addWidget(_fixed(self.code, "code"))
        main.addWidget(self.description, 3)
        for edit in self.modifiers:
            main.addWidget(_fixed(edit, "modifier"))
        main.addWidget(_fixed(self.units, "units"))
        main.addWidget(_fixed(self.fee_box, "fee"))
        main.addWidget(_fixed(self.pointers, "pointers"))
        main.addWidget(self.note, 2)
        main.addWidget(_fixed(self.total, "total"))
        self.ndc_row = QWidget()
        ndc = QHBoxLayout(self.ndc_row)
        ndc.setContentsMargins(WIDTHS["number"] + 6, 0, 0, 0)
        drug = QLabel("Drug:")
        drug.setObjectName("subtleText")
        ndc.addWidget(drug)
        ndc.addWidget(self.ndc_code, 2)
        ndc.addWidget(self.ndc_quantity, 1)
        ndc.addWidget(self.ndc_unit, 1)
        ndc.addStretch(3)
        self.ndc_row.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(main)
        layout.addWidget(self.ndc_row)
        layout.addWidget(self.problem)

    def _connect(self) -> None:
        for widget in self.inputs():
            connect_edits(widget, self._emit_edited)
        self.code.textEdited.connect(lambda text: self.search_typed.emit(self, text))
        self.code.editingFinished.connect(self._code_finished)
        self.completer.activated.connect(self._completion_chosen)
        self.fee_box.textEdited.connect(self._fee_typed)
        self.units.valueChanged.connect(self._units_changed)

    def _set_fee_access(self) -> None:
        self.fee_box.setReadOnly(not self.fee_editable)
        if not self.fee_editable:
            # Tab skips a field that cannot change; a click still selects its text to copy.
            self.fee_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            self.fee_box.setToolTip("Only a manager may change the fee schedule's price.")

    def inputs(self) -> list[QWidget]:
        """Return every input, in Tab order."""
        return [
            self.code, *self.modifiers, self.units, self.fee_box, self.pointers,
            self.ndc_code, self.ndc_quantity, self.ndc_unit, self.note,
        ]  # fmt: skip

    def focus_chain(self) -> list[QWidget]:
        """Return the inputs Tab visits: the fee only when it may change, NDC when needed."""
        chain: list[QWidget] = [self.code, *self.modifiers, self.units]
        if self.fee_editable:
            chain.append(self.fee_box)
        chain.append(self.pointers)
        if self.ndc_row.isVisibleTo(self):
            chain.extend([self.ndc_code, self.ndc_quantity, self.ndc_unit])
        chain.append(self.note)
        return chain

    # Values

    def set_value(
        self, line: LineForm, option: CodeOption | None, shown_fee: Decimal | None = None
    ) -> None:
        """Show `line`; `option` describes its code when the practice has it.

        `shown_fee` is the schedule's price to show when the line has no fee of its own.
        """
        self.line = copy.deepcopy(line)
        for widget in self.inputs():
            widget.blockSignals(True)
        self.code.setText(line.procedure_code)
        self.priced_code = line.procedure_code.strip().upper()
        for edit, value in zip(self.modifiers, [*line.modifiers, "", "", "", ""], strict=False):
            edit.setText(value)
        self.units.setValue(max(line.units, 1))
        self.units_typed = line.id is not None
        self.fee = line.unit_fee if line.unit_fee is not None else shown_fee
        self.fee_given = line.unit_fee is not None
        self.fee_box.setText(format_amount(self.fee))
        self.pointers.setText(pointer_text(line.pointers))
        self.ndc_code.setText(line.ndc_code)
        self.ndc_quantity.setText(line.ndc_quantity)
        self.ndc_unit.setCurrentIndex(max(find_data(self.ndc_unit, line.ndc_unit), 0))
        self.note.setText(line.note)
        for widget in self.inputs():
            widget.blockSignals(False)
        self.show_option(option)
        self._show_total()

    def value(self) -> LineForm:
        """Return the line as typed (unreadable pointers give an empty list)."""
        line = copy.deepcopy(self.line)
        line.procedure_code = self.code.text().strip().upper()
        line.modifiers = [clean_modifier(e.text()) for e in self.modifiers if e.text().strip()]
        line.units = self.units.value()
        line.unit_fee = self.fee if self.fee_given else None
        line.pointers = parse_pointers(self.pointers.text()) or []
        ndc_shown = self.ndc_row.isVisibleTo(self)
        line.ndc_code = self.ndc_code.text().strip() if ndc_shown else ""
        line.ndc_quantity = self.ndc_quantity.text().strip() if ndc_shown else ""
        line.ndc_unit = str(self.ndc_unit.currentData() or "") if ndc_shown else ""
        line.note = self.note.text().strip()
        return line

    def local_problems(self, index: int) -> list[Problem]:
        """Return problems found without the database: pointers and a typed fee."""
        problems = pointer_problems(self.pointers.text(), f"lines[{index}].pointers")
        if self.fee_editable:
            problems += money_problems(self.fee_box, f"lines[{index}].unit_fee", "Fee")
        return problems

    def show_option(self, option: CodeOption | None) -> None:
        """Show the code's description, and the drug fields when the code needs an NDC."""
        code = self.code.text().strip().upper()
        if option is None:
            self.description.setText("Not in the practice's codes" if code else "")
            self.description.setToolTip("")
            self.requires_ndc = False
        else:
            text = option.description
            if len(text) > DESCRIPTION_CHARACTERS:
                text = text[: DESCRIPTION_CHARACTERS - 1] + "…"
            self.description.setText(text)
            self.description.setToolTip(option.description)
            self.requires_ndc = option.requires_ndc
        has_ndc = bool(self.ndc_code.text() or self.ndc_quantity.text())
        self.ndc_row.setVisible(self.requires_ndc or has_ndc)

    def apply_price(self, priced: PricedLine) -> None:
        """Take the schedule's fee and the code's default units, unless the user typed them."""
        self.priced_code = priced.code
        if not self.fee_given:
            self.fee = priced.line.unit_fee
            self.fee_box.setText(format_amount(self.fee))
        if not self.units_typed:
            self.units.blockSignals(True)
            self.units.setValue(max(priced.line.units, 1))
            self.units.blockSignals(False)
        self.show_option(priced.option)
        self._show_total()

    def take_price_from(self, source: "LineRow") -> None:
        """Show the fee, units and code details of `source`, which this row copies."""
        self.fee = source.fee
        self.fee_given = source.fee_given
        self.units_typed = True
        self.priced_code = source.priced_code
        self.fee_box.setText(format_amount(source.fee))
        self.requires_ndc = source.requires_ndc
        self.description.setText(source.description.text())
        self.description.setToolTip(source.description.toolTip())
        self.ndc_row.setVisible(source.ndc_row.isVisibleTo(source))
        self._show_total()

    def total_value(self) -> Decimal | None:
        """Return the line's charge, or None while its fee is unknown."""
        return line_total(self.units.value(), self.fee)

    def set_number(self, number: int) -> None:
        """Show the line's 1-based position."""
        self.number.setText(str(number))
        self.setAccessibleName(f"Service line {number}")
        self.code.setAccessibleName(f"Line {number} procedure code")

    def register(self, board: ProblemBoard, index: int) -> None:
        """Register the row's fields under "lines[index]" paths."""
        prefix = f"lines[{index}]"
        board.register(prefix, self.code, self.problem)
        board.register(f"{prefix}.procedure_code", self.code, self.problem)
        board.register(f"{prefix}.service_date", self.code, self.problem)
        board.register(f"{prefix}.modifiers", self.modifiers[0], self.problem)
        for number, edit in enumerate(self.modifiers):
            board.register(f"{prefix}.modifiers[{number}]", edit, self.problem)
        board.register(f"{prefix}.units", self.units, self.problem)
        board.register(f"{prefix}.unit_fee", self.fee_box, self.problem)
        board.register(f"{prefix}.pointers", self.pointers, self.problem)
        board.register(f"{prefix}.ndc_code", self.ndc_code, self.problem)
        board.register(f"{prefix}.ndc_quantity", self.ndc_quantity, self.problem)
        board.register(f"{prefix}.ndc_unit", self.ndc_unit, self.problem)
        board.register(f"{prefix}.note", self.note, self.problem)

    # Reactions

    def _code_finished(self) -> None:
        code = self.code.text().strip().upper()
        if code == self.priced_code:
            return
        self.priced_code = code
        # A new code takes the new code's price and units.
        self.fee_given = False
        self.units_typed = False
        self.fee = None
        self.fee_box.clear()
        self._show_total()
        self.code_committed.emit(self)

    def _completion_chosen(self, _text: str) -> None:
        self._code_finished()

    def _fee_typed(self, text: str) -> None:
        self.fee = parse_money(text)
        self.fee_given = True
        self._show_total()

    def _units_changed(self, _value: int) -> None:
        self.units_typed = True
        self._show_total()

    def _show_total(self) -> None:
        self.total.setText(money_text(self.total_value()))


class LineGrid(QWidget):
    """Every service line of a draft, in order, with the running total.

    `price_requested(row, index)` requests the fee schedule's price of a line whose code
    changed, and `search_requested(row, text)` requests completions of typed code text.
    `total_changed` fires with the line count and the total of the priced lines.
    """

    edited = Signal()
    rows_changed = Signal()
    price_requested = Signal(object, int)
    search_requested = Signal(object, str)
    total_changed = Signal(int, object)  # line count, Decimal total

    def __init__(self, board: ProblemBoard, fee_editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lineGrid")
        self.board = board
        self.fee_editable = fee_editable
        self.rows: list[LineRow] = []
        self.codes: dict[str, CodeOption] = {}
        self.favorites: list[CodeOption] = []
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(4)
        self.empty = QLabel("No service lines yet. Press Insert to add one.")
        self.empty.setObjectName("subtleText")
        self._search_row: LineRow | None = None
        self._search_text = ""
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self._search_now)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption_row())
        layout.addLayout(self.rows_layout)
        layout.addWidget(self.empty)

    # Rows

    def add_line(
        self,
        line: LineForm | None = None,
        at: int | None = None,
        shown_fee: Decimal | None = None,
    ) -> LineRow:
        """Insert a row showing `line` (an empty line when None) at `at` (the end when None).

        `shown_fee` is the schedule's price of a line that has no fee of its own.
        """
        row = LineRow(self.fee_editable)
        value = line if line is not None else LineForm()
        row.set_value(value, self.codes.get(value.procedure_code.strip().upper()), shown_fee)
        row.edited.connect(self._row_edited)
        row.code_committed.connect(self._code_committed)
        row.search_typed.connect(self._search_typed)
        position = len(self.rows) if at is None else at
        self.rows.insert(position, row)
        self.rows_layout.insertWidget(position, row)
        # A layout shows a new child only on the next event-loop turn, which would leave
        # it out of the Tab chain and unable to take the focus until then.
        row.show()
        self._reindex()
        return row

    def add_and_focus(self, line: LineForm | None = None) -> LineRow:
        """Add a line after the current one (at the end when none) and focus its code."""
        current = self.current_index()
        at = None if current is None else current + 1
        row = self.add_line(line, at)
        row.code.setFocus(Qt.FocusReason.OtherFocusReason)
        self.edited.emit()
        if line is not None and line.procedure_code and line.unit_fee is None:
            self._code_committed(row)
        return row

    def duplicate_current(self) -> LineRow | None:
        """Copy the current line below itself (as a new, unsaved line) and focus the copy."""
        index = self.current_index()
        if index is None:
            return None
        source = self.rows[index]
        line = source.value()
        line.id = None
        copy_row = self.add_line(line, index + 1)
        copy_row.take_price_from(source)
        self._emit_total()
        copy_row.code.setFocus(Qt.FocusReason.OtherFocusReason)
        self.edited.emit()
        return copy_row

    def remove_current(self) -> None:
        """Remove the current line and move the cursor to its neighbor."""
        index = self.current_index()
        if index is None:
            return
        row = self.rows.pop(index)
        row.setParent(None)
        row.deleteLater()
        self._reindex()
        self.edited.emit()
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)].code.setFocus()

    def current_index(self) -> int | None:
        """Return the index of the line holding the keyboard focus (else the last line)."""
        focused = QApplication.focusWidget()
        for index, row in enumerate(self.rows):
            if focused is not None and row.isAncestorOf(focused):
                return index
        return len(self.rows) - 1 if self.rows else None

    def set_lines(
        self,
        lines: list[LineForm],
        codes: dict[str, CodeOption],
        shown_fees: list[Decimal | None] | None = None,
    ) -> None:
        """Replace every row with rows showing `lines` and the schedule's `shown_fees`."""
        self.codes.update(codes)
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        fees = shown_fees or []
        for index, line in enumerate(lines):
            self.add_line(line, shown_fee=fees[index] if index < len(fees) else None)
        self._reindex()

    def values(self) -> list[LineForm]:
        """Return the lines in order."""
        return [row.value() for row in self.rows]

    def local_problems(self) -> list[Problem]:
        """Return the problems every row finds without the database."""
        problems: list[Problem] = []
        for index, row in enumerate(self.rows):
            problems += row.local_problems(index)
        return problems

    def focus_chain(self) -> list[QWidget]:
        """Return the inputs of every line in Tab order."""
        return [widget for row in self.rows for widget in row.focus_chain()]

    def follow_diagnoses(self, moved: dict[int, int | None]) -> None:
        """Point each line at the same diagnoses after the list was reordered or shortened."""
        for row in self.rows:
            pointers = parse_pointers(row.pointers.text())
            if pointers:
                row.pointers.setText(pointer_text(remap_pointers(pointers, moved)))

    def total(self) -> Decimal:
        """Return the total of the lines whose fee is known."""
        totals = [row.total_value() for row in self.rows]
        return sum((amount for amount in totals if amount is not None), Decimal(0))

    def _reindex(self) -> None:
        self.board.unregister_prefix("lines[")
        for index, row in enumerate(self.rows):
            row.set_number(index + 1)
            row.register(self.board, index)
        self.empty.setVisible(not self.rows)
        self.rows_changed.emit()
        self._emit_total()

    def _row_edited(self) -> None:
        self.edited.emit()
        self._emit_total()

    def _emit_total(self) -> None:
        self.total_changed.emit(len(self.rows), self.total())

    # Prices and completion

    def _code_committed(self, row: LineRow) -> None:
        if row in self.rows:
            self.price_requested.emit(row, self.rows.index(row))

    def apply_price(self, row: LineRow, priced: PricedLine) -> None:
        """Show a price that arrived, unless its row was removed or its code changed since."""
        if row not in self.rows or row.code.text().strip().upper() != priced.code:
            return
        if priced.option is not None:
            self.codes[priced.code] = priced.option
        row.apply_price(priced)
        self._emit_total()

    def _search_typed(self, row: LineRow, text: str) -> None:
        self._search_row = row
        self._search_text = text.strip()
        self.search_timer.start()

    def _search_now(self) -> None:
        row, text = self._search_row, self._search_text
        if row is None or row not in self.rows:
            return
        if not text:
            self.show_options(row, text, [])
            return
        self.search_requested.emit(row, text)

    def show_options(self, row: LineRow, text: str, found: list[CodeOption]) -> None:
        """Offer the provider's favorites matching `text` first, then the codes found."""
        if row not in self.rows or row.code.text().strip() != text:
            return
        prefix = text.upper()
        favorites = [f for f in self.favorites if not prefix or f.code.startswith(prefix)]
        listed = {option.code for option in favorites}
        options = favorites + [option for option in found if option.code not in listed]
        for option in options:
            self.codes.setdefault(option.code, option)
        row.completer.set_options(options)
        if options and row.code.hasFocus():
            row.completer.complete()

    def set_read_only(self, read_only: bool) -> None:
        """Allow or stop every change to the lines."""
        self.setEnabled(not read_only)
