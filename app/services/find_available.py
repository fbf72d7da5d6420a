"""Find the next open times for a visit: working hours minus blockouts and bookings.

All times are practice wall-clock times. The search loads every provider's hours,
blockouts and appointments for the whole date range in three queries, then works in
minutes since midnight per day, so 60 days of 20 providers stays a few thousand small
list operations.

NOTE: the calendar engine's app/services/availability.py computes the same working,
blocked and busy time per provider and day. Once it is in the tree, `_DayCalendar`
should read through it so the two never disagree.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError
from app.ids import ProviderId
from app.models.scheduling import Appointment, AppointmentType, Blockout, ProviderHours
from app.problems import Problem
from app.scheduling.recurrence import wall_time_problem
from app.security.permissions import Actor, Permission, require
from app.services.availability import INACTIVE_STATUSES
from app.services.scheduling_settings import practice_zone

log = logging.getLogger(__name__)

WEEKDAYS = (0, 1, 2, 3, 4)

# Statuses whose time is free again, the same ones booking never counts as a conflict.
FREE_STATUSES = INACTIVE_STATUSES

MINUTES_PER_DAY = 24 * 60

# A span of minutes since midnight, half-open: [start, end).
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Slot:
    """An open time: the provider and the wall-clock start."""

    provider_id: ProviderId
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class SlotSearch:
    """A slot search: the providers, visit length, days of the week and time window.

    `earliest` is the first allowed start and `latest` the last time the visit may end.
    `not_before` skips times already past, such as earlier today.
    """

    provider_ids: tuple[ProviderId, ...]
    duration_minutes: int
    start_day: date
    days: int = 60
    weekdays: tuple[int, ...] = WEEKDAYS
    earliest: time | None = None
    latest: time | None = None
    limit: int = 10
    grid_minutes: int = 5
    not_before: datetime | None = None


def find_slots(
    session: Session,
    actor: Actor,
    provider_ids: Sequence[ProviderId],
    duration_minutes: int | None,
    start_day: date,
    *,
    days: int = 60,
    weekdays: Sequence[int] = WEEKDAYS,
    earliest: time | None = None,
    latest: time | None = None,
    appointment_type_id: object | None = None,
    limit: int = 10,
    grid_minutes: int = 5,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Return up to `limit` open times, earliest first, for any of the providers.

    Without `duration_minutes` the visit type's default length is used. Raises
    ValidationError for a length, range or grid that cannot be searched.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    if duration_minutes is None:
        duration_minutes = _type_minutes(session, appointment_type_id)
    search = SlotSearch(
        provider_ids=tuple(provider_ids),
        duration_minutes=duration_minutes,
        start_day=start_day,
        days=days,
        weekdays=tuple(weekdays),
        earliest=earliest,
        latest=latest,
        limit=limit,
        grid_minutes=grid_minutes,
        not_before=not_before,
    )
    problems = validate_search(search)
    if problems:
        raise ValidationError(problems)
    return search_slots(session, search)


def validate_search(search: SlotSearch) -> list[Problem]:
    """Return every reason the search cannot run (empty when it can)."""
    problems: list[Problem] = []
    if not search.provider_ids:
        problems.append(Problem("provider", "Choose at least one provider."))
    if not 5 <= search.duration_minutes <= 8 * 60:
        problems.append(
            Problem("duration", f"{search.duration_minutes} minutes: use 5 to 480 minutes.")
        )
    if not 1 <= search.days <= 366:
        problems.append(Problem("days", f"{search.days} days: search 1 to 366 days."))
    if not search.weekdays or any(day not in range(7) for day in search.weekdays):
        problems.append(Problem("weekdays", "Choose at least one day of the week."))
    if search.grid_minutes not in (5, 10, 15, 20, 30, 60):
        problems.append(
            Problem("grid", f"{search.grid_minutes} minutes: use 5, 10, 15, 20, 30 or 60.")
        )
    if search.earliest and search.latest and search.earliest >= search.latest:
        problems.append(Problem("latest", "The latest time must be after the earliest time."))
    if search.limit < 1:
        problems.append(Problem("limit", f"{search.limit}: ask for at least one result."))
    return problems


def search_slots(session: Session, search: SlotSearch) -> list[Slot]:
    """Run a validated search; see `find_slots`."""
    last_day = search.start_day + timedelta(days=search.days - 1)
    calendar = _DayCalendar.load(session, search.provider_ids, search.start_day, last_day)
    zone = practice_zone(session)
    found: list[Slot] = []
    for offset in range(search.days):
        day = search.start_day + timedelta(days=offset)
        if day.weekday() not in search.weekdays:
            continue
        # Starts the clocks skip for daylight saving time cannot be booked.
        slots = _slots_on(calendar, search, day)
        found.extend(slot for slot in slots if wall_time_problem(slot.starts_at, zone) is None)
        if len(found) >= search.limit:
            break

    log.debug("slot search over %d providers found %d", len(search.provider_ids), len(found))
    return found[: search.limit]


def _type_minutes(session: Session, appointment_type_id: object | None) -> int:
    if appointment_type_id is None:
        raise ValidationError([Problem("duration", "Enter a length or choose a visit type.")])
    minutes = session.scalar(
        select(AppointmentType.default_minutes).where(
            AppointmentType.id == appointment_type_id, AppointmentType.archived.is_(False)
        )
    )
    if minutes is None:
        raise NotFoundError("The visit type was not found; choose another visit type.")
    return minutes


def _slots_on(calendar: "_DayCalendar", search: SlotSearch, day: date) -> list[Slot]:
    window = _window(search, day)
    if window is None:
        return []

    slots: list[Slot] = []
    for provider_id in search.provider_ids:
        free = subtract(calendar.working(provider_id, day), calendar.taken(provider_id, day))
        free = subtract(free, [(0, window[0]), (window[1], MINUTES_PER_DAY)])
        midnight = datetime.combine(day, time.min)
        for minute in grid_starts(free, search.duration_minutes, search.grid_minutes):
            slots.append(Slot(provider_id, midnight + timedelta(minutes=minute)))
    order = {provider_id: index for index, provider_id in enumerate(search.provider_ids)}
    slots.sort(key=lambda slot: (slot.starts_at, order[slot.provider_id]))
    return slots


def _window(search: SlotSearch, day: date) -> Span | None:
    """Return the allowed minutes of `day`, or None when none are left."""
    start = _minutes(search.earliest) if search.earliest else 0
    end = _minutes(search.latest) if search.latest else MINUTES_PER_DAY
    if search.not_before is not None:
        if search.not_before.date() > day:
            return None
        if search.not_before.date() == day:
            start = max(start, _minutes(search.not_before.time()) + 1)
    return (start, end) if start < end else None


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _end_minutes(value: time) -> int:
    """Return the minutes since midnight of a stretch end. Set-up stores 24:00 as time.max."""
    return MINUTES_PER_DAY if value == time.max else _minutes(value)


def subtract(spans: Iterable[Span], removed: Iterable[Span]) -> list[Span]:
    """Return `spans` with every minute of `removed` taken out, sorted."""
    result = sorted(spans)
    for cut_start, cut_end in sorted(removed):
        kept: list[Span] = []
        for start, end in result:
            if cut_end <= start or end <= cut_start:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        result = kept
    return result


def grid_starts(free: Iterable[Span], duration: int, grid: int) -> list[int]:
    """Return the grid-aligned starts where `duration` minutes fit inside one free span."""
    starts: list[int] = []
    for start, end in free:
        first = -(-start // grid) * grid  # round up to the grid
        starts.extend(range(first, end - duration + 1, grid))
    return starts


@dataclass(slots=True)
class _DayCalendar:
    """Hours, blockouts and bookings for some providers over a date range, by day."""

    hours: dict[ProviderId, list[ProviderHours]]
    practice_blocks: dict[date, list[Span]]
    location_blocks: dict[tuple[object, date], list[Span]]
    provider_blocks: dict[tuple[ProviderId, date], list[Span]]
    busy: dict[tuple[ProviderId, date], list[Span]]

    @classmethod
    def load(
        cls, session: Session, provider_ids: Sequence[ProviderId], first: date, last: date
    ) -> "_DayCalendar":
        calendar = cls(
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
        )
        calendar._load_hours(session, provider_ids)
        calendar._load_blockouts(session, provider_ids, first, last)
        calendar._load_busy(session, provider_ids, first, last)
        return calendar

    def _load_hours(self, session: Session, provider_ids: Sequence[ProviderId]) -> None:
        rows = session.scalars(
            select(ProviderHours).where(
                ProviderHours.provider_id.in_(provider_ids), ProviderHours.archived.is_(False)
            )
        )
        for row in rows:
            self.hours[ProviderId(row.provider_id)].append(row)

    def _load_blockouts(
        self, session: Session, provider_ids: Sequence[ProviderId], first: date, last: date
    ) -> None:
        range_start = datetime.combine(first, time.min)
        range_end = datetime.combine(last + timedelta(days=1), time.min)
        rows = session.scalars(
            select(Blockout).where(
                Blockout.archived.is_(False),
                Blockout.room_id.is_(None),  # a room blockout leaves the provider free
                or_(Blockout.provider_id.is_(None), Blockout.provider_id.in_(provider_ids)),
                Blockout.starts_at < range_end,
                or_(Blockout.rule.is_not(None), Blockout.ends_at > range_start),
            )
        )
        for row in rows:
            for start, end in blockout_times(row, range_start, range_end):
                self._add_block(row, start, end)

    def _add_block(self, row: Blockout, start: datetime, end: datetime) -> None:
        for day, span in split_by_day(start, end):
            if row.provider_id is not None:
                self.provider_blocks[(ProviderId(row.provider_id), day)].append(span)
            elif row.location_id is not None:
                self.location_blocks[(row.location_id, day)].append(span)
            else:
                self.practice_blocks[day].append(span)

    def _load_busy(
        self, session: Session, provider_ids: Sequence[ProviderId], first: date, last: date
    ) -> None:
        # Start a day early so a visit running past midnight still blocks the next day.
        # One query per provider reads the (provider_id, starts_at) index and returns no
        # ids, which saves decoding a UUID per row.
        range_start = datetime.combine(first - timedelta(days=1), time.min)
        range_end = datetime.combine(last + timedelta(days=1), time.min)
        for provider_id in provider_ids:
            query = select(Appointment.starts_at, Appointment.duration_minutes).where(
                Appointment.provider_id == provider_id,
                Appointment.starts_at >= range_start,
                Appointment.starts_at < range_end,
                Appointment.status.not_in(FREE_STATUSES),
                Appointment.archived.is_(False),
            )
            for starts_at, minutes in session.execute(query):
                self._add_busy(provider_id, starts_at, minutes)

    def _add_busy(self, provider_id: ProviderId, starts_at: datetime, minutes: int) -> None:
        start = starts_at.hour * 60 + starts_at.minute
        if start + minutes <= MINUTES_PER_DAY:
            self.busy[(provider_id, starts_at.date())].append((start, start + minutes))
            return
        ends_at = starts_at + timedelta(minutes=minutes)
        for day, span in split_by_day(starts_at, ends_at):
            self.busy[(provider_id, day)].append(span)

    def working(self, provider_id: ProviderId, day: date) -> list[Span]:
        """Return the provider's working minutes on `day`, less location blockouts."""
        spans: list[Span] = []
        for row in self.hours.get(provider_id, ()):
            if row.weekday != day.weekday():
                continue
            if row.effective_from and day < row.effective_from:
                continue
            if row.effective_until and day > row.effective_until:
                continue
            own = [(_minutes(row.starts), _end_minutes(row.ends))]
            spans.extend(subtract(own, self.location_blocks.get((row.location_id, day), ())))
        return spans

    def taken(self, provider_id: ProviderId, day: date) -> list[Span]:
        """Return the minutes of `day` that blockouts and bookings take from the provider."""
        return [
            *self.practice_blocks.get(day, ()),
            *self.provider_blocks.get((provider_id, day), ()),
            *self.busy.get((provider_id, day), ()),
        ]


