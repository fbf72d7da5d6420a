"""Text forms of service-line values as the biller types them: pointers, modifiers, money.

Diagnosis pointers are typed as positions ("1 2"), as run-together digits ("12" means
diagnoses 1 and 2) or as the claim form's letters ("A B", where A is diagnosis 1).
"""

import re
from decimal import Decimal

from app.money import format_money
from app.problems import Problem
from app.services.encounter_forms import MAX_POINTERS
from app.validators import echo_for_message

# A CMS-1500 claim names up to 12 diagnoses, lettered A to L.
POINTER_LETTERS = "ABCDEFGHIJKL"
_SEPARATORS = re.compile(r"[\s,;]+")
POINTER_HINT = "type diagnosis numbers such as 1 2, or letters such as A B"


def _pointer_token(token: str) -> int | None:
    """Return the diagnosis position a token names, or None when it names none."""
    if token.isdigit():
        number = int(token)
        return number if 1 <= number <= len(POINTER_LETTERS) else None
    if len(token) == 1 and token.upper() in POINTER_LETTERS:
        return POINTER_LETTERS.index(token.upper()) + 1
    return None


def parse_pointers(text: str) -> list[int] | None:
    """Return the 1-based diagnosis positions typed in `text`, or None when it is not pointers.

    Separated tokens are each a number (1 to 12) or a letter (A to L). Text with no
    separator is read one character at a time, so "12" gives [1, 2] and "AB" gives [1, 2].
    Empty text gives an empty list.
    """
    stripped = text.strip()
    if not stripped:
        return []
    tokens = _SEPARATORS.split(stripped) if _SEPARATORS.search(stripped) else list(stripped)
    pointers = [_pointer_token(token) for token in tokens]
    if any(pointer is None for pointer in pointers):
        return None
    return [pointer for pointer in pointers if pointer is not None]


def remap_pointers(pointers: list[int], moved: dict[int, int | None]) -> list[int]:
    """Return `pointers` after the diagnoses moved: `moved` maps old positions to new ones.

    A position mapped to None was removed, so its pointer is dropped; positions not in
    `moved` stay where they were.
    """
    remapped = [moved.get(pointer, pointer) for pointer in pointers]
    return [pointer for pointer in remapped if pointer is not None]


def pointer_text(pointers: list[int]) -> str:
    """Return pointers as the grid shows them, such as "1 2"."""
    return " ".join(str(pointer) for pointer in pointers)


def pointer_problems(text: str, field: str) -> list[Problem]:
    """Return a problem when `text` cannot be read as diagnosis pointers."""
    pointers = parse_pointers(text)
    if pointers is None:
        return [
            Problem(field, f'Pointers "{echo_for_message(text)}" are not valid; {POINTER_HINT}.')
        ]
    if len(pointers) > MAX_POINTERS:
        return [
            Problem(
                field,
                f"A line points to at most {MAX_POINTERS} diagnoses, but {len(pointers)} are "
                "typed; keep the 4 that support the service most directly.",
            )
        ]
    return []


def clean_modifier(text: str) -> str:
    """Return a typed modifier as stored: trimmed and upper case."""
    return text.strip().upper()


def line_total(units: int, unit_fee: Decimal | None) -> Decimal | None:
    """Return units times the unit fee, or None while the fee is unknown."""
    if unit_fee is None:
        return None
    return unit_fee * units


def money_text(amount: Decimal | None) -> str:
    """Return an amount as the editor shows it, such as "$125.00" ("" when unknown)."""
    return format_money(amount) if amount is not None else ""


def lines_text(count: int) -> str:
    """Return "1 line" or "3 lines"."""
    return "1 line" if count == 1 else f"{count} lines"
