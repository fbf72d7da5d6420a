"""The visit part of the encounter editor: date, providers, place, authorization, causes.

Each field registers with the problem board under the `EncounterForm` attribute it
edits, so a problem from `check_encounter` shows beneath it.
"""

import logging
import uuid
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.problems import Problem
from app.services.encounter_forms import EncounterForm
from ui.charges.editor_data import EditorData
from ui.patient.feedback import ProblemBoard, add_form_row
from ui.patient.fields import DateField
from ui.patient.sections import id_combo, select_id, set_choices
from ui.widgets import connect_edits, find_data, state_combo

log = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 500


class VisitHeader(QGroupBox):
    """Edits the encounter's own fields; `edited` fires on every change the user makes.

    `service_date_changed` and `rendering_changed` fire when those two values change,
    because the diagnoses' edition and the favorite codes depend on them.
    """

    edited = Signal()
    service_date_changed = Signal()
    rendering_changed = Signal()

    def __init__(self, board: ProblemBoard, parent: QWidget | None = None) -> None:
        super().__init__("Visit", parent)
        self.setObjectName("visitHeader")
        self.board = board
        self.patient = QLabel()
        self.patient.setObjectName("encounterPatient")
        self.patient.setAccessibleName("Patient")
        self.service_date = DateField()
        self.rendering = id_combo("Choose the rendering provider")
        self.supervising = id_combo("None")
        self.referring = id_combo("None")
        self.location = id_combo("Choose a location")
        self.place = QComboBox()
        self.authorization = id_combo("None")
        self.employment = QCheckBox("E&mployment")
        self.auto_accident = QCheckBox("&Auto accident")
        self.accident_state = state_combo("State of the accident")
        self.other_accident = QCheckBox("Other acc&ident")
        self.onset = DateField()
        self.note = QLineEdit()
        self.note.setMaxLength(NOTE_MAX_LENGTH)
        self._build()
        for widget in self.inputs():
            connect_edits(widget, self._emit_edited)
        self.service_date.editingFinished.connect(self._date_finished)
        self.rendering.currentIndexChanged.connect(lambda _index: self.rendering_changed.emit())
        self.auto_accident.toggled.connect(self._show_state)
        self._shown_date: date | None = None

    def _emit_edited(self) -> None:
        # Edit signals carry the new value, which `edited` does not.
        self.edited.emit()

    def _build(self) -> None:
        left = QFormLayout()
        right = QFormLayout()
        for layout in (left, right):
            layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        left.addRow(QLabel("Patient"), self.patient)
        self._add(left, "service_date", "&Date of service", self.service_date, required=True)
        self._add(left, "rendering_provider_id", "&Rendering provider", self.rendering, True)
        self._add(left, "supervising_provider_id", "S&upervising provider", self.supervising)
        self._add(left, "referring_provider_id", "Re&ferring provider", self.referring)
        self._add(left, "location_id", "Lo&cation", self.location, required=True)
        self._add(right, "place_of_service", "&Place of service", self.place, required=True)
        self._add(right, "prior_authorization_id", "Prior aut&horization", self.authorization)
        causes = QWidget()
        row = QHBoxLayout(causes)
        row.setContentsMargins(0, 0, 0, 0)
        for box in (self.employment, self.auto_accident, self.other_accident):
            row.addWidget(box)
        row.addStretch(1)
        right.addRow(QLabel("Related to"), causes)
        self.board.register("related_employment", self.employment)
        self.board.register("related_other_accident", self.other_accident)
        self.board.register("related_auto_accident", self.auto_accident)
        self._add(right, "auto_accident_state", "Accident &state", self.accident_state)
        self._add(right, "onset_date", "&Onset or accident date", self.onset)
        self._add(right, "note", "&Note", self.note)
        columns = QHBoxLayout(self)
        columns.addLayout(left, 1)
        columns.addSpacing(16)
        columns.addLayout(right, 1)

    def _add(
        self, layout: QFormLayout, path: str, caption: str, widget: QWidget, required: bool = False
    ) -> None:
        label = add_form_row(layout, caption, widget, required=required)
        self.board.register(path, widget, label)

    def inputs(self) -> list[QWidget]:
        """Return the inputs in Tab order: the left column, then the right one."""
        return [
            self.service_date, self.rendering, self.supervising, self.referring,
            self.location, self.place, self.authorization, self.employment,
            self.auto_accident, self.other_accident, self.accident_state, self.onset, self.note,
        ]  # fmt: skip

    def set_choices(self, data: EditorData) -> None:
        """Fill the pickers from `data`."""
        set_choices(self.rendering, data.providers)
        set_choices(self.supervising, data.providers)
        set_choices(self.referring, data.outside_providers)
        set_choices(self.location, data.locations)
        set_choices(self.authorization, data.authorizations)
        self.place.clear()
        for place in data.places:
            self.place.addItem(f"{place.code} — {place.name}", place.code)
        self.patient.setText(data.patient_label)

    def fill(self, form: EncounterForm) -> None:
        """Show the encounter's own values without signaling edits."""
        widgets = self.inputs()
        for widget in widgets:
            widget.blockSignals(True)
        self.service_date.set_date(form.service_date)
        self._shown_date = form.service_date
        select_id(self.rendering, form.rendering_provider_id)
        select_id(self.supervising, form.supervising_provider_id)
        select_id(self.referring, form.referring_provider_id)
        select_id(self.location, form.location_id)
        self._select_place(form.place_of_service)
        select_id(self.authorization, form.prior_authorization_id)
        self.employment.setChecked(form.related_employment)
        self.auto_accident.setChecked(form.related_auto_accident)
        state_index = find_data(self.accident_state, form.auto_accident_state)
        self.accident_state.setCurrentIndex(max(state_index, 0))
        self.other_accident.setChecked(form.related_other_accident)
        self.onset.set_date(form.onset_date)
        self.note.setText(form.note)
        for widget in widgets:
            widget.blockSignals(False)
        self._show_state(form.related_auto_accident)

    def _select_place(self, code: str) -> None:
        index = find_data(self.place, code)
        if index < 0:
            # A code no longer in the bundled list stays visible rather than being replaced.
            self.place.addItem(f"{code} — not in the current list", code)
            index = self.place.count() - 1
        self.place.setCurrentIndex(index)

    def apply(self, form: EncounterForm) -> None:
        """Write the shown values into `form` (a date that is not a date becomes None)."""
        form.service_date = self.service_date.date_value()
        form.rendering_provider_id = self._id(self.rendering)
        form.supervising_provider_id = self._id(self.supervising)
        form.referring_provider_id = self._id(self.referring)
        form.location_id = self._id(self.location)
        form.place_of_service = str(self.place.currentData() or "")
        form.prior_authorization_id = self._id(self.authorization)
        form.related_employment = self.employment.isChecked()
        form.related_auto_accident = self.auto_accident.isChecked()
        state = str(self.accident_state.currentData() or "")
        form.auto_accident_state = state if form.related_auto_accident else ""
        form.related_other_accident = self.other_accident.isChecked()
        form.onset_date = self.onset.date_value()
        form.note = self.note.text().strip()

    @staticmethod
    def _id(combo: QComboBox) -> uuid.UUID | None:
        value = combo.currentData()
        return value if isinstance(value, uuid.UUID) else None

    def local_problems(self) -> list[Problem]:
        """Return problems found without the database: date fields that hold no date."""
        problems = self.service_date.problems("service_date", "Date of service")
        return problems + self.onset.problems("onset_date", "Onset date")

    def set_read_only(self, read_only: bool) -> None:
        """Let the fields be edited, or show them without letting them change."""
        for widget in self.inputs():
            widget.setEnabled(not read_only)

    def _show_state(self, auto_accident: bool) -> None:
        self.accident_state.setEnabled(auto_accident and self.service_date.isEnabled())

    def _date_finished(self) -> None:
        shown = self.service_date.date_value()
        if shown != self._shown_date:
            self._shown_date = shown
            self.service_date_changed.emit()
