"""The sections of the registration form, each a group box with a mnemonic in its title.

Every section reads its part of a `PatientForm` (`fill`) and writes it back (`apply`),
registers its fields with the problem board under the form's attribute names, and
lists its widgets in Tab order (`focus_chain`).
"""

import logging
from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.ages import age_on
from app.clock import utc_now
from app.services.patient_forms import (
    CONTACT_METHODS,
    MARITAL_STATUSES,
    STATUSES,
    PatientForm,
)
from app.services.registration import Choice
from ui.admin.forms import select_data
from ui.patient.address import AddressFields
from ui.patient.feedback import ProblemBoard, add_form_row
from ui.patient.fields import DateField, index_of
from ui.patient.party import sex_combo
from ui.patient.rows import AlertRow, PhoneRow, PreviousNameRow, RowList

log = logging.getLogger(__name__)

MAX_RECALL_MONTHS = 120


def id_combo(blank: str) -> QComboBox:
    """Return a combo whose first entry is `blank` with no id; `set_choices` fills the rest."""
    combo = QComboBox()
    combo.addItem(blank, None)
    return combo


def set_choices(combo: QComboBox, choices: Sequence[Choice]) -> None:
    """Replace the entries after the blank one, keeping the chosen id when still offered."""
    chosen = combo.currentData()
    while combo.count() > 1:
        combo.removeItem(1)
    for choice in choices:
        combo.addItem(choice.label, choice.id)
    combo.setCurrentIndex(max(index_of(combo, chosen), 0))


def select_id(combo: QComboBox, value: object) -> None:
    """Choose the entry whose data is `value` (the blank entry when it is not offered)."""
    combo.setCurrentIndex(max(index_of(combo, value), 0))


class Section(QGroupBox):
    """A titled part of the form whose rows show a problem label under each field."""

    def __init__(self, title: str, board: ProblemBoard, reveal: Callable[[QWidget], None]):
        super().__init__(title)
        self.board = board
        self.reveal = reveal
        self.rows = QFormLayout(self)
        self.rows.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    def add_field(
        self,
        path: str,
        caption: str,
        widget: QWidget,
        *,
        required: bool = False,
        beside: Sequence[QWidget] = (),
    ) -> QWidget:
        """Add `widget` (and `beside`, to its right) under `caption`.

        Problems of `path` show beneath it and give `widget` a red border.
        """
        label = add_form_row(self.rows, caption, widget, required=required, beside=beside)
        self.board.register(path, widget, label, lambda: self.reveal(widget))
        return widget

    def add_list(self, caption: str, rows: RowList) -> None:
        """Add a list of rows spanning the section's width under a caption."""
        self.rows.addRow(QLabel(caption))
        self.rows.addRow(rows)

    def fill(self, form: PatientForm) -> None:
        """Show the section's part of `form`."""
        raise NotImplementedError

    def apply(self, form: PatientForm) -> None:
        """Write what the section shows into `form`."""
        raise NotImplementedError

    def focus_chain(self) -> list[QWidget]:
        """Return the section's widgets in Tab order."""
        raise NotImplementedError


class NameSection(Section):
    """Legal name, preferred name and earlier names."""

    def __init__(self, board: ProblemBoard, reveal: Callable[[QWidget], None]) -> None:
        super().__init__("&Name", board, reveal)
        self.first_name = QLineEdit()
        self.first_name.setMaxLength(35)
        self.middle_name = QLineEdit()
        self.middle_name.setMaxLength(25)
        self.last_name = QLineEdit()
        self.last_name.setMaxLength(60)
        self.suffix = QLineEdit()
        self.suffix.setMaxLength(10)
        self.suffix.setPlaceholderText("Jr, Sr, III")
        self.preferred_name = QLineEdit()
        self.preferred_name.setMaxLength(35)
        self.previous_names = RowList("previous_names", PreviousNameRow, "Add previous name", board)
        self.add_field("first_name", "First name", self.first_name, required=True)
        self.add_field("middle_name", "Middle name", self.middle_name)
        self.add_field("last_name", "Last name", self.last_name, required=True)
        self.add_field("suffix", "Suffix", self.suffix)
        self.add_field("preferred_name", "Preferred name", self.preferred_name)
        self.add_list("Previous names", self.previous_names)

    def fill(self, form: PatientForm) -> None:
        """Show the names of `form`."""
        self.first_name.setText(form.first_name)
        self.middle_name.setText(form.middle_name)
        self.last_name.setText(form.last_name)
        self.suffix.setText(form.suffix)
        self.preferred_name.setText(form.preferred_name)
        self.previous_names.set_values(form.previous_names)

    def apply(self, form: PatientForm) -> None:
        """Write the names into `form`."""
        form.first_name = self.first_name.text()
        form.middle_name = self.middle_name.text()
        form.last_name = self.last_name.text()
        form.suffix = self.suffix.text()
        form.preferred_name = self.preferred_name.text()
        form.previous_names = self.previous_names.values()

    def focus_chain(self) -> list[QWidget]:
        """Return the name fields in Tab order."""
        fields = [self.first_name, self.middle_name, self.last_name, self.suffix]
        return [*fields, self.preferred_name, *self.previous_names.focus_chain()]


