"""Saving one imported FHIR Patient, with its coverages, through the registration service.

A new patient is saved from the form built by `fhir_mapping.patient_form`. A patient
imported before is loaded with `load_patient_form`, the imported values are laid over
it and it is saved only when something changed, so what the desk added (alerts,
guarantor, emergency contact, a corrected member id) survives a re-import.
"""

import copy
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.contact import normalize_phone_e164, parse_phone
from app.errors import NotFoundError
from app.models.patients import Coverage, Patient
from app.problems import has_errors
from app.security.permissions import Actor
from app.services.fhir_bundle import FhirPatient, Identifier
from app.services.fhir_mapping import (
    UNKNOWN_MEMBER_ID,
    DateRange,
    PlannedCoverage,
    assign_priorities,
    claim_filing_indicator,
    patient_form,
    resource_identity,
)
from app.services.fhir_records import RecordWriter, RowOutcome
from app.services.patient_forms import AlertEntry, CoverageForm, PatientForm
from app.services.registration import load_patient_form, save_patient

log = logging.getLogger(__name__)

# Identifier system of the one coverage per patient that the importer builds from claims.
CLAIMS_COVERAGE_SYSTEM = "urn:clinicdesk:fhir:claims-coverage"

MEMBER_ID_ALERT = (
    "Insurance member ID missing: the coverage was imported without one. Copy the ID "
    "from the insurance card."
)

# Fields the import sets whenever the bundle has a value for them.
_IMPORTED_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "date_of_birth",
    "sex",
    "email",
    "marital_status",
    "preferred_language",
)
_ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state")


@dataclass
class SavedPatient:
    """The outcome of importing one patient, with notes and the kinds of record written."""

    patient_id: uuid.UUID | None
    outcome: RowOutcome
    notes: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


@dataclass
class _Coverage:
    """A planned coverage with its payer row and the identifier it is found by."""

    plan: PlannedCoverage
    payer_id: uuid.UUID
    identity: Identifier
    form_id: uuid.UUID | None = None


