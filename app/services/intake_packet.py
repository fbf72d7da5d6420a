"""Pre-filled values for the new-patient intake packet, gathered from the record.

The packet prints what the practice already knows and leaves lined blanks for the
rest. Gathering the data for a patient is an audited export because the paper leaves
the system. The SSN is never printed: the patient writes it if the practice needs it.
"""

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.contact import display_phone
from app.models.patients import Patient, Person
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import face_sheet_parts as parts
from app.services.face_sheet import practice_header
from app.services.face_sheet_values import PracticeHeader
from app.services.patient_forms import SEXES
from app.services.patient_records import get_patient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakePacketData:
    """Known values keyed by form field name; a missing key prints as a blank line.

    `coverages` contains the primary and secondary coverage boxes in that order.
    """

    practice: PracticeHeader
    chart_number: str = ""
    values: dict[str, str] = field(default_factory=dict)
    coverages: tuple[dict[str, str], ...] = ()


def blank_intake_packet_data(session: Session, actor: Actor) -> IntakePacketData:
    """Return packet data with only the practice filled in, for walk-in patients."""
    require(actor, Permission.PATIENT_VIEW)
    return IntakePacketData(practice=practice_header(session))


def intake_packet_data(session: Session, actor: Actor, patient_id: uuid.UUID) -> IntakePacketData:
    """Gather the recorded values for the patient's packet; audited as an export."""
    require(actor, Permission.PATIENT_VIEW)
    patient = get_patient(session, patient_id)
    data = IntakePacketData(
        practice=practice_header(session),
        chart_number=patient.chart_number,
        values=_patient_values(session, patient),
        coverages=_coverage_values(session, patient),
    )
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        "patient",
        patient.id,
        patient_id=patient.id,
        detail="intake packet",
    )
    log.info("intake packet data gathered for patient %s", patient.id)
    return data


def print_intake_packet(
    session: Session, actor: Actor, patient_id: uuid.UUID | None, path: Path
) -> Path:
    """Write the intake packet PDF to `path`: pre-filled for a patient, blank for None."""
    from app.pdf.intake_packet import render_intake_packet

    if patient_id is None:
        data = blank_intake_packet_data(session, actor)
    else:
        data = intake_packet_data(session, actor, patient_id)
    render_intake_packet(data, path)
    return path


def _patient_values(session: Session, patient: Patient) -> dict[str, str]:
    phones = {line.kind.casefold(): line.number for line in parts.phones(session, patient)}
    values = {
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "middle_name": patient.middle_name or "",
        "suffix": patient.suffix or "",
        "preferred_name": patient.preferred_name or "",
        "date_of_birth": f"{patient.date_of_birth:%m/%d/%Y}",
        "sex": SEXES.get(patient.sex, "") if patient.sex != "U" else "",
        "address_line1": patient.address_line1 or "",
        "address_line2": patient.address_line2 or "",
        "city": patient.city or "",
        "state": patient.state or "",
        "zip_code": patient.zip_code or "",
        "phone_mobile": phones.get("mobile", ""),
        "phone_home": phones.get("home", phones.get("phone", "")),
        "phone_work": phones.get("work", ""),
        "email": patient.email or "",
        "preferred_language": patient.preferred_language or "",
        "marital_status": (patient.marital_status or "").capitalize(),
        "employer": patient.employer_name or "",
        "emergency_name": patient.emergency_contact_name or "",
        "emergency_relation": patient.emergency_contact_relation or "",
        "emergency_phone": display_phone(patient.emergency_contact_phone),
    }
    values.update(_guarantor_values(session, patient))
    return {key: value for key, value in values.items() if value}


def _guarantor_values(session: Session, patient: Patient) -> dict[str, str]:
    if patient.guarantor_person_id is not None:
        person = session.get(Person, patient.guarantor_person_id)
        if person is not None:
            born = f"{person.date_of_birth:%m/%d/%Y}" if person.date_of_birth else ""
            return {
                "guarantor_name": f"{person.first_name} {person.last_name}",
                "guarantor_date_of_birth": born,
                "guarantor_phone": display_phone(person.phone),
            }
    if patient.guarantor_patient_id is not None:
        other = session.get(Patient, patient.guarantor_patient_id)
        if other is not None:
            return {
                "guarantor_name": f"{other.first_name} {other.last_name}",
                "guarantor_date_of_birth": f"{other.date_of_birth:%m/%d/%Y}",
                "guarantor_phone": display_phone(other.phone),
            }
    return {"guarantor_name": "Self (the patient)"}


def _coverage_values(session: Session, patient: Patient) -> tuple[dict[str, str], ...]:
    boxes = []
    for line in parts.coverages(session, patient)[:2]:
        values = {
            "payer": line.payer,
            "plan": line.plan,
            "member_id": line.member_id,
            "group_number": line.group_number,
            "subscriber": line.subscriber,
            "relationship": line.relationship,
        }
        boxes.append({key: value for key, value in values.items() if value})
    return tuple(boxes)
