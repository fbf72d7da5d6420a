"""Writing a checked patient form: the patient row, its child rows and the people around it.

Call only after `patient_problems` found no error: values are normalized here on the
assumption that they passed their checks. Child rows are matched to form entries by
id; rows the form no longer lists are archived, never deleted, so sync can merge them.
Values are assigned only when they differ, so an unchanged row keeps its updated_at.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.contact import normalize_email, normalize_phone_e164
from app.db.base import SyncedMixin
from app.errors import NotFoundError
from app.ids import new_id
from app.models.patients import (
    Coverage,
    Patient,
    PatientAlert,
    PatientDocument,
    PatientPhone,
    PatientPreviousName,
    Person,
)
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services import numbering
from app.services.coverage_checks import SELF
from app.services.documents import OBJECT_TYPE as DOCUMENT_OBJECT_TYPE
from app.services.documents import new_document
from app.services.patient_forms import (
    CardImage,
    CoverageForm,
    PartyChoice,
    PatientForm,
    PersonForm,
)
from app.validators import digits_only, normalize_state, normalize_zip

log = logging.getLogger(__name__)

Row = TypeVar("Row", bound=SyncedMixin)
Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WrittenPatient:
    """The saved patient's id and chart number, and the kinds of record written."""

    patient_id: uuid.UUID
    chart_number: str
    changes: Changes


# ---- normalizing typed text ---------------------------------------------------------


def _text(value: str) -> str | None:
    stripped = value.strip()
    return stripped or None


def _phone(value: str) -> str | None:
    return normalize_phone_e164(value) if value.strip() else None


def _email(value: str) -> str | None:
    return normalize_email(value) if value.strip() else None


def _state(value: str) -> str | None:
    return normalize_state(value) or None


def _zip(value: str) -> str | None:
    return normalize_zip(value) if value.strip() else None


# ---- shared steps -------------------------------------------------------------------


