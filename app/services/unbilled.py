"""The "Appointments not billed" report: checked-out visits whose charges are not posted yet.

A visit counts as not billed while it has no encounter, or its encounter is still a
draft. Oldest first, so the visits closest to a payer's timely-filing limit lead.
"""

import csv
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.csv_safety import safe_row
from app.files import write_atomically
from app.models.charges import Encounter
from app.models.patients import Patient
from app.models.practice import Provider
from app.models.scheduling import Appointment
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.patient_records import display_name
from app.services.today import practice_today

log = logging.getLogger(__name__)

CSV_HEADERS = (
    "Date of service",
    "Days since",
    "Patient",
    "Chart number",
    "Provider",
    "Visit type",
    "Encounter",
)


@dataclass(frozen=True, slots=True)
class UnbilledVisit:
    """One checked-out appointment without posted charges.

    `encounter_number` is empty when no encounter exists yet; otherwise that encounter
    is a draft.
    """

    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    provider_name: str
    service_date: date
    days_since: int
    appointment_type: str
    encounter_id: uuid.UUID | None
    encounter_number: str


def _require_report_access(actor: Actor) -> None:
    # Billers and managers see it as a report, providers as their own work list.
    if not actor.can(Permission.CHARGE_POST):
        require(actor, Permission.REPORT_VIEW)


def unbilled_visits(session: Session, actor: Actor) -> list[UnbilledVisit]:
    """Return checked-out appointments without a posted encounter, oldest first (audited).

    Needs REPORT_VIEW or CHARGE_POST.
    """
    _require_report_access(actor)
    query = (
        select(Appointment, Patient, Provider, Encounter)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .outerjoin(
            Encounter,
            and_(Encounter.appointment_id == Appointment.id, Encounter.archived.is_(False)),
        )
        .where(
            Appointment.status == "checked_out",
            Appointment.archived.is_(False),
            or_(Encounter.id.is_(None), Encounter.status != "posted"),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    today = practice_today(session)
    visits = [
        UnbilledVisit(
            appointment_id=appointment.id,
            patient_id=patient.id,
            patient_name=display_name(patient),
            chart_number=patient.chart_number,
            provider_name=f"{provider.first_name} {provider.last_name}",
            service_date=appointment.starts_at.date(),
            days_since=(today - appointment.starts_at.date()).days,
            appointment_type=appointment.appointment_type,
            encounter_id=None if encounter is None else encounter.id,
            encounter_number="" if encounter is None else encounter.encounter_number,
        )
        for appointment, patient, provider, encounter in session.execute(query)
    ]
    audit.record(
        session, actor, AuditAction.VIEW, "unbilled_report", detail=f"{len(visits)} visits"
    )
    log.info("appointments-not-billed report lists %d visits", len(visits))
    return visits


def export_unbilled_csv(session: Session, actor: Actor, path: Path) -> int:
    """Write the report to the CSV file `path` (complete or absent); return the row count.

    The export is audited with the row count.
    """
    visits = unbilled_visits(session, actor)

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADERS)
            writer.writerows(safe_row(_csv_cells(visit)) for visit in visits)

    write_atomically(path, write)
    audit.record(
        session, actor, AuditAction.EXPORT, "unbilled_report", detail=f"{len(visits)} visits"
    )
    return len(visits)


def _csv_cells(visit: UnbilledVisit) -> list[str]:
    return [
        visit.service_date.isoformat(),
        str(visit.days_since),
        visit.patient_name,
        visit.chart_number,
        visit.provider_name,
        visit.appointment_type,
        visit.encounter_number,
    ]
