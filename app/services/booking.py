"""Booking, moving, cancelling and rescheduling appointments: the scheduling engine's entry points.

Every write first runs the conflict checks (app/services/booking_rules.py). A blocking
conflict stops the write, which then returns the conflicts and writes nothing, unless
the caller gives an override reason and the actor has SCHEDULE_OVERRIDE; overrides are
audited. Warnings never stop a write. Booking and the waitlist stay independent: after
a cancel or move, the screens ask the waitlist service about the freed time.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError, ValidationError
from app.models.scheduling import Appointment
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.appointment_status import (
    StatusChangeError,
    check_move,
    checkout,
    create_appointment,
    load_appointment,
    on_checked_out,
    record_status,
    set_status,
)
from app.services.availability import INACTIVE_STATUSES
from app.services.booking_rules import (
    BookingRequest,
    Conflict,
    check_booking,
    find_conflicts,
    may_write,
    request_of,
    request_problems,
    type_name,
)
from app.services.booking_series import (
    CancelScope,
    SeriesOutcome,
    book_series,
    edit_occurrences,
    rows_in_scope,
)
from app.services.no_shows import NoShowRow, no_show_counts, no_show_report
from app.services.scheduling_settings import practice_now, practice_zone, scheduling_settings

log = logging.getLogger(__name__)

__all__ = [
    "BookingOutcome",
    "BookingRequest",
    "CancelScope",
    "Conflict",
    "NoShowRow",
    "SeriesOutcome",
    "StatusChangeError",
    "book",
    "book_series",
    "cancel",
    "check_booking",
    "checkout",
    "edit_occurrences",
    "flag_conflicts",
    "move",
    "no_show_counts",
    "no_show_report",
    "on_checked_out",
    "reschedule",
    "set_status",
]

CancelledBy = Literal["patient", "practice"]
# Statuses a visit can still be moved in; later ones are history.
MOVABLE_STATUSES = frozenset({"scheduled", "confirmed", "arrived", "in_room"})


@dataclass(frozen=True, slots=True)
class BookingOutcome:
    """The result of a booking or move: the appointment written, or None when a conflict blocked it.

    `conflicts` lists every conflict found, warnings included, so the screen can show them.
    """

    appointment_id: uuid.UUID | None
    conflicts: list[Conflict]
    changes: Changes


def _validate(session: Session, request: BookingRequest) -> None:
    problems = request_problems(request, practice_zone(session))
    if problems:
        raise ValidationError(problems)


def book(
    session: Session, actor: Actor, request: BookingRequest, override_reason: str | None = None
) -> BookingOutcome:
    """Book one appointment unless a blocking conflict stops it (see the module notes)."""
    require(actor, Permission.SCHEDULE_EDIT)
    _validate(session, request)
    name = type_name(session, request.appointment_type_id)
    conflicts = find_conflicts(session, actor, request, scheduling_settings(session))
    if not may_write(session, actor, conflicts, override_reason, None):
        return BookingOutcome(None, conflicts, Changes())

    appointment = create_appointment(session, actor, request, name)
    log.info("booked appointment %s with %d conflicts", appointment.id, len(conflicts))
    return BookingOutcome(appointment.id, conflicts, Changes.of(ChangeKind.APPOINTMENTS))


def move(  # noqa: PLR0917 (the documented signature the calendar calls)
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    starts_at: datetime,
    duration_minutes: int | None = None,
    provider_id: uuid.UUID | None = None,
    room_id: uuid.UUID | None = None,
    override_reason: str | None = None,
) -> BookingOutcome:
    """Move an appointment to a new time, length, provider or room, keeping its id.

    None leaves the length, provider or room as they are. A series occurrence keeps its
    series date, so it stays an exception the series never overwrites.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    appointment = load_appointment(session, appointment_id)
    if appointment.status not in MOVABLE_STATUSES:
        raise UserError(
            f"An appointment that is {appointment.status.replace('_', ' ')} cannot be moved; "
            "book a new one instead."
        )
    request = replace(
        request_of(appointment),
        starts_at=starts_at,
        duration_minutes=(
            appointment.duration_minutes if duration_minutes is None else duration_minutes
        ),
        provider_id=provider_id or appointment.provider_id,
        room_id=room_id or appointment.room_id,
    )
    _validate(session, request)
    conflicts = find_conflicts(
        session, actor, request, scheduling_settings(session), appointment.id
    )
    if not may_write(session, actor, conflicts, override_reason, appointment.id):
        return BookingOutcome(None, conflicts, Changes())

    before = f"{appointment.starts_at:%Y-%m-%d %H:%M} {appointment.duration_minutes} min"
    appointment.starts_at = request.starts_at
    appointment.duration_minutes = request.duration_minutes
    appointment.provider_id = request.provider_id
    appointment.room_id = request.room_id
    appointment.updated_by = actor.user_id
    session.flush()
    detail = (
        f"moved from {before} to {request.starts_at:%Y-%m-%d %H:%M} {request.duration_minutes} min"
    )
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "appointment",
        appointment.id,
        patient_id=appointment.patient_id,
        detail=detail,
    )
    return BookingOutcome(appointment.id, conflicts, Changes.of(ChangeKind.APPOINTMENTS))