def _assign(row: SyncedMixin, values: Values, actor: Actor) -> bool:
    """Set the attributes that differ; stamp the writer and return True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_by = actor.user_id
    return changed


def _archive(row: SyncedMixin, actor: Actor) -> None:
    row.archived = True
    row.updated_by = actor.user_id


def _sync_rows(
    session: Session,
    actor: Actor,
    existing: Sequence[Row],
    entries: Sequence[tuple[uuid.UUID | None, Values]],
    make: Callable[[], Row],
) -> tuple[bool, list[Row]]:
    """Update rows matched by id, add the others, archive saved rows the form dropped.

    Returns whether anything changed and the rows in the order of `entries`.
    """
    by_id = {row.id: row for row in existing}
    changed = False
    rows = []
    for entry_id, values in entries:
        row = by_id.pop(entry_id, None) if entry_id is not None else None
        if row is None:
            row = make()
            row.id = new_id()
            session.add(row)
        changed |= _assign(row, values, actor)
        rows.append(row)
    for dropped in by_id.values():
        _archive(dropped, actor)
        changed = True
    return changed, rows


def _active_rows(session: Session, model: type[Row], patient_id: uuid.UUID) -> list[Row]:
    owner = getattr(model, "patient_id")  # noqa: B009 (every child model has the column)
    query = select(model).where(owner == patient_id, model.archived.is_(False))
    return list(session.scalars(query))


# ---- people who are not patients ----------------------------------------------------


def _person_values(person: PersonForm) -> Values:
    return {
        "first_name": person.first_name.strip(),
        "middle_name": _text(person.middle_name),
        "last_name": person.last_name.strip(),
        "suffix": _text(person.suffix),
        "date_of_birth": person.date_of_birth,
        "sex": person.sex or "U",
        "address_line1": _text(person.address_line1),
        "address_line2": _text(person.address_line2),
        "city": _text(person.city),
        "state": _state(person.state),
        "zip_code": _zip(person.zip_code),
        "phone": _phone(person.phone),
        "email": _email(person.email),
        "employer_name": _text(person.employer_name),
    }


def _save_person(session: Session, actor: Actor, person: PersonForm) -> tuple[uuid.UUID, bool]:
    """Create or update a guarantor or subscriber; return its id and whether it changed."""
    row = session.get(Person, person.id) if person.id is not None else None
    if row is None or row.archived:
        row = Person(id=new_id())
        session.add(row)
    changed = _assign(row, _person_values(person), actor)
    # The models declare no relationship to Person, so the unit of work cannot order this
    # insert before the rows whose foreign keys name it. Flushing now inserts it first.
    session.flush()
    return row.id, changed


def _party_ids(
    session: Session, actor: Actor, party: PartyChoice
) -> tuple[uuid.UUID | None, uuid.UUID | None, bool]:
    """Return (patient id, person id, person changed) for a guarantor or subscriber."""
    if party.kind == "patient":
        return party.patient_id, None, False
    if party.kind == "person" and party.person is not None:
        person_id, changed = _save_person(session, actor, party.person)
        return None, person_id, changed
    return None, None, False


# ---- the patient row ----------------------------------------------------------------


def _identity_values(form: PatientForm) -> Values:
    return {
        "first_name": form.first_name.strip(),
        "middle_name": _text(form.middle_name),
        "last_name": form.last_name.strip(),
        "suffix": _text(form.suffix),
        "preferred_name": _text(form.preferred_name),
        "date_of_birth": form.date_of_birth,
        "sex": form.sex,
        "gender_identity": _text(form.gender_identity),
        "marital_status": form.marital_status or None,
        "preferred_language": _text(form.preferred_language),
        "employer_name": _text(form.employer_name),
        "status": form.status,
        "deceased_on": form.deceased_on,
        "primary_provider_id": form.primary_provider_id,
        "referring_provider_id": form.referring_provider_id,
        "recall_interval_months": form.recall_interval_months,
        "recall_due_on": form.recall_due_on,
    }


def _contact_values(form: PatientForm) -> Values:
    return {
        "address_line1": _text(form.address_line1),
        "address_line2": _text(form.address_line2),
        "city": _text(form.city),
        "state": _state(form.state),
        "zip_code": _zip(form.zip_code),
        "phone": _phone(form.phones[0].number) if form.phones else None,
        "email": _email(form.email),
        "preferred_contact": form.preferred_contact or None,
        "reminder_consent": form.reminder_consent,
        "emergency_contact_name": _text(form.emergency_contact_name),
        "emergency_contact_phone": _phone(form.emergency_contact_phone),
        "emergency_contact_relation": _text(form.emergency_contact_relation),
    }


def _ssn_values(form: PatientForm) -> Values:
    """Return the SSN to store: typed digits, None to clear, or nothing to keep it."""
    if form.clear_ssn:
        return {"ssn": None}
    if form.ssn.strip():
        return {"ssn": digits_only(form.ssn)}
    return {}


def _patient_row(session: Session, form: PatientForm) -> tuple[Patient, bool]:
    """Return the patient to write and whether it is new (with its chart number issued)."""
    if form.id is None:
        patient = Patient(id=new_id(), chart_number=numbering.next_number(session, "chart"))
        return patient, True
    patient_row = session.get(Patient, form.id)
    if patient_row is None or patient_row.archived:
        raise NotFoundError(
            f"Patient {form.id} was not found or is archived, so it cannot be saved. "
            "Search for the patient again."
        )
    return patient_row, False


# ---- child rows ---------------------------------------------------------------------


def _sync_lists(session: Session, actor: Actor, patient_id: uuid.UUID, form: PatientForm) -> bool:
    """Write phones (in list order), previous names and alerts; return whether any changed."""
    phones = [
        (
            entry.id,
            {
                "patient_id": patient_id,
                "kind": entry.kind,
                "number": normalize_phone_e164(entry.number),
                "extension": _text(entry.extension),
                "position": position,
            },
        )
        for position, entry in enumerate(form.phones)
    ]
    names = [
        (
            entry.id,
            {
                "patient_id": patient_id,
                "first_name": entry.first_name.strip(),
                "middle_name": _text(entry.middle_name),
                "last_name": entry.last_name.strip(),
                "suffix": _text(entry.suffix),
                "used_until": entry.used_until,
            },
        )
        for entry in form.previous_names
    ]
    alerts = [
        (
            entry.id,
            {
                "patient_id": patient_id,
                "message": entry.message.strip(),
                "severity": entry.severity,
            },
        )
        for entry in form.alerts
    ]
    changed_phones, _ = _sync_rows(
        session, actor, _active_rows(session, PatientPhone, patient_id), phones, PatientPhone
    )
    changed_names, _ = _sync_rows(
        session,
        actor,
        _active_rows(session, PatientPreviousName, patient_id),
        names,
        PatientPreviousName,
    )
    changed_alerts, _ = _sync_rows(
        session, actor, _active_rows(session, PatientAlert, patient_id), alerts, PatientAlert
    )
    return changed_phones or changed_names or changed_alerts


def _coverage_values(
    session: Session, actor: Actor, patient_id: uuid.UUID, coverage: CoverageForm
) -> tuple[Values, bool]:
    subscriber_patient, subscriber_person, person_changed = _party_ids(
        session, actor, coverage.subscriber
    )
    is_self = coverage.subscriber.kind == "self"
    values = {
        "patient_id": patient_id,
        "payer_id": coverage.payer_id,
        "priority": coverage.priority,
        "plan_name": _text(coverage.plan_name),
        "plan_type": coverage.plan_type or None,
        "member_id": coverage.member_id.strip(),
        "group_number": _text(coverage.group_number),
        "group_name": _text(coverage.group_name),
        "relationship_code": SELF if is_self else coverage.relationship_code,
        "subscriber_patient_id": subscriber_patient,
        "subscriber_person_id": subscriber_person,
        "effective_date": coverage.effective_date,
        "termination_date": coverage.termination_date,
        "copay_office": coverage.copay_office,
        "copay_specialist": coverage.copay_specialist,
        "copay_urgent_care": coverage.copay_urgent_care,
        "copay_emergency": coverage.copay_emergency,
    }
    return values, person_changed


def _forget_stale_check(session: Session, coverage_id: uuid.UUID | None, values: Values) -> None:
    """Clear the eligibility check when the payer or member id changes (another policy)."""
    stored = session.get(Coverage, coverage_id) if coverage_id is not None else None
    if stored is None:
        return
    if (stored.payer_id, stored.member_id) != (values["payer_id"], values["member_id"]):
        values["eligibility_checked_on"] = None
        values["eligibility_checked_by"] = None


def _store_card(
    session: Session, actor: Actor, coverage: Coverage, kind: str, image: CardImage
) -> None:
    """Store a card side, archiving the coverage's previous image of that side."""
    previous = session.scalars(
        select(PatientDocument).where(
            PatientDocument.coverage_id == coverage.id,
            PatientDocument.kind == kind,
            PatientDocument.archived.is_(False),
        )
    )
    for old in previous:
        _archive(old, actor)

    document = new_document(
        actor,
        coverage.patient_id,
        kind,
        title="Insurance card, front" if kind == "card_front" else "Insurance card, back",
        media_type=image.media_type,
        content=image.content,
        coverage_id=coverage.id,
    )
    document.id = new_id()
    session.add(document)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        DOCUMENT_OBJECT_TYPE,
        document.id,
        patient_id=coverage.patient_id,
        detail=f"coverage={coverage.id} kind={kind} bytes={len(image.content)}",
    )


