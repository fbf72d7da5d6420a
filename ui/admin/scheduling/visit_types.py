"""The Visit types tab: kinds of visit, their default length, color and usual codes."""

import logging
from typing import Any

from PySide6.QtWidgets import QCheckBox, QSpinBox, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.security.permissions import Actor
from app.services import schedule_setup
from app.services.authorization_codes import parse_codes
from app.services.schedule_setup import (
    MAX_VISIT_MINUTES,
    MIN_VISIT_MINUTES,
    VISIT_MINUTES_STEP,
    AppointmentTypeInput,
    AppointmentTypeSummary,
)
from ui.admin.common import SPIN_BOX_WIDTH, Work
from ui.admin.forms import RecordDialog, line
from ui.admin.listing import RecordListTab
from ui.context import AppContext

log = logging.getLogger(__name__)


class VisitTypeDialog(RecordDialog):
    """Adds or edits a visit type."""

    def __init__(
        self,
        context: AppContext,
        visit_type: AppointmentTypeSummary | None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Add visit type" if visit_type is None else "Edit visit type"
        super().__init__(context, title, parent)
        self.visit_type = visit_type
        self.name = line(visit_type.name if visit_type else "", 40)
        self.minutes = QSpinBox()
        self.minutes.setRange(MIN_VISIT_MINUTES, MAX_VISIT_MINUTES)
        self.minutes.setSingleStep(VISIT_MINUTES_STEP)
        self.minutes.setSuffix(" minutes")
        self.minutes.setMaximumWidth(SPIN_BOX_WIDTH)
        self.minutes.setValue(visit_type.default_minutes if visit_type else 15)
        self.color = line(visit_type.color if visit_type else "#4A90D9", 7)
        self.new_patient = QCheckBox("For patients new to the practice")
        self.new_patient.setChecked(visit_type.new_patient if visit_type else False)
        self.codes = line(", ".join(visit_type.codes) if visit_type else "", 80)
        form = self.form
        form.add_field("name", "&Name", self.name, "Such as Follow-up")
        form.add_field(
            "default_minutes", "Default &length", self.minutes,
            f"{MIN_VISIT_MINUTES} to {MAX_VISIT_MINUTES} minutes in steps of "
            f"{VISIT_MINUTES_STEP}",
        )  # fmt: skip
        form.add_field("color", "&Color", self.color, "#RRGGBB, such as #4A90D9")
        form.add_field("new_patient", "New &patient", self.new_patient)
        form.add_field(
            "codes", "Usual procedure c&odes", self.codes,
            "CPT or HCPCS codes only, separated by commas, such as 99213, G0438",
        )  # fmt: skip
        self.finish_building()

    def build_work(self) -> Work:
        actor = self.context.actor
        type_id = self.visit_type.id if self.visit_type else None
        data = AppointmentTypeInput(
            name=self.name.text(),
            default_minutes=self.minutes.value(),
            color=self.color.text(),
            new_patient=self.new_patient.isChecked(),
            codes=tuple(parse_codes(self.codes.text())),
        )
        return lambda session, _p: schedule_setup.save_appointment_type(
            session, actor, type_id, data
        )


class VisitTypesTab(RecordListTab):
    """Lists the practice's visit types."""

    kind = ChangeKind.SCHEDULE_SETUP
    noun = "visit type"
    headers = ("Name", "Length", "Color", "New patient", "Usual codes")

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return schedule_setup.list_appointment_types(
            session, actor, include_archived=include_archived
        )

    def cells(self, record: AppointmentTypeSummary) -> list[str]:
        return [
            record.name,
            f"{record.default_minutes} min",
            record.color,
            "Yes" if record.new_patient else "",
            ", ".join(record.codes),
        ]

    def make_dialog(self, record: AppointmentTypeSummary | None) -> RecordDialog:
        return VisitTypeDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return schedule_setup.archive_appointment_type(session, actor, record_id)
