"""Keys that the patient search index stores, and the SQL function that computes them.

Every key starts with a field letter and a colon, so one sorted column serves a
prefix query per field: "n:" name parts (current, preferred and previous names), "d:"
date of birth (MMDDYYYY), "p:" phone digits (with and without the area code, from
patient.phone and every patient_phone row), "c:" chart number, "m:" coverage member
id, "s:" the last four digits of the SSN, and "r:" the chart numbers of records merged
into this one. Triggers on the patient, patient_phone, patient_previous_name and
coverage tables call SEARCH_KEYS_FUNCTION, so every writer (the ORM, bulk inserts,
sync) keeps the index current. A new key kind is one more letter here, plus triggers
and a rebuild in its migration.
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
SSN = "s:"
MERGED_CHART = "r:"

# Name parts shorter than this get no one-typo variants: one edit to a three-letter
# name reaches too many other names to be a useful suggestion.
MIN_TYPO_LENGTH = 4


def patient_keys(
    names: Sequence[str | None],
    date_of_birth: str | None,
    phone: str | None,
    chart_number: str | None,
    ssn: str | None = None,
) -> list[str]:
    """Return the index keys of one patient row, with the date as stored ("1981-03-04").

    `names` are the first, middle, last and preferred names; None stands for an empty
    column.
    """
    keys = name_keys(*names)
    if date_of_birth:
        try:
            keys.append(DOB + stored_key(date.fromisoformat(date_of_birth[:10])))
        except ValueError:
            log.warning("patient row has an unreadable date of birth; not indexed")
    keys.extend(phone_keys(phone))
    keys.extend(CHART + key for key in chart_keys(chart_number or ""))
    keys.extend(ssn_keys(ssn))
    return list(dict.fromkeys(keys))


def name_keys(*names: str | None) -> list[str]:
    """Return the "n:" keys of every part of the given names, without repeats."""
    return list(dict.fromkeys(NAME + part for name in names if name for part in name_parts(name)))


def phone_keys(phone: str | None) -> list[str]:
    """Return the keys of one phone number: its digits without the US country code, and
    for a ten-digit number also the seven digits after the area code.

    "+15125550100" and "(512) 555-0100" both give "p:5125550100" and "p:5550100".
    """
    phone_digits = digits(phone or "")
    if len(phone_digits) == 11 and phone_digits.startswith("1"):
        phone_digits = phone_digits[1:]
    keys = [PHONE + phone_digits] if phone_digits else []
    if len(phone_digits) == 10:
        keys.append(PHONE + phone_digits[3:])
    return keys


def ssn_keys(ssn: str | None) -> list[str]:
    """Return the "s:" key of the SSN's last four digits; none for a shorter value."""
    ssn_digits = digits(ssn or "")
    return [SSN + ssn_digits[-4:]] if len(ssn_digits) >= 4 else []


def chart_keys(chart_number: str) -> list[str]:
    """Return the chart number folded, and its trailing number without leading zeros.

    So "LKS-000123" is found by "lks000123", "lks-0001" and also by "123".
    """
    folded = fold(chart_number)
    tail = folded[len(folded.rstrip("0123456789")) :].lstrip("0")
    return [key for key in dict.fromkeys((folded, tail)) if key]


def merged_chart_keys(chart_number: str | None) -> list[str]:
    """Return the "r:" keys under which a survivor is found by a merged record's chart."""
    return [MERGED_CHART + key for key in chart_keys(chart_number or "")]


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

    Kinds and their values:

    - "patient": first, middle, last, date of birth, phone, chart number, then
      optionally preferred name and SSN (the six-value form serves migration 0002,
      which runs before those columns exist);
    - "names": any number of names, such as a previous name's first, middle and last;
    - "phone": one phone number;
    - "merged_chart": the chart number of a record merged into another;
    - "member": a member id;
    - "variants": any number of names; returns [variant, term] pairs.

    SQLite calls this inside INSERT and UPDATE statements, so it does not raise for
    any column value. An unknown kind or count returns an empty array and is logged.
    """
    texts = [value if isinstance(value, str) else None for value in values]
    keys: list[str] | list[tuple[str, str]] | None = None
    if kind == "patient" and len(texts) in (6, 8):
        first, middle, last, born, phone, chart, *extra = texts
        preferred, ssn = extra or (None, None)
        keys = patient_keys((first, middle, last, preferred), born, phone, chart, ssn)
    elif kind == "names":
        keys = name_keys(*texts)
    elif kind == "phone" and len(texts) == 1:
        keys = phone_keys(texts[0])
    elif kind == "merged_chart" and len(texts) == 1:
        keys = merged_chart_keys(texts[0])
    elif kind == "member" and len(texts) == 1:
        keys = member_keys(texts[0])
    elif kind == "variants":
        keys = name_variant_pairs(*texts)
    if keys is None:
        log.error("search key function called with kind %r and %d values", kind, len(values))
        return "[]"
    return json.dumps(keys)
