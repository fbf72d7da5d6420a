"""The front desk's board for one day: who is due, who is waiting and what they owe.

`today_board` reads every appointment of the day with the facts the desk needs beside
it in a fixed number of queries, whatever the number of appointments, so the Today page
stays quick on a full day.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.ids import AppointmentId, PatientId, ProviderId
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage, Patient, PatientAlert
from app.models.payments import Payment
from app.models.practice import Practice, Provider
from app.models.scheduling import Appointment, AppointmentStatusEvent, AppointmentType
from app.security.permissions import Actor, Permission, require
from app.services.eligibility import unverified_visits
from app.services.onboarding import checklist_summary_for_patients
from app.services.onboarding_facts import CHUNK_SIZE
from app.services.payment_lists import SOURCE_TYPE as PAYMENT_SOURCE

log = logging.getLogger(__name__)

ARRIVED = "arrived"
IN_ROOM = "in_room"
# Statuses that take a visit off the day's working list; the board still returns them so
# the desk can filter for them.
INACTIVE_STATUSES = frozenset({"cancelled", "rescheduled"})

FLAG_NEW_PATIENT = "new patient"
FLAG_SELF_PAY = "self-pay"
FLAG_ELIGIBILITY = "eligibility not verified"
FLAG_CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One appointment on the front desk's board.

    `starts_at` is practice wall-clock time; `arrived_at` and `roomed_at` are UTC instants
    from the appointment's latest status events. `copay_due` is the primary coverage's
    office copay while no payment was posted for the patient today. `balance` is the
    patient's share from the ledger (positive when the patient owes).
    """

    appointment_id: AppointmentId
    patient_id: PatientId
    starts_at: datetime
    duration_minutes: int
    patient_name: str
    chart_number: str
    provider_id: ProviderId
    provider_name: str
    appointment_type: str
    status: str
    arrived_at: datetime | None
    roomed_at: datetime | None
    waiting_minutes: int | None
    copay_due: Decimal | None
    balance: Decimal
    intake_missing: int
    alert_count: int
    flags: tuple[str, ...]


