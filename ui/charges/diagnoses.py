"""The encounter's diagnosis list: add with the ICD-10-CM picker, reorder, remove.

The order is the claim order, so the first code is the primary diagnosis and the line
pointers name positions in this list.
"""

import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.problems import Problem, Severity
from app.services.icd10 import IcdMatch, display_code, normalize_code
from ui.admin.forms import ERROR_COLOR
from ui.charges.editor_data import DiagnosisInfo
from ui.charges.icd_picker import IcdPicker
from ui.patient.feedback import ProblemBoard, parent_path, problem_label
from ui.patient.rows import button

log = logging.getLogger(__name__)

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
LIST_HINT = "Alt+Up and Alt+Down move the selected diagnosis, Delete removes it."


def diagnosis_text(position: int, info: DiagnosisInfo) -> str:
    """Return one list entry, such as "1. E11.9  Type 2 diabetes … (FY2026)"."""
    return f"{position}. {display_code(info.code)}  {info.description}  ({info.edition})"


class DiagnosisPanel(QGroupBox):
    """The ordered diagnoses; `edited` fires when the list changes."""

    edited = Signal()
    # Old 1-based position -> new position, or None when removed, so lines can follow.
    positions_moved = Signal(object)

    def __init__(
        self,
        board: ProblemBoard,
        search: Callable[[str], list[IcdMatch]],
        chain: Callable[[str], list[IcdMatch]],
        describe: Callable[[str], DiagnosisInfo],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Diagnoses (ICD-10-CM, in claim order)", parent)
        self.setObjectName("diagnosisPanel")
        self.describe = describe
        self.infos: dict[str, DiagnosisInfo] = {}
        self.picker = IcdPicker(search, self, chain=chain)
        self.picker.setObjectName("icdPicker")
        self.picker.setAccessibleName("Add a diagnosis: type a code or words")
        self.picker.picked.connect(self.add_code)
        self.list = QListWidget()
        self.list.setObjectName("diagnosisList")
        self.list.setAccessibleName("Diagnoses")
        self.list.setToolTip(LIST_HINT)
        self.up = button("Up (Alt+Up)", "Move the selected diagnosis up (Alt+Up)")
        self.up.clicked.connect(lambda: self.move_selected(-1))
        self.down = button("Down (Alt+Down)", "Move the selected diagnosis down (Alt+Down)")
        self.down.clicked.connect(lambda: self.move_selected(1))
        self.remove = button("Remove (Del)", "Remove the selected diagnosis (Delete)")
        self.remove.clicked.connect(self.remove_selected)
        self.problem = problem_label("Diagnoses")
        board.register("diagnoses", self.list, self.problem)

        caption = QLabel("Add dia&gnosis")
        caption.setBuddy(self.picker)
        adder = QHBoxLayout()
        adder.addWidget(caption)
        adder.addWidget(self.picker, 1)
        for widget in (self.up, self.down, self.remove):
            adder.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(adder)
        layout.addWidget(self.list)
        layout.addWidget(self.problem)
        # Five rows show without scrolling; most visits have fewer diagnoses.
        self.list.setFixedHeight(5 * self.list.fontMetrics().lineSpacing() + 12)

    # Values

    def codes(self) -> list[str]:
        """Return the stored codes in claim order."""
        return [str(self.list.item(row).data(CODE_ROLE)) for row in range(self.list.count())]

    def set_codes(self, codes: list[str], infos: dict[str, DiagnosisInfo]) -> None:
        """Show `codes` in order, described by `infos`."""
        self.infos.update(infos)
        self.list.blockSignals(True)
        self.list.clear()
        for code in codes:
            self._append(normalize_code(code))
        self.list.blockSignals(False)
        self._renumber()

    def set_infos(self, infos: dict[str, DiagnosisInfo]) -> None:
        """Replace the descriptions (after the date of service moved to another edition)."""
        self.infos.update(infos)
        self._renumber()

    def _append(self, code: str) -> None:
        item = QListWidgetItem()
        item.setData(CODE_ROLE, code)
        self.list.addItem(item)

    def _info(self, code: str) -> DiagnosisInfo:
        info = self.infos.get(code)
        if info is None:
            info = self.describe(code)
            self.infos[code] = info
        return info

    def _renumber(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setText(diagnosis_text(row + 1, self._info(str(item.data(CODE_ROLE)))))

    # Editing

    def add_code(self, code: str) -> None:
        """Append `code` and select it (a code already listed is only selected)."""
        stored = normalize_code(code)
        codes = self.codes()
        if stored in codes:
            self.list.setCurrentRow(codes.index(stored))
            self.picker.clear()
            return
        self._append(stored)
        self._renumber()
        self.list.setCurrentRow(self.list.count() - 1)
        self.picker.clear()
        log.debug("diagnosis added at position %d", self.list.count())
        self.edited.emit()

    def move_selected(self, step: int) -> None:
        """Move the selected diagnosis `step` places (negative moves it up)."""
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self._renumber()
        self.list.setCurrentRow(target)
        self.positions_moved.emit({row + 1: target + 1, target + 1: row + 1})
        self.edited.emit()

    def remove_selected(self) -> None:
        """Remove the selected diagnosis."""
        row = self.list.currentRow()
        if row < 0:
            return
        self.list.takeItem(row)
        self._renumber()
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        moved: dict[int, int | None] = {row + 1: None}
        moved.update({old: old - 1 for old in range(row + 2, self.list.count() + 2)})
        self.positions_moved.emit(moved)
        self.edited.emit()

    def set_read_only(self, read_only: bool) -> None:
        """Allow or stop changes; the list stays readable."""
        for widget in (self.picker, self.up, self.down, self.remove):
            widget.setEnabled(not read_only)

    def focus_chain(self) -> list[QWidget]:
        """Return the panel's widgets in Tab order."""
        return [self.picker, self.up, self.down, self.remove, self.list]

    # Problems

    def mark_problems(self, problems: list[Problem]) -> None:
        """Color the entries that have an error."""
        wrong = set()
        for problem in problems:
            index = diagnosis_index(problem.field)
            if index is not None and problem.severity is Severity.ERROR:
                wrong.add(index)
        # Coloring changes the list's data, which would clear the problems just shown.
        model = self.list.model()
        model.blockSignals(True)
        for row in range(self.list.count()):
            color = QColor(ERROR_COLOR) if row in wrong else self.palette().text().color()
            self.list.item(row).setForeground(QBrush(color))
        model.blockSignals(False)
        self.list.viewport().update()

    def register_rows(self, board: ProblemBoard) -> None:
        """Register "diagnoses[i]" for each entry, so the summary selects the entry it names."""
        board.unregister_prefix("diagnoses[")
        for index in range(self.list.count()):
            reveal = partial(self.select_index, index)
            board.register(f"diagnoses[{index}]", self.list, self.problem, reveal)

    def select_index(self, index: int) -> None:
        """Select entry `index` (0-based), such as the one a problem in the summary names."""
        if 0 <= index < self.list.count():
            self.list.setCurrentRow(index)


def diagnosis_index(path: str) -> int | None:
    """Return i of a "diagnoses[i]" path, or None for any other path."""
    if not path.startswith("diagnoses[") or parent_path(path) != "diagnoses":
        return None
    return int(path[len("diagnoses[") : -1])
