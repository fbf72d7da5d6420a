"""Validation problems on the registration form: beside each field and in a summary list.

A problem's field is a path into the form values, such as "last_name",
"phones[1].number" or "coverages[0].member_id". Widgets register under the paths they
edit. A problem whose path is not registered goes to the longest registered prefix
("coverages[0].card_front" to the "coverages[0]" row), or else to the summary only.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.problems import Problem, Severity
from ui.admin.forms import ERROR_COLOR, WARNING_COLOR
from ui.patient.fields import mark_required
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_VISIBLE_ROWS = 6


def problem_label(accessible_name: str) -> QLabel:
    """Return a hidden, word-wrapped label for the problems of one field or row."""
    label = QLabel()
    label.setObjectName("fieldProblem")
    label.setWordWrap(True)
    label.setVisible(False)
    label.setAccessibleName(f"{accessible_name} problem")
    return label


def add_form_row(
    layout: QFormLayout,
    caption: str,
    widget: QWidget,
    *,
    required: bool = False,
    beside: Sequence[QWidget] = (),
) -> QLabel:
    """Add `widget` (and `beside`, to its right) to `layout` under `caption`.

    Returns the hidden label beneath the widget that shows its problems. A field needed
    on claims (`required`) gets an asterisk and an accessible note.
    """
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    if beside:
        line = QHBoxLayout()
        line.addWidget(widget, 1)
        for extra in beside:
            line.addWidget(extra)
        column.addLayout(line)
    else:
        column.addWidget(widget)
    label = problem_label(caption)
    column.addWidget(label)

    title = QLabel(caption)
    title.setBuddy(widget)
    if not widget.accessibleName():
        widget.setAccessibleName(caption)
    if required:
        mark_required(title, widget)
    layout.addRow(title, holder)
    return label


def parent_path(path: str) -> str:
    """Return the path one step up: "phones[1].number" gives "phones[1]", "phones[1]" gives
    "phones", and a top-level name gives ""."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Set the `invalid` property the style sheet draws as a red border, and repolish."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class EnterActivates(QObject):
    """Runs `on_enter` for Enter in a list and stops the key there.

    A list view activates its item on Enter but then lets the key travel on to its
    parents, where the registration form would take it as "save".
    """

    def __init__(self, view: QListWidget, on_enter: Callable[[], object]) -> None:
        super().__init__(view)
        self.on_enter = on_enter
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        self.on_enter()
        return True


@dataclass
class _Target:
    widget: QWidget
    label: QLabel | None
    reveal: Callable[[], None] | None


