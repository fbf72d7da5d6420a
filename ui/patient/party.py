"""Who a guarantor or subscriber is: the patient, another patient, or another person."""

import logging
import uuid

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.services.patient_forms import SEXES, PartyChoice, PersonForm
from app.services.patient_search import PatientMatch
from ui.admin.forms import select_data
from ui.context import AppContext
from ui.patient.address import AddressFields
from ui.patient.feedback import ProblemBoard, add_form_row, problem_label
from ui.patient.fields import DateField
from ui.search_popup import PICK_HINT_TEXT, PatientSearch
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
KINDS = ("self", "patient", "person")


def sex_combo(accessible_name: str, blank: str = "") -> QComboBox:
    """Return a combo of the sexes used on claims (F, M, U) with the code as item data."""
    combo = QComboBox()
    if blank:
        combo.addItem(blank, "")
    for code, label in SEXES.items():
        combo.addItem(label, code)
    combo.setAccessibleName(accessible_name)
    return combo


class PersonFields(QWidget):
    """Name, birth date, sex, address and contact of a person who is not a patient."""

    edited = Signal()

    def __init__(self, path: str, board: ProblemBoard, details_required: bool) -> None:
        super().__init__()
        self.person_id: uuid.UUID | None = None
        self.first_name = QLineEdit()
        self.middle_name = QLineEdit()
        self.last_name = QLineEdit()
        self.suffix = QLineEdit()
        self.date_of_birth = DateField()
        self.sex = sex_combo("Sex", blank="Choose")
        self.address = AddressFields("")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("(512) 555-0100")
        self.email = QLineEdit()
        self.employer_name = QLineEdit()

        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        required = {"first_name", "last_name"}
        if details_required:
            required |= {"date_of_birth", "sex"}
        rows: list[tuple[str, str, QWidget]] = [
            ("first_name", "First name", self.first_name),
            ("middle_name", "Middle name", self.middle_name),
            ("last_name", "Last name", self.last_name),
            ("suffix", "Suffix", self.suffix),
            ("date_of_birth", "Date of birth", self.date_of_birth),
            ("sex", "Sex", self.sex),
            ("address_line1", "Address line 1", self.address.line1),
            ("address_line2", "Address line 2", self.address.line2),
            ("zip_code", "ZIP code", self.address.zip_code),
            ("", "", self.address.suggestion),
            ("city", "City", self.address.city),
            ("state", "State", self.address.state),
            ("phone", "Phone", self.phone),
            ("email", "Email", self.email),
            ("employer_name", "Employer", self.employer_name),
        ]
        for name, caption, widget in rows:
            self._add(path, board, name, caption, widget, name in required)

    def _add(  # noqa: PLR0917 (a private helper called once per row of the table above)
        self,
        path: str,
        board: ProblemBoard,
        name: str,
        caption: str,
        widget: QWidget,
        required: bool,
    ) -> None:
        if not name:
            self.layout_.addRow("", widget)
            return
        label = add_form_row(self.layout_, caption, widget, required=required)
        board.register(f"{path}.{name}", widget, label)
        connect_edits(widget, self._emit_edited)

    def _emit_edited(self) -> None:
        self.edited.emit()

    def value(self) -> PersonForm:
        """Return the person as typed."""
        return PersonForm(
            first_name=self.first_name.text(),
            middle_name=self.middle_name.text(),
            last_name=self.last_name.text(),
            suffix=self.suffix.text(),
            date_of_birth=self.date_of_birth.date_value(),
            sex=str(self.sex.currentData() or ""),
            address_line1=self.address.line1.text(),
            address_line2=self.address.line2.text(),
            city=self.address.city.text(),
            state=self.address.state_code(),
            zip_code=self.address.zip_code.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            employer_name=self.employer_name.text(),
            id=self.person_id,
        )

    def set_value(self, person: PersonForm) -> None:
        """Show `person`."""
        self.first_name.setText(person.first_name)
        self.middle_name.setText(person.middle_name)
        self.last_name.setText(person.last_name)
        self.suffix.setText(person.suffix)
        self.date_of_birth.set_date(person.date_of_birth)
        select_data(self.sex, person.sex)
        self.address.set_values(
            person.address_line1, person.address_line2, person.city, person.state,
            person.zip_code,
        )  # fmt: skip
        self.phone.setText(person.phone)
        self.email.setText(person.email)
        self.employer_name.setText(person.employer_name)
        self.person_id = person.id

    def focus_chain(self) -> list[QWidget]:
        """Return the fields in Tab order."""
        return [
            self.first_name, self.middle_name, self.last_name, self.suffix,
            self.date_of_birth, self.sex, *self.address.focus_chain(), self.phone,
            self.email, self.employer_name,
        ]  # fmt: skip


