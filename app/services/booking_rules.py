"""The conflict checks every booking runs, and the override rule for blocking conflicts.

Conflicts are computed on intervals, not grid slots: a 30-minute visit at 09:00 blocks
09:15 and leaves 09:30 free. Cancelled, no-show and rescheduled appointments hold no time.
Whether a kind of conflict blocks the booking or only warns comes from the scheduling
settings.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.clock import format_time
from app.errors import NotFoundError, ValidationError
from app.models.onboarding import PriorAuthorization
from app.models.patients import Coverage
from app.models.scheduling import Appointment, AppointmentType, AppointmentTypeCode
from app.problems import Problem
from app.scheduling.intervals import Interval, covered_by
from app.scheduling.recurrence import wall_time_problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.authorization_check import authorization_for
from app.services.availability import (
    MAX_DURATION_MINUTES,
    active_appointments,
    blockout_intervals,
    has_hours,
    working_intervals,
)
from app.services.scheduling_settings import (
    SchedulingSettings,
    practice_zone,
    scheduling_settings,
)

log = logging.getLogger(__name__)

Severity = Literal["warning", "block"]
DEFAULT_TYPE_NAME = "Office visit"
MAX_OVERRIDE_REASON = 200


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """A booking request: patient, provider, place and time (`starts_at` is practice wall clock)."""

    patient_id: uuid.UUID
    provider_id: uuid.UUID
    location_id: uuid.UUID
    starts_at: datetime
    duration_minutes: int
    appointment_type_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    reason: str | None = None
    notes: str | None = None

    @property
    def interval(self) -> Interval:
        """The wall-clock interval the visit takes."""
        return Interval.of(self.starts_at, self.duration_minutes)


def request_of(appointment: Appointment) -> BookingRequest:
    """Return the booking request that matches an existing appointment."""
    return BookingRequest(
        patient_id=appointment.patient_id,
        provider_id=appointment.provider_id,
        location_id=appointment.location_id,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        appointment_type_id=appointment.appointment_type_id,
        room_id=appointment.room_id,
        resource_id=appointment.resource_id,
        reason=appointment.reason,
        notes=appointment.notes,
    )


@dataclass(frozen=True, slots=True)
class Conflict:
    """One reason a booking clashes; `appointment_id` names the other visit, if any.

    `kind` is one of provider_overlap, room_overlap, resource_overlap, patient_overlap,
    outside_hours, blockout or authorization.
    """

    kind: str
    message: str
    severity: Severity
    appointment_id: uuid.UUID | None = None


def request_problems(request: BookingRequest, zone: ZoneInfo | None = None) -> list[Problem]:
    """Return what is wrong with the request itself, every problem at once.

    Given the practice's `zone`, a start that the clocks skip for daylight saving time is
    a problem too. Series leave the zone out, because they report such dates one by one.
    """
    problems: list[Problem] = []
    if not 1 <= request.duration_minutes <= MAX_DURATION_MINUTES:
        problems.append(
            Problem(
                "duration_minutes",
                f"The length must be 1 to {MAX_DURATION_MINUTES} minutes, "
                f"not {request.duration_minutes}.",
            )
        )
    if request.starts_at.tzinfo is not None:
        problems.append(
            Problem("starts_at", "The start must be practice wall-clock time, without a zone.")
        )
    elif zone is not None:
        gap = wall_time_problem(request.starts_at, zone)
        if gap is not None:
            problems.append(Problem("starts_at", f"{gap} Choose another time."))
    return problems


def check_booking(
    session: Session, actor: Actor, request: BookingRequest, ignore_id: uuid.UUID | None = None
) -> list[Conflict]:
    """Return every conflict the booking would have, blocking ones first.

    `ignore_id` leaves one appointment out, such as the one being moved. Raises
    ValidationError when the request itself is invalid.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    problems = request_problems(request, practice_zone(session))
    if problems:
        raise ValidationError(problems)
    return find_conflicts(session, actor, request, scheduling_settings(session), ignore_id)


def find_conflicts(
    session: Session,
    actor: Actor | None,
    request: BookingRequest,
    settings: SchedulingSettings,
    ignore_id: uuid.UUID | None = None,
) -> list[Conflict]:
    """Compute the conflicts of a valid request (no permission check).

    With no actor, as for rows arriving by sync, the authorization check is left out.
    """
    found = _overlaps(session, request, settings, ignore_id)
    found += _hours_conflicts(session, request, settings)
    found += _blockout_conflicts(session, request, settings)
    if actor is not None:
        found += _authorization_conflicts(session, actor, request, settings)
    found.sort(key=lambda conflict: conflict.severity != "block")
    return found


def _overlaps(
    session: Session,
    request: BookingRequest,
    settings: SchedulingSettings,
    ignore_id: uuid.UUID | None,
) -> list[Conflict]:
    interval = request.interval
    wanted = [
        Appointment.provider_id == request.provider_id,
        Appointment.patient_id == request.patient_id,
    ]
    if request.room_id is not None:
        wanted.append(Appointment.room_id == request.room_id)
    if request.resource_id is not None:
        wanted.append(Appointment.resource_id == request.resource_id)
    candidates = active_appointments(session, interval, or_(*wanted))
    found: list[Conflict] = []
    for other in candidates:
        if other.id == ignore_id:
            continue
        at = f"{format_time(other.starts_at)} ({other.duration_minutes} min)"
        checks = (
            ("provider_overlap", other.provider_id == request.provider_id, "The provider"),
            (
                "room_overlap",
                request.room_id is not None and other.room_id == request.room_id,
                "The room",
            ),
            (
                "resource_overlap",
                request.resource_id is not None and other.resource_id == request.resource_id,
                "The equipment",
            ),
            ("patient_overlap", other.patient_id == request.patient_id, "The patient"),
        )
        for kind, clashes, subject in checks:
            if clashes:
                message = f"{subject} is already booked at {at}."
                found.append(Conflict(kind, message, settings.policy(kind), other.id))
    return found


