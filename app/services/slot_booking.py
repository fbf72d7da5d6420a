"""Book an open time that the find-available search or a waitlist offer turned up.

A slot carries only a provider and a start, so the location comes from the provider's
working hours at that time. Bookings go through `booking.book` or, for a waitlist entry,
`waitlist.book_from_waitlist`, so every conflict check applies and blocking conflicts
write nothing.
"""

import logging
import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.practice import Location
from app.models.scheduling import ProviderHours, WaitlistEntry
from app.security.permissions import Actor, Permission, require
from app.services import booking
from app.services.booking import BookingOutcome, BookingRequest
from app.services.waitlist import book_from_waitlist

log = logging.getLogger(__name__)


def location_for(session: Session, provider_id: uuid.UUID, starts_at: datetime) -> uuid.UUID:
    """Return where the provider works at `starts_at`, else the practice's first location.

    Raises NotFoundError when the practice has no active location.
    """
    day = starts_at.date()
    query = select(ProviderHours.location_id).where(
        ProviderHours.provider_id == provider_id,
        ProviderHours.weekday == day.weekday(),
        ProviderHours.archived.is_(False),
        ProviderHours.starts <= starts_at.time(),
        ProviderHours.ends > starts_at.time(),
        or_(ProviderHours.effective_from.is_(None), ProviderHours.effective_from <= day),
        or_(ProviderHours.effective_until.is_(None), ProviderHours.effective_until >= day),
    )
    location_id = session.scalar(query.limit(1))
    if location_id is not None:
        return location_id

    first = session.scalar(
        select(Location.id).where(Location.archived.is_(False)).order_by(Location.name).limit(1)
    )
    if first is None:
        raise NotFoundError("The practice has no location; add one under Admin, Practice.")
    return first


def book_slot(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    provider_id: uuid.UUID,
    starts_at: datetime,
    *,
    duration_minutes: int,
    appointment_type_id: uuid.UUID | None = None,
    entry_id: uuid.UUID | None = None,
) -> BookingOutcome:
    """Book the patient at the slot; with `entry_id` the waitlist entry is marked booked.

    A blocking conflict returns the outcome without an appointment and writes nothing.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    request = BookingRequest(
        patient_id=patient_id,
        provider_id=provider_id,
        location_id=location_for(session, provider_id, starts_at),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        appointment_type_id=appointment_type_id,
    )
    if entry_id is None:
        return booking.book(session, actor, request)
    return book_from_waitlist(session, actor, entry_id, request)


def book_offer(
    session: Session,
    actor: Actor,
    entry_id: uuid.UUID,
    provider_id: uuid.UUID,
    starts_at: datetime,
) -> BookingOutcome:
    """Book a waitlist entry into a freed time, with the entry's length and visit type."""
    require(actor, Permission.SCHEDULE_EDIT)
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.archived:
        raise NotFoundError("The waitlist entry was not found; refresh the waitlist.")

    log.info("booking waitlist entry %s into a freed time", entry_id)
    return book_slot(
        session,
        actor,
        entry.patient_id,
        provider_id,
        starts_at,
        duration_minutes=entry.duration_minutes,
        appointment_type_id=entry.appointment_type_id,
        entry_id=entry_id,
    )
