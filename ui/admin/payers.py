"""The Payers tab: insurance payers, their electronic ids and claim filing rules."""

import logging
import uuid
from typing import Any

from PySide6.QtWidgets import QComboBox, QSpinBox, QWidget
from sqlalchemy.orm import Session

from app import validators
from app.changes import ChangeKind
from app.security.permissions import Actor
from app.services import admin_records
from app.services.admin_records import (
    DEFAULT_ERA_POSTING_MODE,
    ERA_POSTING_MODES,
    MAX_TIMELY_FILING_DAYS,
    PayerInput,
    PayerSummary,
)
from app.services.payer_kinds import DEFAULT_PAYER_KIND, PAYER_KINDS
from ui.admin.common import SPIN_BOX_WIDTH, Work
from ui.admin.forms import RecordDialog, code_combo, combo_code, line, select_data
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.widgets import find_data, state_combo

log = logging.getLogger(__name__)


def filing_indicator_combo(code: str) -> QComboBox:
    """Return an editable combo of X12 claim filing indicator codes with `code` chosen.

    It stays editable so a payer saved with a retired code still shows that code, and
    the service's check explains what to pick instead.
    """
    combo = code_combo(validators.CLAIM_FILING_INDICATORS)
    combo.setEditable(True)
    if code:
        select_data(combo, code)
    else:
        combo.setCurrentIndex(find_data(combo, "CI"))
    return combo


def choice_combo(choices: dict[str, str], chosen: str) -> QComboBox:
    """Return a combo of `choices` (stored key → label) with the key `chosen` selected.

    A stored key the list does not know (written by a newer version) is added as is, so
    saving the payer keeps it until the user picks another.
    """
    combo = QComboBox()
    for key, label in choices.items():
        combo.addItem(label, key)
    index = find_data(combo, chosen)
    if index < 0:
        combo.addItem(chosen, chosen)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
    return combo


