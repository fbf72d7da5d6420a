"""Provider working hours: the stretches of each weekday a provider sees patients, and where.

A provider's week is a set of stretches (weekday, location, start, end) that share one
effective period. Several periods may exist, such as the current hours and the hours from
next month on. Within one provider's day no two stretches may overlap in any period that is
in effect on the same dates, because availability would count the time twice.
"""

import itertools
import logging
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.changes import ChangeKind, Changes
from app.models.practice import Location, Provider
from app.models.scheduling import ProviderHours
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.schedule_setup import get_active, location_problems, raise_if_invalid
from app.validators import echo_for_message

log = logging.getLogger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STRETCH_EXAMPLE = "such as 08:00-12:00, 13:00-17:00"
# Hyphen, en dash (U+2013), em dash (U+2014) or "to" between start and end.
_STRETCH = re.compile(
    r"(\d{1,2}):(\d{2})\s*(?:-|\u2013|\u2014|to)\s*(\d{1,2}):(\d{2})", re.IGNORECASE
)
EN_DASH = "\u2013"
_LIST_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True, slots=True, order=True)
class Stretch:
    """One working stretch of a day, from `starts` up to but not including `ends`."""

    starts: time
    ends: time


@dataclass(frozen=True, slots=True)
class DayHoursInput:
    """One weekday of a week being saved: where, and the stretches as typed."""

    weekday: int
    location_id: uuid.UUID | None
    text: str


@dataclass(frozen=True, slots=True)
class WeekHoursInput:
    """A provider's week for one effective period (None on either side: open-ended)."""

    effective_from: date | None
    effective_until: date | None
    days: tuple[DayHoursInput, ...]


@dataclass(frozen=True, slots=True)
class HoursSummary:
    """One saved stretch of a provider's week."""

    id: uuid.UUID
    provider_id: uuid.UUID
    location_id: uuid.UUID
    location_name: str
    weekday: int
    starts: time
    ends: time
    effective_from: date | None
    effective_until: date | None


def parse_stretches(text: str) -> tuple[list[Stretch], list[str]]:
    """Parse "08:00-12:00, 13:00-17:00" into stretches, with a message for each bad part.

    Hyphens, en dashes, em dashes and "to" separate start and end. An end of 24:00 means
    midnight at the end of the day.
    """
    stretches: list[Stretch] = []
    errors: list[str] = []
    for part in _LIST_SEPARATORS.split(text):
        piece = part.strip()
        if not piece:
            continue
        match = _STRETCH.fullmatch(piece)
        stretch = _stretch_from_match(match) if match else None
        if stretch is None:
            errors.append(f"{echo_for_message(piece)} is not a time range {STRETCH_EXAMPLE}")
        elif stretch.starts >= stretch.ends:
            errors.append(f"{piece} ends before it starts; the start must come first")
        else:
            stretches.append(stretch)
    return sorted(stretches), errors


def _stretch_from_match(match: re.Match[str]) -> Stretch | None:
    start_hour, start_minute, end_hour, end_minute = (int(group) for group in match.groups())
    if start_hour > 23 or start_minute > 59 or end_minute > 59 or end_hour > 24:
        return None
    if end_hour == 24:
        if end_minute:
            return None
        return Stretch(time(start_hour, start_minute), time.max)
    return Stretch(time(start_hour, start_minute), time(end_hour, end_minute))


def format_time(value: time) -> str:
    """Format a stretch boundary as HH:MM, showing the end of the day as 24:00."""
    return "24:00" if value == time.max else value.strftime("%H:%M")


def format_stretches(stretches: list[Stretch]) -> str:
    """Format stretches the way `parse_stretches` reads them, joined by an en dash."""
    return ", ".join(
        f"{format_time(s.starts)}{EN_DASH}{format_time(s.ends)}" for s in sorted(stretches)
    )


