"""Service calls for the encounter editor's line grid: prices, codes and favorites.

The grid never reads the database. These actions run the service calls through the
operation runner and hand the answers back to the grid on the GUI thread.
"""

import copy
import logging
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from sqlalchemy.orm import Session

from app.changes import Changes
from app.progress import Progress
from app.services import encounters
from app.services.encounter_forms import STATUS_DRAFT, LineForm
from ui.admin.common import run_for
from ui.charges.editor_data import (
    CodeOption,
    PricedLine,
    describe_codes,
    favorite_options,
    price_line,
    search_code_options,
)
from ui.charges.line_values import lines_text
from ui.charges.lines import LineRow

if TYPE_CHECKING:
    from ui.charges.editor import EncounterEditor

log = logging.getLogger(__name__)


class LineActions:
    """Prices lines, completes codes, keeps favorites and copies the previous visit."""

    def __init__(self, editor: "EncounterEditor") -> None:
        self.editor = editor
        self.context = editor.context

    def request_price(self, row: LineRow, index: int) -> None:
        """Ask the fee schedule for the price of line `index` on the date of service."""
        form = self.editor.form_value()
        if form.service_date is None or not form.lines[index].procedure_code:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> PricedLine:
            return price_line(session, actor, form, index)

        self.context.ops.run(
            work,
            on_done=lambda priced: self.editor.grid.apply_price(row, priced),
            on_error=lambda error: self._price_failed(row, error),
            read_only=True,
        )

    def _price_failed(self, row: LineRow, error: BaseException) -> None:
        # A code the schedule cannot price is reported by the check on save; the grid
        # keeps an empty fee meanwhile.
        log.warning("pricing a line failed: %s", type(error).__name__)
        if row in self.editor.grid.rows:
            row.show_option(None)

    def search_codes(self, row: LineRow, text: str) -> None:
        """Look up procedure codes for the completion list of `row`."""

        def work(session: Session, _progress: Progress) -> list[CodeOption]:
            return search_code_options(session, text)

        self.context.ops.run(
            work,
            on_done=lambda found: self.editor.grid.show_options(row, text, found),
            read_only=True,
        )

    def add_line(self) -> None:
        """Add an empty line after the current one and put the cursor in its code."""
        self.editor.grid.add_and_focus()

    def add_favorite(self, option: CodeOption) -> None:
        """Add a line for a favorite code and price it."""
        if self.editor.status != STATUS_DRAFT:
            return
        self.editor.grid.codes[option.code] = option
        self.editor.grid.add_and_focus(LineForm(procedure_code=option.code))

    def reload_favorites(self) -> None:
        provider_id = self.editor.header.rendering.currentData()
        if self.editor.data is None or not isinstance(provider_id, uuid.UUID):
            self.editor.favorites.set_favorites([])
            self.editor.grid.favorites = []
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[CodeOption]:
            return favorite_options(session, actor, provider_id)

        def done(found: list[CodeOption]) -> None:
            self.editor.grid.favorites = found
            self.editor.favorites.set_favorites(found)

        run_for(self.editor, self.context, work, done)

    def save_favorites(self) -> None:
        """Make the draft's codes, in line order, the rendering provider's favorites."""
        provider_id = self.editor.header.rendering.currentData()
        codes = list(
            dict.fromkeys(
                line.procedure_code for line in self.editor.grid.values() if line.procedure_code
            )
        )
        if not isinstance(provider_id, uuid.UUID) or not codes:
            self.editor.state_label.setText("Choose the rendering provider and add lines first.")
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return encounters.set_favorite_codes(session, actor, provider_id, codes)

        def done(_changes: Changes) -> None:
            self.editor.state_label.setText(f"Saved {len(codes)} favorite codes for the provider.")
            self.reload_favorites()

        run_for(self.editor, self.context, work, done)

    def copy_previous_lines(self) -> None:
        """Append the lines of the patient's last posted visit before this date of service."""
        patient_id = self.editor.current.patient_id
        day = self.editor.header.service_date.date_value()
        if patient_id is None or day is None or self.editor.status != STATUS_DRAFT:
            return
        actor = self.context.actor

        def work(
            session: Session, _progress: Progress
        ) -> tuple[list[LineForm], dict[str, CodeOption]]:
            lines = encounters.previous_visit_lines(session, actor, patient_id, day)
            return lines, describe_codes(session, [line.procedure_code for line in lines])

        run_for(self.editor, self.context, work, self._add_copied_lines)

    def _add_copied_lines(self, result: tuple[list[LineForm], dict[str, CodeOption]]) -> None:
        lines, codes = result
        if not lines:
            self.editor.state_label.setText("The patient has no earlier posted visit to copy from.")
            return
        self.editor.grid.codes.update(codes)
        first: LineRow | None = None
        for line in lines:
            copied = copy.deepcopy(line)
            copied.id = None
            copied.service_date = None
            # The fee comes from today's schedule, not from the earlier visit.
            copied.unit_fee = None
            row = self.editor.grid.add_line(copied)
            first = first or row
            self.request_price(row, self.editor.grid.rows.index(row))
        self.editor.mark_dirty()
        self.editor.state_label.setText(f"Copied {lines_text(len(lines))} from the previous visit.")
        if first is not None:
            first.code.setFocus(Qt.FocusReason.OtherFocusReason)

    # Problems
