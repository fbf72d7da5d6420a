"""Recurring appointment rules, evaluated on wall-clock times in the practice's zone.

Rules run on naive wall-clock datetimes, so a weekly 09:00 visit stays at 09:00 across
daylight-saving changes. A wall time that does not exist on one date (it falls in the
spring-forward gap) is reported on that occurrence, not moved: the front desk picks
another time. Times repeated at the fall-back change are fine, since wall clock is what
the calendar shows.

Monthly-by-date rules follow RFC 5545: a month without the day (the 31st in April, the
30th in February) is skipped, not clamped to the month's last day, and the count runs on
the months that have it. Use a monthly-by-weekday rule with week -1 for "last Friday".
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import rrule

Frequency = Literal["daily", "weekly", "monthly_by_date", "monthly_by_weekday"]

# Upper bound on the occurrences one series expands to when neither count nor until ends it.
DEFAULT_LIMIT = 400

_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQUENCY_CODES = {"daily": "DAILY", "weekly": "WEEKLY"}


@dataclass(frozen=True, slots=True)
class SeriesRule:
    """How a series repeats.

    `weekdays` are 0 (Monday) to 6 (Sunday): the days of a weekly rule, or the weekday of
    a monthly-by-weekday rule. Left empty, both take the first visit's weekday.
    `week_of_month` (1 to 4, or -1 for the last) applies to monthly-by-weekday rules; left
    None it is the first visit's week (its 5th weekday counts as the last).
    """

    frequency: Frequency
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    count: int | None = None
    until: date | None = None
    week_of_month: int | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One date a rule gives; `problem` says why the wall time cannot be booked that day."""

    series_date: date
    starts_at: datetime
    problem: str | None = None


def rule_problems(rule: SeriesRule) -> list[str]:
    """Return what is wrong with `rule`, every problem at once (empty when it is valid)."""
    problems: list[str] = []
    if rule.interval < 1:
        problems.append(f"The repeat interval must be 1 or more, not {rule.interval}.")
    if rule.count is not None and rule.count < 1:
        problems.append(f"The number of visits must be 1 or more, not {rule.count}.")
    if any(day not in range(7) for day in rule.weekdays):
        problems.append(f"Weekdays must be 0 (Monday) to 6 (Sunday), not {rule.weekdays}.")
    if rule.week_of_month is not None and rule.week_of_month not in (1, 2, 3, 4, -1):
        problems.append(
            f"The week of the month must be 1 to 4 or -1 (last), not {rule.week_of_month}."
        )
    if rule.frequency == "monthly_by_weekday" and len(rule.weekdays) > 1:
        problems.append("A monthly-by-weekday rule takes one weekday.")
    return problems


def week_of_month(day: date) -> int:
    """Return the week of the month of `day`: 1 to 4, or -1 for a fifth weekday (the last)."""
    week = (day.day - 1) // 7 + 1
    return -1 if week == 5 else week


def _byweekday(rule: SeriesRule, first: datetime) -> list[rrule.weekday] | None:
    days = rule.weekdays or (first.weekday(),)
    if rule.frequency == "weekly":
        return [_WEEKDAYS[day] for day in sorted(days)]
    if rule.frequency == "monthly_by_weekday":
        week = rule.week_of_month if rule.week_of_month is not None else week_of_month(first.date())
        return [_WEEKDAYS[days[0]](week)]
    return None


_RRULE_FREQUENCIES: dict[str, Literal[1, 2, 3]] = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "monthly_by_date": rrule.MONTHLY,
    "monthly_by_weekday": rrule.MONTHLY,
}


def _rrule(first: datetime, rule: SeriesRule) -> rrule.rrule:
    frequency = _RRULE_FREQUENCIES[rule.frequency]
    until = datetime.combine(rule.until, time.max) if rule.until is not None else None
    return rrule.rrule(
        frequency,
        dtstart=first,
        interval=rule.interval,
        count=rule.count,
        until=until,
        byweekday=_byweekday(rule, first),
        bymonthday=first.day if rule.frequency == "monthly_by_date" else None,
    )


def wall_time_problem(wall: datetime, zone: ZoneInfo) -> str | None:
    """Say why `wall` does not exist in `zone` (a spring-forward gap), or return None.

    A wall time in the gap changes when converted to UTC and back; a repeated fall-back
    time survives the round trip, so only the gap is reported.
    """
    round_trip = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip == wall:
        return None
    return (
        f"{wall:%I:%M %p} does not exist on {wall.date().isoformat()} in {zone.key}: "
        "the clocks skip that hour for daylight saving time."
    )


def occurrences(
    first_starts_at: datetime, rule: SeriesRule, zone: ZoneInfo, limit: int = DEFAULT_LIMIT
) -> list[Occurrence]:
    """Expand `rule` from `first_starts_at` (naive wall clock) into at most `limit` dates.

    Raises ValueError when the rule is invalid (see `rule_problems`).
    """
    problems = rule_problems(rule)
    if problems:
        raise ValueError(" ".join(problems))

    found: list[Occurrence] = []
    for starts_at in _rrule(first_starts_at, rule):
        if len(found) >= limit:
            break
        found.append(Occurrence(starts_at.date(), starts_at, wall_time_problem(starts_at, zone)))
    return found


def rule_text(first_starts_at: datetime, rule: SeriesRule) -> str:
    """Return the RFC 5545 RRULE text for `rule`, without DTSTART (as series rows store it)."""
    parts = [f"FREQ={_FREQUENCY_CODES.get(rule.frequency, 'MONTHLY')}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.frequency == "weekly":
        days = rule.weekdays or (first_starts_at.weekday(),)
        parts.append("BYDAY=" + ",".join(_CODES[day] for day in sorted(days)))
    elif rule.frequency == "monthly_by_weekday":
        day = (rule.weekdays or (first_starts_at.weekday(),))[0]
        week = rule.week_of_month
        if week is None:
            week = week_of_month(first_starts_at.date())
        parts.append(f"BYDAY={week}{_CODES[day]}")
    elif rule.frequency == "monthly_by_date":
        parts.append(f"BYMONTHDAY={first_starts_at.day}")
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    if rule.until is not None:
        parts.append(f"UNTIL={rule.until:%Y%m%d}T235959")
    return ";".join(parts)


def rule_text_with_end(text: str, count: int | None = None, until: date | None = None) -> str:
    """Return RRULE `text` with its COUNT and UNTIL parts replaced by `count` or `until`."""
    parts = [part for part in text.split(";") if not part.startswith(("COUNT=", "UNTIL="))]
    if count is not None:
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def expand_rule_text(
    text: str, first_starts_at: datetime, window_start: datetime, window_end: datetime
) -> list[datetime]:
    """Return the starts of RRULE `text` from `first_starts_at` that fall in [start, end).

    Used for repeating blockouts, whose rules may be any RRULE text an administrator saved.
    """
    parsed = rrule.rrulestr(text, dtstart=first_starts_at, ignoretz=True)
    return [
        start for start in parsed.between(window_start, window_end, inc=True) if start < window_end
    ]
