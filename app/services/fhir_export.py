"""Exporting one patient as a FHIR R4 Bundle, such as for a referral to another practice.

The bundle (type collection) contains the Patient, each active Coverage with its payer as an
Organization, a RelatedPerson for a guarantor or subscriber who is not a patient, and an
Encounter for each completed past appointment and each imported past visit. Before it is
returned, the bundle is validated with `fhir.resources` (its R4B models, which share R4's
structure for every resource written here), so a malformed export fails here rather than
at the receiving system.
"""

import json
import logging
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import practice_zone, utc_now
from app.errors import UserError
from app.files import check_target, write_atomically
from app.models.patients import Coverage, Patient, Person, VisitHistory
from app.models.practice import Payer
from app.models.scheduling import Appointment
from app.security import audit
from app.security.audit import AuditAction
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission
from app.services.fhir_bundle import SSN_SYSTEM
from app.services.fhir_mapping import GENDERS
from app.services.patient_records import get_patient
from app.services.practice import get_practice

log = logging.getLogger(__name__)

# Identifier systems this practice defines for its own numbers.
CHART_SYSTEM = "urn:clinicdesk:chart"
PAYER_ID_SYSTEM = "urn:clinicdesk:payer-id"

COMPLETED_STATUSES = ("completed", "checked_out")
_GENDER_CODES = {code: name for name, code in GENDERS.items()} | {"U": "unknown"}
_MARITAL_CODES = {
    "single": "S",
    "married": "M",
    "partner": "T",
    "divorced": "D",
    "separated": "L",
    "widowed": "W",
}
_RELATIONSHIP_CODES = {"18": "self", "01": "spouse", "19": "child", "53": "common"}
_V3_MARITAL = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
_RELATIONSHIP_SYSTEM = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"

Json = dict[str, Any]


class FhirExportError(UserError):
    """The bundle built for a patient failed FHIR validation; nothing was written."""


def _urn(row_id: uuid.UUID) -> str:
    return f"urn:uuid:{row_id}"


def _entry(resource: Json) -> Json:
    return {"fullUrl": _urn(uuid.UUID(resource["id"])), "resource": resource}


def _drop_empty(values: Json) -> Json:
    """Return `values` without empty strings, lists or None, which FHIR forbids."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _name(first: str, middle: str | None, last: str, suffix: str | None) -> Json:
    given = [part for part in (first, middle) if part]
    return _drop_empty(
        {"use": "official", "family": last, "given": given, "suffix": [suffix] if suffix else []}
    )


def _address(row: Patient | Person | Payer) -> list[Json]:
    """Return the row's address as a FHIR Address list (empty when it has none)."""
    parts = (row.address_line1, row.city, row.state, row.zip_code)
    address = _drop_empty(
        {
            "line": [line for line in (row.address_line1, row.address_line2) if line],
            "city": row.city,
            "state": row.state,
            "postalCode": row.zip_code,
            "country": "US" if any(parts) else None,
        }
    )
    return [address] if address else []


# ---- resources --------------------------------------------------------------------------


def _patient_resource(actor: Actor, patient: Patient) -> Json:
    identifiers: list[Json] = [
        {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ]
            },
            "system": CHART_SYSTEM,
            "value": patient.chart_number,
        }
    ]
    if patient.ssn and actor.can(Permission.PATIENT_VIEW_SSN):
        ssn = f"{patient.ssn[:3]}-{patient.ssn[3:5]}-{patient.ssn[5:]}"
        identifiers.append({"system": SSN_SYSTEM, "value": ssn})
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    resource: Json = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": identifiers,
        "name": [_name(patient.first_name, patient.middle_name, patient.last_name, patient.suffix)],
        "telecom": telecom,
        "gender": _GENDER_CODES.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
        "address": _address(patient),
        "deceasedDateTime": patient.deceased_on.isoformat() if patient.deceased_on else None,
    }
    if patient.marital_status in _MARITAL_CODES:
        code = _MARITAL_CODES[patient.marital_status]
        resource["maritalStatus"] = {"coding": [{"system": _V3_MARITAL, "code": code}]}
    if patient.preferred_language:
        resource["communication"] = [{"language": {"text": patient.preferred_language}}]
    return _drop_empty(resource)


