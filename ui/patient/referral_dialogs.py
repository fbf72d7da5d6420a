"""The add and edit dialogs of a patient's referrals and prior authorizations."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget
from sqlalchemy.orm import Session

from app.problems import Problem
from app.progress import Progress
from app.services import authorizations, referrals
from app.services.admin_records import PayerSummary
from app.services.authorization_codes import parse_codes
from app.services.authorizations import UNIT_KINDS, AuthorizationForm, AuthorizationView
from app.services.outcomes import SaveOutcome
from app.services.outside_providers import OutsideProviderSummary
from app.services.referrals import CoverageChoice, ReferralForm, ReferralView
from app.validators import echo_for_message
from ui.admin.common import Work
from ui.admin.forms import RecordDialog, line
from ui.context import AppContext
from ui.patient.fields import DateField
from ui.widgets import find_data

log = logging.getLogger(__name__)

NO_COVERAGE = "None"


@dataclass(frozen=True)
class Choices:
    """The entries the dialogs' pickers offer, loaded with the tab's lists."""

    today: date
    providers: list[OutsideProviderSummary]
    coverages: list[CoverageChoice]
    payers: list[PayerSummary]


def id_combo(placeholder: str, entries: list[tuple[uuid.UUID, str]]) -> QComboBox:
    """Return a combo whose first entry (data "") means none, then one entry per record id."""
    combo = QComboBox()
    combo.addItem(placeholder, "")
    for record_id, label in entries:
        combo.addItem(label, str(record_id))
    return combo


def select_id(combo: QComboBox, record_id: uuid.UUID | None, label: str = "") -> None:
    """Select the entry of `record_id`, adding it with `label` when the list lacks it."""
    if record_id is None:
        combo.setCurrentIndex(0)
        return
    index = find_data(combo, str(record_id))
    if index < 0:
        combo.addItem(label or str(record_id), str(record_id))
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def chosen_id(combo: QComboBox) -> uuid.UUID | None:
    """Return the record id of the chosen entry, or None for the placeholder."""
    data = combo.currentData()
    return uuid.UUID(data) if data else None


def parse_count(text: str) -> int | None:
    """Return a typed whole number, or None for empty or unreadable text."""
    stripped = text.strip()
    if not stripped.lstrip("-").isdigit():
        return None
    return int(stripped)


def count_text_problems(edit: QLineEdit, field: str, label: str) -> list[Problem]:
    """Return a problem when a count field contains text that is not a whole number."""
    text = edit.text().strip()
    if not text or parse_count(text) is not None:
        return []
    message = f"{label} {echo_for_message(text)} is not a whole number; type digits only."
    return [Problem(field, message)]


def without_fields(problems: list[Problem], unreadable: list[Problem]) -> list[Problem]:
    """Combine problems, dropping rule problems about a field whose text could not be read."""
    fields = {problem.field for problem in unreadable}
    return unreadable + [problem for problem in problems if problem.field not in fields]


def date_field(value: date | None) -> DateField:
    """Return a date field showing `value`."""
    field = DateField()
    field.set_date(value)
    return field


def coverage_combo(choices: Choices, current: ReferralView | AuthorizationView | None) -> QComboBox:
    """Return the picker of the patient's coverages, with None first.

    A new record starts on the primary coverage, the one most referrals and
    authorizations come from.
    """
    combo = id_combo(NO_COVERAGE, [(choice.id, choice.label) for choice in choices.coverages])
    if current is None:
        combo.setCurrentIndex(1 if choices.coverages else 0)
    else:
        select_id(combo, current.coverage_id, current.coverage_label)
    return combo


class ReferralDialog(RecordDialog):
    """Adds or edits a referral; problems show beside their fields and typed text stays."""

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        choices: Choices,
        referral: ReferralView | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "Add referral" if referral is None else "Edit referral", parent)
        self.patient_id = patient_id
        self.referral = referral
        providers = [(provider.id, provider.display_name) for provider in choices.providers]
        self.provider = id_combo("Choose the referring provider", providers)
        if referral is not None:
            select_id(self.provider, referral.outside_provider_id, referral.provider_name)
        self.coverage = coverage_combo(choices, referral)
        self.referral_number = line(referral.referral_number if referral else "", 50)
        self.referred_on = date_field(referral.referred_on if referral else choices.today)
        self.expires_on = date_field(referral.expires_on if referral else None)
        allowed = referral.visits_allowed if referral else None
        self.visits_allowed = line("" if allowed is None else str(allowed), 6)
        self.visits_used = line(str(referral.visits_used) if referral else "0", 6)
        self.reason = line(referral.reason if referral else "", referrals.REASON_MAX_LENGTH)
        self._add_fields()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("outside_provider_id", "Referring &provider", self.provider,
                       "Add new referring providers under Admin > Outside providers")  # fmt: skip
        form.add_field("coverage_id", "Co&verage", self.coverage, "The plan that asked for it")
        form.add_field("referral_number", "Referral &number", self.referral_number,
                       "The number the plan gave the referral; claims carry it")  # fmt: skip
        form.add_field("referred_on", "&Referred on", self.referred_on, "MM/DD/YYYY")
        form.add_field("expires_on", "E&xpires on", self.expires_on,
                       "MM/DD/YYYY; leave blank when the referral has no end date")  # fmt: skip
        form.add_field("visits_allowed", "Visits &allowed", self.visits_allowed,
                       "Leave blank when the referral allows any number of visits")  # fmt: skip
        form.add_field("visits_used", "Visits &used", self.visits_used,
                       "Visits already counted against the referral")  # fmt: skip
        form.add_field("reason", "Rea&son", self.reason)

    def build_form(self) -> ReferralForm:
        """Return the referral as typed (unreadable numbers and dates become None)."""
        used = parse_count(self.visits_used.text())
        return ReferralForm(
            patient_id=self.patient_id,
            outside_provider_id=chosen_id(self.provider),
            coverage_id=chosen_id(self.coverage),
            referral_number=self.referral_number.text(),
            reason=self.reason.text(),
            referred_on=self.referred_on.date_value(),
            expires_on=self.expires_on.date_value(),
            visits_allowed=parse_count(self.visits_allowed.text()),
            visits_used=0 if used is None else used,
            id=self.referral.id if self.referral else None,
        )

    def local_problems(self) -> list[Problem]:
        unreadable = [
            *self.referred_on.problems("referred_on", "Referred on"),
            *self.expires_on.problems("expires_on", "Expires on"),
            *count_text_problems(self.visits_allowed, "visits_allowed", "Visits allowed"),
            *count_text_problems(self.visits_used, "visits_used", "Visits used"),
        ]
        return without_fields(referrals.referral_form_problems(self.build_form()), unreadable)

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = referrals.save_referral(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work


class AuthorizationDialog(RecordDialog):
    """Adds or edits a prior authorization; service codes are typed as a list."""

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        choices: Choices,
        authorization: AuthorizationView | None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Add prior authorization" if authorization is None else "Edit prior authorization"
        super().__init__(context, title, parent)
        self.patient_id = patient_id
        self.authorization = authorization
        self.choices = choices
        current = authorization
        self.coverage = coverage_combo(choices, current)
        self.payer = id_combo(
            "Choose the payer", [(payer.id, payer.name) for payer in choices.payers]
        )
        if current is not None:
            select_id(self.payer, current.payer_id, current.payer_name)
        self.authorization_number = line(current.authorization_number if current else "", 50)
        self.starts_on = date_field(current.starts_on if current else None)
        self.ends_on = date_field(current.ends_on if current else None)
        self.unit_kind = QComboBox()
        for kind, label in UNIT_KINDS.items():
            self.unit_kind.addItem(label, kind)
        self.unit_kind.setCurrentIndex(
            find_data(self.unit_kind, current.unit_kind if current else "visits")
        )
        self.authorized = line(str(current.authorized) if current else "", 6)
        self.used = line(str(current.used) if current else "0", 6)
        self.codes = line(", ".join(current.codes) if current else "")
        self.all_services = QCheckBox("Covers all ser&vices (no code list)")
        self.all_services.setChecked(bool(current and current.covers_all_services))
        self.notes = line(current.notes if current else "", authorizations.NOTES_MAX_LENGTH)
        self._add_fields()
        self.coverage.currentIndexChanged.connect(self._follow_coverage)
        self._follow_coverage()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("coverage_id", "Co&verage", self.coverage,
                       "Choosing a coverage takes the payer from it")  # fmt: skip
        form.add_field("payer_id", "&Payer", self.payer)
        form.add_field("authorization_number", "Authorization &number", self.authorization_number,
                       "The number the payer issued; claims carry it")  # fmt: skip
        form.add_field("starts_on", "&Starts on", self.starts_on, "First covered day, MM/DD/YYYY")
        form.add_field("ends_on", "&Ends on", self.ends_on, "Last covered day, MM/DD/YYYY")
        form.add_field("unit_kind", "&Counted in", self.unit_kind)
        form.add_field("authorized", "&Authorized", self.authorized, "How many the payer approved")
        form.add_field("used", "&Used", self.used, "How many are already used")
        form.add_field("codes", "Service c&odes", self.codes,
                       "CPT or HCPCS codes only, separated by commas or spaces, "
                       "such as 97110, 97140")  # fmt: skip
        form.add_field("covers_all_services", "", self.all_services)
        form.add_field("notes", "No&tes", self.notes)

    def _follow_coverage(self) -> None:
        """Show the chosen coverage's payer, which the authorization must be from."""
        coverage_id = chosen_id(self.coverage)
        coverage = next((c for c in self.choices.coverages if c.id == coverage_id), None)
        if coverage is not None:
            select_id(self.payer, coverage.payer_id, coverage.payer_name)
        self.payer.setEnabled(coverage is None)

    def build_form(self) -> AuthorizationForm:
        """Return the authorization as typed (unreadable numbers and dates become None)."""
        used = parse_count(self.used.text())
        return AuthorizationForm(
            patient_id=self.patient_id,
            coverage_id=chosen_id(self.coverage),
            payer_id=chosen_id(self.payer),
            authorization_number=self.authorization_number.text(),
            starts_on=self.starts_on.date_value(),
            ends_on=self.ends_on.date_value(),
            unit_kind=str(self.unit_kind.currentData()),
            authorized=parse_count(self.authorized.text()),
            used=0 if used is None else used,
            codes=parse_codes(self.codes.text()),
            covers_all_services=self.all_services.isChecked(),
            notes=self.notes.text(),
            id=self.authorization.id if self.authorization else None,
        )

    def local_problems(self) -> list[Problem]:
        unreadable = [
            *self.starts_on.problems("starts_on", "Starts on"),
            *self.ends_on.problems("ends_on", "Ends on"),
            *count_text_problems(self.authorized, "authorized", "Authorized"),
            *count_text_problems(self.used, "used", "Used"),
        ]
        rules = authorizations.authorization_form_problems(self.build_form())
        return without_fields(rules, unreadable)

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = authorizations.save_authorization(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work