class PersonalSection(Section):
    """Date of birth with the age, sex, gender identity and the SSN.

    The SSN field shows dots. "Show" reveals what was typed, or, for a stored SSN,
    emits `reveal_requested` so the form can ask the audited service for it.
    """

    reveal_requested = Signal()

    def __init__(self, board: ProblemBoard, reveal: Callable[[QWidget], None]) -> None:
        super().__init__("&Personal", board, reveal)
        self.today: Callable[[], date] = lambda: utc_now().astimezone().date()
        self.date_of_birth = DateField()
        self.date_of_birth.setAccessibleName("Date of birth")
        self.age = QLabel()
        self.age.setObjectName("subtleText")
        self.age.setAccessibleName("Age")
        self.sex = sex_combo("Sex", blank="Choose")
        self.gender_identity = QLineEdit()
        self.gender_identity.setMaxLength(40)

        self.ssn = QLineEdit()
        self.ssn.setEchoMode(QLineEdit.EchoMode.Password)
        self.ssn.setMaxLength(11)
        self.ssn.setAccessibleName("Social Security number")
        self.ssn.setPlaceholderText("NNN-NN-NNNN")
        self.show_ssn = QPushButton("Show")
        self.show_ssn.setAutoDefault(True)
        self.show_ssn.setAccessibleName("Show the Social Security number")
        self.show_ssn.clicked.connect(self.toggle_ssn)
        self.clear_ssn = QCheckBox("Remove the SSN on file")
        self.clear_ssn.setVisible(False)
        self.ssn_masked = ""
        self.revealed = False

        self.add_field(
            "date_of_birth", "Date of birth", self.date_of_birth, required=True,
            beside=[self.age],
        )  # fmt: skip
        self.add_field("sex", "Sex", self.sex, required=True)
        self.add_field("gender_identity", "Gender identity", self.gender_identity)
        self.add_field("ssn", "SSN", self.ssn, beside=[self.show_ssn, self.clear_ssn])
        board.register("clear_ssn", self.clear_ssn, board.targets["ssn"].label)
        self.date_of_birth.textChanged.connect(self.update_age)

    def update_age(self) -> None:
        """Show the age for the typed date of birth (nothing while it is not a date)."""
        born = self.date_of_birth.date_value()
        today = self.today()
        if born is None:
            self.age.clear()
        elif born > today:
            self.age.setText("in the future")
        else:
            years = age_on(born, today)
            self.age.setText(f"Age {years}" if years else "Under 1 year")

    def toggle_ssn(self) -> None:
        """Show or hide the SSN; a stored one is asked for through `reveal_requested`."""
        if self.ssn.echoMode() == QLineEdit.EchoMode.Normal:
            self.hide_ssn()
            return
        if self.ssn.text() or not self.ssn_masked:
            self.ssn.setEchoMode(QLineEdit.EchoMode.Normal)
            self.show_ssn.setText("Hide")
            return
        self.reveal_requested.emit()

    def show_revealed(self, number: str) -> None:
        """Show the stored SSN the service returned after the audited look-up."""
        self.revealed = True
        self.ssn.setText(number)
        self.ssn.setEchoMode(QLineEdit.EchoMode.Normal)
        self.show_ssn.setText("Hide")

    def hide_ssn(self) -> None:
        """Mask the SSN again; a revealed stored number leaves the field."""
        if self.revealed:
            self.ssn.clear()
            self.revealed = False
        self.ssn.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_ssn.setText("Show")

    def fill(self, form: PatientForm) -> None:
        """Show the personal details of `form`."""
        self.date_of_birth.set_date(form.date_of_birth)
        if form.sex:
            select_data(self.sex, form.sex)
        else:
            self.sex.setCurrentIndex(0)
        self.gender_identity.setText(form.gender_identity)
        self.ssn_masked = form.ssn_masked
        self.revealed = False
        self.ssn.setText(form.ssn)
        self.ssn.setPlaceholderText(form.ssn_masked or "NNN-NN-NNNN")
        self.clear_ssn.setVisible(bool(form.ssn_masked))
        self.clear_ssn.setChecked(form.clear_ssn)
        self.hide_ssn()
        self.update_age()

    def apply(self, form: PatientForm) -> None:
        """Write the personal details into `form` (a revealed stored SSN is not re-sent)."""
        form.date_of_birth = self.date_of_birth.date_value()
        form.sex = str(self.sex.currentData() or "")
        form.gender_identity = self.gender_identity.text()
        form.ssn = "" if self.revealed else self.ssn.text()
        # isHidden, not isVisible: a record hidden while the screen is locked still counts.
        form.clear_ssn = not self.clear_ssn.isHidden() and self.clear_ssn.isChecked()

    def focus_chain(self) -> list[QWidget]:
        """Return the personal fields in Tab order."""
        fields = [self.date_of_birth, self.sex, self.gender_identity, self.ssn, self.show_ssn]
        return [*fields, self.clear_ssn]


