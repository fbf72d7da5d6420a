"""The check-in checklist: facts the front desk confirms with a patient at arrival."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.changes import Changes
from app.contact import display_phone
from app.errors import NotFoundError, UserError
from app.ids import AppointmentId, PatientId
from app.models.patients import Coverage, Patient, PatientPhone
from app.models.practice import Payer, Provider
from app.models.scheduling import Appointment
from app.security.permissions import Actor, Permission, require
from app.services.appointment_status import set_status
from app.services.eligibility import (
    eligibility_checks,
    primary_coverage_id,
    record_eligibility_check,
    unverified_visits,
)
from app.services.front_desk import (
    copay_due,
    day_bounds_utc,
    paid_on,
    practice_zone_or_utc,
    primary_copays,
)
from app.services.onboarding import patient_checklist
from app.services.onboarding_facts import gather_facts
from app.services.scheduling_settings import practice_now

log = logging.getLogger(__name__)

# Statuses from which checking in (moving to "arrived") is allowed.
CHECK_IN_FROM = frozenset({"scheduled", "confirmed"})
PRIORITY_NAMES = {1: "Primary", 2: "Secondary", 3: "Tertiary"}


@dataclass(frozen=True, slots=True)
class CoverageLine:
    """One coverage in effect on the visit's date, with its last eligibility check.

    `eligibility` describes the check, such as "last checked 12/01/2026 by jo" or
    "never checked".
    """

    coverage_id: uuid.UUID
    priority: str
    payer_name: str
    plan_name: str
    member_id: str
    office_copay: Decimal | None
    eligibility: str


@dataclass(frozen=True, slots=True)
class CheckIn:
    """The check-in checklist of one appointment.

    `phones` are display strings such as "mobile (512) 555-0100", first the number to call
    first. `copay_due` is None when no copay is due or one was collected today.
    `eligibility_unverified` is True when the primary coverage needs a check for this
    visit; `primary_coverage_id` is None for a self-pay visit.
    """

    appointment_id: AppointmentId
    patient_id: PatientId
    patient_name: str
    chart_number: str
    starts_at: datetime
    provider_name: str
    status: str
    can_check_in: bool
    missing_demographics: tuple[str, ...]
    phones: tuple[str, ...]
    address: tuple[str, ...]
    email: str
    coverages: tuple[CoverageLine, ...]
    copay_due: Decimal | None
    intake_not_done: tuple[str, ...]
    primary_coverage_id: uuid.UUID | None = None
    eligibility_unverified: bool = False

    @property
    def demographics_complete(self) -> bool:
        """True when the record has every field a claim needs."""
        return not self.missing_demographics


def check_in_checklist(session: Session, actor: Actor, appointment_id: uuid.UUID) -> CheckIn:
    """Return what to confirm before checking in `appointment_id`.

    Raises NotFoundError when the appointment does not exist or is archived.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    require(actor, Permission.PATIENT_VIEW)
    found = session.execute(
        select(Appointment, Patient, Provider)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.id == appointment_id, Appointment.archived.is_(False))
    ).one_or_none()
    if found is None:
        raise NotFoundError(
            f"Appointment {appointment_id} was not found; it may have been removed. "
            "Refresh the Today page and try again."
        )

    appointment, patient, provider = found
    day = appointment.starts_at.date()
    facts = gather_facts(session, [patient.id], day)[patient.id]
    checklist = patient_checklist(session, actor, patient.id, day)
    log.debug("read the check-in checklist of appointment %s", appointment_id)
    return CheckIn(
        appointment_id=AppointmentId(appointment.id),
        patient_id=PatientId(patient.id),
        patient_name=f"{patient.last_name}, {patient.first_name}",
        chart_number=patient.chart_number,
        starts_at=appointment.starts_at,
        provider_name=provider.display_name,
        status=appointment.status,
        can_check_in=appointment.status in CHECK_IN_FROM,
        missing_demographics=tuple(facts.missing_demographics),
        phones=_phones(session, patient),
        address=_address(patient),
        email=patient.email or "",
        coverages=_coverages(session, actor, patient.id, day),
        copay_due=_copay_due(session, patient.id, day),
        intake_not_done=tuple(item.label for item in checklist.items if not item.done),
        primary_coverage_id=primary_coverage_id(session, patient.id, day),
        eligibility_unverified=bool(unverified_visits(session, [(patient.id, day)])),
    )


def check_in(
    session: Session, actor: Actor, appointment_id: uuid.UUID, *, eligibility_confirmed: bool
) -> Changes:
    """Mark the appointment arrived; with `eligibility_confirmed`, record today's check too.

    The check is stored on the primary coverage in effect on the visit's date, dated the
    practice's today and audited. Raises UserError when eligibility is confirmed for a
    visit with no coverage in effect, and StatusChangeError when the visit cannot be
    checked in. The caller's transaction then rolls back, so nothing is written.
    """
    changes = set_status(session, actor, appointment_id, "arrived")
    if not eligibility_confirmed:
        return changes

    appointment = session.get_one(Appointment, appointment_id)
    coverage_id = primary_coverage_id(session, appointment.patient_id, appointment.starts_at.date())
    if coverage_id is None:
        raise UserError(
            "The patient has no coverage in effect on the visit's date, so there is no "
            "eligibility to confirm. Clear the eligibility box, or add the coverage first."
        )
    today = practice_now(session).date()
    recorded = record_eligibility_check(session, actor, coverage_id, today)
    return Changes(changes.kinds | recorded.kinds)


def _phones(session: Session, patient: Patient) -> tuple[str, ...]:
    rows = session.scalars(
        select(PatientPhone)
        .where(PatientPhone.patient_id == patient.id, PatientPhone.archived.is_(False))
        .order_by(PatientPhone.position)
    )
    phones = [f"{row.kind} {display_phone(row.number)}".strip() for row in rows]
    if not phones and patient.phone:
        phones.append(display_phone(patient.phone))
    return tuple(phones)


def _address(patient: Patient) -> tuple[str, ...]:
    place = " ".join(part for part in (patient.state, patient.zip_code) if part)
    city_line = ", ".join(part for part in (patient.city, place) if part)
    lines = (patient.address_line1, patient.address_line2, city_line)
    return tuple(line for line in lines if line)


def _coverages(
    session: Session, actor: Actor, patient_id: uuid.UUID, day: date
) -> tuple[CoverageLine, ...]:
    rows = session.execute(
        select(Coverage, Payer.name)
        .join(Payer, Payer.id == Coverage.payer_id)
        .where(
            Coverage.patient_id == patient_id,
            Coverage.archived.is_(False),
            or_(Coverage.effective_date.is_(None), Coverage.effective_date <= day),
            or_(Coverage.termination_date.is_(None), Coverage.termination_date >= day),
        )
        .order_by(Coverage.priority)
    ).all()
    checks = eligibility_checks(session, actor, [coverage.id for coverage, _name in rows])
    return tuple(
        CoverageLine(
            coverage_id=coverage.id,
            priority=PRIORITY_NAMES.get(coverage.priority, str(coverage.priority)),
            payer_name=payer_name,
            plan_name=coverage.plan_name or "",
            member_id=coverage.member_id,
            office_copay=coverage.copay_office,
            eligibility=checks[coverage.id].describe(),
        )
        for coverage, payer_name in rows
    )


def _copay_due(session: Session, patient_id: uuid.UUID, day: date) -> Decimal | None:
    bounds = day_bounds_utc(day, practice_zone_or_utc(session))
    paid = paid_on(session, [patient_id], bounds)
    return copay_due(patient_id, primary_copays(session, [patient_id], day), paid)