class ProblemSummary(QWidget):
    """The list of every problem above the form; activating an entry focuses its field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemSummary")
        self.heading = QLabel()
        self.heading.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: bold;")
        self.list = QListWidget()
        self.list.setObjectName("problemList")
        self.list.setAccessibleName("Problems to correct")
        self.list.setToolTip("Press Enter or double-click a problem to go to its field.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)
        self.setVisible(False)

    def fill(self, entries: Sequence[tuple[Problem, str]]) -> None:
        """Show `entries` (problem, path of the field it belongs to, or "")."""
        self.list.clear()
        errors = sum(1 for problem, _path in entries if problem.severity is Severity.ERROR)
        for problem, path in entries:
            item = QListWidgetItem(problem.message)
            item.setData(PATH_ROLE, path)
            item.setToolTip(problem.message)
            if problem.severity is not Severity.ERROR:
                item.setForeground(Qt.GlobalColor.darkYellow)
            self.list.addItem(item)
        if errors:
            # The count is of the last save, because the list stays while fields are fixed.
            found = "1 problem" if errors == 1 else f"{errors} problems"
            them = "it" if errors == 1 else "them"
            self.heading.setText(
                f"Found {found} when you last saved. Correct {them} and save again:"
            )
        else:
            self.heading.setText("Check these warnings (saving is allowed):")
        rows = min(len(entries), SUMMARY_VISIBLE_ROWS)
        row_height = self.list.sizeHintForRow(0) if entries else 0
        self.list.setFixedHeight(row_height * rows + 2 * self.list.frameWidth() + 4)
        self.setVisible(bool(entries))


class ProblemBoard:
    """Maps problem paths to widgets and shows problems beside them and in the summary."""

    def __init__(self, summary: ProblemSummary) -> None:
        self.summary = summary
        self.targets: dict[str, _Target] = {}
        self._label_texts: dict[int, dict[str, list[Problem]]] = {}
        summary.list.itemActivated.connect(self._activate)
        EnterActivates(summary.list, self._activate_current)

    def register(
        self,
        path: str,
        widget: QWidget,
        label: QLabel | None = None,
        reveal: Callable[[], None] | None = None,
    ) -> None:
        """Show problems of `path` on `widget` (red border) and in `label`.

        `reveal` runs before the widget takes focus from the summary, to scroll it into
        view or open the dialog that contains it. Editing the widget clears its mark.
        """
        self.targets[path] = _Target(widget, label, reveal)
        connect_edits(widget, lambda: self.clear_path(path))

    def unregister_prefix(self, prefix: str) -> None:
        """Forget every path equal to or under `prefix` (a list row that was rebuilt)."""
        for path in [p for p in self.targets if p == prefix or p.startswith(prefix)]:
            del self.targets[path]

    def resolve(self, path: str) -> str:
        """Return the registered path that shows problems of `path` ("" for none)."""
        candidate = path
        while candidate:
            if candidate in self.targets:
                return candidate
            candidate = parent_path(candidate)
        return ""

    def show(self, problems: Sequence[Problem]) -> None:
        """Replace the problems shown with `problems`."""
        self.clear()
        entries = [(problem, self.resolve(problem.field)) for problem in problems]
        for problem, path in entries:
            if not path:
                log.debug("no widget shows problems of field %s", problem.field)
                continue
            target = self.targets[path]
            if problem.severity is Severity.ERROR:
                set_invalid(target.widget, True)
            if target.label is not None:
                texts = self._label_texts.setdefault(id(target.label), {})
                texts.setdefault(path, []).append(problem)
                self._render(target.label)
        self.summary.fill(entries)

    def clear(self) -> None:
        """Remove every mark, message and summary entry."""
        for target in self.targets.values():
            set_invalid(target.widget, False)
            if target.label is not None:
                target.label.clear()
                target.label.setVisible(False)
        self._label_texts.clear()
        self.summary.fill([])

    def clear_path(self, path: str) -> None:
        """Drop the mark and message of `path` (the user is fixing that field)."""
        target = self.targets.get(path)
        if target is None:
            return
        set_invalid(target.widget, False)
        if target.label is not None:
            self._label_texts.get(id(target.label), {}).pop(path, None)
            self._render(target.label)

    def message_for(self, path: str) -> str:
        """Return the problem text shown beside the field of `path` (empty when none)."""
        target = self.targets.get(path)
        if target is None or target.label is None:
            return ""
        found = self._label_texts.get(id(target.label), {}).get(path, [])
        return "\n".join(problem.message for problem in found)

    def focus(self, path: str) -> None:
        """Bring the field of `path` into view and give it the keyboard focus."""
        target = self.targets.get(path)
        if target is None:
            return
        if target.reveal is not None:
            target.reveal()
        target.widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _render(self, label: QLabel) -> None:
        found = [p for group in self._label_texts.get(id(label), {}).values() for p in group]
        is_error = any(problem.severity is Severity.ERROR for problem in found)
        label.setText("\n".join(problem.message for problem in found))
        label.setStyleSheet(f"color: {ERROR_COLOR if is_error else WARNING_COLOR};")
        label.setVisible(bool(found))

    def _activate_current(self) -> None:
        item = self.summary.list.currentItem()
        if item is not None:
            self._activate(item)

    def _activate(self, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path:
            self.focus(str(path))
