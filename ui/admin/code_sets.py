"""The Code sets tab: ICD-10-CM editions, procedure modifiers and their rules, places of service,
and the wording of remittance adjustment codes.

Each area is a page of its own, opened with Alt and its underlined letter. Importing an ICD-10-CM
edition reads the CDC order file on a worker thread with a progress window. The
place-of-service list is the bundled CMS list and cannot be edited here.
"""

import logging
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.progress import Progress
from app.security.permissions import Actor
from app.services import icd10_import, modifiers
from app.services.icd10 import fiscal_year
from app.services.icd10_import import EditionSummary
from app.services.modifiers import (
    ModifierForm,
    ModifierRuleForm,
    ModifierRuleSummary,
    ModifierSummary,
)
from app.services.outcomes import SaveOutcome
from app.services.place_of_service import places_of_service
from ui.admin.common import RecordTable, Work, run_for
from ui.admin.forms import RecordDialog, ask, line
from ui.admin.listing import RecordListTab
from ui.admin.remark_codes import RemarkCodesSection
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)

ORDER_FILE_FILTER = "CDC order files (icd10cm_order_*.txt *.txt);;All files (*)"
DATE_FORMAT = "yyyy-MM-dd"
ALL_PAYERS = "All payers"


def _to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(_to_qdate(value))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    return edit


def _saved_or_raise(outcome: SaveOutcome) -> SaveOutcome:
    # Raising inside the work rolls the unit of work back and shows the problems in the form.
    outcome.raise_if_rejected()
    return outcome


# ---- ICD-10-CM editions ----------------------------------------------------------------


