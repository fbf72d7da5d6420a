"""When providers work, what is blocked out, and what is already booked, as wall-clock intervals.

Read-only queries with no permission check of their own: the booking services and the
calendar call them after checking SCHEDULE_VIEW or SCHEDULE_EDIT.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models.scheduling import Appointment, Blockout, ProviderHours
from app.scheduling.intervals import Interval, merge
from app.scheduling.recurrence import expand_rule_text

log = logging.getLogger(__name__)

# Statuses whose time is free again: such appointments never conflict with a booking.
INACTIVE_STATUSES = frozenset({"cancelled", "no_show", "rescheduled"})

# The longest appointment the queries look back for when finding overlaps.
MAX_DURATION_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class BlockoutSpan:
    """One occurrence of a blockout: its interval and what it blocks (None means all)."""

    interval: Interval
    title: str
    kind: str
    id: uuid.UUID
    provider_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None

    def applies_to(
        self,
        provider_id: uuid.UUID | None,
        room_id: uuid.UUID | None,
        location_id: uuid.UUID | None,
    ) -> bool:
        """Return True when this blockout covers a booking with these ids.

        Each id the blockout names must match the booking's; one naming none blocks all.
        """
        pairs = (
            (self.provider_id, provider_id),
            (self.room_id, room_id),
            (self.location_id, location_id),
        )
        return all(mine is None or mine == theirs for mine, theirs in pairs)


def day_bounds(day_from: date, day_to: date) -> Interval:
    """Return the interval from midnight of `day_from` to midnight after `day_to`."""
    return Interval(
        datetime.combine(day_from, time.min), datetime.combine(day_to, time.min) + timedelta(days=1)
    )


def _hours_on(
    session: Session, provider_id: uuid.UUID, day: date, location_id: uuid.UUID | None
) -> list[ProviderHours]:
    query = select(ProviderHours).where(
        ProviderHours.provider_id == provider_id,
        ProviderHours.weekday == day.weekday(),
        ProviderHours.archived.is_(False),
        or_(ProviderHours.effective_from.is_(None), ProviderHours.effective_from <= day),
        or_(ProviderHours.effective_until.is_(None), ProviderHours.effective_until >= day),
    )
    if location_id is not None:
        query = query.where(ProviderHours.location_id == location_id)
    return list(session.scalars(query))


def _hours_end(day: date, ends: time) -> datetime:
    """Return the wall-clock end of a stretch of `day` that ends at `ends`.

    Set-up stores an end of 24:00 as `time.max`, and such a stretch runs to the next
    midnight, so a visit ending at midnight or running past it fits the hours.
    """
    if ends == time.max:
        return datetime.combine(day + timedelta(days=1), time.min)
    return datetime.combine(day, ends)


def working_intervals(
    session: Session, provider_id: uuid.UUID, day: date, location_id: uuid.UUID | None = None
) -> list[Interval]:
    """Return the provider's working hours on `day`, merged (at one location when given)."""
    spans = [
        Interval(datetime.combine(day, row.starts), _hours_end(day, row.ends))
        for row in _hours_on(session, provider_id, day, location_id)
        if row.ends > row.starts
    ]
    return merge(spans)


def has_hours(session: Session, provider_id: uuid.UUID) -> bool:
    """Return True when any working hours are set up for the provider."""
    query = select(ProviderHours.id).where(
        ProviderHours.provider_id == provider_id, ProviderHours.archived.is_(False)
    )
    return session.scalar(query.limit(1)) is not None


def _spans_of(row: Blockout, window: Interval) -> Iterable[Interval]:
    length = row.ends_at - row.starts_at
    if not row.rule:
        yield Interval(row.starts_at, row.ends_at)
        return

    # An occurrence that starts before the window can still reach into it.
    try:
        starts = expand_rule_text(row.rule, row.starts_at, window.start - length, window.end)
    except (ValueError, TypeError):
        # The calendar and find-available read such a row the same way.
        log.warning("blockout %s has an invalid repeat rule; using its first time only", row.id)
        yield Interval(row.starts_at, row.ends_at)
        return
    for start in starts:
        if row.repeat_until is not None and start.date() > row.repeat_until:
            break
        yield Interval(start, start + length)


def blockout_intervals(  # noqa: PLR0917 (the documented signature the calendar calls)
    session: Session,
    day_from: date,
    day_to: date,
    provider_id: uuid.UUID | None = None,
    room_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> list[BlockoutSpan]:
    """Return each blockout occurrence that touches `day_from` to `day_to` (inclusive), by start.

    Repeating blockouts are expanded. Given a provider, room or location, only the
    blockouts that apply to it are returned (whole-practice ones included); None filters
    nothing on that field.
    """
    window = day_bounds(day_from, day_to)
    query = select(Blockout).where(
        Blockout.archived.is_(False),
        Blockout.starts_at < window.end,
        or_(Blockout.rule.is_not(None), Blockout.ends_at > window.start),
        or_(Blockout.repeat_until.is_(None), Blockout.repeat_until >= day_from),
    )
    found: list[BlockoutSpan] = []
    for row in session.scalars(query):
        span_template = BlockoutSpan(
            Interval(row.starts_at, row.ends_at),
            row.title,
            row.kind,
            row.id,
            row.provider_id,
            row.room_id,
            row.location_id,
        )
        if not _matches_filter(span_template, provider_id, room_id, location_id):
            continue
        for interval in _spans_of(row, window):
            if interval.overlaps(window):
                found.append(_with_interval(span_template, interval))
    found.sort(key=lambda span: (span.interval, span.title))
    return found


def _matches_filter(
    span: BlockoutSpan,
    provider_id: uuid.UUID | None,
    room_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
) -> bool:
    checks = (
        (span.provider_id, provider_id),
        (span.room_id, room_id),
        (span.location_id, location_id),
    )
    return all(wanted is None or mine is None or mine == wanted for mine, wanted in checks)


def _with_interval(span: BlockoutSpan, interval: Interval) -> BlockoutSpan:
    return BlockoutSpan(
        interval, span.title, span.kind, span.id, span.provider_id, span.room_id, span.location_id
    )


def active_appointments(
    session: Session, window: Interval, *conditions: object
) -> list[Appointment]:
    """Return the appointments that still hold time and overlap `window`, by start.

    `conditions` are extra SQLAlchemy filters, such as the provider.
    """
    query = select(Appointment).where(
        Appointment.archived.is_(False),
        Appointment.status.not_in(INACTIVE_STATUSES),
        Appointment.starts_at < window.end,
        Appointment.starts_at > window.start - timedelta(minutes=MAX_DURATION_MINUTES),
        *conditions,  # type: ignore[arg-type]
    )
    rows = session.scalars(query.order_by(Appointment.starts_at))
    return [row for row in rows if appointment_interval(row).overlaps(window)]


def appointment_interval(appointment: Appointment) -> Interval:
    """Return the wall-clock interval an appointment takes.

    Booking rejects a length below 1 minute, but a row that arrived by sync may have
    one. A negative length counts as none, so such a row takes no time.
    """
    return Interval.of(appointment.starts_at, max(appointment.duration_minutes, 0))


def busy_intervals(
    session: Session, provider_id: uuid.UUID, day_from: date, day_to: date
) -> list[Interval]:
    """Return the provider's booked time from `day_from` to `day_to` (inclusive), merged.

    Only appointments count; blockouts come from `blockout_intervals`.
    """
    window = day_bounds(day_from, day_to)
    rows = active_appointments(session, window, Appointment.provider_id == provider_id)
    return merge(appointment_interval(row) for row in rows)
