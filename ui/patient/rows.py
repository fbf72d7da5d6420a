"""Editable lists of the registration form: phones, previous names and alerts.

Each list shows one row of widgets per entry with a Remove button, and an Add button
below. Rows register their widgets with the problem board under paths such as
"phones[1].number", and register again whenever a row is added or removed, so the
indexes always match the order `values()` returns.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.contact import PHONE_KINDS, display_phone
from app.services.patient_forms import ALERT_SEVERITIES, AlertEntry, PhoneEntry, PreviousNameEntry
from ui.admin.forms import select_data
from ui.patient.feedback import ProblemBoard, problem_label
from ui.patient.fields import DateField
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

EXTENSION_WIDTH = 70


def choice_combo(values: tuple[str, ...] | list[str], accessible_name: str) -> QComboBox:
    """Return a combo listing `values` capitalized, with each value as its item data."""
    combo = QComboBox()
    for value in values:
        combo.addItem(value.capitalize(), value)
    combo.setAccessibleName(accessible_name)
    return combo


def button(text: str, accessible_name: str) -> QPushButton:
    """Return a push button that Enter clicks when it has the focus."""
    pushed = QPushButton(text)
    pushed.setAccessibleName(accessible_name)
    # Outside a dialog Enter reaches the form and saves, unless the focused button takes it.
    pushed.setAutoDefault(True)
    return pushed


class EntryRow(QWidget):
    """One entry of a list: its widgets by attribute name, a Remove button and a problem label."""

    remove_requested = Signal(object)  # the row
    edited = Signal()

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry_id: uuid.UUID | None = None
        self.fields: dict[str, QWidget] = {}
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.remove = button("Remove", f"Remove this {noun}")
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self.problem = problem_label(noun.capitalize())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.addLayout(self.grid, 1)
        row.addWidget(self.remove)
        outer.addLayout(row)
        outer.addWidget(self.problem)

    def add(self, name: str, widget: QWidget, accessible_name: str, stretch: int = 1) -> None:
        """Add `widget` as the next column, editing attribute `name` of the entry."""
        widget.setAccessibleName(accessible_name)
        self.grid.addWidget(widget, 0, len(self.fields))
        self.grid.setColumnStretch(len(self.fields), stretch)
        self.fields[name] = widget
        connect_edits(widget, self._emit_edited)

    def _emit_edited(self) -> None:
        self.edited.emit()

    def focus_chain(self) -> list[QWidget]:
        """Return the row's widgets in Tab order."""
        return [*self.fields.values(), self.remove]

    def first_text_box(self) -> QWidget:
        """Return the first box the user types in, such as the number of a phone."""
        for widget in self.fields.values():
            if isinstance(widget, QLineEdit):
                return widget
        return self.focus_chain()[0]

    def value(self) -> Any:
        """Return the entry the row shows."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show `value` in the row."""
        raise NotImplementedError


class PhoneRow(EntryRow):
    """Kind, number and extension of one phone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("phone", parent)
        self.kind = choice_combo(PHONE_KINDS, "Phone kind")
        self.number = QLineEdit()
        self.number.setPlaceholderText("(512) 555-0100")
        self.extension = QLineEdit()
        self.extension.setPlaceholderText("Ext.")
        self.extension.setMaxLength(10)
        self.extension.setFixedWidth(EXTENSION_WIDTH)
        self.add("kind", self.kind, "Phone kind", 0)
        self.add("number", self.number, "Phone number", 2)
        self.add("extension", self.extension, "Phone extension", 0)

    def value(self) -> PhoneEntry:
        """Return the phone as typed."""
        return PhoneEntry(
            kind=str(self.kind.currentData() or ""),
            number=self.number.text(),
            extension=self.extension.text(),
            id=self.entry_id,
        )

    def set_value(self, value: PhoneEntry) -> None:
        """Show a phone (a stored E.164 number is shown in the national form)."""
        select_data(self.kind, value.kind)
        self.number.setText(display_phone(value.number) if value.id else value.number)
        self.extension.setText(value.extension)
        self.entry_id = value.id


class PreviousNameRow(EntryRow):
    """One earlier name of the patient and the date it was used until."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("previous name", parent)
        self.first_name = QLineEdit()
        self.first_name.setPlaceholderText("First")
        self.middle_name = QLineEdit()
        self.middle_name.setPlaceholderText("Middle")
        self.last_name = QLineEdit()
        self.last_name.setPlaceholderText("Last")
        self.suffix = QLineEdit()
        self.suffix.setPlaceholderText("Suffix")
        self.suffix.setFixedWidth(EXTENSION_WIDTH)
        self.used_until = DateField()
        self.used_until.setToolTip("Date the name was used until (MM/DD/YYYY), if known")
        self.add("first_name", self.first_name, "Previous first name")
        self.add("middle_name", self.middle_name, "Previous middle name")
        self.add("last_name", self.last_name, "Previous last name")
        self.add("suffix", self.suffix, "Previous name suffix", 0)
        self.add("used_until", self.used_until, "Previous name used until")

    def value(self) -> PreviousNameEntry:
        """Return the previous name as typed."""
        return PreviousNameEntry(
            first_name=self.first_name.text(),
            middle_name=self.middle_name.text(),
            last_name=self.last_name.text(),
            suffix=self.suffix.text(),
            used_until=self.used_until.date_value(),
            id=self.entry_id,
        )

    def set_value(self, value: PreviousNameEntry) -> None:
        """Show a previous name."""
        self.first_name.setText(value.first_name)
        self.middle_name.setText(value.middle_name)
        self.last_name.setText(value.last_name)
        self.suffix.setText(value.suffix)
        self.used_until.set_date(value.used_until)
        self.entry_id = value.id


