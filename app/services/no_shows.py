"""No-show counts for screens that flag patients who often miss visits, and the no-show report."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.patients import Patient
from app.models.practice import Provider
from app.models.scheduling import Appointment
from app.security.permissions import Actor, Permission, require


@dataclass(frozen=True, slots=True)
class NoShowRow:
    """One missed visit in the no-show report; `starts_at` is practice wall clock."""

    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    provider_name: str
    starts_at: datetime
    appointment_type: str
    patient_no_shows: int


def no_show_counts(session: Session, patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return how many no-shows each patient has on record (patients with none are left out)."""
    wanted = list(set(patient_ids))
    if not wanted:
        return {}
    query = (
        select(Appointment.patient_id, func.count().label("total"))
        .where(
            Appointment.patient_id.in_(wanted),
            Appointment.status == "no_show",
            Appointment.archived.is_(False),
        )
        .group_by(Appointment.patient_id)
    )
    return {row.patient_id: int(row.total) for row in session.execute(query)}


def no_show_report(session: Session, actor: Actor, start: date, end: date) -> list[NoShowRow]:
    """Return the no-shows from `start` to `end` (inclusive), by time, with each patient's total."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(Appointment, Patient, Provider)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.status == "no_show",
            Appointment.archived.is_(False),
            Appointment.starts_at >= datetime.combine(start, time.min),
            Appointment.starts_at < datetime.combine(end, time.min) + timedelta(days=1),
        )
        .order_by(Appointment.starts_at)
    )
    found = session.execute(query).all()
    totals = no_show_counts(session, (appointment.patient_id for appointment, _, _ in found))
    return [
        NoShowRow(
            appointment_id=appointment.id,
            patient_id=patient.id,
            patient_name=f"{patient.last_name}, {patient.first_name}",
            chart_number=patient.chart_number,
            provider_name=f"{provider.first_name} {provider.last_name}",
            starts_at=appointment.starts_at,
            appointment_type=appointment.appointment_type,
            patient_no_shows=totals.get(patient.id, 0),
        )
        for appointment, patient, provider in found
    ]
