"""Patient registration: load a patient into a form, check it, save it, reveal the SSN.

The screen edits a `PatientForm` (app.services.patient_forms). `patient_problems` lists
every problem at once. `save_patient` writes nothing while any error remains. Otherwise it
creates or updates the patient with its phones, previous names, alerts, coverages and card
images, and the guarantor and subscribers who are not patients. Opening a record and
revealing an SSN are audited views.
"""

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ages import age_on
from app.changes import Changes
from app.contact import display_phone
from app.ids import PatientId
from app.models.patients import (
    Coverage,
    OutsideProvider,
    Patient,
    PatientAlert,
    PatientPhone,
    PatientPreviousName,
    Person,
)
from app.models.practice import Payer, Provider
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission, require
from app.services.coverage_checks import coverage_problems
from app.services.documents import (
    DocumentContent,
    DocumentSummary,
    active_patient,
    add_document,
    archive_document,
    list_documents,
    read_document,
)
from app.services.patient_forms import (
    AlertEntry,
    CoverageForm,
    PartyChoice,
    PatientForm,
    PersonForm,
    PhoneEntry,
    PreviousNameEntry,
)
from app.services.patient_search import PatientMatch, search_patients
from app.services.recall import add_months, last_visit_date
from app.services.registration_checks import patient_problems
from app.services.registration_save import write_patient
from app.services.stale_forms import stale_form_problems

log = logging.getLogger(__name__)

OBJECT_TYPE = "patient"

