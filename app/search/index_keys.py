"""Keys that the patient search index stores, and the SQL function that computes them.

Every key starts with a field letter and a colon, so one sorted column serves a
prefix query per field: "n:" name parts, "d:" date of birth (MMDDYYYY), "p:" phone
digits (with and without the area code), "c:" chart number, "m:" coverage member id.
Triggers on the patient and coverage tables call SEARCH_KEYS_FUNCTION, so every
writer (the ORM, bulk inserts, sync) keeps the index current. A future key kind (such
as the last four digits of the SSN, once the patient table has that column) is one
more letter here and in `patient_keys`, plus a rebuild in its migration.
"""

import json
import logging
from collections.abc import Sequence
from datetime import date

from app.search.dates import stored_key
from app.search.folding import digits, fold, name_parts

log = logging.getLogger(__name__)

SEARCH_KEYS_FUNCTION = "clinicdesk_search_keys"

NAME = "n:"
DOB = "d:"
PHONE = "p:"
CHART = "c:"
MEMBER = "m:"

# Name parts shorter than this get no one-typo variants: one edit to a three-letter
# name reaches too many other names to be a useful suggestion.
MIN_TYPO_LENGTH = 4


def patient_keys(
    names: Sequence[str | None],
    date_of_birth: str | None,
    phone: str | None,
    chart_number: str | None,
) -> list[str]:
    """Return the index keys of one patient row, with the date as stored ("1981-03-04").

    `names` are the first, middle and last names; None stands for an empty column.
    """
    keys = [NAME + part for name in names if name for part in name_parts(name)]
    if date_of_birth:
        try:
            keys.append(DOB + stored_key(date.fromisoformat(date_of_birth[:10])))
        except ValueError:
            log.warning("patient row has an unreadable date of birth; not indexed")
    phone_digits = digits(phone or "")
    if len(phone_digits) == 11 and phone_digits.startswith("1"):
        phone_digits = phone_digits[1:]
    if phone_digits:
        keys.append(PHONE + phone_digits)
    if len(phone_digits) == 10:
        keys.append(PHONE + phone_digits[3:])  # the number without its area code
    keys.extend(CHART + key for key in chart_keys(chart_number or ""))
    return list(dict.fromkeys(keys))


def chart_keys(chart_number: str) -> list[str]:
    """Return the chart number folded, and its trailing number without leading zeros.

    So "LKS-000123" is found by "lks000123", "lks-0001" and also by "123".
    """
    folded = fold(chart_number)
    tail = folded[len(folded.rstrip("0123456789")) :].lstrip("0")
    return [key for key in dict.fromkeys((folded, tail)) if key]


def member_keys(member_id: str | None) -> list[str]:
    """Return the index key of a coverage member id, if it has any letter or digit."""
    folded = fold(member_id or "")
    return [MEMBER + folded] if folded else []


def deletion_variants(term: str) -> list[str]:
    """Return `term` and every string made by deleting one of its characters.

    Two terms are within one edit (insertion, deletion, substitution or swap of
    neighbors) only if their variant sets share a string, so storing these for each
    name part lets one-typo matching read an index instead of scanning names.
    """
    if len(term) < MIN_TYPO_LENGTH:
        return []
    return list(dict.fromkeys([term, *(term[:i] + term[i + 1 :] for i in range(len(term)))]))


def name_variant_pairs(*names: str | None) -> list[tuple[str, str]]:
    """Return (variant, term) pairs for every part of the given names."""
    terms = dict.fromkeys(part for name in names if name for part in name_parts(name))
    return [(variant, term) for term in terms for variant in deletion_variants(term)]


def search_keys_sql(kind: str, *values: object) -> str:
    """Return the keys for one row as a JSON array, for the triggers' json_each().

    Kinds: "patient" (first, middle, last, date of birth, phone, chart number),
    "member" (member id) and "variants" (first, middle, last; returns [variant, term]
    pairs). SQLite calls this inside INSERT and UPDATE statements, so it does not raise for
    any column value. An unknown kind returns an empty array and is logged.
    """
    texts = [value if isinstance(value, str) else None for value in values]
    if kind == "patient" and len(texts) == 6:
        return json.dumps(patient_keys(texts[:3], texts[3], texts[4], texts[5]))
    if kind == "member" and len(texts) == 1:
        return json.dumps(member_keys(texts[0]))
    if kind == "variants":
        return json.dumps(name_variant_pairs(*texts))
    log.error("search key function called with kind %r and %d values", kind, len(values))
    return "[]"
