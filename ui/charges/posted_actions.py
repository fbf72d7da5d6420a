"""Reversing and correcting the lines of a posted encounter from its editor.

Both require a reason first. The correction dialog edits the replacement line the same
way the grid edits a draft line, priced from the fee schedule.
"""

import copy
import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.progress import Progress
from app.services import encounters
from app.services.encounter_forms import LineForm, PostedLine
from ui.admin.common import run_for
from ui.charges.editor_data import PricedLine, load_editor_data, price_line
from ui.charges.line_values import money_text
from ui.charges.lines import LineRow
from ui.charges.posted import CorrectLineDialog, ReasonDialog
from ui.charges.writes import WriteResult

if TYPE_CHECKING:
    from ui.charges.editor import EncounterEditor

log = logging.getLogger(__name__)


class PostedLineActions:
    """Runs "Reverse line…" and "Correct line…"; the open dialog is kept for tests and keys."""

    def __init__(self, editor: "EncounterEditor") -> None:
        self.editor = editor
        self.context = editor.context
        self.reason_dialog: ReasonDialog | None = None
        self.correct_dialog: CorrectLineDialog | None = None

    def ask_reverse(self, line: PostedLine) -> None:
        """Ask for a reason, then reverse the posted line."""
        dialog = ReasonDialog(
            "Reverse a posted line",
            f"Reverse line {line.position} ({line.procedure_code}, "
            f"{money_text(line.charge_amount)})? The ledger gets an offsetting row.",
            self.editor,
        )
        dialog.accepted.connect(lambda: self._reverse(line, dialog.reason_text()))
        dialog.finished.connect(dialog.deleteLater)
        self.reason_dialog = dialog
        dialog.open()

    def _reverse(self, line: PostedLine, reason: str) -> None:
        encounter_id = self.editor.encounter_id
        assert encounter_id is not None
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> WriteResult:
            changes = encounters.reverse_line(session, actor, line.id, reason)
            return WriteResult(changes, load_editor_data(session, actor, encounter_id))

        self.editor.run_write(work, self._changed, "Reversing")

    def ask_correct(self, line: PostedLine) -> None:
        """Open the correction dialog for a posted line, prefilled with its values."""
        current = next((saved for saved in self.editor.current.lines if saved.id == line.id), None)
        if current is None:
            unit_fee = line.charge_amount / line.units if line.units else line.charge_amount
            current = LineForm(
                id=line.id,
                procedure_code=line.procedure_code,
                modifiers=list(line.modifiers),
                units=line.units,
                unit_fee=unit_fee,
            )
        replacement = copy.deepcopy(current)
        replacement.id = None
        option = (
            self.editor.data.codes.get(line.procedure_code)
            if self.editor.data is not None
            else None
        )
        dialog = CorrectLineDialog(replacement, option, self.editor.fee_editable, self.editor)
        dialog.row.code_committed.connect(self._price_correction)
        dialog.accepted.connect(
            lambda: self._correct(line, dialog.line_value(), dialog.reason_text())
        )
        dialog.finished.connect(dialog.deleteLater)
        self.correct_dialog = dialog
        dialog.open()

    def _price_correction(self, row: LineRow) -> None:
        form = self.editor.form_value()
        form.lines = [row.value()]
        if form.service_date is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> PricedLine:
            return price_line(session, actor, form, 0)

        def done(priced: PricedLine) -> None:
            if row.code.text().strip().upper() == priced.code:
                row.apply_price(priced)

        run_for(row, self.context, work, done)

    def _correct(self, line: PostedLine, replacement: LineForm, reason: str) -> None:
        encounter_id = self.editor.encounter_id
        assert encounter_id is not None
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> WriteResult:
            changes = encounters.correct_line(session, actor, line.id, replacement, reason)
            return WriteResult(changes, load_editor_data(session, actor, encounter_id))

        self.editor.run_write(work, self._changed, "Correcting")

    def _changed(self, result: WriteResult) -> None:
        assert result.data is not None
        self.editor.show_data(result.data)
        self.editor.state_label.setText("The ledger was updated.")
        self.editor.announce_saved()

    # Keys, help and closing
