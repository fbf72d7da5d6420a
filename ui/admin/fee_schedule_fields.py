"""The fields of a fee schedule, shared by its add and edit dialog and the import dialog."""

import logging
import uuid
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLineEdit, QWidget
from sqlalchemy.orm import Session

from app.progress import Progress
from app.services import admin_records
from app.services.admin_records import PayerSummary
from app.services.fee_schedules import FeeScheduleForm, FeeScheduleSummary, ScheduleKind
from ui.admin.common import run_for
from ui.admin.forms import FieldForm, line
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)

DATE_FORMAT = "MM/dd/yyyy"


def to_date(value: QDate) -> date:
    """Return a QDate as a date."""
    return date(value.year(), value.month(), value.day())


def date_picker(value: date | None = None) -> QDateEdit:
    """Return a date field with a calendar popup, in US order."""
    picker = QDateEdit()
    picker.setCalendarPopup(True)
    picker.setDisplayFormat(DATE_FORMAT)
    picker.setDate(QDate(value) if value is not None else QDate.currentDate())
    return picker


class OptionalDate(QWidget):
    """A date with a "No end date" box; the date is None while the box is ticked."""

    edited = Signal()

    def __init__(self, value: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_ended = QCheckBox("&No end date")
        self.open_ended.setChecked(value is None)
        self.picker = date_picker(value)
        self.picker.setEnabled(value is not None)
        self.picker.setAccessibleName("Last day in force")
        self.open_ended.toggled.connect(lambda ticked: self.picker.setEnabled(not ticked))
        self.open_ended.toggled.connect(lambda _ticked: self.edited.emit())
        self.picker.dateChanged.connect(lambda _value: self.edited.emit())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.picker, 1)
        row.addWidget(self.open_ended)
        self.setFocusProxy(self.picker)

    def value(self) -> date | None:
        """Return the date, or None when open-ended."""
        return None if self.open_ended.isChecked() else to_date(self.picker.date())

    def set_value(self, value: date | None) -> None:
        """Show `value` (None ticks "No end date")."""
        self.open_ended.setChecked(value is None)
        if value is not None:
            self.picker.setDate(QDate(value))


class ScheduleFields:
    """Name, kind, payer and dates of a schedule, added to a FieldForm.

    Payers load in the background, so the payer list fills a moment after the fields
    appear; `payers_loaded` is True from then on.
    """

    def __init__(
        self, context: AppContext, owner: QWidget, schedule: FeeScheduleSummary | None
    ) -> None:
        self.schedule = schedule
        self.name: QLineEdit = line(schedule.name if schedule else "", 60)
        self.kind = QComboBox()
        for kind in ScheduleKind:
            self.kind.addItem(kind.label, kind.value)
        self.kind.setCurrentIndex(max(find_data(self.kind, schedule.kind if schedule else ""), 0))
        self.payer = QComboBox()
        self.payer.addItem("No payer", None)
        self.effective_from = date_picker(schedule.effective_from if schedule else None)
        self.effective_to = OptionalDate(schedule.effective_to if schedule else None)
        self.kind.currentIndexChanged.connect(self._enable_payer)
        self._enable_payer()
        self.payers_loaded = False
        actor = context.actor

        def work(session: Session, _progress: Progress) -> list[PayerSummary]:
            return admin_records.list_payers(session, actor)

        run_for(owner, context, work, self._fill_payers)

    def add_to(self, form: FieldForm) -> None:
        """Add the fields to `form` under their labels."""
        form.add_field("name", "&Name", self.name, "Such as Charges 2026 or Aetna 2026")
        form.add_field("kind", "&Kind", self.kind)
        form.add_field("payer_id", "&Payer", self.payer, "The payer of allowed amounts")
        form.add_field("effective_from", "Effective &from", self.effective_from)
        form.add_field("effective_to", "Effective &to", self.effective_to, "Last day in force")

    def _enable_payer(self) -> None:
        allowed = self.kind.currentData() == ScheduleKind.ALLOWED.value
        self.payer.setEnabled(allowed)
        if not allowed:
            self.payer.setCurrentIndex(0)

    def _fill_payers(self, payers: list[PayerSummary]) -> None:
        for payer in payers:
            self.payer.addItem(payer.name, payer.id)
        if self.schedule is not None and self.schedule.payer_id is not None:
            index = find_data(self.payer, self.schedule.payer_id)
            if index < 0:
                self.payer.addItem(self.schedule.payer_name, self.schedule.payer_id)
                index = self.payer.count() - 1
            self.payer.setCurrentIndex(index)
        self.payers_loaded = True

    def select_payer(self, payer_id: uuid.UUID) -> None:
        """Choose the payer with `payer_id` (after the payers loaded)."""
        self.payer.setCurrentIndex(max(find_data(self.payer, payer_id), 0))

    def build_form(self) -> FeeScheduleForm:
        """Return the schedule as typed."""
        kind = str(self.kind.currentData())
        payer_id = self.payer.currentData() if kind == ScheduleKind.ALLOWED.value else None
        return FeeScheduleForm(
            name=self.name.text(),
            kind=kind,
            payer_id=payer_id,
            effective_from=to_date(self.effective_from.date()),
            effective_to=self.effective_to.value(),
            id=self.schedule.id if self.schedule else None,
        )