def _related_person(person: Person, patient: Patient, relationship: str) -> Json:
    return _drop_empty(
        {
            "resourceType": "RelatedPerson",
            "id": str(person.id),
            "patient": {"reference": _urn(patient.id)},
            "relationship": [{"text": relationship}],
            "name": [_name(person.first_name, person.middle_name, person.last_name, person.suffix)],
            "gender": _GENDER_CODES.get(person.sex, "unknown"),
            "birthDate": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "address": _address(person),
        }
    )


def _payer_resource(payer: Payer) -> Json:
    return _drop_empty(
        {
            "resourceType": "Organization",
            "id": str(payer.id),
            "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer.payer_code}],
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "pay",
                        }
                    ]
                }
            ],
            "name": payer.name,
            "address": _address(payer),
        }
    )


def _coverage_resource(coverage: Coverage, patient: Patient, today: date) -> Json:
    relationship = _RELATIONSHIP_CODES.get(coverage.relationship_code, "other")
    ended = coverage.termination_date is not None and coverage.termination_date < today
    period = _drop_empty(
        {
            "start": coverage.effective_date.isoformat() if coverage.effective_date else None,
            "end": coverage.termination_date.isoformat() if coverage.termination_date else None,
        }
    )
    subscriber = coverage.subscriber_person_id or coverage.subscriber_patient_id
    return _drop_empty(
        {
            "resourceType": "Coverage",
            "id": str(coverage.id),
            "status": "cancelled" if ended else "active",
            "subscriber": {"reference": _urn(subscriber)} if subscriber else None,
            "subscriberId": coverage.member_id,
            "beneficiary": {"reference": _urn(patient.id)},
            "relationship": {"coding": [{"system": _RELATIONSHIP_SYSTEM, "code": relationship}]},
            "period": period,
            "payor": [{"reference": _urn(coverage.payer_id)}],
            "order": coverage.priority,
            "class": [
                {"type": {"coding": [{"code": "plan"}]}, "value": coverage.plan_name}
            ] if coverage.plan_name else [],
        }
    )  # fmt: skip


def _encounter(
    row_id: uuid.UUID,
    patient: Patient,
    start: datetime,
    end: datetime | None,
    *,
    kind: str,
    reason: str | None,
) -> Json:
    return _drop_empty(
        {
            "resourceType": "Encounter",
            "id": str(row_id),
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"text": kind}] if kind else [],
            "subject": {"reference": _urn(patient.id)},
            "period": _drop_empty(
                {"start": start.isoformat(), "end": end.isoformat() if end else None}
            ),
            "reasonCode": [{"text": reason}] if reason else [],
        }
    )


# ---- collecting -------------------------------------------------------------------------


def _coverage_entries(session: Session, patient: Patient, today: date) -> list[Json]:
    entries: list[Json] = []
    payers: dict[uuid.UUID, Json] = {}
    coverages = session.scalars(
        select(Coverage)
        .where(Coverage.patient_id == patient.id, Coverage.archived.is_(False))
        .order_by(Coverage.priority)
    )
    for coverage in coverages:
        payer = session.get(Payer, coverage.payer_id)
        if payer is not None and payer.id not in payers:
            payers[payer.id] = _payer_resource(payer)
        entries.append(_coverage_resource(coverage, patient, today))
        person = (
            session.get(Person, coverage.subscriber_person_id)
            if coverage.subscriber_person_id
            else None
        )
        if person is not None:
            entries.append(_related_person(person, patient, "Insurance subscriber"))
    return entries + list(payers.values())