__all__ = [
    "Choice",
    "DocumentContent",
    "DocumentSummary",
    "SaveOutcome",
    "add_document",
    "age_on",
    "archive_document",
    "coverage_problems",
    "find_patients_for_party",
    "list_documents",
    "load_patient_form",
    "mask_ssn",
    "new_patient_form",
    "outside_provider_choices",
    "patient_age",
    "patient_problems",
    "payer_choices",
    "provider_choices",
    "read_document",
    "reveal_ssn",
    "save_patient",
]


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """The result of a save: the problems found, and the record when it was written.

    With any error among `problems` nothing was written, `changes` is empty and
    `patient_id` and `chart_number` are the form's own (None for a new patient).
    Warnings do not block the save and are returned beside the written record.
    """

    problems: list[Problem]
    patient_id: PatientId | None
    chart_number: str | None
    changes: Changes

    @property
    def saved(self) -> bool:
        """True when the patient was written."""
        return not has_errors(self.problems)


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a picker: a record id and the label the list shows."""

    id: uuid.UUID
    label: str


def new_patient_form() -> PatientForm:
    """Return an empty form for a new patient: active, no phones, the patient as guarantor."""
    return PatientForm()


def mask_ssn(ssn: str | None) -> str:
    """Return a stored SSN masked to its last four digits ("***-**-1234"), or "" if none."""
    return f"***-**-{ssn[-4:]}" if ssn else ""


def _format_ssn(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _phones(session: Session, patient_id: uuid.UUID) -> list[PatientPhone]:
    query = select(PatientPhone).where(
        PatientPhone.patient_id == patient_id, PatientPhone.archived.is_(False)
    )
    return list(session.scalars(query.order_by(PatientPhone.position, PatientPhone.id)))


def _previous_names(session: Session, patient_id: uuid.UUID) -> list[PatientPreviousName]:
    query = select(PatientPreviousName).where(
        PatientPreviousName.patient_id == patient_id, PatientPreviousName.archived.is_(False)
    )
    return list(session.scalars(query.order_by(PatientPreviousName.id)))


def _alerts(session: Session, patient_id: uuid.UUID) -> list[PatientAlert]:
    query = select(PatientAlert).where(
        PatientAlert.patient_id == patient_id, PatientAlert.archived.is_(False)
    )
    return list(session.scalars(query.order_by(PatientAlert.id)))


def _person_form(person: Person) -> PersonForm:
    return PersonForm(
        first_name=person.first_name,
        middle_name=person.middle_name or "",
        last_name=person.last_name,
        suffix=person.suffix or "",
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        address_line1=person.address_line1 or "",
        address_line2=person.address_line2 or "",
        city=person.city or "",
        state=person.state or "",
        zip_code=person.zip_code or "",
        phone=display_phone(person.phone),
        email=person.email or "",
        employer_name=person.employer_name or "",
        id=person.id,
    )


def _party(
    session: Session, patient_id: uuid.UUID | None, person_id: uuid.UUID | None
) -> PartyChoice:
    if patient_id is not None:
        return PartyChoice(kind="patient", patient_id=patient_id)
    person = session.get(Person, person_id) if person_id is not None else None
    if person is not None:
        return PartyChoice(kind="person", person=_person_form(person))
    return PartyChoice()


def _coverage_form(session: Session, coverage: Coverage) -> CoverageForm:
    return CoverageForm(
        payer_id=coverage.payer_id,
        priority=coverage.priority,
        plan_name=coverage.plan_name or "",
        plan_type=coverage.plan_type or "",
        member_id=coverage.member_id,
        group_number=coverage.group_number or "",
        group_name=coverage.group_name or "",
        subscriber=_party(session, coverage.subscriber_patient_id, coverage.subscriber_person_id),
        relationship_code=coverage.relationship_code,
        effective_date=coverage.effective_date,
        termination_date=coverage.termination_date,
        copay_office=coverage.copay_office,
        copay_specialist=coverage.copay_specialist,
        copay_urgent_care=coverage.copay_urgent_care,
        copay_emergency=coverage.copay_emergency,
        id=coverage.id,
    )


def _active_coverages(session: Session, patient_id: uuid.UUID) -> list[Coverage]:
    query = select(Coverage).where(Coverage.patient_id == patient_id, Coverage.archived.is_(False))
    return list(session.scalars(query.order_by(Coverage.priority, Coverage.effective_date)))


def _list_fields(session: Session, patient: Patient) -> dict[str, object]:
    phones = _phones(session, patient.id)
    names = _previous_names(session, patient.id)
    alerts = _alerts(session, patient.id)
    return {
        "phones": [
            PhoneEntry(row.kind, display_phone(row.number), row.extension or "", row.id)
            for row in phones
        ],
        "previous_names": [
            PreviousNameEntry(
                row.first_name,
                row.middle_name or "",
                row.last_name,
                row.suffix or "",
                row.used_until,
                row.id,
            )
            for row in names
        ],
        "alerts": [AlertEntry(row.message, row.severity, row.id) for row in alerts],
        "coverages": [
            _coverage_form(session, row) for row in _active_coverages(session, patient.id)
        ],
        "guarantor": _party(session, patient.guarantor_patient_id, patient.guarantor_person_id),
    }


def _patient_form(session: Session, patient: Patient) -> PatientForm:
    return PatientForm(
        first_name=patient.first_name,
        middle_name=patient.middle_name or "",
        last_name=patient.last_name,
        suffix=patient.suffix or "",
        preferred_name=patient.preferred_name or "",
        sex=patient.sex,
        gender_identity=patient.gender_identity or "",
        date_of_birth=patient.date_of_birth,
        ssn_masked=mask_ssn(patient.ssn),
        address_line1=patient.address_line1 or "",
        address_line2=patient.address_line2 or "",
        city=patient.city or "",
        state=patient.state or "",
        zip_code=patient.zip_code or "",
        email=patient.email or "",
        preferred_contact=patient.preferred_contact or "",
        reminder_consent=patient.reminder_consent,
        preferred_language=patient.preferred_language or "",
        marital_status=patient.marital_status or "",
        employer_name=patient.employer_name or "",
        emergency_contact_name=patient.emergency_contact_name or "",
        emergency_contact_phone=display_phone(patient.emergency_contact_phone),
        emergency_contact_relation=patient.emergency_contact_relation or "",
        primary_provider_id=patient.primary_provider_id,
        referring_provider_id=patient.referring_provider_id,
        status=patient.status,
        deceased_on=patient.deceased_on,
        recall_interval_months=patient.recall_interval_months,
        recall_due_on=patient.recall_due_on,
        id=patient.id,
        chart_number=patient.chart_number,
        loaded_at=patient.updated_at,
        **_list_fields(session, patient),  # type: ignore[arg-type]
    )


def load_patient_form(session: Session, actor: Actor, patient_id: uuid.UUID) -> PatientForm:
    """Return a patient's record as a form; audited as a view of the record.

    The SSN is never loaded into the form, whatever the role: `ssn` stays empty and
    `ssn_masked` shows the last four digits. Use `reveal_ssn` to see the whole number.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    patient = active_patient(session, patient_id)
    form = _patient_form(session, patient)

    audit.record(session, actor, AuditAction.VIEW, OBJECT_TYPE, patient.id, patient_id=patient.id)
    return form


