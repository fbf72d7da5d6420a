"""The registration form: every detail of one patient, checked and saved by the service.

Saving runs `save_patient` through the op runner. When the service finds problems the
form shows all of them at once, each beside its field and in a summary list at the top,
and keeps everything typed. Enter saves from any field, Esc requests confirmation
before discarding changes, and the keys in `ui.help.PATIENT_FORM_KEYS` add phones,
alerts and coverages.
"""

import copy
import itertools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.problems import Problem, Severity, has_errors
from app.progress import Progress
from app.services.duplicates import record_new_patient_decisions
from app.services.patient_forms import PatientForm
from app.services.registration import (
    Choice,
    SaveOutcome,
    load_patient_form,
    new_patient_form,
    outside_provider_choices,
    patient_problems,
    payer_choices,
    provider_choices,
    reveal_ssn,
    save_patient,
)
from app.services.registration_lookups import patient_labels
from ui import help as keys
from ui.admin.common import load_zone, run_for
from ui.admin.forms import ERROR_COLOR, ask
from ui.context import AppContext
from ui.errors import show_error
from ui.help import Shortcut
from ui.patient.coverage_list import CoverageList
from ui.patient.duplicates_dialog import FormDuplicateCheck
from ui.patient.feedback import ProblemBoard, ProblemSummary
from ui.patient.party import PartyEditor
from ui.patient.rows import button
from ui.patient.sections import (
    AlertsSection,
    ContactSection,
    MoreSection,
    NameSection,
    PersonalSection,
    Section,
)
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

DISCARD_QUESTION = "Discard changes to this patient?"
# Called with the form's values before the first save of a new patient; False stops the save.
DuplicateCheck = Callable[[PatientForm], bool]


@dataclass(frozen=True, slots=True)
class FormData:
    """What the form loads before it can show a patient: the values and the pickers."""

    form: PatientForm
    today: date
    payers: list[Choice] = field(default_factory=list)
    providers: list[Choice] = field(default_factory=list)
    outside_providers: list[Choice] = field(default_factory=list)
    party_labels: dict[uuid.UUID, str] = field(default_factory=dict)


def load_form_data(session: Session, context: AppContext, patient_id: uuid.UUID | None) -> FormData:
    """Read a patient (an audited view) or start a new one, with every picker's choices."""
    actor = context.actor
    if patient_id is None:
        form = new_patient_form()
    else:
        form = load_patient_form(session, actor, patient_id)
    # Before the practice is set up there is no practice zone, so the computer's is used.
    zone = load_zone(session)
    today = utc_now().astimezone(zone).date()
    parties = [form.guarantor.patient_id] + [c.subscriber.patient_id for c in form.coverages]
    return FormData(
        form=form,
        today=today,
        payers=payer_choices(session, actor),
        providers=provider_choices(session, actor),
        outside_providers=outside_provider_choices(session, actor),
        party_labels=patient_labels(session, actor, [p for p in parties if p is not None]),
    )


