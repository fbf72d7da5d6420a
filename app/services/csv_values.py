"""Turn the text of one CSV cell into the value a patient form holds.

Each `parse_*` function returns the value or raises CellValueError whose message
starts with the cell's text and ends with the fix, such as "31/02/1980 is not a
date; use MM/DD/YYYY". The importer prefixes the row number and column.
"""

import re
from datetime import date

from app.search.folding import fold
from app.services.patient_forms import PLAN_TYPES
from app.validators import US_STATES, digits_only, echo_for_message, is_ascii_digits

DATE_HINT = "use MM/DD/YYYY, such as 03/14/1980"

# Accepted date layouts, tried in order. Two-digit years are handled apart (see parse_date).
# re.ASCII: int() also reads other scripts' digits, so \d would let them through.
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
# Spreadsheets add a time to dates ("3/14/1980 0:00", "1980-03-14T00:00:00Z"); it is dropped.
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm]|Z|[+-]\d{2}:?\d{2})?$")

# Sex as claims carry it. Other codes ("X", "Other") are row problems rather than "U",
# because a silent "Unknown" would hide a value the practice must enter by hand.
_SEXES = {
    "f": "F", "female": "F", "woman": "F", "w": "F",
    "m": "M", "male": "M", "man": "M",
    "u": "U", "unknown": "U", "unk": "U",
}  # fmt: skip

# HL7 v2 marital status codes (table 0002) and the words old systems write.
_MARITAL = {
    "s": "single", "single": "single", "nevermarried": "single", "u": "single",
    "unmarried": "single",
    "m": "married", "married": "married",
    "t": "partner", "p": "partner", "partner": "partner", "domesticpartner": "partner",
    "lifepartner": "partner",
    "d": "divorced", "divorced": "divorced",
    "l": "separated", "separated": "separated", "legallyseparated": "separated",
    "w": "widowed", "widowed": "widowed", "widow": "widowed", "widower": "widowed",
}  # fmt: skip

_STATES_BY_NAME = {fold(name): code for code, name in US_STATES.items()}
_PLAN_TYPES_BY_NAME = {fold(label): code for code, label in PLAN_TYPES.items()}
# Short names the desk uses for the common plan types.
_PLAN_TYPE_WORDS = {
    "commercial": "CI", "ppo": "12", "hmo": "HM", "pos": "13", "epo": "14",
    "medicare": "MB", "medicaid": "MC", "tricare": "CH", "champus": "CH", "bcbs": "BL",
    "workerscomp": "WC", "workerscompensation": "WC", "medicareadvantage": "16",
}  # fmt: skip


class CellValueError(ValueError):
    """A cell whose text is not a valid value; the message names the text and the fix."""


def _shown(text: str) -> str:
    return echo_for_message(text.strip())


def parse_date(text: str, today: date) -> date:
    """Return the date `text` writes in a common US form (MM/DD/YYYY, YYYY-MM-DD, ...).

    A two-digit year is read in the century that puts the date at or before `today`,
    so "3/14/25" is 2025 when today is later than that and 1925 otherwise: a date of
    birth or death is never in the future.
    """
    value = _TIME_SUFFIX.sub("", text.strip())
    parts = _date_parts(value)
    if parts is None:
        raise CellValueError(f"{_shown(text)} is not a date; {DATE_HINT}")

    year, month, day, two_digit_year = parts
    if two_digit_year:
        year += 2000
    try:
        found = date(year, month, day)
    except ValueError:
        raise CellValueError(_invalid_date_message(text, year, month, day)) from None
    if two_digit_year and found > today:
        found = found.replace(year=found.year - 100)
    return found


def _date_parts(value: str) -> tuple[int, int, int, bool] | None:
    if match := _SLASHED.fullmatch(value):
        month, day, year = match.groups()
        return int(year), int(month), int(day), len(year) == 2
    if match := _ISO.fullmatch(value):
        year, month, day = match.groups()
        return int(year), int(month), int(day), False
    if match := _COMPACT.fullmatch(value):
        year, month, day = match.groups()
        return int(year), int(month), int(day), False
    return None


def _invalid_date_message(text: str, year: int, month: int, day: int) -> str:
    if month > 12 and day <= 12 and _is_date(year, day, month):
        return (
            f"{_shown(text)} is not a date; it looks like day/month order, but US files "
            f"write the month first: {DATE_HINT}"
        )
    return f"{_shown(text)} is not a date; {DATE_HINT}"


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _found(value: str | None, message: str) -> str:
    """Return `value`, or raise CellValueError with `message` when the lookup found nothing."""
    if value is None:
        raise CellValueError(message)
    return value


def parse_sex(text: str) -> str:
    """Return F, M or U for the ways systems write sex (F, Female, male, unknown, ...)."""
    message = (
        f"Sex {_shown(text)} is not valid; use F, M, U, Female, Male or Unknown "
        "(correct the row, or enter the patient by hand)"
    )
    return _found(_SEXES.get(fold(text)), message)


def parse_state(text: str) -> str:
    """Return the USPS code of a state written as a code ("ma") or a name ("Massachusetts")."""
    value = text.strip()
    if value.upper() in US_STATES:
        return value.upper()
    message = (
        f"{_shown(text)} is not a US state or territory; use the two-letter code such as MA "
        "or the full name such as Massachusetts"
    )
    return _found(_STATES_BY_NAME.get(fold(value)), message)


def parse_marital_status(text: str) -> str:
    """Return single, married, partner, divorced, separated or widowed."""
    message = (
        f"{_shown(text)} is not a marital status ClinicDesk knows; use single, married, "
        "partner, divorced, separated or widowed (or the HL7 codes S, M, T, D, L, W)"
    )
    return _found(_MARITAL.get(fold(text)), message)


def parse_plan_type(text: str) -> str:
    """Return the plan type code (X12 claim filing indicator) for a code or a plan type name."""
    value = text.strip()
    if value.upper() in PLAN_TYPES:
        return value.upper()
    folded = fold(value)
    message = (
        f"{_shown(text)} is not a plan type ClinicDesk knows; use a code such as CI "
        "(commercial), MB (Medicare Part B), MC (Medicaid), HM (HMO) or 12 (PPO)"
    )
    return _found(_PLAN_TYPES_BY_NAME.get(folded) or _PLAN_TYPE_WORDS.get(folded), message)


def repair_zip(text: str) -> tuple[str, bool]:
    """Return a ZIP code with the leading zeros a spreadsheet dropped put back.

    Spreadsheets read "02155" as the number 2155, and "021551234" as 21551234, so a
    New England ZIP loses its first zero. A value of 3 or 4 digits (or 7 or 8) is padded
    back to 5 (or 9); the flag says whether that happened, so the importer can warn.
    Anything else comes back trimmed and unchanged for the ZIP check to judge.
    """
    value = text.strip()
    if not is_ascii_digits(value):
        return value, False
    if len(value) in (3, 4):
        return value.zfill(5), True
    if len(value) in (7, 8):
        padded = value.zfill(9)
        return f"{padded[:5]}-{padded[5:]}", True
    if len(value) == 9:
        return f"{value[:5]}-{value[5:]}", False
    return value, False


def parse_ssn(text: str) -> str:
    """Return the digits of an SSN written with or without dashes or spaces."""
    value = text.strip()
    digits = digits_only(value)
    if re.fullmatch(r"[0-9 -]+", value) is None or len(digits) != 9:
        raise CellValueError(
            f"{_shown(text)} is not an SSN; write nine digits, such as 123-45-6789"
        )
    return digits