class PatientWriter:
    """Creates or updates imported patients through `app.services.registration`."""

    def __init__(self, session: Session, actor: Actor, today: date, records: RecordWriter) -> None:
        self.session = session
        self.actor = actor
        self.today = today
        self.records = records

    def save(
        self,
        patient: FhirPatient,
        file_name: str,
        plans: list[PlannedCoverage],
        notes: list[str],
        strip_digits: bool = False,
    ) -> SavedPatient:
        """Save one patient and its coverages; return the outcome with its notes."""
        if patient.birth_date is None:
            return SavedPatient(None, RowOutcome.SKIPPED, ["No birth date; not imported."])
        mapped = patient_form(patient, strip_digits)
        notes = [*mapped.notes, *notes]
        identity = resource_identity(patient.base, file_name)
        coverages, kinds = self._coverages(identity, plans, notes)

        existing = self.records.find_reference(identity, "Patient")
        if existing is None:
            form = self._new_form(mapped.form, coverages, notes)
        else:
            try:
                loaded = load_patient_form(self.session, self.actor, existing)
            except NotFoundError:
                notes.append("The record it was imported into before is archived; not updated.")
                return SavedPatient(existing, RowOutcome.SKIPPED, notes)
            form = self._updated_form(loaded, mapped.form, coverages, notes)
            if form == loaded:
                return SavedPatient(existing, RowOutcome.UNCHANGED, notes, Changes.of(*kinds))
        return self._write(form, identity, coverages, notes, kinds)

    # ---- coverages ----------------------------------------------------------------------

    def _coverages(
        self, identity: Identifier, plans: list[PlannedCoverage], notes: list[str]
    ) -> tuple[list[_Coverage], set[ChangeKind]]:
        found: list[_Coverage] = []
        kinds: set[ChangeKind] = set()
        for plan in plans:
            if plan.relationship_code != "18":
                # NOTE: the Coverage's subscriber resource is not read yet, and registration
                # needs the subscriber's name, birth date and sex for any other relationship.
                notes.append(
                    f"Coverage with {plan.payer.name} belongs to another subscriber "
                    f"(relationship {plan.relationship_code}); add it by hand."
                )
                continue
            written = self.records.ensure_payer(plan.payer)
            if written.outcome is RowOutcome.IMPORTED:
                notes.append(f"Payer {plan.payer.name} added.")
                kinds.add(ChangeKind.PAYERS)
            source = plan.source or Identifier(
                CLAIMS_COVERAGE_SYSTEM, f"{identity.system}|{identity.value}"
            )
            found.append(_Coverage(plan, written.local_id, source))
        return found, kinds

    @staticmethod
    def _coverage_form(item: _Coverage) -> CoverageForm:
        plan = item.plan
        return CoverageForm(
            payer_id=item.payer_id,
            priority=plan.priority,
            plan_name=plan.plan_name,
            plan_type=claim_filing_indicator(plan.payer.name),
            member_id=plan.member_id,
            relationship_code=plan.relationship_code,
            effective_date=plan.effective_date,
            termination_date=plan.termination_date,
        )

    def _new_form(
        self, form: PatientForm, coverages: list[_Coverage], notes: list[str]
    ) -> PatientForm:
        kept, priority_notes = assign_priorities([item.plan for item in coverages], [])
        notes += priority_notes
        form.coverages = [self._coverage_form(item) for item in coverages if item.plan in kept]
        if any(form_item.member_id == UNKNOWN_MEMBER_ID for form_item in form.coverages):
            form.alerts.append(AlertEntry(MEMBER_ID_ALERT, "warning"))
        return form

    def _updated_form(
        self, loaded: PatientForm, fresh: PatientForm, coverages: list[_Coverage], notes: list[str]
    ) -> PatientForm:
        form = copy.deepcopy(loaded)
        _overlay(form, fresh, self._ssn_on_file(loaded.id))
        matched: dict[uuid.UUID, _Coverage] = {}
        for item in coverages:
            item.form_id = self.records.find_reference(item.identity, "Coverage")
            if any(existing.id == item.form_id for existing in form.coverages):
                matched[item.form_id] = item  # type: ignore[index]
        taken = [
            (existing.priority, DateRange(existing.effective_date, existing.termination_date))
            for existing in form.coverages
            if existing.id not in matched and not existing.archived
        ]
        kept, priority_notes = assign_priorities([item.plan for item in coverages], taken)
        notes += priority_notes
        for item in coverages:
            if item.plan not in kept:
                continue
            existing_form = next((c for c in form.coverages if c.id == item.form_id), None)
            if existing_form is None:
                form.coverages.append(self._coverage_form(item))
            else:
                _update_coverage(existing_form, item)
        needs_alert = any(c.member_id == UNKNOWN_MEMBER_ID for c in form.coverages)
        if needs_alert and all(alert.message != MEMBER_ID_ALERT for alert in form.alerts):
            form.alerts.append(AlertEntry(MEMBER_ID_ALERT, "warning"))
        return form

    def _ssn_on_file(self, patient_id: uuid.UUID | None) -> str:
        # Read only to compare with the imported number; it never leaves this service.
        patient = self.session.get(Patient, patient_id) if patient_id else None
        return (patient.ssn or "") if patient else ""

    # ---- saving -------------------------------------------------------------------------

    def _write(
        self,
        form: PatientForm,
        identity: Identifier,
        coverages: list[_Coverage],
        notes: list[str],
        kinds: set[ChangeKind],
    ) -> SavedPatient:
        created = form.id is None
        outcome = save_patient(self.session, self.actor, form, self.today)
        if has_errors(outcome.problems) or outcome.patient_id is None:
            messages = [f"{problem.field}: {problem.message}" for problem in outcome.problems]
            return SavedPatient(None, RowOutcome.SKIPPED, [*notes, *messages])

        patient_id = outcome.patient_id
        self.records.remember_reference(identity, "Patient", ("patient", patient_id))
        for item in coverages:
            coverage_id = item.form_id or self._saved_coverage(patient_id, item)
            if coverage_id is not None:
                self.records.remember_reference(
                    item.identity, "Coverage", ("coverage", coverage_id)
                )
        result = RowOutcome.IMPORTED if created else RowOutcome.UPDATED
        changes = Changes(outcome.changes.kinds | frozenset(kinds))
        log.info("FHIR import %s patient %s", result.value, patient_id)
        return SavedPatient(patient_id, result, notes, changes)

    def _saved_coverage(self, patient_id: uuid.UUID, item: _Coverage) -> uuid.UUID | None:
        query = (
            select(Coverage.id)
            .where(Coverage.patient_id == patient_id, Coverage.payer_id == item.payer_id)
            .where(Coverage.member_id == item.plan.member_id, Coverage.archived.is_(False))
            .order_by(Coverage.created_at.desc())
            .limit(1)
        )
        return self.session.scalar(query)


def _same_phone(stored: str, number: str) -> bool:
    return parse_phone(stored) is not None and normalize_phone_e164(stored) == number


def _overlay(form: PatientForm, fresh: PatientForm, ssn_on_file: str) -> None:
    """Lay the imported values over a loaded form, keeping what the bundle leaves out."""
    for name in _IMPORTED_FIELDS:
        value = getattr(fresh, name)
        if value:
            setattr(form, name, value)
    if fresh.address_line1:
        for name in _ADDRESS_FIELDS:
            setattr(form, name, getattr(fresh, name))
        form.zip_code = fresh.zip_code or form.zip_code
    if fresh.ssn and fresh.ssn != ssn_on_file:
        form.ssn = fresh.ssn
    if fresh.status != "active":
        form.status, form.deceased_on = fresh.status, fresh.deceased_on
    for phone in fresh.phones:
        if not any(_same_phone(existing.number, phone.number) for existing in form.phones):
            form.phones.append(phone)
    for previous in fresh.previous_names:
        known = [(item.first_name, item.last_name) for item in form.previous_names]
        if (previous.first_name, previous.last_name) not in known:
            form.previous_names.append(previous)


def _update_coverage(form: CoverageForm, item: _Coverage) -> None:
    """Update a coverage imported before; a member id typed at the desk is kept."""
    plan = item.plan
    payer_changed = form.payer_id != item.payer_id
    form.payer_id = item.payer_id
    form.priority = plan.priority
    form.effective_date = plan.effective_date
    form.termination_date = plan.termination_date
    form.plan_name = plan.plan_name or form.plan_name
    if plan.member_id != UNKNOWN_MEMBER_ID or payer_changed:
        form.member_id = plan.member_id
    if payer_changed:
        form.plan_type = claim_filing_indicator(plan.payer.name)
