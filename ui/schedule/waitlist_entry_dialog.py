"""The form that puts a patient on the waitlist or changes an entry's preferences."""

import logging
import uuid
from datetime import date, time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.errors import ValidationError
from app.progress import Progress
from app.services.calendar_view import BookingChoices
from app.services.patient_search import PatientMatch
from app.services.waitlist import WaitlistInput, WaitlistRow, add_entry, edit_entry
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.slot_fields import NotesBox, OptionalDate, OptionalTime, WeekdayBoxes
from ui.search_popup import PICK_HINT_TEXT, PatientSearch
from ui.widgets import find_data

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250


class WaitlistEntryDialog(QDialog):
    """Adds an entry, or edits `row` when given; `saved` fires after the write.

    `today` is the practice's date, which the first and last date fields start at.
    """

    saved = Signal()

    def __init__(
        self,
        context: AppContext,
        choices: BookingChoices,
        today: date,
        row: WaitlistRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("waitlistEntryDialog")
        self.setWindowTitle("Edit waitlist entry" if row else "Add to the waitlist")
        self.context = context
        self.choices = choices
        self.row = row
        self.today = today
        self.patient_id = row.patient_id if row else None
        self._build()
        if row is not None:
            self._fill(row)

    def _build(self) -> None:
        self.patient = QLineEdit()
        self.patient.setObjectName("waitlistPatient")
        self.patient.setAccessibleName("Patient")
        self.patient.setPlaceholderText("Type a name, chart number, birth date or phone")
        self.search = PatientSearch(
            self.context, self.patient, self, lambda: False, SEARCH_DELAY_MS, hint=PICK_HINT_TEXT
        )
        self.search.chosen.connect(self.choose_patient)
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("Any provider", None)
        for choice in self.choices.providers:
            self.provider.addItem(choice.label, choice.id)
        self.visit_type = QComboBox()
        self.visit_type.setAccessibleName("Visit type")
        self.visit_type.addItem("(none)", None)
        for choice in self.choices.types:
            self.visit_type.addItem(choice.label, choice.id)
        self.visit_type.currentIndexChanged.connect(self._type_changed)
        self.duration = QSpinBox()
        self.duration.setAccessibleName("Length in minutes")
        self.duration.setRange(5, 480)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setValue(15)
        self.weekdays = WeekdayBoxes()
        self.earliest = OptionalTime("Not before", time(8))
        self.latest = OptionalTime("Ending by", time(17))
        self.available_from = OptionalDate("From", self.today)
        self.available_until = OptionalDate("Until", self.today)
        self.notes = NotesBox()
        self.notes.setAccessibleName("Notes")
        self.problems = QLabel()
        self.problems.setObjectName("waitlistProblems")
        self.problems.setWordWrap(True)

        form = QFormLayout()
        for caption, field in (
            ("&Patient", self.patient), ("P&rovider", self.provider),
            ("&Visit type", self.visit_type), ("&Length", self.duration),
            ("Days of the week", self.weekdays), ("Earliest start", self.earliest),
            ("Latest end", self.latest), ("First date", self.available_from),
            ("Last date", self.available_until), ("&Notes", self.notes),
        ):  # fmt: skip
            form.addRow(caption, field)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

    def _fill(self, row: WaitlistRow) -> None:
        self.patient.setText(f"{row.patient_name} ({row.chart_number})")
        # An entry keeps its patient; a different patient gets an entry of their own.
        self.patient.setReadOnly(True)
        self.provider.setCurrentIndex(max(find_data(self.provider, row.provider_id), 0))
        self.visit_type.setCurrentIndex(max(find_data(self.visit_type, row.appointment_type_id), 0))
        self.duration.setValue(row.duration_minutes)
        self.weekdays.set_weekdays(row.weekdays)
        self.earliest.set_value(row.earliest)
        self.latest.set_value(row.latest)
        self.available_from.set_value(row.available_from)
        self.available_until.set_value(row.available_until)
        self.notes.setPlainText(row.notes)

    def choose_patient(self, match: PatientMatch) -> None:
        """Put the entry on `match`'s name."""
        self.patient_id = match.patient_id
        self.patient.setText(f"{match.display_name} ({match.chart_number})")

    def _type_changed(self) -> None:
        type_id = self.visit_type.currentData()
        kind = next((choice for choice in self.choices.types if choice.id == type_id), None)
        if kind is not None and kind.minutes:
            self.duration.setValue(kind.minutes)

    def values(self, patient_id: uuid.UUID) -> WaitlistInput:
        """Return the form's values for `patient_id`."""
        return WaitlistInput(
            patient_id=patient_id,
            duration_minutes=self.duration.value(),
            provider_id=self.provider.currentData(),
            appointment_type_id=self.visit_type.currentData(),
            weekdays=self.weekdays.weekdays(),
            earliest=self.earliest.value(),
            latest=self.latest.value(),
            available_from=self.available_from.value(),
            available_until=self.available_until.value(),
            notes=self.notes.toPlainText(),
        )

    def save(self) -> None:
        """Write the entry; every problem is listed in the form and nothing is saved."""
        if self.patient_id is None:
            self.problems.setText("Choose a patient: type in the box and press Enter on a match.")
            return
        values, actor = self.values(self.patient_id), self.context.actor
        entry_id = self.row.entry_id if self.row else None

        def work(session: Session, _progress: Progress) -> Changes:
            if entry_id is None:
                return add_entry(session, actor, values).changes
            return edit_entry(session, actor, entry_id, values)

        self.context.ops.run(work, on_done=self._saved, on_error=self._failed)

    def _saved(self, _changes: Changes) -> None:
        log.info("waitlist entry saved")
        self.saved.emit()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.problems.setText("\n".join(problem.message for problem in error.problems))
            return
        show_error(self, error)

    def done(self, result: int) -> None:
        """Close the search popup with the form."""
        self.search.close()
        super().done(result)
