"""Instants in UTC, the practice's wall clock, and how screens write a time of day."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utc_now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def practice_zone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, raising ValueError with the fix if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not a known time zone; use an IANA name such as America/Chicago"
        ) from exc


def practice_today(zone_name: str) -> date:
    """Return today's date in the practice's time zone."""
    return utc_now().astimezone(practice_zone(zone_name)).date()


def format_time(value: datetime | time) -> str:
    """Return the time of day on the 12-hour clock, such as "9:05 AM" or "12:30 PM"."""
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour}:{value.minute:02d} {suffix}"
