"""Recall: when each patient should come back, and the list of patients due.

A recall due date is set by hand or computed from the last completed visit plus the
recall interval. The due list leaves out archived, inactive and deceased patients.
"""

import calendar
import csv
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.contact import display_phone
from app.csv_safety import safe_row
from app.errors import ValidationError
from app.files import write_atomically
from app.models.patients import Patient, PatientPhone, VisitHistory
from app.models.scheduling import Appointment
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.patient_records import display_name, get_patient
from app.services.today import practice_today

log = logging.getLogger(__name__)

MAX_INTERVAL_MONTHS = 120
# Appointment statuses that mean the visit took place.
COMPLETED_STATUSES = ("completed", "checked_out")
CSV_HEADERS = (
    "Name",
    "Chart number",
    "Date of birth",
    "Phones",
    "Email",
    "Preferred contact",
    "Reminder consent",
    "Last visit",
    "Due on",
    "Days overdue",
)


@dataclass(frozen=True, slots=True)
class RecallDue:
    """One patient on the recall list; phones are in display form, calling order."""

    patient_id: uuid.UUID
    name: str
    chart_number: str
    date_of_birth: date
    phones: tuple[str, ...]
    email: str
    preferred_contact: str
    reminder_consent: bool
    last_visit: date | None
    due_on: date
    overdue_days: int


def add_months(day: date, months: int) -> date:
    """Return `day` moved by `months`, clamped to the month's end (01-31 + 1 is 02-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_visit_date(session: Session, patient_id: uuid.UUID) -> date | None:
    """Return the date of the patient's last completed appointment or imported visit."""
    return _last_visits(session, [patient_id]).get(patient_id)


def _last_visits(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date]:
    found: dict[uuid.UUID, date] = {}
    appointments = session.execute(
        select(Appointment.patient_id, func.max(Appointment.starts_at))
        .where(
            Appointment.patient_id.in_(patient_ids),
            Appointment.archived.is_(False),
            Appointment.status.in_(COMPLETED_STATUSES),
        )
        .group_by(Appointment.patient_id)
    )
    for patient_id, starts_at in appointments:
        found[patient_id] = starts_at.date()
    history = session.execute(
        select(VisitHistory.patient_id, func.max(VisitHistory.started_at))
        .where(VisitHistory.patient_id.in_(patient_ids), VisitHistory.archived.is_(False))
        .group_by(VisitHistory.patient_id)
    )
    for patient_id, started_at in history:
        # NOTE: an imported visit's date is its UTC date, which can differ by a day from
        # the practice's date for visits late in the evening.
        visit_day = started_at.date()
        if patient_id not in found or visit_day > found[patient_id]:
            found[patient_id] = visit_day
    return found


def set_recall(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    interval_months: int | None,
    due_on: date | None = None,
) -> Changes:
    """Set the patient's recall interval and due date; returns what changed.

    Without `due_on`, the due date is the last completed visit plus the interval, or the
    practice's today plus the interval when there is no visit. Both None clear the
    recall. Raises ValidationError for an interval outside 1 to MAX_INTERVAL_MONTHS.
    """
    require(actor, Permission.PATIENT_EDIT)
    patient = get_patient(session, patient_id)
    if interval_months is not None and not 1 <= interval_months <= MAX_INTERVAL_MONTHS:
        raise ValidationError(
            [
                Problem(
                    "recall_interval_months",
                    f"Recall interval {interval_months} months is invalid; enter 1 to "
                    f"{MAX_INTERVAL_MONTHS} months.",
                )
            ]
        )

    if due_on is None and interval_months is not None:
        start = last_visit_date(session, patient_id) or practice_today(session)
        due_on = add_months(start, interval_months)
    patient.recall_interval_months = interval_months
    patient.recall_due_on = due_on
    patient.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "patient",
        patient.id,
        patient_id=patient.id,
        detail="recall set" if due_on is not None else "recall cleared",
    )
    return Changes.of(ChangeKind.PATIENTS)


def recall_due_list(
    session: Session, actor: Actor, through: date, provider_id: uuid.UUID | None = None
) -> list[RecallDue]:
    """Return active patients whose recall is due on or before `through`, earliest first.

    `provider_id` keeps only patients whose primary provider it is.
    NOTE: patient.recall_due_on has no index, so this reads the whole patient table.
    """
    require(actor, Permission.PATIENT_VIEW)
    statement = select(Patient).where(
        Patient.archived.is_(False),
        Patient.status == "active",
        Patient.merged_into_id.is_(None),
        Patient.recall_due_on.is_not(None),
        Patient.recall_due_on <= through,
    )
    if provider_id is not None:
        statement = statement.where(Patient.primary_provider_id == provider_id)
    patients = session.scalars(
        statement.order_by(Patient.recall_due_on, Patient.last_name, Patient.first_name)
    ).all()

    ids = [patient.id for patient in patients]
    phones = _phones(session, ids)
    last_visits = _last_visits(session, ids) if ids else {}
    today = practice_today(session)
    rows = [_row(patient, phones, last_visits, today) for patient in patients]
    log.info("recall list through %s has %d patients", through.isoformat(), len(rows))
    return rows


def _phones(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    if not ids:
        return found
    rows = session.scalars(
        select(PatientPhone)
        .where(PatientPhone.patient_id.in_(ids), PatientPhone.archived.is_(False))
        .order_by(PatientPhone.patient_id, PatientPhone.position)
    )
    for row in rows:
        found.setdefault(row.patient_id, []).append(
            f"{row.kind.capitalize()} {display_phone(row.number)}"
        )
    return found


def _row(
    patient: Patient,
    phones: dict[uuid.UUID, list[str]],
    last_visits: dict[uuid.UUID, date],
    today: date,
) -> RecallDue:
    assert patient.recall_due_on is not None
    listed = phones.get(patient.id) or ([display_phone(patient.phone)] if patient.phone else [])
    return RecallDue(
        patient_id=patient.id,
        name=display_name(patient),
        chart_number=patient.chart_number,
        date_of_birth=patient.date_of_birth,
        phones=tuple(listed),
        email=patient.email or "",
        preferred_contact=(patient.preferred_contact or "").capitalize(),
        reminder_consent=patient.reminder_consent,
        last_visit=last_visits.get(patient.id),
        due_on=patient.recall_due_on,
        overdue_days=max(0, (today - patient.recall_due_on).days),
    )


def export_recall_csv(
    session: Session,
    actor: Actor,
    through: date,
    path: Path,
    provider_id: uuid.UUID | None = None,
) -> int:
    """Write the recall list to the CSV file `path` (complete or absent); return the row count.

    The export is audited with the row count. The file is owner-only on POSIX because
    it lists patients' contact details.
    """
    rows = recall_due_list(session, actor, through, provider_id)

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADERS)
            writer.writerows(safe_row(_csv_cells(row)) for row in rows)

    write_atomically(path, write)
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        "recall_list",
        detail=f"{len(rows)} patients due through {through.isoformat()}",
    )
    return len(rows)


def _csv_cells(row: RecallDue) -> list[str]:
    return [
        row.name,
        row.chart_number,
        row.date_of_birth.isoformat(),
        "; ".join(row.phones),
        row.email,
        row.preferred_contact,
        "yes" if row.reminder_consent else "no",
        row.last_visit.isoformat() if row.last_visit else "",
        row.due_on.isoformat(),
        str(row.overdue_days),
    ]
