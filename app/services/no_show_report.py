"""The no-show report: missed visits in a date range, and how often each patient missed."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.ids import AppointmentId, PatientId
from app.models.patients import Patient
from app.models.practice import Provider
from app.models.scheduling import Appointment
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

NO_SHOW = "no_show"
# Visits that never were going to happen count in neither the missed nor the booked total.
NOT_BOOKED = ("cancelled", "rescheduled")


@dataclass(frozen=True, slots=True)
class MissedVisit:
    """One appointment marked as a no-show; `starts_at` is practice wall-clock time."""

    appointment_id: AppointmentId
    patient_id: PatientId
    starts_at: datetime
    patient_name: str
    chart_number: str
    provider_name: str
    appointment_type: str


@dataclass(frozen=True, slots=True)
class PatientNoShows:
    """A patient's no-shows in the range, with the date of the latest one."""

    patient_id: PatientId
    patient_name: str
    chart_number: str
    count: int
    last_missed_on: date


@dataclass(frozen=True, slots=True)
class NoShowReport:
    """Missed visits (earliest first), patients by count (most first) and the range's rate.

    `booked` counts the range's appointments except cancelled and rescheduled ones.
    """

    day_from: date
    day_to: date
    visits: tuple[MissedVisit, ...]
    patients: tuple[PatientNoShows, ...]
    booked: int

    @property
    def rate_percent(self) -> float | None:
        """No-shows as a percentage of booked visits, or None when nothing was booked."""
        if self.booked == 0:
            return None
        return 100 * len(self.visits) / self.booked


def no_show_report(session: Session, actor: Actor, day_from: date, day_to: date) -> NoShowReport:
    """Return the no-shows of appointments starting from `day_from` through `day_to`.

    Raises UserError when the range ends before it starts.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    if day_to < day_from:
        raise UserError(
            f"The report range ends ({day_to:%m/%d/%Y}) before it starts "
            f"({day_from:%m/%d/%Y}). Choose an end date on or after the start date."
        )

    start = datetime.combine(day_from, time.min)
    end = datetime.combine(day_to + timedelta(days=1), time.min)
    visits = _missed_visits(session, start, end)
    booked = session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .where(Appointment.archived.is_(False), Appointment.status.not_in(NOT_BOOKED))
    )
    log.info("no-show report: %d missed visits over %d days", len(visits), (end - start).days)
    return NoShowReport(day_from, day_to, visits, per_patient(visits), booked or 0)


def _missed_visits(session: Session, start: datetime, end: datetime) -> tuple[MissedVisit, ...]:
    statement = (
        select(Appointment, Patient, Provider)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .where(Appointment.archived.is_(False), Appointment.status == NO_SHOW)
        .order_by(Appointment.starts_at, Patient.last_name)
    )
    return tuple(
        MissedVisit(
            appointment_id=AppointmentId(appointment.id),
            patient_id=PatientId(patient.id),
            starts_at=appointment.starts_at,
            patient_name=f"{patient.last_name}, {patient.first_name}",
            chart_number=patient.chart_number,
            provider_name=provider.display_name,
            appointment_type=appointment.appointment_type,
        )
        for appointment, patient, provider in session.execute(statement)
    )


def per_patient(visits: tuple[MissedVisit, ...]) -> tuple[PatientNoShows, ...]:
    """Group `visits` by patient, most no-shows first, then by name."""
    grouped: dict[PatientId, list[MissedVisit]] = {}
    for visit in visits:
        grouped.setdefault(visit.patient_id, []).append(visit)
    patients = [
        PatientNoShows(
            patient_id=patient_id,
            patient_name=missed[0].patient_name,
            chart_number=missed[0].chart_number,
            count=len(missed),
            last_missed_on=max(visit.starts_at for visit in missed).date(),
        )
        for patient_id, missed in grouped.items()
    ]
    patients.sort(key=lambda row: (-row.count, row.patient_name.casefold()))
    return tuple(patients)
