"""Look-ups the registration screen needs beside the registration service itself."""

import logging
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.patients import Patient
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)


def patient_labels(
    session: Session, actor: Actor, patient_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Return how a guarantor or subscriber who is a patient is named on the form.

    Each label reads "Lopez, Ana · chart K7Q-000317 · born 03/04/1981". Ids of archived
    or unknown patients are left out. Like the patient list, this shows no clinical or
    billing detail, so it is not audited.
    """
    require(actor, Permission.PATIENT_VIEW)
    wanted = set(patient_ids)
    if not wanted:
        return {}

    rows = session.scalars(
        select(Patient).where(Patient.id.in_(wanted), Patient.archived.is_(False))
    )
    return {
        patient.id: (
            f"{patient.last_name}, {patient.first_name} · chart {patient.chart_number} · "
            f"born {patient.date_of_birth:%m/%d/%Y}"
        )
        for patient in rows
    }