class PartyEditor(QWidget):
    """Radio buttons for self, another patient or a person, and the fields of the choice.

    A patient is found with the one-box search under a line edit (Up/Down and Enter
    pick a result). `details_required` marks the person's birth date and sex as needed,
    as for an insurance subscriber.
    """

    edited = Signal()

    def __init__(
        self,
        context: AppContext,
        path: str,
        board: ProblemBoard,
        self_text: str,
        *,
        details_required: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.path = path
        self.patient_id: uuid.UUID | None = None
        self.self_choice = QRadioButton(self_text)
        self.patient_choice = QRadioButton("Another patient")
        self.person_choice = QRadioButton("Another person")
        self.choices = QButtonGroup(self)
        for index, choice in enumerate((self.self_choice, self.patient_choice, self.person_choice)):
            self.choices.addButton(choice, index)
        self.self_choice.setChecked(True)
        self.patient_search = QLineEdit()
        self.patient_search.setObjectName("partyPatientSearch")
        self.patient_search.setPlaceholderText("Type a name, birth date or chart number")
        self.patient_search.setAccessibleName("Find the patient")
        self.patient_chosen = QLabel("No patient chosen")
        self.patient_chosen.setObjectName("subtleText")
        self.patient_problem = problem_label("Patient")
        self.person = PersonFields(f"{path}.person", board, details_required)
        self.searcher: PatientSearch | None = None
        self._build_layout()
        board.register(f"{path}.patient_id", self.patient_search, self.patient_problem)
        board.register(f"{path}.kind", self.self_choice, self.patient_problem)
        self.choices.idToggled.connect(self._on_kind)
        self.person.edited.connect(self.edited.emit)
        self._on_kind()

    def _build_layout(self) -> None:
        kinds = QHBoxLayout()
        for choice in (self.self_choice, self.patient_choice, self.person_choice):
            kinds.addWidget(choice)
        kinds.addStretch(1)
        self.patient_box = QWidget()
        patient_layout = QVBoxLayout(self.patient_box)
        patient_layout.setContentsMargins(0, 0, 0, 0)
        patient_layout.addWidget(self.patient_search)
        patient_layout.addWidget(self.patient_chosen)
        patient_layout.addWidget(self.patient_problem)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(kinds)
        layout.addWidget(self.patient_box)
        layout.addWidget(self.person)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        # The result popup is a child of the window, which is known only once shown.
        if self.searcher is None:
            self.searcher = PatientSearch(
                self.context,
                self.patient_search,
                self.window(),
                lambda: False,
                SEARCH_DELAY_MS,
                hint=PICK_HINT_TEXT,
            )
            self.searcher.chosen.connect(self.choose_patient)
        super().showEvent(event)

    def kind(self) -> str:
        """Return "self", "patient" or "person"."""
        return KINDS[max(self.choices.checkedId(), 0)]

    def _on_kind(self, *_args: object) -> None:
        kind = self.kind()
        self.patient_box.setVisible(kind == "patient")
        self.person.setVisible(kind == "person")
        self.edited.emit()

    def choose_patient(self, match: PatientMatch) -> None:
        """Make the patient of a search result the party."""
        self.patient_id = match.patient_id
        self.patient_search.clear()
        self.patient_chosen.setText(
            f"{match.display_name} · chart {match.chart_number} · born "
            f"{match.date_of_birth:%m/%d/%Y}"
        )
        self.patient_problem.setVisible(False)
        self.edited.emit()

    def value(self) -> PartyChoice:
        """Return the choice as entered."""
        kind = self.kind()
        if kind == "patient":
            return PartyChoice(kind="patient", patient_id=self.patient_id)
        if kind == "person":
            return PartyChoice(kind="person", person=self.person.value())
        return PartyChoice()

    def set_value(self, choice: PartyChoice, patient_label: str = "") -> None:
        """Show `choice`; `patient_label` describes the chosen patient, when there is one."""
        index = KINDS.index(choice.kind) if choice.kind in KINDS else 0
        self.choices.button(index).setChecked(True)
        self.patient_id = choice.patient_id
        self.patient_chosen.setText(patient_label or "No patient chosen")
        if choice.person is not None:
            self.person.set_value(choice.person)
        self._on_kind()

    def focus_chain(self) -> list[QWidget]:
        """Return the visible fields in Tab order."""
        chain: list[QWidget] = [self.self_choice, self.patient_choice, self.person_choice]
        chain.append(self.patient_search)
        return chain + self.person.focus_chain()
