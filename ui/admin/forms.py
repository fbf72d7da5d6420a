"""Forms whose validation problems show next to their fields, and the record dialog."""

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.problems import Problem, Severity
from ui.admin.common import Work, run_for, show_error
from ui.context import AppContext
from ui.widgets import connect_edits, find_data

log = logging.getLogger(__name__)

# Wide enough that most problem messages fit on two lines beside a 55-character field.
DIALOG_MIN_WIDTH = 520
ERROR_COLOR = "#b3261e"
WARNING_COLOR = "#8a5a00"


def field_key(problem_field: str) -> str:
    """Reduce a problem's field path such as "locations[0].zip_code" to "zip_code"."""
    last = problem_field.rsplit(".", 1)[-1]
    return re.sub(r"\[\d+\]$", "", last)


def ask(
    parent: QWidget, title: str, text: str, yes_text: str, on_yes: Callable[[], None]
) -> QMessageBox:
    """Ask a yes/no question without blocking, and run `on_yes` when the user agrees.

    Every caller asks before something destructive (discard, archive, turn off), so
    Cancel is the default button: Enter pressed out of habit changes nothing.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
    box.setParent(parent, box.windowFlags())
    yes_button = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    cancel_button = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel_button)
    box.setEscapeButton(cancel_button)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def clicked(button: QAbstractButton) -> None:
        if button is yes_button:
            on_yes()

    box.buttonClicked.connect(clicked)
    box.open()
    return box


class FieldForm(QWidget):
    """A form layout where every field has a label for its validation problem under it.

    A field with an error gets the dynamic property `invalid`, which the application
    style sheet draws as a red border.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.general = QLabel()
        self.general.setWordWrap(True)
        self.general.setVisible(False)
        self.general.setAccessibleName("Problems")
        outer.addWidget(self.general)
        self.layout_ = QFormLayout()
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.layout_)
        self.fields: dict[str, QWidget] = {}
        self.problem_labels: dict[str, QLabel] = {}

    def add_field(self, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        """Add `widget` under `label`. Problems whose field ends in `key` show below it."""
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        problem = QLabel()
        problem.setObjectName("fieldProblem")
        problem.setWordWrap(True)
        problem.setVisible(False)
        problem.setAccessibleName(f"{label.replace('&', '')} problem")
        column.addWidget(problem)
        if hint:
            widget.setToolTip(hint)
        widget.setAccessibleName(label.replace("&", ""))
        caption = QLabel(label)
        # Some fonts draw a few pixels past their measured width, so the margin keeps the last
        # letter of the longest caption from being clipped.
        caption.setContentsMargins(0, 0, 4, 0)
        caption.setBuddy(widget)
        self.layout_.addRow(caption, holder)
        self.fields[key] = widget
        self.problem_labels[key] = problem
        connect_edits(widget, lambda: self.clear_problem(key))
        return widget

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show each problem next to its field, and problems with no field above the form."""
        self.clear_problems()
        general: list[Problem] = []
        grouped: dict[str, list[Problem]] = {}
        for problem in problems:
            key = field_key(problem.field)
            if key in self.problem_labels:
                grouped.setdefault(key, []).append(problem)
            else:
                general.append(problem)
        for key, found in grouped.items():
            self._mark(key, found)
        if general:
            lines = [f"{problem.field}: {problem.message}" for problem in general]
            self.general.setText("\n".join(lines))
            self.general.setStyleSheet(f"color: {ERROR_COLOR};")
            self.general.setVisible(True)
        first = next(iter(grouped), None)
        if first is not None:
            self.fields[first].setFocus()

    def _mark(self, key: str, problems: list[Problem]) -> None:
        label = self.problem_labels[key]
        is_error = any(problem.severity is Severity.ERROR for problem in problems)
        label.setText("\n".join(problem.message for problem in problems))
        label.setStyleSheet(f"color: {ERROR_COLOR if is_error else WARNING_COLOR};")
        label.setVisible(True)
        widget = self.fields[key]
        widget.setProperty("invalid", is_error)
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def clear_problems(self) -> None:
        """Hide every problem message and field mark."""
        self.general.clear()
        self.general.setVisible(False)
        for key in self.problem_labels:
            self.clear_problem(key)

    def clear_problem(self, key: str) -> None:
        """Hide the problem message and red border of field `key` (the user is fixing it)."""
        label = self.problem_labels[key]
        label.clear()
        label.setVisible(False)
        widget = self.fields[key]
        if widget.property("invalid"):
            widget.setProperty("invalid", False)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def problem_text(self, key: str) -> str:
        """Return the problem message shown next to field `key` (empty when none)."""
        return self.problem_labels[key].text()

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the user edits any field."""
        for widget in self.fields.values():
            connect_edits(widget, callback)


class RecordDialog(QDialog):
    """An add/edit dialog: Enter saves, Esc cancels (asking first when something changed).

    A failed save keeps the dialog open with everything typed, and shows each validation
    problem next to its field. Subclasses fill `self.form` and implement `build_work`.
    A subclass whose save can take seconds sets `progress_title` to show a progress dialog.
    """

    progress_title = ""

    def __init__(self, context: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.form = FieldForm()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setDefault(True)
        save.setAccessibleName("Save")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.dirty = False
        self.saving = False
        self.result_value: Any = None

    def finish_building(self) -> None:
        """Start tracking edits. Call it after the fields hold their initial values."""
        self.form.watch(self.mark_dirty)

    def mark_dirty(self) -> None:
        """Record that the user changed something since the dialog opened."""
        self.dirty = True

    def local_problems(self) -> list[Problem]:
        """Return problems found without the database, such as mismatched passwords."""
        return []

    def build_work(self) -> Work:
        """Return the service call that saves the dialog's values."""
        raise NotImplementedError

    def accept(self) -> None:
        """Save through the op runner, and close only when the save succeeded."""
        if self.saving:
            return
        problems = self.local_problems()
        if problems:
            self.show_problems(problems)
            return
        self.form.clear_problems()
        self.saving = True
        self.buttons.setEnabled(False)
        run_for(
            self, self.context, self.build_work(), self._saved, self._failed,
            title=self.progress_title,
        )  # fmt: skip

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.result_value = result
        self.dirty = False
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        # Disabling the buttons can pass the default to another button, so Enter saves again.
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setDefault(True)
        if isinstance(error, ValidationError):
            self.show_problems(error.problems)
        else:
            show_error(self, error)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show problems beside their fields and grow the dialog to fit the messages."""
        self.form.show_problems(problems)
        # Wrapped labels report their height only for a given width, so the dialog is
        # resized explicitly. Otherwise messages can overlap the fields below them.
        self.layout().activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def reject(self) -> None:
        """Close without saving, asking first when the user typed something."""
        if self.saving:
            return
        if not self.dirty:
            super().reject()
            return
        ask(self, "Discard changes?", "Close without saving your changes?", "Discard", self._drop)

    def _drop(self) -> None:
        self.dirty = False
        super().reject()


def code_combo(codes: dict[str, str], blank: str = "") -> QComboBox:
    """Return a combo box listing "CODE: Name" entries whose item data is the code."""
    combo = QComboBox()
    if blank:
        combo.addItem(blank, "")
    for code, name in codes.items():
        combo.addItem(f"{code}: {name}", code)
    return combo


def select_data(combo: QComboBox, value: str) -> None:
    """Select the entry whose data is `value`, adding it first when the list lacks it."""
    index = find_data(combo, value)
    if index < 0:
        combo.addItem(value, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def line(text: str | None = "", max_length: int = 0) -> QLineEdit:
    """Return a line edit holding `text`, limited to `max_length` characters when set."""
    field = QLineEdit(text or "")
    if max_length:
        field.setMaxLength(max_length)
    return field


def combo_code(combo: QComboBox) -> str:
    """Return the code chosen or typed in a code combo ("MB: Medicare Part B" gives "MB")."""
    text = combo.currentText().strip()
    index = combo.findText(text)
    if index >= 0:
        return str(combo.itemData(index) or "")
    return text.split(":", 1)[0].strip().upper()