def cancel(  # noqa: PLR0917 (the documented signature the calendar calls)
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    reason: str,
    by: CancelledBy,
    scope: CancelScope = "this",
) -> Changes:
    """Cancel the appointment, or with a series scope also the following or all occurrences.

    Only scheduled and confirmed occurrences are cancelled by a series scope; visits that
    already happened, and occurrences cancelled before, are left as they are. A patient
    cancelling within the late-cancel window marks the visit as a late cancel.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    if by not in ("patient", "practice"):
        raise UserError(f"Cancelled by must be 'patient' or 'practice', not {by!r}.")
    text = reason.strip()
    if not text:
        raise ValidationError([_missing_reason()])

    anchor = load_appointment(session, appointment_id)
    check_move(anchor, "cancelled")
    rows = rows_in_scope(session, anchor, scope)
    late_hours = scheduling_settings(session).late_cancel_hours
    now = practice_now(session)
    for row in rows:
        if row.id != anchor.id and row.status not in ("scheduled", "confirmed"):
            continue
        row.cancel_reason = text
        row.cancelled_by = by
        row.late_cancel = by == "patient" and row.starts_at - now < timedelta(hours=late_hours)
        record_status(session, actor, row, "cancelled", text)
    log.info("cancelled %d appointments (scope %s)", len(rows), scope)
    return Changes.of(ChangeKind.APPOINTMENTS)


def _missing_reason() -> Problem:
    return Problem("reason", "A cancel reason is required; say why the visit is cancelled.")


def reschedule(
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    request: BookingRequest,
    override_reason: str | None = None,
) -> BookingOutcome:
    """Book `request` as the new visit and mark the old one rescheduled, linked to it.

    The old appointment's time is not counted as a conflict, so a visit can move by less
    than its own length.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    old = load_appointment(session, appointment_id)
    check_move(old, "rescheduled")
    if request.patient_id != old.patient_id:
        raise UserError(
            "The new visit is for a different patient than the one rescheduled; "
            "book the other patient separately."
        )
    _validate(session, request)
    name = type_name(session, request.appointment_type_id)
    conflicts = find_conflicts(session, actor, request, scheduling_settings(session), old.id)
    if not may_write(session, actor, conflicts, override_reason, old.id):
        return BookingOutcome(None, conflicts, Changes())

    # The old visit gives up its time first, so the new one never overlaps it.
    old.rescheduled_to_id = None
    record_status(session, actor, old, "rescheduled", None)
    new = create_appointment(session, actor, request, name)
    old.rescheduled_to_id = new.id
    session.flush()
    return BookingOutcome(new.id, conflicts, Changes.of(ChangeKind.APPOINTMENTS))


def flag_conflicts(session: Session, appointment_ids: Iterable[uuid.UUID]) -> int:
    """Note the conflicts of appointments that arrived by sync; return how many were flagged.

    Sync cannot ask anyone, so it never refuses or deletes a row: each appointment that
    still takes time and clashes gets its conflicts written to `conflict_note` for review,
    and one with an invalid length or start gets that problem instead. Rows without
    conflicts keep whatever note they had.
    """
    settings = scheduling_settings(session)
    flagged = 0
    for appointment_id in appointment_ids:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None or appointment.archived or appointment.status in INACTIVE_STATUSES:
            continue
        request = request_of(appointment)
        problems = request_problems(request)
        if problems:
            # An invalid row cannot be checked for conflicts, so its problems are noted.
            appointment.conflict_note = "\n".join(
                f"invalid: {problem.message}" for problem in problems
            )
            flagged += 1
            continue
        conflicts = find_conflicts(session, None, request, settings, appointment.id)
        if not conflicts:
            continue
        appointment.conflict_note = "\n".join(
            f"{conflict.severity}: {conflict.message}" for conflict in conflicts
        )
        flagged += 1
    session.flush()
    log.info("flagged %d synced appointments with conflicts", flagged)
    return flagged
