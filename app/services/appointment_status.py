"""The appointment status machine, its history rows, no-show fees and check-out.

Allowed moves: scheduled to confirmed, arrived, no_show, cancelled or rescheduled;
confirmed to arrived, no_show, cancelled or rescheduled; arrived to in_room or
checked_out; in_room to checked_out. Any status goes back to scheduled only as an undo
of the last change, by a user with SCHEDULE_OVERRIDE. Every change appends an
AppointmentStatusEvent row (who, when in UTC, note) and an audit row.
"""

import logging
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.ids import new_id
from app.models.ledger import LedgerEntry
from app.models.scheduling import Appointment, AppointmentStatusEvent
from app.money import to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.availability import INACTIVE_STATUSES
from app.services.booking_rules import BookingRequest, blocking, find_conflicts, request_of
from app.services.encounter_drafts import draft_for_appointment
from app.services.ledger import RESPONSIBLE_PATIENT, post_entry, reverse_entry
from app.services.scheduling_settings import practice_now, scheduling_settings

log = logging.getLogger(__name__)

STATUSES = (
    "scheduled",
    "confirmed",
    "arrived",
    "in_room",
    "checked_out",
    "no_show",
    "cancelled",
    "rescheduled",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"confirmed", "arrived", "no_show", "cancelled", "rescheduled"}),
    "confirmed": frozenset({"arrived", "no_show", "cancelled", "rescheduled"}),
    "arrived": frozenset({"in_room", "checked_out"}),
    "in_room": frozenset({"checked_out"}),
    "checked_out": frozenset(),
    "no_show": frozenset(),
    "cancelled": frozenset(),
    "rescheduled": frozenset(),
}

NO_SHOW_SOURCE = "no_show"


class StatusChangeError(UserError):
    """A status change the appointment's current status does not allow."""


def load_appointment(session: Session, appointment_id: uuid.UUID) -> Appointment:
    """Return the appointment, or raise NotFoundError when it is missing or archived."""
    found = session.get(Appointment, appointment_id)
    if found is None or found.archived:
        raise NotFoundError(
            f"Appointment {appointment_id} was not found or is archived; refresh the calendar."
        )
    return found