class ContactSection(Section):
    """Address, phones, email and how the patient wants to be reached."""

    def __init__(self, board: ProblemBoard, reveal: Callable[[QWidget], None]) -> None:
        super().__init__("&Contact", board, reveal)
        self.address = AddressFields("")
        self.phones = RowList("phones", PhoneRow, "Add phone", board)
        self.email = QLineEdit()
        self.email.setMaxLength(120)
        self.email.setPlaceholderText("name@example.com")
        self.preferred_contact = QComboBox()
        self.preferred_contact.addItem("Not given", "")
        for method in CONTACT_METHODS:
            self.preferred_contact.addItem(method.capitalize(), method)
        self.reminder_consent = QCheckBox("Agrees to appointment reminders")
        self.preferred_language = QLineEdit()
        self.preferred_language.setMaxLength(40)
        self.preferred_language.setPlaceholderText("English")
        address = self.address
        self.add_field("address_line1", "Address line 1", address.line1, required=True)
        self.add_field("address_line2", "Address line 2", address.line2)
        self.add_field("zip_code", "ZIP code", address.zip_code, required=True)
        self.rows.addRow("", address.suggestion)
        self.add_field("city", "City", address.city, required=True)
        self.add_field("state", "State", address.state, required=True)
        self.add_list("Phones (the first is called first)", self.phones)
        self.add_field("email", "Email", self.email)
        self.add_field("preferred_contact", "Preferred contact", self.preferred_contact)
        self.add_field("reminder_consent", "Reminders", self.reminder_consent)
        self.add_field("preferred_language", "Preferred language", self.preferred_language)

    def fill(self, form: PatientForm) -> None:
        """Show the contact details of `form`."""
        self.address.set_values(
            form.address_line1, form.address_line2, form.city, form.state, form.zip_code
        )
        self.phones.set_values(form.phones)
        self.email.setText(form.email)
        select_data(self.preferred_contact, form.preferred_contact)
        self.reminder_consent.setChecked(form.reminder_consent)
        self.preferred_language.setText(form.preferred_language)

    def apply(self, form: PatientForm) -> None:
        """Write the contact details into `form`."""
        form.address_line1 = self.address.line1.text()
        form.address_line2 = self.address.line2.text()
        form.city = self.address.city.text()
        form.state = self.address.state_code()
        form.zip_code = self.address.zip_code.text()
        form.phones = self.phones.values()
        form.email = self.email.text()
        form.preferred_contact = str(self.preferred_contact.currentData() or "")
        form.reminder_consent = self.reminder_consent.isChecked()
        form.preferred_language = self.preferred_language.text()

    def focus_chain(self) -> list[QWidget]:
        """Return the contact fields in Tab order."""
        return [
            *self.address.focus_chain(), *self.phones.focus_chain(), self.email,
            self.preferred_contact, self.reminder_consent, self.preferred_language,
        ]  # fmt: skip