def list_provider_hours(
    session: Session, actor: Actor, provider_id: uuid.UUID
) -> list[HoursSummary]:
    """Return a provider's active stretches by period, weekday and start time."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(ProviderHours, Location.name)
        .join(Location, Location.id == ProviderHours.location_id)
        .where(ProviderHours.provider_id == provider_id, ProviderHours.archived.is_(False))
    )
    rows = [
        HoursSummary(
            id=row.id,
            provider_id=row.provider_id,
            location_id=row.location_id,
            location_name=location_name,
            weekday=row.weekday,
            starts=row.starts,
            ends=row.ends,
            effective_from=row.effective_from,
            effective_until=row.effective_until,
        )
        for row, location_name in session.execute(query)
    ]
    return sorted(rows, key=_summary_order)


def _summary_order(row: HoursSummary) -> tuple[date, date, int, time]:
    return (
        row.effective_from or date.min,
        row.effective_until or date.max,
        row.weekday,
        row.starts,
    )


def _periods_overlap(
    first: tuple[date | None, date | None], second: tuple[date | None, date | None]
) -> bool:
    first_from, first_until = first[0] or date.min, first[1] or date.max
    second_from, second_until = second[0] or date.min, second[1] or date.max
    return first_from <= second_until and second_from <= first_until


def _overlap_message(weekday: int, first: Stretch, second: Stretch, where: str) -> str:
    return (
        f"{WEEKDAY_NAMES[weekday]}: {format_stretches([first])} overlaps "
        f"{format_stretches([second])}{where}; a provider works one stretch at a time, so "
        "change one of them."
    )


def _day_problems(session: Session, day: DayHoursInput) -> tuple[list[Problem], list[Stretch]]:
    field = f"hours.{WEEKDAY_NAMES[day.weekday].lower()}"
    label = WEEKDAY_NAMES[day.weekday]
    stretches, errors = parse_stretches(day.text)
    problems = [Problem(field, f"{label}: {error}.") for error in errors]
    if stretches:
        for problem in location_problems(session, day.location_id, field):
            problems.append(Problem(field, f"{label}: {problem.message}"))
    for earlier, later in itertools.pairwise(stretches):
        if later.starts < earlier.ends:
            problems.append(Problem(field, _overlap_message(day.weekday, earlier, later, "")))
    return problems, stretches


def _other_period_problems(
    session: Session, provider_id: uuid.UUID, week: WeekHoursInput, days: dict[int, list[Stretch]]
) -> list[Problem]:
    """Return overlaps with the provider's stretches of other periods in effect on shared dates."""
    period = (week.effective_from, week.effective_until)
    others = session.scalars(
        select(ProviderHours).where(
            ProviderHours.provider_id == provider_id, ProviderHours.archived.is_(False)
        )
    )
    problems = []
    for other in others:
        other_period = (other.effective_from, other.effective_until)
        if other_period == period or not _periods_overlap(period, other_period):
            continue
        saved = Stretch(other.starts, other.ends)
        for stretch in days.get(other.weekday, []):
            if stretch.starts < saved.ends and saved.starts < stretch.ends:
                where = f" in the hours {_describe_period(other_period)}"
                field = f"hours.{WEEKDAY_NAMES[other.weekday].lower()}"
                problems.append(
                    Problem(field, _overlap_message(other.weekday, stretch, saved, where))
                )
    return problems


def _describe_period(period: tuple[date | None, date | None]) -> str:
    start, end = period
    if start and end:
        return f"from {start.isoformat()} to {end.isoformat()}"
    if start:
        return f"from {start.isoformat()} on"
    if end:
        return f"until {end.isoformat()}"
    return "with no dates"


def week_problems(
    session: Session, provider_id: uuid.UUID, week: WeekHoursInput
) -> tuple[list[Problem], dict[int, list[Stretch]]]:
    """Return every problem with a week's hours, and the parsed stretches by weekday."""
    problems: list[Problem] = []
    if week.effective_from and week.effective_until and week.effective_from > week.effective_until:
        problems.append(
            Problem(
                "hours.effective_until",
                f"The hours end on {week.effective_until.isoformat()}, before they start on "
                f"{week.effective_from.isoformat()}; enter an end date on or after the start.",
            )
        )

    days: dict[int, list[Stretch]] = {}
    seen: set[int] = set()
    for day in week.days:
        if not 0 <= day.weekday <= 6 or day.weekday in seen:
            problems.append(
                Problem("hours", f"Weekday {day.weekday} is invalid or repeated; use 0 to 6 once.")
            )
            continue
        seen.add(day.weekday)
        day_problems, stretches = _day_problems(session, day)
        problems += day_problems
        days[day.weekday] = stretches
    problems += _other_period_problems(session, provider_id, week, days)
    return problems, days