def record_status(
    session: Session, actor: Actor, appointment: Appointment, status: str, note: str | None = None
) -> None:
    """Set the status and append its history row and audit row (no rule check)."""
    previous = appointment.status
    appointment.status = status
    appointment.updated_by = actor.user_id
    session.add(
        AppointmentStatusEvent(
            id=new_id(),
            appointment_id=appointment.id,
            status=status,
            changed_at=utc_now(),
            changed_by=actor.user_id,
            note=note,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "appointment",
        appointment.id,
        patient_id=appointment.patient_id,
        detail=f"status {previous} -> {status}",
    )


def check_move(appointment: Appointment, status: str) -> None:
    """Raise StatusChangeError unless `status` may follow the appointment's current one."""
    if status not in STATUSES:
        raise StatusChangeError(
            f"{status!r} is not an appointment status; use one of {', '.join(STATUSES)}."
        )
    current = appointment.status
    if status in TRANSITIONS.get(current, frozenset()):
        return
    allowed = ", ".join(sorted(TRANSITIONS.get(current, frozenset()))) or "none"
    raise StatusChangeError(
        f"An appointment that is {current.replace('_', ' ')} cannot become "
        f"{status.replace('_', ' ')}; allowed next: {allowed}. A manager can undo the "
        "last change back to scheduled."
    )


def set_status(
    session: Session, actor: Actor, appointment_id: uuid.UUID, status: str, note: str | None = None
) -> Changes:
    """Move the appointment to `status` under the status rules, with history and audit.

    Use `cancel` for cancellations and `reschedule` for reschedules, which need more than
    a status. Raises StatusChangeError for a move the rules do not allow.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    appointment = load_appointment(session, appointment_id)
    if status == "scheduled":
        return undo_last_change(session, actor, appointment, note)
    if status in ("cancelled", "rescheduled"):
        verb = "cancel" if status == "cancelled" else "reschedule"
        raise StatusChangeError(f"Use {verb} for this appointment: it records the reason and link.")

    check_move(appointment, status)
    if status == "no_show":
        _check_no_show_due(session, appointment)
    record_status(session, actor, appointment, status, note)
    changes = Changes.of(ChangeKind.APPOINTMENTS)
    if status == "no_show":
        changes = _charge_no_show(session, actor, appointment, changes)
    if status == "checked_out":
        changes = Changes(changes.kinds | on_checked_out(session, actor, appointment).kinds)
    return changes


def _check_no_show_due(session: Session, appointment: Appointment) -> None:
    """Raise StatusChangeError for a visit on a later day than the practice's today.

    A visit later today may still be marked, because the Today page lists the whole day.
    """
    day = appointment.starts_at.date()
    if day <= practice_now(session).date():
        return
    raise StatusChangeError(
        f"The visit on {day.isoformat()} has not happened yet, so it cannot be a no-show; "
        "cancel it instead if the patient will not come."
    )


def checkout(session: Session, actor: Actor, appointment_id: uuid.UUID) -> Changes:
    """Check the patient out (from arrived or in room) and run the check-out hook."""
    return set_status(session, actor, appointment_id, "checked_out")


def on_checked_out(session: Session, actor: Actor, appointment: Appointment) -> Changes:
    """Create the visit's draft encounter for charge entry, unless it already has one.

    The front desk checks patients out without CHARGE_POST, so the draft is made without
    that permission. A draft posts nothing, and posting it checks the permission.
    """
    encounter_id = draft_for_appointment(session, actor, appointment.id)
    log.debug("appointment %s checked out; draft encounter %s", appointment.id, encounter_id)
    return Changes.of(ChangeKind.ENCOUNTERS)


def undo_last_change(
    session: Session, actor: Actor, appointment: Appointment, note: str | None
) -> Changes:
    """Put the appointment back to scheduled, undoing its last status change (managers only)."""
    require(actor, Permission.SCHEDULE_OVERRIDE)
    current = appointment.status
    if current == "scheduled":
        raise StatusChangeError("The appointment is already scheduled; there is nothing to undo.")
    if current == "rescheduled":
        raise StatusChangeError(
            "A rescheduled appointment cannot be undone here; cancel the new appointment "
            "and book the old time again."
        )

    if current in INACTIVE_STATUSES:
        _check_time_free(session, actor, appointment)

    changes = Changes.of(ChangeKind.APPOINTMENTS)
    if current == "no_show":
        changes = _reverse_no_show_fee(session, actor, appointment, changes)
    if current == "cancelled":
        appointment.cancel_reason = None
        appointment.cancelled_by = None
        appointment.late_cancel = False
    record_status(session, actor, appointment, "scheduled", note or f"undo of {current}")
    return changes


def _check_time_free(session: Session, actor: Actor, appointment: Appointment) -> None:
    """Raise StatusChangeError when the visit's time now has a blocking conflict.

    A cancelled or no-show visit takes no time, so another visit may have been booked
    there since, and undoing must not double-book it.
    """
    conflicts = find_conflicts(
        session, actor, request_of(appointment), scheduling_settings(session), appointment.id
    )
    stopping = blocking(conflicts)
    if stopping:
        raise StatusChangeError(
            f"The visit cannot go back to scheduled: {stopping[0].message} Cancel or move "
            "the other visit first, or book this patient at another time."
        )


def _charge_no_show(
    session: Session, actor: Actor, appointment: Appointment, changes: Changes
) -> Changes:
    fee = scheduling_settings(session).no_show_fee
    if fee is None:
        return changes
    if actor.user_id is None:
        # The ledger names the person who posted each row, so a system task posts no fee.
        log.warning("no-show fee for appointment %s skipped: no signed-in user", appointment.id)
        return changes

    post_entry(
        session,
        actor,
        entry_type="charge",
        amount=to_money(fee),
        patient_id=appointment.patient_id,
        responsible_party=RESPONSIBLE_PATIENT,
        service_date=appointment.starts_at.date(),
        source_type=NO_SHOW_SOURCE,
        source_id=appointment.id,
        memo="No-show fee",
    )
    return Changes(changes.kinds | {ChangeKind.LEDGER})


def _reverse_no_show_fee(
    session: Session, actor: Actor, appointment: Appointment, changes: Changes
) -> Changes:
    charges = list(
        session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.source_type == NO_SHOW_SOURCE,
                LedgerEntry.source_id == appointment.id,
                LedgerEntry.entry_type == "charge",
            )
        )
    )
    reversed_ids = set(
        session.scalars(
            select(LedgerEntry.reverses_id).where(
                LedgerEntry.reverses_id.in_([charge.id for charge in charges])
            )
        )
    )
    open_charges = [charge for charge in charges if charge.id not in reversed_ids]
    if not open_charges or actor.user_id is None:
        return changes
    for charge in open_charges:
        reverse_entry(session, actor, charge.id, "No-show fee reversed")
    return Changes(changes.kinds | {ChangeKind.LEDGER})


def status_history(
    session: Session, actor: Actor, appointment_id: uuid.UUID
) -> list[AppointmentStatusEvent]:
    """Return the appointment's status changes, oldest first."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(AppointmentStatusEvent)
        .where(AppointmentStatusEvent.appointment_id == appointment_id)
        .order_by(AppointmentStatusEvent.changed_at, AppointmentStatusEvent.id)
    )
    return list(session.scalars(query))


def create_appointment(
    session: Session,
    actor: Actor,
    request: BookingRequest,
    type_name: str,
    *,
    series_id: uuid.UUID | None = None,
    series_date: date | None = None,
) -> Appointment:
    """Insert a scheduled appointment for `request`, with its first history row and audit."""
    appointment = Appointment(
        id=new_id(),
        patient_id=request.patient_id,
        provider_id=request.provider_id,
        location_id=request.location_id,
        room_id=request.room_id,
        resource_id=request.resource_id,
        starts_at=request.starts_at,
        duration_minutes=request.duration_minutes,
        appointment_type=type_name,
        appointment_type_id=request.appointment_type_id,
        status="scheduled",
        reason=request.reason,
        notes=request.notes,
        series_id=series_id,
        series_date=series_date,
        updated_by=actor.user_id,
    )
    session.add(appointment)
    session.flush()
    session.add(
        AppointmentStatusEvent(
            id=new_id(),
            appointment_id=appointment.id,
            status="scheduled",
            changed_at=utc_now(),
            changed_by=actor.user_id,
        )
    )
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "appointment",
        appointment.id,
        patient_id=appointment.patient_id,
        detail=f"booked {request.duration_minutes} min with provider {request.provider_id}",
    )
    return appointment
