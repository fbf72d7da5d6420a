"""National Drug Codes on service lines: the 11-digit billing form, quantity and unit.

An NDC on a package label has 10 digits in one of three hyphenated layouts: 4-4-2, 5-3-2
or 5-4-1. Claims carry the 11-digit 5-4-2 form, made by adding a leading zero to the
short segment, so 0777-3105-02 becomes 00777310502. Ten digits typed without hyphens are
ambiguous, because the zero could belong in any segment, so they are rejected.
"""

import re
from decimal import Decimal

from app import validators as v
from app.problems import Problem

# X12 2410 CTP05-1 unit codes: international unit, gram, milligram, milliliter, unit.
NDC_UNITS = {
    "F2": "International unit",
    "GR": "Gram",
    "ME": "Milligram",
    "ML": "Milliliter",
    "UN": "Unit",
}

# Segment lengths of each 10-digit label layout, and the 5-4-2 billing layout.
_LABEL_LAYOUTS = ((4, 4, 2), (5, 3, 2), (5, 4, 1))
_BILLING_LAYOUT = (5, 4, 2)
# Up to 8 digits before the point and 3 after fit the 12-character column.
_QUANTITY = re.compile(r"[0-9]{1,8}(\.[0-9]{1,3})?")


def normalize_ndc(text: str) -> str | None:
    """Return the 11-digit billing form of an NDC as typed, or None when it is not one."""
    typed = text.strip()
    if not typed.isascii():
        return None
    parts = typed.split("-")
    if len(parts) == 1:
        return typed if len(typed) == 11 and typed.isdigit() else None
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None

    lengths = tuple(len(part) for part in parts)
    if lengths == _BILLING_LAYOUT:
        return "".join(parts)
    if lengths not in _LABEL_LAYOUTS:
        return None
    padded = [part.zfill(width) for part, width in zip(parts, _BILLING_LAYOUT, strict=True)]
    return "".join(padded)


def ndc_code_problems(text: str, field: str) -> list[Problem]:
    """Check an NDC as typed: 11 digits, or a hyphenated 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form."""
    if not text.strip():
        return [
            Problem(
                field,
                "NDC is missing; this drug code needs the National Drug Code from the package, "
                "such as 00777-3105-02.",
            )
        ]
    if normalize_ndc(text) is None:
        return [
            Problem(
                field,
                f"NDC {v.echo_for_message(text.strip())} is not valid; type the 11 digits, or "
                "the code with hyphens as printed on the package (4-4-2, 5-3-2 or 5-4-1 "
                "digits, such as 0777-3105-02).",
            )
        ]
    return []


def ndc_quantity_problems(text: str, field: str) -> list[Problem]:
    """Check an NDC quantity: a decimal number above zero with at most three places."""
    typed = text.strip()
    if not typed:
        return [
            Problem(
                field,
                "NDC quantity is missing; enter the amount of drug given, such as 1 or 2.5.",
            )
        ]
    if _QUANTITY.fullmatch(typed) is None:
        return [
            Problem(
                field,
                f"NDC quantity {v.echo_for_message(typed)} is not valid; enter a number with "
                "at most three decimal places, such as 2.5 or 0.125.",
            )
        ]
    if Decimal(typed) <= 0:
        return [Problem(field, f"NDC quantity {typed} is not above zero; enter the amount given.")]
    return []


def ndc_unit_problems(text: str, field: str) -> list[Problem]:
    """Check an NDC unit of measure: one of the X12 codes F2, GR, ME, ML or UN."""
    unit = text.strip().upper()
    choices = ", ".join(f"{code} ({name.lower()})" for code, name in NDC_UNITS.items())
    if not unit:
        return [Problem(field, f"NDC unit is missing; choose one of {choices}.")]
    if unit not in NDC_UNITS:
        return [
            Problem(
                field,
                f"NDC unit {v.echo_for_message(unit)} is not valid; choose one of {choices}.",
            )
        ]
    return []