def save_provider_week(
    session: Session, actor: Actor, provider_id: uuid.UUID, week: WeekHoursInput
) -> Changes:
    """Replace the provider's stretches of the week's period with `week`.

    Stretches that stay the same keep their rows; removed ones are archived. A day with no
    text is a day off. Other periods are left alone. Validates everything first, so a
    rejected week writes nothing.
    """
    require(actor, Permission.PRACTICE_SETUP)
    get_active(session, Provider, provider_id, "provider")
    problems, days = week_problems(session, provider_id, week)
    raise_if_invalid(problems)

    locations = {day.weekday: day.location_id for day in week.days}
    wanted = {
        (weekday, locations[weekday], stretch.starts, stretch.ends)
        for weekday, stretches in days.items()
        for stretch in stretches
    }
    kept, archived = _archive_missing(session, actor, provider_id, week, wanted)
    added = 0
    for weekday, location_id, starts, ends in sorted(wanted - kept, key=str):
        assert location_id is not None  # checked by week_problems for days with stretches
        row = ProviderHours(
            provider_id=provider_id,
            location_id=location_id,
            weekday=weekday,
            starts=starts,
            ends=ends,
            effective_from=week.effective_from,
            effective_until=week.effective_until,
            updated_by=actor.user_id,
        )
        session.add(row)
        added += 1
    session.flush()

    detail = f"working hours: {added} stretches added, {archived} removed"
    audit.record(session, actor, AuditAction.UPDATE, "provider_hours", provider_id, detail=detail)
    log.info("saved working hours of provider %s: %s", provider_id, detail)
    return Changes.of(ChangeKind.SCHEDULE_SETUP)


def _archive_missing(
    session: Session,
    actor: Actor,
    provider_id: uuid.UUID,
    week: WeekHoursInput,
    wanted: set[tuple[int, uuid.UUID | None, time, time]],
) -> tuple[set[tuple[int, uuid.UUID | None, time, time]], int]:
    """Archive the period's rows missing from `wanted`; return the kept keys and the count."""
    rows = session.scalars(
        select(ProviderHours).where(
            ProviderHours.provider_id == provider_id,
            ProviderHours.archived.is_(False),
            _same_date(ProviderHours.effective_from, week.effective_from),
            _same_date(ProviderHours.effective_until, week.effective_until),
        )
    )
    kept: set[tuple[int, uuid.UUID | None, time, time]] = set()
    archived = 0
    for row in rows:
        key = (row.weekday, row.location_id, row.starts, row.ends)
        if key in wanted and key not in kept:
            kept.add(key)
            continue
        row.archived = True
        row.updated_by = actor.user_id
        archived += 1
    return kept, archived


def _same_date(
    column: InstrumentedAttribute[date | None], value: date | None
) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def archive_period(
    session: Session,
    actor: Actor,
    provider_id: uuid.UUID,
    effective_from: date | None,
    effective_until: date | None,
) -> Changes:
    """Archive every stretch of one period of a provider's hours."""
    empty = WeekHoursInput(effective_from, effective_until, ())
    return save_provider_week(session, actor, provider_id, empty)


def group_by_period(
    rows: list[HoursSummary],
) -> dict[tuple[date | None, date | None], list[HoursSummary]]:
    """Group saved stretches by their effective period, in the order listed."""
    periods: dict[tuple[date | None, date | None], list[HoursSummary]] = defaultdict(list)
    for row in rows:
        periods[(row.effective_from, row.effective_until)].append(row)
    return dict(periods)


def describe_period(period: tuple[date | None, date | None]) -> str:
    """Describe an effective period for people, such as "from 2026-03-02 on"."""
    return "Always" if period == (None, None) else _describe_period(period).capitalize()