def blockout_times(
    row: Blockout, range_start: datetime, range_end: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the blockout's occurrences that overlap the range (one when it has no rule)."""
    length = row.ends_at - row.starts_at
    if not row.rule:
        return [(row.starts_at, row.ends_at)]

    try:
        rule = rrulestr(row.rule, dtstart=row.starts_at)
    except (ValueError, TypeError):
        log.warning("blockout %s has an invalid repeat rule; using its first time only", row.id)
        return [(row.starts_at, row.ends_at)]
    last_start = range_end
    if row.repeat_until is not None:
        last_start = min(last_start, datetime.combine(row.repeat_until, time.max))
    starts = rule.between(range_start - length, last_start, inc=True)
    return [(start, start + length) for start in starts if start < last_start]


def split_by_day(start: datetime, end: datetime) -> list[tuple[date, Span]]:
    """Split a wall-clock range into per-day minute spans."""
    pieces: list[tuple[date, Span]] = []
    day = start.date()
    while datetime.combine(day, time.min) < end:
        midnight = datetime.combine(day, time.min)
        first = max(0, int((start - midnight).total_seconds() // 60))
        last = min(MINUTES_PER_DAY, -int(-(end - midnight).total_seconds() // 60))
        if first < last:
            pieces.append((day, (first, last)))
        day += timedelta(days=1)
    return pieces
