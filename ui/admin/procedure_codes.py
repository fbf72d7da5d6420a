"""The Procedure codes tab: the practice's CPT, HCPCS and local codes, with search."""

import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import procedure_codes
from app.services.outcomes import SaveOutcome
from app.services.procedure_codes import CodeKind, ProcedureCodeForm, ProcedureCodeSummary
from ui.admin.common import Work, run_for
from ui.admin.forms import RecordDialog, line
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)

# Typing pauses this long before the list reloads, so each keystroke does not query.
SEARCH_DELAY_MS = 250


def kind_combo() -> QComboBox:
    """Return a combo of code kinds whose first entry infers the kind from the code."""
    combo = QComboBox()
    combo.addItem("Tell from the code", "")
    for kind in CodeKind:
        combo.addItem(kind.label, kind.value)
    return combo


class ProcedureCodeDialog(RecordDialog):
    """Adds or edits a procedure code; a saved code's value cannot change."""

    def __init__(
        self,
        context: AppContext,
        record: ProcedureCodeSummary | None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Add procedure code" if record is None else "Edit procedure code"
        super().__init__(context, title, parent)
        self.record = record
        self.code = line(record.code if record else "", 5)
        self.code.setReadOnly(record is not None)
        self.kind = kind_combo()
        self.kind.setCurrentIndex(max(find_data(self.kind, record.kind if record else ""), 0))
        self.description = line(record.description if record else "", 80)
        self.default_units = QSpinBox()
        self.default_units.setRange(1, procedure_codes.MAX_DEFAULT_UNITS)
        self.default_units.setValue(record.default_units if record else 1)
        self.requires_ndc = QCheckBox("Lines need an NDC, quantity and unit")
        self.requires_ndc.setChecked(record.requires_ndc if record else False)
        form = self.form
        form.add_field("code", "&Code", self.code, "5 digits (CPT), a letter and 4 digits (HCPCS)")
        form.add_field("kind", "&Kind", self.kind)
        form.add_field("description", "&Description", self.description, "The practice's label")
        form.add_field("default_units", "Default &units", self.default_units)
        form.add_field("requires_ndc", "&Drug code", self.requires_ndc)
        self.finish_building()

    def build_form(self) -> ProcedureCodeForm:
        """Return the code as typed."""
        return ProcedureCodeForm(
            code=self.code.text(),
            description=self.description.text(),
            kind=str(self.kind.currentData() or ""),
            default_units=self.default_units.value(),
            requires_ndc=self.requires_ndc.isChecked(),
            id=self.record.id if self.record else None,
        )

    def local_problems(self) -> list[Problem]:
        return procedure_codes.procedure_code_problems(self.build_form())

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = procedure_codes.save_procedure_code(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work


class ProcedureCodesTab(RecordListTab):
    """Lists the practice's procedure codes, searchable by code prefix or description words."""

    kind = ChangeKind.CODE_SETS
    noun = "procedure code"
    headers = ("Code", "Kind", "Description", "Units", "Drug code", "Source")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.query = ""
        super().__init__(context, parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by code or description (Ctrl+F)")
        self.search.setAccessibleName("Search procedure codes")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search)
        self.search.textEdited.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._search)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self.restore_button = self._button("&Restore", self.restore_record)
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertWidget(0, self.search)
        item = outer.itemAt(1)
        buttons = item.layout() if item is not None else None
        assert isinstance(buttons, QHBoxLayout)
        buttons.insertWidget(3, self.restore_button)
        self.table.itemSelectionChanged.connect(self._update_restore)
        can_edit = context.can(Permission.CODE_SET_EDIT)
        for button in (self.add_button, self.edit_button, self.archive_button):
            button.setVisible(can_edit)
        self.restore_button.setVisible(can_edit)
        self._update_restore()

    def _search(self) -> None:
        self._search_timer.stop()
        self.query = self.search.text()
        self.refresh()

    def _update_restore(self) -> None:
        record = self.selected_record()
        self.restore_button.setEnabled(record is not None and record.archived)

    def _show(self, records: list[Any]) -> None:
        super()._show(records)
        if hasattr(self, "restore_button"):
            self._update_restore()

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return procedure_codes.list_procedure_codes(
            session, actor, self.query, include_archived=include_archived
        )

    def cells(self, record: ProcedureCodeSummary) -> list[str]:
        kind = procedure_codes.parse_kind(record.kind)
        return [
            record.code,
            kind.label if kind is not None else record.kind,
            record.description,
            str(record.default_units),
            "Yes" if record.requires_ndc else "",
            record.source,
        ]

    def make_dialog(self, record: ProcedureCodeSummary | None) -> RecordDialog:
        return ProcedureCodeDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return procedure_codes.archive_procedure_code(session, actor, record_id)

    def describe(self, record: ProcedureCodeSummary) -> str:
        return f"{record.code} ({record.description})"

    def restore_record(self) -> None:
        """Make the selected archived code active again."""
        record = self.selected_record()
        if record is None or not record.archived:
            return
        actor, record_id = self.context.actor, record.id
        run_for(
            self,
            self.context,
            lambda session, _p: procedure_codes.restore_procedure_code(session, actor, record_id),
        )
