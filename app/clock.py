"""Instants in UTC and the practice's wall clock."""

from datetime import UTC, date, datetime
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