def reveal_ssn(session: Session, actor: Actor, patient_id: uuid.UUID) -> str:
    """Return the patient's SSN as NNN-NN-NNNN ("" when none is on file); audited every time.

    Raises PermissionDeniedError unless the role or an emergency grant allows
    patient.view_ssn; the denial is audited by the unit of work.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW_SSN, patient_id)
    patient = active_patient(session, patient_id)
    detail = "ssn shown" if patient.ssn else "no ssn on file"

    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "patient_ssn",
        patient.id,
        patient_id=patient.id,
        detail=detail,
    )
    log.info("user %s viewed the SSN of patient %s", actor.user_id, patient.id)
    return _format_ssn(patient.ssn) if patient.ssn else ""


def save_patient(session: Session, actor: Actor, form: PatientForm, today: date) -> SaveOutcome:
    """Check `form` and, when no error is found, create or update the patient.

    With any error, nothing is written and the problems are returned. A form loaded
    before someone else saved the patient gets one problem on the field "record" and
    nothing is written, so the later save cannot undo the earlier one. Otherwise the
    patient and its child rows are written (rows left out of the form are archived),
    the chart number is issued on the first save, and the create or update is audited.
    """
    if form.id is None:
        require(actor, Permission.PATIENT_EDIT)
    else:
        require_or_emergency(session, actor, Permission.PATIENT_EDIT, form.id)

    stale = stale_form_problems(session, form)
    if stale:
        log.info("patient %s not saved: changed since the form was loaded", form.id)
        return SaveOutcome(
            stale, PatientId(form.id) if form.id else None, form.chart_number, Changes()
        )

    problems = patient_problems(session, form, today)
    if has_errors(problems):
        log.info("patient not saved: %d problems", len(problems))
        patient_id = PatientId(form.id) if form.id is not None else None
        return SaveOutcome(problems, patient_id, form.chart_number, Changes())

    written = write_patient(session, actor, _with_recall_due(session, form, today))
    return SaveOutcome(
        problems, PatientId(written.patient_id), written.chart_number, written.changes
    )


def _with_recall_due(session: Session, form: PatientForm, today: date) -> PatientForm:
    """Return `form` with the recall due date worked out when the user left it to us.

    A new or changed interval without a newly typed due date gets the last completed
    visit plus the interval, or `today` plus the interval for a patient never seen.
    Clearing the interval clears the due date.
    """
    interval = form.recall_interval_months
    if interval is None:
        return replace(form, recall_due_on=None)
    stored = session.get(Patient, form.id) if form.id is not None else None
    stored_due = stored.recall_due_on if stored is not None else None
    same_interval = stored is not None and stored.recall_interval_months == interval
    typed_due = form.recall_due_on is not None and form.recall_due_on != stored_due
    if typed_due or (same_interval and form.recall_due_on is not None):
        return form
    visit = last_visit_date(session, form.id) if form.id is not None else None
    return replace(form, recall_due_on=add_months(visit or today, interval))


def payer_choices(session: Session, actor: Actor) -> list[Choice]:
    """Return the active payers for a coverage's payer picker, by name."""
    require(actor, Permission.PATIENT_VIEW)
    payers = session.scalars(
        select(Payer).where(Payer.archived.is_(False)).order_by(Payer.name, Payer.payer_code)
    )
    return [Choice(payer.id, f"{payer.name} ({payer.payer_code})") for payer in payers]


def provider_choices(session: Session, actor: Actor) -> list[Choice]:
    """Return the practice's active providers for the primary provider picker."""
    require(actor, Permission.PATIENT_VIEW)
    providers = session.scalars(
        select(Provider)
        .where(Provider.archived.is_(False))
        .order_by(Provider.last_name, Provider.first_name)
    )
    return [Choice(provider.id, provider.display_name) for provider in providers]


def _outside_label(provider: OutsideProvider) -> str:
    name = provider.last_name
    if provider.first_name:
        name = f"{provider.last_name}, {provider.first_name}"
    return f"{name}, {provider.credentials}" if provider.credentials else name


def outside_provider_choices(session: Session, actor: Actor) -> list[Choice]:
    """Return the active outside providers for the referring provider picker."""
    require(actor, Permission.PATIENT_VIEW)
    providers = session.scalars(
        select(OutsideProvider)
        .where(OutsideProvider.archived.is_(False))
        .order_by(OutsideProvider.last_name, OutsideProvider.first_name)
    )
    return [Choice(provider.id, _outside_label(provider)) for provider in providers]


def find_patients_for_party(session: Session, actor: Actor, text: str) -> list[PatientMatch]:
    """Return patients matching `text`, to choose one as a guarantor or subscriber."""
    return search_patients(session, actor, text)


def patient_age(form: PatientForm, today: date) -> int | None:
    """Return the form's patient age on `today`, or None without a valid date of birth."""
    born = form.date_of_birth
    if born is None or born > today:
        return None
    return age_on(born, today)
