"""Read-only queries behind the Today page: the practice's date and its appointments."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.ids import AppointmentId, PatientId
from app.models.patients import Patient
from app.models.practice import Practice, Provider
from app.models.scheduling import Appointment
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """One appointment as the Today page lists it; starts_at is practice wall-clock time."""

    appointment_id: AppointmentId
    patient_id: PatientId
    starts_at: datetime
    duration_minutes: int
    patient_name: str
    chart_number: str
    provider_name: str
    appointment_type: str
    status: str


def practice_today(session: Session, now: datetime | None = None) -> date:
    """Return today's date in the practice's time zone (UTC before set-up)."""
    instant = now if now is not None else utc_now()
    zone_name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    if zone_name is None:
        return instant.date()

    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("practice time zone %r is unknown; using UTC for today", zone_name)
        return instant.date()
    return instant.astimezone(zone).date()


def todays_appointments(session: Session, actor: Actor, day: date) -> list[AppointmentRow]:
    """Return the appointments that start on `day`, earliest first, archived ones left out."""
    require(actor, Permission.SCHEDULE_VIEW)
    start = datetime.combine(day, time.min)
    end = start + timedelta(days=1)
    statement = (
        select(Appointment, Patient, Provider)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .where(Appointment.archived.is_(False))
        .order_by(Appointment.starts_at, Provider.last_name)
    )
    rows = [
        _to_row(appointment, patient, provider)
        for appointment, patient, provider in session.execute(statement)
    ]
    log.debug("listed %d appointments for one day", len(rows))
    return rows


def _to_row(appointment: Appointment, patient: Patient, provider: Provider) -> AppointmentRow:
    return AppointmentRow(
        appointment_id=AppointmentId(appointment.id),
        patient_id=PatientId(patient.id),
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        patient_name=f"{patient.last_name}, {patient.first_name}",
        chart_number=patient.chart_number,
        provider_name=provider.display_name,
        appointment_type=appointment.appointment_type,
        status=appointment.status,
    )