def _sync_coverages(
    session: Session, actor: Actor, patient_id: uuid.UUID, form: PatientForm
) -> tuple[bool, bool]:
    """Write the coverages and card images; return (coverages changed, documents added)."""
    active_entries = [coverage for coverage in form.coverages if not coverage.archived]
    entries = []
    people_changed = False
    for coverage in active_entries:
        values, person_changed = _coverage_values(session, actor, patient_id, coverage)
        _forget_stale_check(session, coverage.id, values)
        entries.append((coverage.id, values))
        people_changed |= person_changed

    changed, rows = _sync_rows(
        session, actor, _active_rows(session, Coverage, patient_id), entries, Coverage
    )
    session.flush()

    cards = 0
    for coverage, row in zip(active_entries, rows, strict=True):
        for kind, image in (("card_front", coverage.card_front), ("card_back", coverage.card_back)):
            if image is not None:
                _store_card(session, actor, row, kind, image)
                cards += 1
    return changed or people_changed, cards > 0


# ---- the whole save -----------------------------------------------------------------


def _audit_save(
    session: Session, actor: Actor, patient: Patient, created: bool, parts: list[str]
) -> None:
    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(
        session,
        actor,
        action,
        "patient",
        patient.id,
        patient_id=patient.id,
        detail="changed=" + ",".join(parts),
    )
    log.info("%s patient %s (%s)", "created" if created else "updated", patient.id, ",".join(parts))


def write_patient(session: Session, actor: Actor, form: PatientForm) -> WrittenPatient:
    """Create or update the patient of a checked form with every child row."""
    patient, created = _patient_row(session, form)
    guarantor_patient, guarantor_person, guarantor_changed = _party_ids(
        session, actor, form.guarantor
    )
    values = {
        **_identity_values(form),
        **_contact_values(form),
        **_ssn_values(form),
        "guarantor_patient_id": guarantor_patient,
        "guarantor_person_id": guarantor_person,
    }
    ssn_changed = "ssn" in values and values["ssn"] != patient.ssn
    record_changed = _assign(patient, values, actor)
    if created:
        session.add(patient)
    session.flush()

    lists_changed = _sync_lists(session, actor, patient.id, form)
    coverages_changed, documents_added = _sync_coverages(session, actor, patient.id, form)
    children_changed = guarantor_changed or lists_changed or coverages_changed or documents_added
    if not record_changed and children_changed:
        # Child rows carry their own updated_at; stamping the patient too lets the
        # stale-form check see a phone or coverage change.
        patient.updated_at = utc_now()
        patient.updated_by = actor.user_id
    session.flush()

    parts = [
        name
        for name, changed in (
            ("record", record_changed),
            ("ssn", ssn_changed),
            ("guarantor", guarantor_changed),
            ("lists", lists_changed),
            ("coverages", coverages_changed),
            ("cards", documents_added),
        )
        if changed
    ]
    kinds = [ChangeKind.PATIENTS] if parts else []
    if coverages_changed:
        kinds.append(ChangeKind.COVERAGES)
    if documents_added:
        kinds.append(ChangeKind.DOCUMENTS)
    if parts or created:
        _audit_save(session, actor, patient, created, parts)
    return WrittenPatient(patient.id, patient.chart_number, Changes.of(*kinds))