def _hours_conflicts(
    session: Session, request: BookingRequest, settings: SchedulingSettings
) -> list[Conflict]:
    # A provider with no hours set up at all has nothing to be outside of yet.
    if not has_hours(session, request.provider_id):
        return []
    interval = request.interval
    hours = working_intervals(
        session, request.provider_id, interval.start.date(), request.location_id
    )
    if interval.end.date() != interval.start.date():
        hours += working_intervals(
            session, request.provider_id, interval.end.date(), request.location_id
        )
    if covered_by(interval, hours):
        return []
    shown = ", ".join(f"{format_time(part.start)} to {format_time(part.end)}" for part in hours)
    shown = shown or "none"
    message = (
        f"The visit is outside the provider's hours at this location on "
        f"{interval.start:%a %b %d} (hours: {shown})."
    )
    return [Conflict("outside_hours", message, settings.policy("outside_hours"))]


def _blockout_conflicts(
    session: Session, request: BookingRequest, settings: SchedulingSettings
) -> list[Conflict]:
    interval = request.interval
    spans = blockout_intervals(session, interval.start.date(), interval.end.date())
    return [
        Conflict(
            "blockout",
            f"The time is blocked out for {span.title} "
            f"({format_time(span.interval.start)} to {format_time(span.interval.end)}).",
            settings.policy("blockout"),
        )
        for span in spans
        if span.interval.overlaps(interval)
        and span.applies_to(request.provider_id, request.room_id, request.location_id)
    ]


def _authorization_conflicts(
    session: Session, actor: Actor, request: BookingRequest, settings: SchedulingSettings
) -> list[Conflict]:
    """Warn when the patient has authorizations from the payer but none covers a code.

    No payer flag says whether an authorization is required, so one on file from the
    primary payer is taken as the sign that it is; with none on file there is no conflict.
    """
    if request.appointment_type_id is None:
        return []
    codes = list(
        session.scalars(
            select(AppointmentTypeCode.code)
            .where(
                AppointmentTypeCode.appointment_type_id == request.appointment_type_id,
                AppointmentTypeCode.archived.is_(False),
            )
            .order_by(AppointmentTypeCode.position)
        )
    )
    payer_id = _primary_payer(session, request)
    if (
        not codes
        or payer_id is None
        or not _has_authorization(session, request.patient_id, payer_id)
    ):
        return []

    service_date = request.starts_at.date()
    found: list[Conflict] = []
    for code in codes:
        result = authorization_for(session, actor, request.patient_id, payer_id, service_date, code)
        if not result.covered:
            found.append(Conflict("authorization", result.reason, settings.policy("authorization")))
    return found


def _primary_payer(session: Session, request: BookingRequest) -> uuid.UUID | None:
    service_date = request.starts_at.date()
    rows = session.scalars(
        select(Coverage)
        .where(Coverage.patient_id == request.patient_id, Coverage.archived.is_(False))
        .order_by(Coverage.priority)
    )
    for row in rows:
        started = row.effective_date is None or row.effective_date <= service_date
        ended = row.termination_date is not None and row.termination_date < service_date
        if started and not ended:
            return row.payer_id
    return None


def _has_authorization(session: Session, patient_id: uuid.UUID, payer_id: uuid.UUID) -> bool:
    query = select(PriorAuthorization.id).where(
        PriorAuthorization.patient_id == patient_id,
        PriorAuthorization.payer_id == payer_id,
        PriorAuthorization.archived.is_(False),
    )
    return session.scalar(query.limit(1)) is not None


def blocking(conflicts: list[Conflict]) -> list[Conflict]:
    """Return the conflicts that stop a booking unless overridden."""
    return [conflict for conflict in conflicts if conflict.severity == "block"]


def may_write(
    session: Session,
    actor: Actor,
    conflicts: list[Conflict],
    override_reason: str | None,
    object_id: uuid.UUID | None,
) -> bool:
    """Decide whether a write with these conflicts goes ahead, auditing any override.

    Without blocking conflicts it does. With them it goes ahead only when an override
    reason is given, and then the actor needs SCHEDULE_OVERRIDE (PermissionDeniedError
    otherwise).
    """
    stopping = blocking(conflicts)
    if not stopping:
        return True
    reason = (override_reason or "").strip()
    if not reason:
        return False
    require(actor, Permission.SCHEDULE_OVERRIDE)

    # NOTE: the reason is free text typed by staff; screens ask for a scheduling reason
    # without patient details, since audit rows must hold no PHI.
    kinds = ",".join(sorted({conflict.kind for conflict in stopping}))
    detail = f"override of {kinds}: {reason[:MAX_OVERRIDE_REASON]}"
    audit.record(
        session, actor, AuditAction.UPDATE, "appointment_override", object_id, detail=detail
    )
    log.info("scheduling override of %s for appointment %s", kinds, object_id)
    return True


def type_name(session: Session, appointment_type_id: uuid.UUID | None) -> str:
    """Return the visit type's name for the appointment row (a default when none is chosen)."""
    if appointment_type_id is None:
        return DEFAULT_TYPE_NAME
    found = session.get(AppointmentType, appointment_type_id)
    if found is None or found.archived:
        raise NotFoundError(
            f"Visit type {appointment_type_id} was not found or is archived; choose another type."
        )
    return found.name