class PayerDialog(RecordDialog):
    """Adds or edits a payer."""

    def __init__(
        self,
        context: AppContext,
        payer: PayerSummary | None,
        clearinghouses: list[tuple[uuid.UUID, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "Add payer" if payer is None else "Edit payer", parent)
        self.payer = payer
        self.name = line(payer.name if payer else "", 60)
        self.payer_code = line(payer.payer_code if payer else "", 80)
        self.claim_filing_indicator = filing_indicator_combo(
            payer.claim_filing_indicator if payer else ""
        )
        self.timely_filing_days = QSpinBox()
        self.timely_filing_days.setRange(1, MAX_TIMELY_FILING_DAYS)
        self.timely_filing_days.setSuffix(" days")
        self.timely_filing_days.setMaximumWidth(SPIN_BOX_WIDTH)
        self.timely_filing_days.setValue(payer.timely_filing_days if payer else 365)
        self.address_line1 = line(payer.address_line1 if payer else "", 55)
        self.address_line2 = line(payer.address_line2 if payer else "", 55)
        self.city = line(payer.city if payer else "", 30)
        self.state = state_combo()
        select_data(self.state, payer.state if payer else "")
        self.zip_code = line(payer.zip_code if payer else "", 10)
        self.clearinghouse = _clearinghouse_combo(
            clearinghouses, payer.clearinghouse_id if payer else None
        )
        self.payer_kind = choice_combo(
            PAYER_KINDS, payer.payer_kind if payer else DEFAULT_PAYER_KIND
        )
        self.era_posting_mode = choice_combo(
            ERA_POSTING_MODES, payer.era_posting_mode if payer else DEFAULT_ERA_POSTING_MODE
        )
        self._add_fields()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("name", "&Name", self.name, "Such as Blue Cross Blue Shield of Illinois")
        form.add_field(
            "payer_kind", "&Kind", self.payer_kind,
            "Who is paying: a health plan, a government program, or an attorney or employer "
            "paying an account directly",
        )  # fmt: skip
        form.add_field(
            "payer_code", "&Payer id", self.payer_code,
            "The electronic payer id from the clearinghouse's payer list, such as 60054",
        )  # fmt: skip
        form.add_field(
            "claim_filing_indicator", "Claim &filing indicator", self.claim_filing_indicator,
            "The X12 code sent on claims (SBR09), such as CI commercial or MB Medicare Part B",
        )  # fmt: skip
        form.add_field(
            "timely_filing_days", "&Timely filing limit", self.timely_filing_days,
            "Days after the date of service within which the payer accepts a claim",
        )  # fmt: skip
        form.add_field("address_line1", "Claims &address", self.address_line1, "Optional")
        form.add_field("address_line2", "Address line &2", self.address_line2)
        form.add_field("city", "&City", self.city)
        form.add_field("state", "St&ate", self.state)
        form.add_field("zip_code", "&ZIP code", self.zip_code)
        form.add_field(
            "clearinghouse_id", "Claims go t&hrough", self.clearinghouse,
            "The clearinghouse that receives this payer's electronic claims; "
            "none means they are printed on paper",
        )  # fmt: skip
        form.add_field(
            "era_posting_mode", "&ERA posting", self.era_posting_mode,
            "What importing this payer's electronic remittances (835 files) does: post "
            "everything, post what matches a claim, or hold everything for review",
        )  # fmt: skip

    def build_work(self) -> Work:
        actor = self.context.actor
        payer_id = self.payer.id if self.payer else None
        data = PayerInput(
            name=self.name.text(),
            payer_code=self.payer_code.text(),
            claim_filing_indicator=combo_code(self.claim_filing_indicator),
            timely_filing_days=self.timely_filing_days.value(),
            address_line1=self.address_line1.text(),
            address_line2=self.address_line2.text(),
            city=self.city.text(),
            state=combo_code(self.state),
            zip_code=self.zip_code.text(),
            clearinghouse_id=self.clearinghouse.currentData(),
            payer_kind=str(self.payer_kind.currentData()),
            era_posting_mode=str(self.era_posting_mode.currentData()),
        )
        return lambda session, _p: admin_records.save_payer(session, actor, payer_id, data)


def _clearinghouse_combo(
    clearinghouses: list[tuple[uuid.UUID, str]], chosen: uuid.UUID | None
) -> QComboBox:
    combo = QComboBox()
    combo.addItem("None (paper claims)", None)
    for clearinghouse_id, name in clearinghouses:
        combo.addItem(name, clearinghouse_id)
    if chosen is not None:
        combo.setCurrentIndex(max(find_data(combo, chosen), 0))
    return combo


class PayersTab(RecordListTab):
    """Lists insurance payers."""

    kind = ChangeKind.PAYERS
    noun = "payer"
    headers = (
        "Name",
        "Payer id",
        "Claim filing indicator",
        "Timely filing",
        "Clearinghouse",
        "City",
        "State",
        "Kind",
    )
    # The clearinghouses a payer may name, read with the list so dialogs open instantly.
    clearinghouses: list[tuple[uuid.UUID, str]] = []  # noqa: RUF012 (replaced, never mutated)

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        self.clearinghouses = admin_records.clearinghouse_choices(session, actor)
        return admin_records.list_payers(session, actor, include_archived=include_archived)

    def cells(self, record: PayerSummary) -> list[str]:
        indicator = record.claim_filing_indicator
        if record.claim_filing_label:
            indicator += f": {record.claim_filing_label}"
        days = f"{record.timely_filing_days} days"
        return [
            record.name,
            record.payer_code,
            indicator,
            days,
            record.clearinghouse_name,
            record.city,
            record.state,
            record.payer_kind_label,
        ]

    def make_dialog(self, record: PayerSummary | None) -> RecordDialog:
        return PayerDialog(self.context, record, self.clearinghouses, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return admin_records.archive_payer(session, actor, record_id)
