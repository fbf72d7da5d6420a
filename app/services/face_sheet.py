"""The face sheet: one page summing up a patient for the desk and for paper.

`face_sheet` gathers every value the screen and the PDF show into frozen dataclasses,
so both render the same facts. Viewing it is an audited record view. The SSN is always
masked to its last four digits, whatever the role: revealing it is a separate, audited
action of the registration screen.
"""

import logging
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from app.ages import age_on
from app.contact import display_phone
from app.models.patients import Patient
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import face_sheet_parts as parts
from app.services.face_sheet_statements import statement_summary
from app.services.face_sheet_values import FaceSheet, PracticeHeader
from app.services.onboarding import patient_checklist
from app.services.patient_forms import SEXES
from app.services.patient_records import display_name, get_patient
from app.services.practice import get_practice
from app.services.registration import mask_ssn

log = logging.getLogger(__name__)


def face_sheet(session: Session, actor: Actor, patient_id: uuid.UUID, today: date) -> FaceSheet:
    """Gather the patient's face sheet as of `today` and audit the view.

    Raises NotFoundError for a missing or archived patient.
    """
    require(actor, Permission.PATIENT_VIEW)
    patient = get_patient(session, patient_id)
    sheet = _build(session, actor, patient, today)
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "patient",
        patient.id,
        patient_id=patient.id,
        detail="face sheet",
    )
    log.info("face sheet viewed for patient %s", patient.id)
    return sheet


def print_face_sheet(
    session: Session, actor: Actor, patient_id: uuid.UUID, today: date, path: Path
) -> Path:
    """Write the patient's face sheet to the PDF file `path` and audit the print."""
    from app.pdf.face_sheet import render_face_sheet

    require(actor, Permission.PATIENT_VIEW)
    patient = get_patient(session, patient_id)
    render_face_sheet(_build(session, actor, patient, today), path)
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        "patient",
        patient.id,
        patient_id=patient.id,
        detail="face sheet PDF",
    )
    log.info("face sheet printed for patient %s", patient.id)
    return path


def _build(session: Session, actor: Actor, patient: Patient, today: date) -> FaceSheet:
    checklist = patient_checklist(session, actor, patient.id, today)
    upcoming, past = parts.visits(session, patient.id, today)
    return FaceSheet(
        patient_id=patient.id,
        practice=practice_header(session),
        printed_on=today,
        chart_number=patient.chart_number,
        name=display_name(patient),
        preferred_name=patient.preferred_name or "",
        date_of_birth=patient.date_of_birth,
        age=age_on(patient.date_of_birth, max(today, patient.date_of_birth)),
        sex=SEXES.get(patient.sex, patient.sex),
        gender_identity=patient.gender_identity or "",
        ssn_masked=mask_ssn(patient.ssn),
        status=_status(patient),
        address_lines=parts.address_lines(patient),
        phones=parts.phones(session, patient),
        email=patient.email or "",
        preferred_contact=(patient.preferred_contact or "").capitalize(),
        reminder_consent=patient.reminder_consent,
        language=patient.preferred_language or "",
        marital_status=(patient.marital_status or "").capitalize(),
        employer=patient.employer_name or "",
        emergency_contact=_emergency_contact(patient),
        primary_provider=parts.provider_name(session, patient.primary_provider_id),
        referring_provider=parts.outside_provider_name(session, patient.referring_provider_id),
        guarantor=parts.guarantor(session, patient),
        coverages=parts.coverages(session, patient),
        balance=parts.balance(session, patient.id),
        upcoming=upcoming,
        past=past,
        alerts=parts.alerts(session, patient.id),
        onboarding_done=checklist.done_count,
        onboarding_total=checklist.total,
        onboarding_open=tuple(item.label for item in checklist.items if not item.done),
        recall_due_on=patient.recall_due_on,
        recall_interval_months=patient.recall_interval_months,
        referral_count=parts.referral_count(session, patient.id, today),
        authorization_count=parts.authorization_count(session, patient.id, today),
        statements=statement_summary(session, patient, today),
    )


def practice_header(session: Session) -> PracticeHeader:
    """Return the practice's name, one-line address and phone (blank before set-up)."""
    practice = get_practice(session)
    if practice is None:
        return PracticeHeader("", "", "")
    street = ", ".join(part for part in (practice.address_line1, practice.address_line2) if part)
    address = f"{street}, {practice.city}, {practice.state} {practice.zip_code}"
    return PracticeHeader(practice.legal_name, address, display_phone(practice.phone))


def _status(patient: Patient) -> str:
    if patient.status == "deceased" and patient.deceased_on is not None:
        return f"Deceased {patient.deceased_on:%m/%d/%Y}"
    return patient.status.capitalize()


def _emergency_contact(patient: Patient) -> str:
    parts_ = [
        patient.emergency_contact_name or "",
        f"({patient.emergency_contact_relation})" if patient.emergency_contact_relation else "",
        display_phone(patient.emergency_contact_phone),
    ]
    return " ".join(part for part in parts_ if part)
