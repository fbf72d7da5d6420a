"""The Fee schedules tab: dated price lists, their prices, and CSV import and export."""

import logging
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import format_money
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import fee_csv, fee_schedules
from app.services.fee_csv import FeeImportResult
from app.services.fee_schedules import (
    FeeItemForm,
    FeeItemView,
    FeeScheduleSummary,
    ScheduleKind,
    describe_dates,
    format_date,
)
from app.services.outcomes import SaveOutcome
from ui.admin.common import RecordTable, Work, run_for
from ui.admin.fee_import import FeeImportDialog, result_message
from ui.admin.fee_schedule_fields import ScheduleFields
from ui.admin.forms import RecordDialog, ask, line
from ui.admin.listing import RecordListTab
from ui.context import AppContext

log = logging.getLogger(__name__)

ITEM_HEADERS = ("Code", "Modifier", "Fee", "Description")
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"
# Typing pauses this long before the price list reloads, so each keystroke does not query.
SEARCH_DELAY_MS = 250


class FeeScheduleDialog(RecordDialog):
    """Adds or edits a schedule's name, kind, payer and dates."""

    def __init__(
        self,
        context: AppContext,
        schedule: FeeScheduleSummary | None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Add fee schedule" if schedule is None else "Edit fee schedule"
        super().__init__(context, title, parent)
        self.fields = ScheduleFields(context, self, schedule)
        self.fields.add_to(self.form)
        self.finish_building()

    def local_problems(self) -> list[Problem]:
        return fee_schedules.fee_schedule_problems(self.fields.build_form())

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.fields.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = fee_schedules.save_fee_schedule(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work


class FeeItemDialog(RecordDialog):
    """Adds or edits one price; a saved price's code and modifier cannot change."""

    def __init__(
        self,
        context: AppContext,
        schedule_id: uuid.UUID,
        item: FeeItemView | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "Add price" if item is None else "Edit price", parent)
        self.schedule_id = schedule_id
        self.item = item
        self.code = line(item.procedure_code if item else "", 5)
        self.modifier = line(item.modifier if item else "", 2)
        for field in (self.code, self.modifier):
            field.setReadOnly(item is not None)
        self.amount = line(f"{item.amount:.2f}" if item else "", 14)
        self.form.add_field("procedure_code", "&Code", self.code, "A code on Procedure codes")
        self.form.add_field("modifier", "&Modifier", self.modifier, "Blank for the usual price")
        self.form.add_field("amount", "&Fee per unit", self.amount, "Such as 125.00")
        self.finish_building()
        if item is not None:
            self.amount.setFocus()

    def build_form(self) -> FeeItemForm:
        """Return the price as typed."""
        return FeeItemForm(
            fee_schedule_id=self.schedule_id,
            procedure_code=self.code.text(),
            modifier=self.modifier.text(),
            amount=self.amount.text(),
            id=self.item.id if self.item else None,
        )

    def local_problems(self) -> list[Problem]:
        form = self.build_form()
        problems = fee_schedules.modifier_format_problems(form.modifier, "modifier")
        _amount, found = fee_schedules.amount_problems(form.amount, "amount")
        return problems + found

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = fee_schedules.save_fee_item(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work


class FeeSchedulesTab(RecordListTab):
    """Lists fee schedules with their dates and payer, and the prices of the selected one."""

    kind = ChangeKind.CODE_SETS
    noun = "fee schedule"
    headers = ("Name", "Kind", "Payer", "From", "To", "Prices")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.items: list[FeeItemView] = []
        self.item_query = ""
        # A schedule an import created appears only after the list reloads.
        self.pending_selection: uuid.UUID | None = None
        super().__init__(context, parent)
        self.can_edit = context.can(Permission.FEE_SCHEDULE_EDIT)
        self.import_button = self._button("&Import…", self.choose_import_file)
        self.export_button = self._button("E&xport…", self.choose_export_file)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")

        self.items_title = QLabel("Select a schedule to see its prices.")
        self.item_search = QLineEdit()
        self.item_search.setPlaceholderText("Search prices by code or description")
        self.item_search.setAccessibleName("Search prices")
        self.item_search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search_items)
        self.item_search.textEdited.connect(lambda _text: self._search_timer.start())
        self.item_search.returnPressed.connect(self._search_items)
        self.add_item_button = self._button("Add &price…", self.add_item)
        self.edit_item_button = self._button("Edit pri&ce…", self.edit_item)
        self.remove_item_button = self._button("Re&move price", self.remove_item)
        self.item_table = RecordTable(ITEM_HEADERS, "Prices")
        self.item_table.itemSelectionChanged.connect(self._update_item_buttons)
        self.item_table.doubleClicked.connect(self.edit_item)

        self._lay_out_items()
        for button in (self.add_button, self.edit_button, self.archive_button, self.import_button):
            button.setVisible(self.can_edit)
        for button in (self.add_item_button, self.edit_item_button, self.remove_item_button):
            button.setVisible(self.can_edit)
        self.export_button.setVisible(self.can_edit)
        self.table.itemSelectionChanged.connect(self.refresh_items)
        self._update_item_buttons()

    def _lay_out_items(self) -> None:
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        item = outer.itemAt(0)
        buttons = item.layout() if item is not None else None
        assert isinstance(buttons, QHBoxLayout)
        buttons.insertWidget(3, self.import_button)
        buttons.insertWidget(4, self.export_button)
        outer.removeWidget(self.table)

        prices = QWidget()
        column = QVBoxLayout(prices)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.items_title)
        row.addWidget(self.item_search, 1)
        for button in (self.add_item_button, self.edit_item_button, self.remove_item_button):
            row.addWidget(button)
        column.addLayout(row)
        column.addWidget(self.item_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(prices)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)
        outer.addWidget(self.status)

    # ---- schedules ----------------------------------------------------------------------

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return fee_schedules.list_fee_schedules(session, actor, include_archived=include_archived)

    def cells(self, record: FeeScheduleSummary) -> list[str]:
        kind = "Charges" if record.kind == ScheduleKind.PRACTICE.value else "Allowed amounts"
        return [
            record.name,
            kind,
            record.payer_name,
            format_date(record.effective_from),
            format_date(record.effective_to),
            f"{record.item_count:,}",
        ]

    def make_dialog(self, record: FeeScheduleSummary | None) -> RecordDialog:
        return FeeScheduleDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return fee_schedules.archive_fee_schedule(session, actor, record_id)

    def describe(self, record: FeeScheduleSummary) -> str:
        return f"{record.name} ({describe_dates(record.effective_from, record.effective_to)})"

    def _show(self, records: list[Any]) -> None:
        super()._show(records)
        if self.pending_selection is not None:
            self.table.select_id(self.pending_selection)
            self.pending_selection = None

    def _on_changed(self, changes: Changes) -> None:
        super()._on_changed(changes)
        if changes.touches(self.kind):
            self.refresh_items()

    # ---- prices -------------------------------------------------------------------------

    def _search_items(self) -> None:
        self._search_timer.stop()
        self.item_query = self.item_search.text()
        self.refresh_items()

    def refresh_items(self) -> None:
        """Reload the prices of the selected schedule in the background."""
        schedule = self.selected_record()
        if schedule is None:
            self.items_title.setText("Select a schedule to see its prices.")
            self._show_items([])
            return
        self.items_title.setText(f"Prices of {schedule.name}:")
        actor, schedule_id, query = self.context.actor, schedule.id, self.item_query

        def work(session: Session, _progress: Progress) -> list[FeeItemView]:
            return fee_schedules.list_fee_items(session, actor, schedule_id, query)

        run_for(self, self.context, work, self._show_items)

    def _show_items(self, items: list[FeeItemView]) -> None:
        self.items = items
        rows = [
            (
                item.id,
                [item.procedure_code, item.modifier, format_money(item.amount), item.description],
            )
            for item in items
        ]
        self.item_table.set_rows(rows)
        self._update_item_buttons()

    def selected_item(self) -> FeeItemView | None:
        """Return the selected price, or None."""
        item_id = self.item_table.selected_id()
        return next((item for item in self.items if item.id == item_id), None)

    def _update_item_buttons(self) -> None:
        schedule = self.selected_record()
        active = schedule is not None and not schedule.archived
        self.add_item_button.setEnabled(active)
        chosen = active and self.selected_item() is not None
        self.edit_item_button.setEnabled(chosen)
        self.remove_item_button.setEnabled(chosen)
        self.export_button.setEnabled(active)

    def add_item(self) -> None:
        """Open the dialog for a new price in the selected schedule."""
        schedule = self.selected_record()
        if schedule is not None and not schedule.archived:
            FeeItemDialog(self.context, schedule.id, None, self).open()

    def edit_item(self) -> None:
        """Open the dialog for the selected price."""
        schedule, item = self.selected_record(), self.selected_item()
        if schedule is not None and item is not None and not schedule.archived:
            FeeItemDialog(self.context, schedule.id, item, self).open()

    def remove_item(self) -> None:
        """Remove the selected price after asking."""
        item = self.selected_item()
        if item is None:
            return
        actor, item_id = self.context.actor, item.id
        which = f"{item.procedure_code}-{item.modifier}" if item.modifier else item.procedure_code
        question = f"Remove the price of {which}? Charges already entered keep their fee."

        def remove() -> None:
            run_for(
                self,
                self.context,
                lambda session, _p: fee_schedules.archive_fee_item(session, actor, item_id),
            )

        ask(self, "Remove price", question, "Remove", remove)

    # ---- import and export --------------------------------------------------------------

    def choose_import_file(self) -> None:
        """Ask for a fee file with the system file dialog, then open the preview."""
        chosen, _filter = QFileDialog.getOpenFileName(self, "Import a fee schedule", "", CSV_FILTER)
        if chosen:
            self.import_file(Path(chosen))

    def import_file(self, path: Path) -> FeeImportDialog:
        """Open the import preview of `path`, aimed at the selected schedule."""
        selected = self.selected_record()
        dialog = FeeImportDialog(
            self.context, path, self.records, selected.id if selected else None, self
        )
        dialog.accepted.connect(lambda: self._imported(dialog))
        dialog.open()
        return dialog

    def _imported(self, dialog: FeeImportDialog) -> None:
        result: FeeImportResult | None = dialog.result_value
        preview = dialog.preview
        if result is None or preview is None:
            return
        self.status.setText(result_message(preview.schedule_name, result))
        self.pending_selection = result.schedule_id
        self.refresh()

    def choose_export_file(self) -> None:
        """Ask where to save the selected schedule, then write it."""
        schedule = self.selected_record()
        if schedule is None:
            return
        suggested = f"{schedule.name}.csv"
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export the fee schedule", suggested, CSV_FILTER
        )
        if chosen:
            self.export_to(Path(chosen))

    def export_to(self, path: Path) -> None:
        """Write the selected schedule's prices to `path` in the background."""
        schedule = self.selected_record()
        if schedule is None:
            return
        actor, schedule_id, name = self.context.actor, schedule.id, schedule.name

        def work(session: Session, _progress: Progress) -> int:
            return fee_csv.export_fee_schedule(session, actor, schedule_id, path)

        def done(count: int) -> None:
            self.status.setText(f"Wrote {count:,} prices of {name} to {path}.")

        run_for(self, self.context, work, done, title="Exporting prices")