class AlertRow(EntryRow):
    """Severity and text of one alert."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("alert", parent)
        self.severity = choice_combo(ALERT_SEVERITIES, "Alert severity")
        self.message = QLineEdit()
        self.message.setPlaceholderText("Such as: Latex allergy, or Collect balance before visit")
        self.add("severity", self.severity, "Alert severity", 0)
        self.add("message", self.message, "Alert text", 3)

    def value(self) -> AlertEntry:
        """Return the alert as typed."""
        return AlertEntry(
            message=self.message.text(),
            severity=str(self.severity.currentData() or ""),
            id=self.entry_id,
        )

    def set_value(self, value: AlertEntry) -> None:
        """Show an alert."""
        select_data(self.severity, value.severity)
        self.message.setText(value.message)
        self.entry_id = value.id


class RowList(QWidget):
    """A list of entry rows with an Add button; `edited` fires on any change."""

    edited = Signal()
    rows_changed = Signal()  # a row was added or removed, so the Tab order must be rebuilt

    def __init__(
        self,
        path: str,
        make_row: Callable[[], EntryRow],
        add_text: str,
        board: ProblemBoard,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.make_row = make_row
        self.board = board
        self.rows: list[EntryRow] = []
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = button(add_text, add_text.replace("&", ""))
        self.add_button.clicked.connect(self.add_and_focus)
        self.empty = QLabel("None")
        self.empty.setObjectName("subtleText")
        self.problem = problem_label(path.replace("_", " ").capitalize())
        footer = QHBoxLayout()
        footer.addWidget(self.empty)
        footer.addStretch(1)
        footer.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows_layout)
        layout.addWidget(self.problem)
        layout.addLayout(footer)
        self._register()

    def add_row(self, value: Any = None) -> EntryRow:
        """Append a row, showing `value` when given, and return it."""
        row = self.make_row()
        if value is not None:
            row.set_value(value)
        row.remove_requested.connect(self.remove_row)
        row.edited.connect(self.edited.emit)
        self.rows.append(row)
        self.rows_layout.addWidget(row)
        # A layout shows a new child only on the next event loop turn, which would leave
        # it out of the Tab chain and unable to take the focus until then.
        row.show()
        self._register()
        if value is None:
            self.edited.emit()
        self.rows_changed.emit()
        return row

    def add_and_focus(self) -> EntryRow:
        """Append an empty row and put the cursor in its first text box.

        The kind and severity combos keep their usual first choice, so the user starts
        typing the number or text. The form scrolls the focused box into view.
        """
        row = self.add_row()
        row.first_text_box().setFocus(Qt.FocusReason.OtherFocusReason)
        return row

    def remove_row(self, row: EntryRow) -> None:
        """Remove `row` and move the focus to its neighbor or the Add button."""
        index = self.rows.index(row)
        self.rows.pop(index)
        row.setParent(None)
        row.deleteLater()
        self._register()
        self.edited.emit()
        self.rows_changed.emit()
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)].focus_chain()[0].setFocus()
        else:
            self.add_button.setFocus()

    def set_values(self, values: list[Any]) -> None:
        """Replace every row with rows showing `values`."""
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        for value in values:
            self.add_row(value)
        self._register()
        self.rows_changed.emit()

    def values(self) -> list[Any]:
        """Return the entries in list order."""
        return [row.value() for row in self.rows]

    def focus_chain(self) -> list[QWidget]:
        """Return the rows' widgets and the Add button in Tab order."""
        chain: list[QWidget] = []
        for row in self.rows:
            chain.extend(row.focus_chain())
        return [*chain, self.add_button]

    def _register(self) -> None:
        self.empty.setVisible(not self.rows)
        self.board.unregister_prefix(f"{self.path}[")
        self.board.register(self.path, self.add_button, self.problem)
        for index, row in enumerate(self.rows):
            base = f"{self.path}[{index}]"
            self.board.register(base, row, row.problem)
            for name, widget in row.fields.items():
                self.board.register(f"{base}.{name}", widget, row.problem)
