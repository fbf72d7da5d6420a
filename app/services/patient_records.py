"""Loading one patient record for the services that show or print it."""

import uuid

from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.patients import Patient


def get_patient(session: Session, patient_id: uuid.UUID) -> Patient:
    """Return the patient row, or raise NotFoundError when it is missing or archived."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.archived:
        raise NotFoundError(
            f"Patient {patient_id} was not found or is archived. Search for the patient "
            "again; a merged record is found under the record it was merged into."
        )
    return patient


def display_name(patient: Patient) -> str:
    """Return the name as lists show it, such as "Lopez, Ana M"."""
    middle = f" {patient.middle_name}" if patient.middle_name else ""
    suffix = f" {patient.suffix}" if patient.suffix else ""
    return f"{patient.last_name}{suffix}, {patient.first_name}{middle}"