def minutes_waiting(status: str, arrived_at: datetime | None, now: datetime) -> int | None:
    """Return whole minutes since arrival for a patient who is arrived and not yet roomed.

    Returns None for every other status and when the arrival time is unknown (a status
    set by an older version without a status event). A clock running behind the arrival
    gives 0 rather than a negative wait.
    """
    if status != ARRIVED or arrived_at is None:
        return None
    seconds = (now - arrived_at).total_seconds()
    return max(0, int(seconds // 60))


def practice_zone_or_utc(session: Session) -> ZoneInfo:
    """Return the practice's time zone, or UTC before set-up or for an unknown zone name."""
    name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    if name is None:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("practice time zone %r is unknown; using UTC for the day's bounds", name)
        return ZoneInfo("UTC")


def day_bounds_utc(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC instants where practice day `day` starts and the next day starts."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def today_board(session: Session, actor: Actor, day: date, now: datetime) -> list[BoardRow]:
    """Return every appointment starting on `day`, earliest first, with the desk's facts.

    `now` is the current UTC instant, used for waiting times. Archived appointments are
    left out; cancelled and rescheduled ones are included for the status filter.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    appointments = _day_appointments(session, day)
    if not appointments:
        return []

    appointment_ids = [row.appointment.id for row in appointments]
    patient_ids = list(dict.fromkeys(row.patient.id for row in appointments))
    zone = practice_zone_or_utc(session)
    unverified = unverified_visits(session, [(patient_id, day) for patient_id in patient_ids])
    facts = _Facts(
        times=status_times(session, appointment_ids),
        copays=primary_copays(session, patient_ids, day),
        paid_today=paid_on(session, patient_ids, day_bounds_utc(day, zone)),
        balances=patient_balances(session, patient_ids),
        alerts=_alert_counts(session, patient_ids),
        intake=checklist_summary_for_patients(session, patient_ids, day),
        unverified={patient_id for patient_id, _day in unverified},
    )
    rows = [_board_row(row, facts, now) for row in appointments]
    log.debug("built the board of %d appointments", len(rows))
    return rows


@dataclass(frozen=True, slots=True)
class _DayAppointment:
    appointment: Appointment
    patient: Patient
    provider: Provider
    new_patient_type: bool


@dataclass(frozen=True, slots=True)
class _Facts:
    times: dict[uuid.UUID, dict[str, datetime]]
    copays: dict[uuid.UUID, Decimal | None]
    paid_today: set[uuid.UUID]
    balances: dict[uuid.UUID, Decimal]
    alerts: dict[uuid.UUID, int]
    intake: dict[uuid.UUID, tuple[int, int]]
    unverified: set[uuid.UUID]


def _day_appointments(session: Session, day: date) -> list[_DayAppointment]:
    start = datetime.combine(day, time.min)
    statement = (
        select(Appointment, Patient, Provider, AppointmentType.new_patient)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .outerjoin(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < start + timedelta(days=1))
        .where(Appointment.archived.is_(False))
        .order_by(Appointment.starts_at, Provider.last_name, Patient.last_name)
    )
    return [
        _DayAppointment(appointment, patient, provider, bool(new_patient))
        for appointment, patient, provider, new_patient in session.execute(statement)
    ]


def _chunks(ids: Sequence[uuid.UUID]) -> list[Sequence[uuid.UUID]]:
    return [ids[start : start + CHUNK_SIZE] for start in range(0, len(ids), CHUNK_SIZE)]


def status_times(
    session: Session, appointment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, datetime]]:
    """Return, per appointment, the latest time it entered each status it has been in."""
    times: dict[uuid.UUID, dict[str, datetime]] = {}
    for chunk in _chunks(appointment_ids):
        statement = (
            select(
                AppointmentStatusEvent.appointment_id,
                AppointmentStatusEvent.status,
                func.max(AppointmentStatusEvent.changed_at),
            )
            .where(AppointmentStatusEvent.appointment_id.in_(chunk))
            .group_by(AppointmentStatusEvent.appointment_id, AppointmentStatusEvent.status)
        )
        for appointment_id, status, changed_at in session.execute(statement):
            times.setdefault(appointment_id, {})[status] = changed_at
    return times


def primary_copays(
    session: Session, patient_ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, Decimal | None]:
    """Return the office copay of each patient's primary coverage in effect on `day`.

    A patient with a primary coverage but no office copay maps to None. A patient with no
    coverage in effect is missing from the result, because that patient pays for the visit.
    """
    copays: dict[uuid.UUID, Decimal | None] = {}
    for chunk in _chunks(patient_ids):
        statement = select(Coverage.patient_id, Coverage.priority, Coverage.copay_office).where(
            Coverage.patient_id.in_(chunk),
            Coverage.archived.is_(False),
            or_(Coverage.effective_date.is_(None), Coverage.effective_date <= day),
            or_(Coverage.termination_date.is_(None), Coverage.termination_date >= day),
        )
        for patient_id, priority, copay in session.execute(statement):
            if priority == 1:
                copays[patient_id] = copay
            else:
                copays.setdefault(patient_id, None)
    return copays


def paid_on(
    session: Session, patient_ids: Sequence[uuid.UUID], bounds: tuple[datetime, datetime]
) -> set[uuid.UUID]:
    """Return the patients who paid something themselves between the two UTC instants.

    Any such payment counts as the day's copay collected. A desk payment counts when it
    was received on the practice day that starts at `bounds[0]` and is not voided; a
    payment from a third party or credit applied from an earlier payment does not. Other
    patient payment rows on the ledger count when posted in the bounds and not reversed.
    """
    day = bounds[0].astimezone(practice_zone_or_utc(session)).date()
    reversal = aliased(LedgerEntry)
    paid: set[uuid.UUID] = set()
    for chunk in _chunks(patient_ids):
        desk = select(Payment.patient_id).where(
            Payment.patient_id.in_(chunk),
            Payment.received_on == day,
            Payment.voided_at.is_(None),
            Payment.payer_id.is_(None),
            Payment.archived.is_(False),
        )
        paid.update(session.scalars(desk))
        ledger_rows = (
            select(LedgerEntry.patient_id)
            .where(
                LedgerEntry.patient_id.in_(chunk),
                LedgerEntry.entry_type == "payment",
                LedgerEntry.responsible_party == "patient",
                func.coalesce(LedgerEntry.source_type, "") != PAYMENT_SOURCE,
            )
            .where(LedgerEntry.posted_at >= bounds[0], LedgerEntry.posted_at < bounds[1])
            .where(~exists().where(reversal.reverses_id == LedgerEntry.id))
            .distinct()
        )
        paid.update(session.scalars(ledger_rows))
    return paid


def patient_balances(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Return the sum of each patient's ledger rows the patient is responsible for."""
    balances: dict[uuid.UUID, Decimal] = {}
    for chunk in _chunks(patient_ids):
        statement = (
            select(LedgerEntry.patient_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.patient_id.in_(chunk), LedgerEntry.responsible_party == "patient")
            .group_by(LedgerEntry.patient_id)
        )
        for patient_id, total in session.execute(statement):
            balances[patient_id] = total if total is not None else Decimal("0.00")
    return balances


def _alert_counts(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    for chunk in _chunks(patient_ids):
        statement = (
            select(PatientAlert.patient_id, func.count())
            .where(PatientAlert.patient_id.in_(chunk), PatientAlert.archived.is_(False))
            .group_by(PatientAlert.patient_id)
        )
        for patient_id, count in session.execute(statement):
            counts[patient_id] = count
    return counts


def copay_due(
    patient_id: uuid.UUID, copays: dict[uuid.UUID, Decimal | None], paid_today: set[uuid.UUID]
) -> Decimal | None:
    """Return the copay still to collect today, or None when none is due."""
    copay = copays.get(patient_id)
    if copay is None or copay <= 0 or patient_id in paid_today:
        return None
    return copay


def _flags(row: _DayAppointment, facts: _Facts) -> tuple[str, ...]:
    flags = []
    if row.new_patient_type:
        flags.append(FLAG_NEW_PATIENT)
    if row.patient.id not in facts.copays:
        flags.append(FLAG_SELF_PAY)
    if row.patient.id in facts.unverified:
        flags.append(FLAG_ELIGIBILITY)
    if row.appointment.conflict_note:
        flags.append(FLAG_CONFLICT)
    return tuple(flags)


def _board_row(row: _DayAppointment, facts: _Facts, now: datetime) -> BoardRow:
    appointment, patient = row.appointment, row.patient
    times = facts.times.get(appointment.id, {})
    arrived_at = times.get(ARRIVED)
    done, total = facts.intake.get(patient.id, (0, 0))
    return BoardRow(
        appointment_id=AppointmentId(appointment.id),
        patient_id=PatientId(patient.id),
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        patient_name=f"{patient.last_name}, {patient.first_name}",
        chart_number=patient.chart_number,
        provider_id=ProviderId(row.provider.id),
        provider_name=row.provider.display_name,
        appointment_type=appointment.appointment_type,
        status=appointment.status,
        arrived_at=arrived_at,
        roomed_at=times.get(IN_ROOM),
        waiting_minutes=minutes_waiting(appointment.status, arrived_at, now),
        copay_due=copay_due(patient.id, facts.copays, facts.paid_today),
        balance=facts.balances.get(patient.id, Decimal("0.00")),
        intake_missing=total - done,
        alert_count=facts.alerts.get(patient.id, 0),
        flags=_flags(row, facts),
    )
