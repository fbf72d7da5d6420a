"""The Insurance section of the registration form: the patient's coverages in a list.

Coverages are edited one at a time in a `CoverageEditor`. Removing a coverage drops it
from the form, and the save archives it. Problems the save finds in a coverage show on
its row, and going to one from the summary opens the editor with the problems beside
their fields.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.problems import Problem
from app.services.patient_forms import COB_ORDER, CoverageForm
from app.services.registration import Choice
from ui.context import AppContext
from ui.patient.coverage import CoverageEditor
from ui.patient.feedback import EnterActivates, ProblemBoard, problem_label
from ui.patient.fields import format_date
from ui.patient.rows import button

log = logging.getLogger(__name__)

PATH = "coverages"


def coverage_text(coverage: CoverageForm, payer_labels: dict[uuid.UUID, str]) -> str:
    """Return one line describing a coverage, such as "Primary · Aetna (60054) · member W1"."""
    order = COB_ORDER.get(coverage.priority, str(coverage.priority))
    payer = payer_labels.get(coverage.payer_id, "No payer") if coverage.payer_id else "No payer"
    dates = ""
    if coverage.effective_date or coverage.termination_date:
        start = format_date(coverage.effective_date) or "…"
        dates = f" · {start} to {format_date(coverage.termination_date) or 'open'}"
    cards = " · card on file" if coverage.card_front or coverage.card_back else ""
    return f"{order} · {payer} · member {coverage.member_id or '?'}{dates}{cards}"


class CoverageList(QWidget):
    """The coverages of the form with Add, Edit and Remove; `edited` fires on any change."""

    edited = Signal()

    def __init__(
        self,
        context: AppContext,
        board: ProblemBoard,
        today: Callable[[], date],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.board = board
        self.today = today
        self.coverages: list[CoverageForm] = []
        self.payers: Sequence[Choice] = []
        self.patient_id: uuid.UUID | None = None
        self.editor: CoverageEditor | None = None
        self.problems: list[Problem] = []

        self.list = QListWidget()
        self.list.setObjectName("coverageList")
        self.list.setAccessibleName("Insurance coverages")
        self.list.setToolTip("Enter or double-click edits the chosen coverage.")
        self.list.itemActivated.connect(lambda _item: self.edit_current())
        EnterActivates(self.list, self.edit_current)
        self.problem = problem_label("Insurance")
        self.empty = QLabel("No coverages (self-pay). Add one with Ctrl+Shift+I.")
        self.empty.setObjectName("subtleText")
        self.add_button = button("Add coverage…", "Add an insurance coverage")
        self.add_button.clicked.connect(self.add_coverage)
        self.edit_button = button("Edit…", "Edit the chosen coverage")
        self.edit_button.clicked.connect(self.edit_current)
        self.remove_button = button("Remove", "Remove the chosen coverage")
        self.remove_button.clicked.connect(self.remove_current)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self._refresh()

    def set_payers(self, payers: Sequence[Choice]) -> None:
        """Set the payers the editor offers and the list names."""
        self.payers = payers
        self._refresh()

    def set_coverages(self, coverages: list[CoverageForm]) -> None:
        """Show the coverages of a loaded form."""
        self.coverages = [coverage for coverage in coverages if not coverage.archived]
        self._refresh()

    def values(self) -> list[CoverageForm]:
        """Return the coverages in list order."""
        return list(self.coverages)

    def add_coverage(self) -> CoverageEditor:
        """Open the editor for a new coverage, primary when none is primary yet."""
        priorities = {coverage.priority for coverage in self.coverages}
        fresh = CoverageForm(priority=next((p for p in COB_ORDER if p not in priorities), 1))
        return self.open_editor(len(self.coverages), fresh)

    def edit_current(self) -> CoverageEditor | None:
        """Open the editor for the chosen coverage."""
        row = self.list.currentRow()
        if row < 0 or row >= len(self.coverages):
            return None
        return self.open_editor(row)

    def open_editor(
        self, index: int, fresh: CoverageForm | None = None, problems: Sequence[Problem] = ()
    ) -> CoverageEditor:
        """Open the editor on coverage `index` (or on `fresh` appended at `index`)."""
        working = list(self.coverages)
        if fresh is not None:
            working.append(fresh)
        editor = CoverageEditor(
            self.context, working, index, patient_id=self.patient_id, payers=self.payers,
            today=self.today, parent=self,
        )  # fmt: skip
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(lambda code: self._editor_closed(editor, index, code))
        if problems:
            editor.board.show(problems)
        self.editor = editor
        editor.open()
        return editor

    def _editor_closed(self, editor: CoverageEditor, index: int, code: int) -> None:
        self.editor = None
        edited = editor.result_coverage
        if code != QDialog.DialogCode.Accepted or edited is None:
            return
        self.problems = [p for p in self.problems if not p.field.startswith(f"{PATH}[{index}].")]
        if index < len(self.coverages):
            self.coverages[index] = edited
        else:
            self.coverages.append(edited)
        self._refresh()
        self.list.setCurrentRow(index)
        self.list.setFocus()
        self.edited.emit()

    def remove_current(self) -> None:
        """Remove the chosen coverage from the form (the save archives a stored one)."""
        row = self.list.currentRow()
        if row < 0 or row >= len(self.coverages):
            return
        self.coverages.pop(row)
        self.problems = []
        self._refresh()
        self.list.setCurrentRow(min(row, len(self.coverages) - 1))
        self.edited.emit()

    def keep_problems(self, problems: Sequence[Problem]) -> None:
        """Remember the save's problems, so going to a coverage shows its own in the editor."""
        self.problems = list(problems)

    def show_problems_of(self, index: int) -> None:
        """Choose coverage `index` and, when the save found problems in it, open the editor."""
        if not 0 <= index < len(self.coverages):
            return
        self.list.setCurrentRow(index)
        prefix = f"{PATH}[{index}]."
        found = [problem for problem in self.problems if problem.field.startswith(prefix)]
        if found and self.editor is None:
            self.open_editor(index, problems=found)

    def _refresh(self) -> None:
        labels = {choice.id: choice.label for choice in self.payers}
        self.list.clear()
        for coverage in self.coverages:
            self.list.addItem(QListWidgetItem(coverage_text(coverage, labels)))
        if self.coverages and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self.list.setVisible(bool(self.coverages))
        self.empty.setVisible(not self.coverages)
        if self.coverages:
            self.list.setFixedHeight(self.list.sizeHintForRow(0) * len(self.coverages) + 8)
        self.edit_button.setEnabled(bool(self.coverages))
        self.remove_button.setEnabled(bool(self.coverages))
        self.board.unregister_prefix(f"{PATH}[")
        self.board.register(PATH, self.list, self.problem)
        for index in range(len(self.coverages)):
            self.board.register(f"{PATH}[{index}]", self.list, self.problem, self._chooser(index))

    def _chooser(self, index: int) -> Callable[[], None]:
        return lambda: self.show_problems_of(index)

    def focus_chain(self) -> list[QWidget]:
        """Return the list and its buttons in Tab order."""
        return [self.list, self.add_button, self.edit_button, self.remove_button]