class PatientFormWidget(QWidget):
    """Edits one patient; `saved` carries the SaveOutcome of each successful save.

    `close_requested` requests that the window close: after Esc with nothing changed, or
    after the user agreed to discard changes.
    """

    saved = Signal(object)  # SaveOutcome
    close_requested = Signal()
    loaded = Signal(object)  # PatientForm

    def __init__(
        self,
        context: AppContext,
        duplicate_check: DuplicateCheck | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("patientForm")
        self.context = context
        self.duplicate_check = duplicate_check
        self.current = new_patient_form()
        self.today_value = utc_now().astimezone().date()
        self.dirty = False
        self.saving = False
        self.cleared_identity: tuple[object, ...] | None = None
        self.summary = ProblemSummary()
        self.board = ProblemBoard(self.summary)
        self._build()
        self._build_shortcuts()
        self.update_tab_order()
        for widget in self.findChildren(QWidget):
            connect_edits(widget, self.mark_dirty)
        application = QApplication.instance()
        if isinstance(application, QApplication):
            application.focusChanged.connect(self._follow_focus)

    # Building

    def _build(self) -> None:
        reveal = self.reveal
        self.name = NameSection(self.board, reveal)
        self.personal = PersonalSection(self.board, reveal)
        self.personal.today = self.today
        self.personal.reveal_requested.connect(self.request_ssn)
        self.contact = ContactSection(self.board, reveal)
        self.more = MoreSection(self.board, reveal)
        self.alerts = AlertsSection(self.board, reveal)
        self.guarantor = PartyEditor(self.context, "guarantor", self.board, "The patient")
        self.guarantor_box = Section("&Guarantor (who pays the bills)", self.board, reveal)
        self.guarantor_box.rows.addRow(self.guarantor)
        self.coverages = CoverageList(self.context, self.board, self.today)
        self.insurance_box = Section("&Insurance", self.board, reveal)
        self.insurance_box.rows.addRow(self.coverages)
        self.sections: list[Section] = [
            self.name, self.personal, self.contact, self.more, self.alerts,
        ]  # fmt: skip
        for rows in (self.name.previous_names, self.contact.phones, self.alerts.alerts):
            rows.rows_changed.connect(self.update_tab_order)
            rows.edited.connect(self.mark_dirty)
        for part in (self.guarantor, self.coverages):
            part.edited.connect(self.mark_dirty)

        body = QWidget()
        columns = QHBoxLayout(body)
        left = QVBoxLayout()
        for left_box in (self.name, self.personal, self.contact):
            left.addWidget(left_box)
        left.addStretch(1)
        right = QVBoxLayout()
        for box in (self.insurance_box, self.guarantor_box, self.alerts, self.more):
            right.addWidget(box)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(body)
        self.scroll_area.setWidgetResizable(True)

        self.chart_label = QLabel("New patient (the chart number is issued on the first save)")
        self.chart_label.setObjectName("subtleText")
        self.required_note = QLabel("* required for claims")
        self.required_note.setObjectName("subtleText")
        self.save_button = button("&Save", "Save the patient")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = button("Cancel", "Close without saving")
        self.cancel_button.clicked.connect(self.cancel)
        footer = QHBoxLayout()
        footer.addWidget(self.chart_label)
        footer.addWidget(self.required_note)
        footer.addStretch(1)
        footer.addWidget(self.save_button)
        footer.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(footer)
        # The style sheet marks only line edits and combos, so other inputs are covered here.
        self.setStyleSheet(
            f'QListWidget[invalid="true"], QSpinBox[invalid="true"], '
            f'QCheckBox[invalid="true"], QRadioButton[invalid="true"], '
            f'QWidget#cardSlot[invalid="true"] {{ border: 2px solid {ERROR_COLOR}; }}'
        )

    def _build_shortcuts(self) -> None:
        actions: list[tuple[Shortcut, Callable[[], object]]] = [
            (keys.PATIENT_SAVE, self.save),
            (keys.PATIENT_ADD_PHONE, self.contact.phones.add_and_focus),
            (keys.PATIENT_ADD_COVERAGE, self.coverages.add_coverage),
            (keys.PATIENT_ADD_ALERT, self.alerts.alerts.add_and_focus),
        ]
        for shortcut, slot in actions:
            key = QShortcut(QKeySequence(shortcut.keys), self)
            key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            key.activated.connect(slot)

    def focus_chain(self) -> list[QWidget]:
        """Return every input in Tab order: left column, right column, then the buttons."""
        chain: list[QWidget] = [self.summary.list]
        for section in (self.name, self.personal, self.contact):
            chain.extend(section.focus_chain())
        chain.extend(self.coverages.focus_chain())
        chain.extend(self.guarantor.focus_chain())
        chain.extend(self.alerts.focus_chain())
        chain.extend(self.more.focus_chain())
        return [*chain, self.save_button, self.cancel_button]

    def update_tab_order(self) -> None:
        """Set the Tab order to follow the screen, also after rows were added or removed."""
        chain = self.focus_chain()
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def reveal(self, widget: QWidget) -> None:
        """Scroll the form so `widget` is on screen."""
        self.scroll_area.ensureWidgetVisible(widget)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        # Tab, a section's Alt key, a problem in the summary and the add-row keys all end
        # here, so the focused field is always scrolled into view.
        if new is None or not self.scroll_area.widget().isAncestorOf(new):
            return
        self.reveal(new)
        # A row added in this event loop turn gets its place only when the layout runs,
        # so scroll again once it has.
        QTimer.singleShot(0, self, self._reveal_focused)

    def _reveal_focused(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None and self.scroll_area.widget().isAncestorOf(focused):
            self.reveal(focused)

    def today(self) -> date:
        """Return the practice's date, read when the form was loaded."""
        return self.today_value

    # Loading and reading values

    def load(self, patient_id: uuid.UUID | None) -> None:
        """Load a patient (or an empty form when `patient_id` is None) off the GUI thread."""
        context = self.context
        self.setEnabled(False)

        def work(session: Session, _progress: Progress) -> FormData:
            return load_form_data(session, context, patient_id)

        run_for(self, context, work, self.show_data, self._load_failed, title="Opening the patient")

    def _load_failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        show_error(self, error)

    def show_data(self, data: FormData) -> None:
        """Show loaded values and pickers, then start tracking changes."""
        self.today_value = data.today
        self.coverages.set_payers(data.payers)
        self.more.set_providers(data.providers, data.outside_providers)
        self.set_form(data.form, data.party_labels)
        self.setEnabled(True)
        self.name.first_name.setFocus(Qt.FocusReason.OtherFocusReason)
        self.loaded.emit(data.form)

    def set_form(self, form: PatientForm, party_labels: dict[uuid.UUID, str] | None = None) -> None:
        """Show `form`; nothing counts as changed afterwards."""
        labels = party_labels or {}
        self.current = copy.deepcopy(form)
        for section in self.sections:
            section.fill(form)
        guarantor_label = labels.get(form.guarantor.patient_id) if form.guarantor.patient_id else ""
        self.guarantor.set_value(form.guarantor, guarantor_label or "")
        self.coverages.patient_id = form.id
        self.coverages.set_coverages(copy.deepcopy(form.coverages))
        self._show_chart_number(form.chart_number)
        self.board.clear()
        self.update_tab_order()
        self.dirty = False

    def form_value(self) -> PatientForm:
        """Return the values on screen as a form (ids and the masked SSN kept from the load)."""
        form = copy.deepcopy(self.current)
        for section in self.sections:
            section.apply(form)
        form.guarantor = self.guarantor.value()
        form.coverages = self.coverages.values()
        return form

    def _show_chart_number(self, chart_number: str | None) -> None:
        if chart_number:
            self.chart_label.setText(f"Chart number {chart_number}")

    def mark_dirty(self) -> None:
        """Record that the user changed something since the last load or save."""
        self.dirty = True

    def local_problems(self) -> list[Problem]:
        """Return problems found without the database: text that is not a date."""
        problems = self.personal.date_of_birth.problems("date_of_birth", "Date of birth")
        if self.more.status.currentData() == "deceased":
            problems += self.more.deceased_on.problems("deceased_on", "Date of death")
        problems += self.guarantor.person.date_of_birth.problems(
            "guarantor.person.date_of_birth", "Date of birth"
        )
        for index, row in enumerate(self.name.previous_names.rows):
            path = f"previous_names[{index}].used_until"
            problems += row.fields["used_until"].problems(path, "Used until")  # type: ignore[attr-defined]
        return problems

    # Saving, the SSN and the keyboard

    def save(self) -> None:
        """Check and save through the service; problems show beside their fields."""
        if self.saving:
            return
        form = self.form_value()
        local = self.local_problems()
        check_only = bool(local) or self._needs_duplicate_check(form)
        context, today = self.context, self.today()
        dismissed = self._dismissed_matches(form)

        def work(session: Session, _progress: Progress) -> SaveOutcome | list[Problem]:
            if check_only:
                return patient_problems(session, form, today)
            outcome = save_patient(session, context.actor, form, today)
            # "Different person" rulings are recorded in the save's own transaction, so a
            # new record and the rulings about it are written together or not at all.
            if outcome.patient_id is not None and dismissed:
                record_new_patient_decisions(session, context.actor, outcome.patient_id, dismissed)
            return outcome

        self.saving = True
        self.save_button.setEnabled(False)
        run_for(
            self, context, work,
            lambda result: self._after_save(form, local, result), self._save_failed,
        )  # fmt: skip

    def _dismissed_matches(self, form: PatientForm) -> list[uuid.UUID]:
        """Return the records the user ruled different people, for a new patient's save."""
        if form.id is not None or not isinstance(self.duplicate_check, FormDuplicateCheck):
            return []
        return list(self.duplicate_check.pending)

    def _needs_duplicate_check(self, form: PatientForm) -> bool:
        if self.duplicate_check is None or form.id is not None:
            return False
        return self._identity(form) != self.cleared_identity

    @staticmethod
    def _identity(form: PatientForm) -> tuple[object, ...]:
        # A changed name or birth date after the check could match someone else.
        return (form.first_name.strip(), form.last_name.strip(), form.date_of_birth)

    def _after_save(
        self, form: PatientForm, local: list[Problem], result: SaveOutcome | list[Problem]
    ) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        found = result.problems if isinstance(result, SaveOutcome) else result
        local_fields = {problem.field for problem in local}
        problems = local + [problem for problem in found if problem.field not in local_fields]
        if has_errors(problems):
            log.info("patient form not saved: %d problems", len(problems))
            self.show_problems(problems)
            return
        if isinstance(result, SaveOutcome):
            self._saved(result)
            return
        assert self.duplicate_check is not None
        if self.duplicate_check(form):
            self.cleared_identity = self._identity(form)
            self.save()

    def _saved(self, outcome: SaveOutcome) -> None:
        log.info("patient %s saved", outcome.patient_id)
        self.dirty = False
        self._show_chart_number(outcome.chart_number)
        if isinstance(self.duplicate_check, FormDuplicateCheck):
            self.duplicate_check.pending = []
        warnings = [problem for problem in outcome.problems if problem.severity is Severity.WARNING]
        self.saved.emit(outcome)
        if outcome.patient_id is not None:
            # Reloading gives the new phones, alerts and coverages their ids for the next save.
            self.reload(outcome.patient_id, warnings)

    def reload(self, patient_id: uuid.UUID, warnings: list[Problem]) -> None:
        """Load the saved patient again, then show the warnings the save returned."""
        context = self.context

        def work(session: Session, _progress: Progress) -> FormData:
            return load_form_data(session, context, patient_id)

        def show(data: FormData) -> None:
            self.show_data(data)
            if warnings:
                self.show_problems(warnings)

        run_for(self, context, work, show, self._load_failed)

    def _save_failed(self, error: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        show_error(self, error)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show every problem beside its field and in the summary, and go to the first."""
        self.board.show(problems)
        self.coverages.keep_problems(problems)
        self.update_tab_order()
        self.scroll_area.ensureVisible(0, 0)
        self.summary.list.setCurrentRow(0)
        self.summary.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def request_ssn(self) -> None:
        """Ask the service for the stored SSN (audited, and refused without permission)."""
        patient_id = self.current.id
        if patient_id is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> str:
            return reveal_ssn(session, actor, patient_id)

        run_for(self, self.context, work, self.personal.show_revealed)

    def cancel(self) -> None:
        """Close, asking first when something changed."""
        if not self.dirty:
            self.close_requested.emit()
            return
        ask(self, "Discard changes?", DISCARD_QUESTION, "Discard", self._discard)

    def _discard(self) -> None:
        self.dirty = False
        self.close_requested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = QApplication.focusWidget()
            # Enter in a patient search box picks a result, never saves.
            if focused is None or focused.objectName() != "partyPatientSearch":
                self.save()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)
