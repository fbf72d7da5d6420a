"""Read dates of birth typed in the common US forms, whole or while still being typed.

The search index stores a date of birth as eight digits, month first ("03041981" for
March 4, 1981), so a date typed so far ("3/4", "3/4/19") becomes a prefix of that key.

Accepted forms, for March 4, 1981:

- whole dates: 3/4/81, 03/04/1981, 3-4-1981, 3.4.81, 1981-03-04, 03041981, 030481;
- the beginning of a month-first date while it is typed: 3/, 3/4, 3/4/19, 0304;
- a year and month in ISO order, 1981-03 or 1981-3 (every day of March 1981), and the
  same with one digit of the day, 1981-03-1 (March 1 and 10 to 19; see `month_keys`).

A year alone ("1981") is not read as a date. Four digits are more often part of a phone
number or a chart number, and one birth year is shared by roughly one patient in a
hundred (an estimate for ages spread over about a century).
"""

import re
from dataclasses import dataclass
from datetime import date

_MONTH_DAY_YEAR = re.compile(r"^(\d{1,2})[/.\-](?:(\d{1,2})(?:[/.\-](\d{0,4}))?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DIGITS = re.compile(r"^\d{2,8}$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d?))?$")


@dataclass(frozen=True, slots=True)
class DobKey:
    """A date of birth key or key prefix, in the index's MMDDYYYY form."""

    digits: str
    complete: bool  # True when `digits` names a whole date, not a prefix


def stored_key(value: date) -> str:
    """Return the MMDDYYYY key the index stores for a date of birth."""
    return f"{value.month:02d}{value.day:02d}{value.year:04d}"


def full_year(two_digits: int, today: date) -> int:
    """Return the four-digit birth year for a two-digit year: never in the future."""
    year = today.year - today.year % 100 + two_digits
    return year - 100 if year > today.year else year


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _plausible_prefix(month: int, day: int | None) -> bool:
    return 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def _year_keys(month: int, day: int, year_text: str, today: date) -> list[DobKey]:
    """Return keys for a month and day followed by a year typed in full or in part."""
    head = f"{month:02d}{day:02d}"
    if len(year_text) == 4:
        valid = _valid(int(year_text), month, day)
        return [DobKey(head + year_text, complete=True)] if valid else []

    keys: list[DobKey] = []
    if len(year_text) == 2:
        year = full_year(int(year_text), today)
        if _valid(year, month, day):
            keys.append(DobKey(f"{head}{year:04d}", complete=True))
    if year_text[:2] in ("1", "2", "19", "20"):
        # Still typing a four-digit year.
        keys.append(DobKey(head + year_text, complete=False))
    elif len(year_text) == 1:
        # Still typing a two-digit year, which could be any decade.
        keys.append(DobKey(head, complete=False))
    return keys


def _from_separated(match: re.Match[str], today: date) -> list[DobKey]:
    month = int(match.group(1))
    day = int(match.group(2)) if match.group(2) else None
    if not _plausible_prefix(month, day):
        return []
    if day is None:
        return [DobKey(f"{month:02d}", complete=False)]
    year_text = match.group(3) or ""
    if not year_text:
        return [DobKey(f"{month:02d}{day:02d}", complete=False)]
    return _year_keys(month, day, year_text, today)


def _from_digits(token: str, today: date) -> list[DobKey]:
    month = int(token[:2])
    day = int(token[2:4]) if len(token) >= 4 else None
    if not _plausible_prefix(month, day):
        return []
    if day is None:
        return [DobKey(token, complete=False)]
    keys = _year_keys(month, day, token[4:], today) if len(token) > 4 else []
    return keys or ([DobKey(token, complete=False)] if len(token) == 4 else [])


def dob_keys(token: str, today: date) -> list[DobKey]:
    """Return the date-of-birth keys `token` may stand for; empty when it is no date.

    Accepted: 3/4/81, 03/04/1981, 3-4-1981, 3.4.81, 1981-03-04, 03041981 and 030481,
    and any beginning of the month-first forms ("3/4", "3/4/19"). A two-digit year is
    the latest year not after `today` ("81" is 1981, "19" is 2019), and a partial
    "19" also stays open as the start of a four-digit year.
    """
    iso = _ISO.match(token)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        return [DobKey(f"{month:02d}{day:02d}{year:04d}", True)] if _valid(year, month, day) else []
    separated = _MONTH_DAY_YEAR.match(token)
    if separated:
        return _from_separated(separated, today)
    if _DIGITS.match(token):
        return _from_digits(token, today)
    return []


def month_keys(token: str) -> list[str]:
    """Return the MMDDYYYY keys of every date a year-first partial date may mean.

    "1981-03" and "1981-3-" give the 31 days of March 1981. "1981-03-1" gives March 10
    to 19, the dates still possible as the day is typed (March 1 itself is a whole date
    that `dob_keys` returns). Other tokens, and impossible months, return no keys.
    """
    match = _ISO_MONTH.match(token)
    if not match:
        return []
    year, month = int(match.group(1)), int(match.group(2))
    day_digit = match.group(3) or ""
    if not 1 <= month <= 12:
        return []
    tens = int(day_digit or "0") * 10
    days = range(tens, tens + 10) if day_digit else range(1, 32)
    return [f"{month:02d}{day:02d}{year:04d}" for day in days if _valid(year, month, day)]