class MoreSection(Section):
    """Marital status, employer, emergency contact, providers, status and recall."""

    def __init__(self, board: ProblemBoard, reveal: Callable[[QWidget], None]) -> None:
        super().__init__("&More", board, reveal)
        self.marital_status = QComboBox()
        self.marital_status.addItem("Not given", "")
        for status in MARITAL_STATUSES:
            self.marital_status.addItem(status.capitalize(), status)
        self.employer_name = QLineEdit()
        self.employer_name.setMaxLength(60)

        self.emergency_name = QLineEdit()
        self.emergency_name.setMaxLength(60)
        self.emergency_phone = QLineEdit()
        self.emergency_phone.setPlaceholderText("(512) 555-0100")
        self.emergency_relation = QLineEdit()
        self.emergency_relation.setMaxLength(30)
        self.emergency_relation.setPlaceholderText("Spouse, parent, friend")
        self.primary_provider = id_combo("None")
        self.referring_provider = id_combo("None")
        self.status = QComboBox()
        for status in STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.deceased_on = DateField()
        self.recall = QSpinBox()
        self.recall.setRange(0, MAX_RECALL_MONTHS)
        self.recall.setSpecialValueText("No recall")
        self.recall.setSuffix(" months")

        fields: list[tuple[str, str, QWidget]] = [
            ("marital_status", "Marital status", self.marital_status),
            ("employer_name", "Employer", self.employer_name),
            ("emergency_contact_name", "Emergency contact", self.emergency_name),
            ("emergency_contact_phone", "Emergency phone", self.emergency_phone),
            ("emergency_contact_relation", "Relationship", self.emergency_relation),
            ("primary_provider_id", "Primary provider", self.primary_provider),
            ("referring_provider_id", "Referring provider", self.referring_provider),
            ("status", "Status", self.status),
            ("deceased_on", "Date of death", self.deceased_on),
            ("recall_interval_months", "Recall every", self.recall),
        ]
        for path, caption, widget in fields:
            self.add_field(path, caption, widget)
        self.status.currentIndexChanged.connect(self._sync_deceased)
        self._sync_deceased()

    def _sync_deceased(self) -> None:
        self.deceased_on.setEnabled(self.status.currentData() == "deceased")

    def set_providers(self, providers: Sequence[Choice], outside: Sequence[Choice]) -> None:
        """Offer the practice's providers and the outside (referring) providers."""
        set_choices(self.primary_provider, providers)
        set_choices(self.referring_provider, outside)

    def fill(self, form: PatientForm) -> None:
        """Show the other details of `form`."""
        select_data(self.marital_status, form.marital_status)
        self.employer_name.setText(form.employer_name)
        self.emergency_name.setText(form.emergency_contact_name)
        self.emergency_phone.setText(form.emergency_contact_phone)
        self.emergency_relation.setText(form.emergency_contact_relation)
        select_id(self.primary_provider, form.primary_provider_id)
        select_id(self.referring_provider, form.referring_provider_id)
        select_data(self.status, form.status)
        self.deceased_on.set_date(form.deceased_on)
        self.recall.setValue(form.recall_interval_months or 0)
        self._sync_deceased()

    def apply(self, form: PatientForm) -> None:
        """Write the other details into `form`; the date of death only for status deceased."""
        form.marital_status = str(self.marital_status.currentData() or "")
        form.employer_name = self.employer_name.text()
        form.emergency_contact_name = self.emergency_name.text()
        form.emergency_contact_phone = self.emergency_phone.text()
        form.emergency_contact_relation = self.emergency_relation.text()
        form.primary_provider_id = self.primary_provider.currentData()
        form.referring_provider_id = self.referring_provider.currentData()
        form.status = str(self.status.currentData() or "active")
        deceased = form.status == "deceased"
        form.deceased_on = self.deceased_on.date_value() if deceased else None
        form.recall_interval_months = self.recall.value() or None

    def focus_chain(self) -> list[QWidget]:
        """Return the fields in Tab order."""
        return [
            self.marital_status, self.employer_name, self.emergency_name,
            self.emergency_phone, self.emergency_relation, self.primary_provider,
            self.referring_provider, self.status, self.deceased_on, self.recall,
        ]  # fmt: skip


class AlertsSection(Section):
    """Alerts shown whenever the record opens."""

    def __init__(self, board: ProblemBoard, reveal: Callable[[QWidget], None]) -> None:
        super().__init__("&Alerts", board, reveal)
        self.alerts = RowList("alerts", AlertRow, "Add alert", board)
        self.rows.addRow(self.alerts)

    def fill(self, form: PatientForm) -> None:
        """Show the alerts of `form`."""
        self.alerts.set_values(form.alerts)

    def apply(self, form: PatientForm) -> None:
        """Write the alerts into `form`."""
        form.alerts = self.alerts.values()

    def focus_chain(self) -> list[QWidget]:
        """Return the alert rows and the Add button in Tab order."""
        return self.alerts.focus_chain()
