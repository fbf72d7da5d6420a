"""The check that keeps a save from undoing another user's save of the same patient.

A patient form lists every phone, alert and coverage it shows, and saving archives the
rows it does not list. A form loaded before someone else's save does not list what that
save added, so saving it would silently archive their work. The form therefore carries
the patient's updated_at from its load, and a newer stored value rejects the save.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.patients import Patient
from app.models.practice import Practice
from app.problems import Problem
from app.services.patient_forms import PatientForm


def stale_form_problems(session: Session, form: PatientForm) -> list[Problem]:
    """Return a problem when the patient was saved after `form` was loaded, else nothing.

    Saving a stale form would archive the phones, alerts and coverages the other save
    added, because the form does not list them.
    """
    if form.id is None or form.loaded_at is None:
        return []
    patient = session.get(Patient, form.id)
    if patient is None or patient.updated_at <= form.loaded_at:
        return []

    saved_at = patient.updated_at.astimezone(_practice_zone(session)).strftime("%H:%M")
    return [
        Problem(
            "record",
            f"Someone else saved this patient at {saved_at} after you opened it; reopen "
            "the record to see their changes, then make yours again.",
        )
    ]


def _practice_zone(session: Session) -> ZoneInfo:
    """Return the practice's time zone, or UTC before set-up or for an unknown name."""
    name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