class FileField(QWidget):
    """A path typed or chosen with Browse…; `edited` fires on either."""

    edited = Signal()

    def __init__(self, caption: str, file_filter: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self.file_filter = file_filter
        self.path = QLineEdit()
        self.path.setPlaceholderText("icd10cm_order_2027.txt from the CDC ICD-10-CM files")
        self.path.textEdited.connect(lambda _text: self.edited.emit())
        self.browse = QPushButton("&Browse…")
        self.browse.setAccessibleName("Browse for the file")
        self.browse.clicked.connect(self.choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.setFocusProxy(self.path)

    def choose(self) -> None:
        """Ask for the file with the system's file dialog."""
        chosen, _filter = QFileDialog.getOpenFileName(self, self.caption, "", self.file_filter)
        if chosen:
            self.path.setText(chosen)
            self.edited.emit()

    def text(self) -> str:
        """Return the path as typed or chosen."""
        return self.path.text().strip()


class ImportEditionDialog(RecordDialog):
    """Imports a CDC order file as an ICD-10-CM edition valid for a range of dates."""

    progress_title = "Importing ICD-10-CM codes"

    def __init__(self, context: AppContext, today: date, parent: QWidget | None = None) -> None:
        super().__init__(context, "Import ICD-10-CM edition", parent)
        # The CDC publishes the next fiscal year's files around June, so from June through
        # September the dialog offers next year's edition, and otherwise the current one.
        year = fiscal_year(today) + (1 if 6 <= today.month <= 9 else 0)
        self.file = FileField("Choose the CDC order file", ORDER_FILE_FILTER)
        self.name = line(f"FY{year}", icd10_import.NAME_MAX_LENGTH)
        self.valid_from = _date_edit(date(year - 1, 10, 1))
        self.valid_to = _date_edit(date(year, 9, 30))
        form = self.form
        form.add_field(
            "file", "Order &file", self.file,
            "The CDC file icd10cm_order_YYYY.txt: one code a line, in fixed columns",
        )  # fmt: skip
        form.add_field("name", "Edition &name", self.name, "Such as FY2027, or FY2027-April")
        form.add_field(
            "valid_from", "Valid f&rom", self.valid_from,
            "First date of service the edition applies to (October 1 for a fiscal year)",
        )  # fmt: skip
        form.add_field(
            "valid_to", "Valid &to", self.valid_to,
            "Last date of service the edition applies to (September 30)",
        )  # fmt: skip
        self.valid_from.dateChanged.connect(self.mark_dirty)
        self.valid_to.dateChanged.connect(self.mark_dirty)
        self.finish_building()

    def build_work(self) -> Work:
        actor = self.context.actor
        path = Path(self.file.text())
        name = self.name.text()
        valid_from = _from_qdate(self.valid_from.date())
        valid_to = _from_qdate(self.valid_to.date())

        def work(session: Session, _progress: Progress) -> Changes:
            return icd10_import.import_icd_edition(session, actor, path, name, valid_from, valid_to)

        return work


class EditionsSection(QWidget):
    """The bundled and imported editions, newest first, with Import."""

    def __init__(self, context: AppContext, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.today = today
        self.editions: list[EditionSummary] = []
        self.table = RecordTable(
            ("Edition", "Valid from", "Valid to", "Codes", "Source"), "ICD-10-CM editions"
        )
        self.import_button = QPushButton("&Import edition…")
        self.import_button.setAccessibleName("Import edition")
        self.import_button.clicked.connect(self.open_import)
        note = QLabel(
            "Each date of service uses the edition whose dates cover it; an imported edition "
            "wins over the bundled one. Import the CDC order file for each new fiscal year "
            "(October 1) and for mid-year updates."
        )
        note.setObjectName("subtleText")
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(self.table)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.CODE_SETS):
            self.refresh()

    def refresh(self) -> None:
        """Reload the editions in the background (the first load reads the bundled one)."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[EditionSummary]:
            return icd10_import.list_editions(session, actor)

        # Read-only, because the first listing loads the bundled edition for seconds and a
        # write lock held that long would make other saves time out.
        run_for(self, self.context, work, self._show, read_only=True)

    def _show(self, editions: list[EditionSummary]) -> None:
        self.editions = editions
        rows: list[tuple[object, list[str]]] = []
        for edition in editions:
            name = f"{edition.name} (bundled)" if edition.bundled else edition.name
            cells = [
                name,
                edition.valid_from.isoformat(),
                edition.valid_to.isoformat(),
                f"{edition.code_count:,}",
                edition.source,
            ]
            rows.append((edition.name, cells))
        self.table.set_rows(rows)

    def open_import(self) -> ImportEditionDialog:
        """Open the import dialog and return it."""
        dialog = ImportEditionDialog(self.context, self.today, self)
        dialog.open()
        return dialog


# ---- modifiers -------------------------------------------------------------------------


class ModifierDialog(RecordDialog):
    """Adds a modifier, or changes the label of a saved one (its code is fixed)."""

    def __init__(
        self, context: AppContext, modifier: ModifierSummary | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Add modifier" if modifier is None else "Edit modifier", parent)
        self.modifier = modifier
        self.code = line(modifier.code if modifier else "", 2)
        self.code.setReadOnly(modifier is not None)
        self.label = line(modifier.label if modifier else "", modifiers.LABEL_MAX_LENGTH)
        self.form.add_field(
            "code", "&Code", self.code,
            "Two letters or digits. CPT modifiers such as 25 or 59 are typed here with the "
            "practice's own label.",
        )  # fmt: skip
        self.form.add_field("label", "&Label", self.label, "Shown to billers during charge entry")
        if modifier is not None:
            self.label.setFocus()
        self.finish_building()

    def build_work(self) -> Work:
        actor = self.context.actor
        form = ModifierForm(
            self.code.text(), self.label.text(), self.modifier.id if self.modifier else None
        )
        return lambda session, _p: _saved_or_raise(modifiers.save_modifier(session, actor, form))


class ModifiersSection(RecordListTab):
    """The practice's modifiers, with the HCPCS Level II set available in one step."""

    kind = ChangeKind.CODE_SETS
    noun = "modifier"
    headers = ("Code", "Label", "Source")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.seed_button = self._button("Add &HCPCS modifiers", self.seed)
        self.seed_button.setToolTip(
            "Add the CMS HCPCS Level II modifiers (GT, KX, RT, XS …) the list lacks; labels "
            "already changed and modifiers archived stay as they are."
        )
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        buttons = layout.itemAt(0).layout()
        assert isinstance(buttons, QHBoxLayout)
        buttons.insertWidget(3, self.seed_button)

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return modifiers.list_modifiers(session, actor, include_archived)

    def cells(self, record: ModifierSummary) -> list[str]:
        return [record.code, record.label, record.source]

    def make_dialog(self, record: ModifierSummary | None) -> RecordDialog:
        return ModifierDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return modifiers.archive_modifier(session, actor, record_id)

    def describe(self, record: ModifierSummary) -> str:
        return f"modifier {record.code}"

    def seed(self) -> None:
        """Add the HCPCS Level II modifiers the practice does not have."""
        actor = self.context.actor
        run_for(
            self,
            self.context,
            lambda session, _p: modifiers.seed_standard_modifiers(session, actor),
        )


# ---- modifier rules --------------------------------------------------------------------


class ModifierRuleDialog(RecordDialog):
    """Adds or edits a rule: the procedure code, payer, modifiers (any one) and a note."""

    def __init__(
        self, context: AppContext, rule: ModifierRuleSummary | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            context, "Add modifier rule" if rule is None else "Edit modifier rule", parent
        )
        self.rule = rule
        self.procedure_code = line(rule.procedure_code if rule else "", 5)
        self.payer = QComboBox()
        self.payer.addItem(ALL_PAYERS, None)
        if rule is not None and rule.payer_id is not None:
            self.payer.addItem(rule.payer_name, rule.payer_id)
            self.payer.setCurrentIndex(1)
        self.modifiers = line(
            " ".join(rule.modifiers) if rule else "", modifiers.RULE_MODIFIERS_MAX_LENGTH
        )
        self.note = line(rule.note if rule else "", modifiers.NOTE_MAX_LENGTH)
        form = self.form
        form.add_field("procedure_code", "&Procedure code", self.procedure_code, "Such as 97110")
        form.add_field(
            "payer_id", "P&ayer", self.payer, "The payer whose claims need the modifier, or all"
        )
        form.add_field(
            "modifiers", "&Modifiers", self.modifiers,
            "Separated by spaces; a line needs any one of them, such as GP or XE XS XU",
        )  # fmt: skip
        form.add_field("note", "N&ote", self.note, "Why the rule exists; billers see it")
        self.finish_building()
        self._load_payers()

    def _load_payers(self) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[tuple[uuid.UUID, str]]:
            return modifiers.payer_choices(session, actor)

        run_for(self, self.context, work, self._fill_payers)

    def _fill_payers(self, payers: list[tuple[uuid.UUID, str]]) -> None:
        chosen = self.payer.currentData()
        self.payer.blockSignals(True)
        self.payer.clear()
        self.payer.addItem(ALL_PAYERS, None)
        for payer_id, name in payers:
            self.payer.addItem(name, payer_id)
        if chosen is not None and find_data(self.payer, chosen) < 0:
            # An archived payer's rule keeps its payer until the user picks another.
            self.payer.addItem(self.rule.payer_name if self.rule else str(chosen), chosen)
        self.payer.setCurrentIndex(max(0, find_data(self.payer, chosen)))
        self.payer.blockSignals(False)

    def build_work(self) -> Work:
        actor = self.context.actor
        payer_id = self.payer.currentData()
        form = ModifierRuleForm(
            self.procedure_code.text(),
            self.modifiers.text(),
            payer_id if isinstance(payer_id, uuid.UUID) else None,
            self.note.text(),
            self.rule.id if self.rule else None,
        )
        return lambda session, _p: _saved_or_raise(
            modifiers.save_modifier_rule(session, actor, form)
        )


class ModifierRulesSection(RecordListTab):
    """Rules naming the modifiers a procedure code needs, for every payer or for one."""

    kind = ChangeKind.CODE_SETS
    noun = "rule"
    headers = ("Procedure code", "Payer", "Modifiers (any one)", "Note")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.archive_button.setText("&Remove")
        self.archive_button.setAccessibleName("Remove")
        # Removed rules are archived and never shown again.
        self.show_archived.hide()

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return modifiers.list_modifier_rules(session, actor)

    def cells(self, record: ModifierRuleSummary) -> list[str]:
        payer = record.payer_name or ALL_PAYERS
        return [record.procedure_code, payer, " ".join(record.modifiers), record.note]

    def make_dialog(self, record: ModifierRuleSummary | None) -> RecordDialog:
        return ModifierRuleDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return modifiers.remove_modifier_rule(session, actor, record_id)

    def archive_record(self) -> None:
        """Remove the selected rule after asking."""
        record = self.selected_record()
        if record is None:
            return
        actor, rule_id = self.context.actor, record.id
        payer = record.payer_name or "all payers"
        question = (
            f"Remove the rule for {record.procedure_code} ({payer})? Charge lines are no "
            "longer checked against it."
        )

        def remove() -> None:
            run_for(self, self.context, lambda session, _p: self.archive(session, actor, rule_id))

        ask(self, "Remove rule", question, "Remove", remove)


# ---- places of service -----------------------------------------------------------------


class PlacesSection(QWidget):
    """The CMS place-of-service codes bundled with ClinicDesk, read-only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = RecordTable(("Code", "Name"), "Places of service")
        self.table.set_rows(
            [(place.code, [place.code, place.name]) for place in places_of_service()]
        )
        note = QLabel(
            "The CMS place-of-service list bundled with ClinicDesk. Each location has a default "
            "place of service (Admin → Locations), and an encounter may use another."
        )
        note.setObjectName("subtleText")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)


class CodeSetsTab(QWidget):
    """ICD-10-CM editions, modifiers, modifier rules, places of service and adjustment code
    wording, one page each.
    """

    def __init__(
        self, context: AppContext, parent: QWidget | None = None, today: date | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.pages = QTabWidget()
        self.pages.setAccessibleName("Code sets")
        self.editions = EditionsSection(context, today or utc_now().date())
        self.modifiers = ModifiersSection(context)
        self.rules = ModifierRulesSection(context)
        self.places = PlacesSection()
        self.remark_codes = RemarkCodesSection(context)
        # Mnemonics differ from the buttons' on every page (Add, Edit, Archive, Remove …).
        self.pages.addTab(self.editions, "ICD-10-CM e&ditions")
        self.pages.addTab(self.modifiers, "Modifier&s")
        self.pages.addTab(self.rules, "Modifier r&ules")
        self.pages.addTab(self.places, "&Places of service")
        self.pages.addTab(self.remark_codes, "CARC/RARC &wording")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        log.info("code sets tab opened")