def _guarantor_entries(session: Session, patient: Patient) -> list[Json]:
    if patient.guarantor_person_id is None:
        return []
    person = session.get(Person, patient.guarantor_person_id)
    return [_related_person(person, patient, "Guarantor")] if person is not None else []


def _encounter_entries(session: Session, patient: Patient, zone_name: str | None) -> list[Json]:
    zone = practice_zone(zone_name) if zone_name else None
    now = utc_now()
    entries = []
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient.id, Appointment.archived.is_(False))
        .where(Appointment.status.in_(COMPLETED_STATUSES))
        .order_by(Appointment.starts_at)
    )
    for appointment in appointments:
        # Appointment times are wall-clock in the practice's zone; FHIR needs an offset.
        start = appointment.starts_at.replace(tzinfo=zone) if zone else appointment.starts_at
        if start.tzinfo is None or start > now:
            continue
        end = start + timedelta(minutes=appointment.duration_minutes)
        kind, reason = appointment.appointment_type, appointment.reason
        entries.append(_encounter(appointment.id, patient, start, end, kind=kind, reason=reason))
    visits = session.scalars(
        select(VisitHistory)
        .where(VisitHistory.patient_id == patient.id, VisitHistory.archived.is_(False))
        .order_by(VisitHistory.started_at)
    )
    for visit in visits:
        kind, reason = visit.visit_type, visit.reason
        entries.append(
            _encounter(
                visit.id, patient, visit.started_at, visit.ended_at, kind=kind, reason=reason
            )
        )
    return entries


def _claim_entries(session: Session, patient: Patient) -> list[Json]:
    """Return Claim summaries of the patient's claims.

    NOTE: the database has no claim table yet, so no Claim is exported. When claims
    arrive, build one Claim resource per claim here (type professional, the Coverage
    as insurance, the totals) and the bundle picks them up.
    """
    del session, patient
    return []


def validate_bundle(bundle: Json) -> None:
    """Raise FhirExportError unless `bundle` is a valid FHIR R4 Bundle."""
    from fhir.resources.R4B.bundle import Bundle  # about 0.2 s to import, so only here

    try:
        Bundle.model_validate(bundle)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FhirExportError(
            f"The FHIR bundle failed validation at {where}: {first['msg']}. Nothing was "
            "written; the log file has the details."
        ) from exc


def export_patient_bundle(
    session: Session, actor: Actor, patient_id: uuid.UUID, today: date
) -> Json:
    """Build and validate a FHIR R4 Bundle (type collection) of one patient; audited.

    The SSN is included only when the actor may see it (patient.view_ssn).
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    patient = get_patient(session, patient_id)
    practice = get_practice(session)

    resources = [
        _patient_resource(actor, patient),
        *_guarantor_entries(session, patient),
        *_coverage_entries(session, patient, today),
        *_encounter_entries(session, patient, practice.time_zone if practice else None),
        *_claim_entries(session, patient),
    ]
    bundle: Json = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": utc_now().isoformat(),
        "entry": [_entry(resource) for resource in resources],
    }
    validate_bundle(bundle)

    detail = f"fhir bundle: {len(resources)} resources"
    audit.record(session, actor, AuditAction.EXPORT, "patient", patient.id,
                 patient_id=patient.id, detail=detail)  # fmt: skip
    log.info("exported patient %s as FHIR (%d resources)", patient.id, len(resources))
    return bundle


def write_patient_bundle(
    session: Session, actor: Actor, patient_id: uuid.UUID, today: date, path: Path
) -> int:
    """Export a patient's bundle to `path`, replacing it only once complete; return entries.

    Raises FileWriteError when `path` cannot be written; a missing folder is not created.
    """
    check_target(path)
    bundle = export_patient_bundle(session, actor, patient_id, today)

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8") as stream:
            json.dump(bundle, stream, indent=2)

    write_atomically(path, write)
    return len(bundle["entry"])
