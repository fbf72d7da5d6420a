"""How alike two patient records are: a score from 0 to 100 and the reasons behind it.

Each piece of evidence adds points (a same date of birth 30, a same last name 25, a same
member id 25 …) and a clearly different first name or sex takes some away. The weights
favor identifiers a person keeps for life (date of birth, member id) over ones families
share (last name, phone, address), so twins and spouses score lower than one person
registered twice. The score is symmetric: `score_pair(a, b)` and `score_pair(b, a)` give
the same number. The reasons name the values of the first record first, so callers pass
the pair in a fixed order.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from app.contact import display_phone
from app.search.folding import fold, name_parts
from app.search.nicknames import equivalents
from app.search.phonetic import nysiis
from app.search.query import within_one_edit

# Points per piece of evidence; the sum is clamped to 0..100.
SAME_DATE_OF_BIRTH = 30
SWAPPED_DATE_OF_BIRTH = 20
SAME_LAST_NAME = 25
SWAPPED_NAMES = 40
PREVIOUS_LAST_NAME = 20
LAST_NAME_SOUNDS_SAME = 18
LAST_NAME_ONE_TYPO = 15
LAST_NAME_PART = 15
SAME_FIRST_NAME = 20
FIRST_NAME_NICKNAME = 15
FIRST_NAME_SOUNDS_SAME = 12
FIRST_NAME_ONE_TYPO = 12
FIRST_INITIAL = 8
DIFFERENT_FIRST_NAME = -15
SAME_PHONE = 15
SAME_ADDRESS = 10
SAME_MEMBER_ID = 25
DIFFERENT_SEX = -10

NAME_CACHE_SIZE = 65_536
_NOT_DIGITS = re.compile(r"[^0-9]+")

# Below this length a one-letter difference is as likely another name ("Ann" / "Jan").
MIN_TYPO_NAME_LENGTH = 4


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """The fields of one record that the comparison reads, folded once so a pair costs little.

    `id` is None for a patient being registered. `phones` hold ten-digit US numbers
    (or all digits for other numbers); `address` is the folded first line and ZIP5.
    """

    id: uuid.UUID | None
    first_name: str
    last_name: str
    first: str
    last: str
    last_parts: frozenset[str]
    first_nicknames: frozenset[str]
    first_code: str
    last_code: str
    previous_lasts: frozenset[str]
    date_of_birth: date | None
    sex: str
    phones: frozenset[str]
    address: str
    members: frozenset[str]


@dataclass(frozen=True, slots=True)
class Similarity:
    """A pair's score (0 to 100) and the evidence, worded for the front desk."""

    score: int
    reasons: tuple[str, ...]


def phone_digits(text: str | None) -> str:
    """Return a phone as ten digits for a US number (a leading 1 dropped), else all digits."""
    found = _NOT_DIGITS.sub("", text or "")
    if len(found) == 11 and found.startswith("1"):
        return found[1:]
    return found


def address_key(line1: str | None, zip_code: str | None) -> str:
    """Return the folded first address line and five-digit ZIP, or "" when either is missing."""
    street = _fold(line1 or "")
    zip5 = _NOT_DIGITS.sub("", zip_code or "")[:5]
    return f"{street}:{zip5}" if street and len(zip5) == 5 else ""


def make_facts(
    *,
    patient_id: uuid.UUID | None,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    sex: str | None,
    phones: list[str],
    address_line1: str | None,
    zip_code: str | None,
    member_ids: list[str],
    previous_last_names: list[str],
) -> PatientFacts:
    """Build the facts of one record from its stored or typed values."""
    first = _fold(first_name)
    last = _fold(last_name)
    return PatientFacts(
        id=patient_id,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        first=first,
        last=last,
        last_parts=_parts(last_name),
        first_nicknames=_nicknames(first),
        first_code=_code(first_name),
        last_code=_code(last_name),
        previous_lasts=frozenset(_fold(name) for name in previous_last_names if _fold(name)),
        date_of_birth=date_of_birth,
        sex=(sex or "U").upper(),
        phones=frozenset(found for phone in phones if len(found := phone_digits(phone)) >= 7),
        address=address_key(address_line1, zip_code),
        members=frozenset(folded for member in member_ids if (folded := fold(member))),
    )


# Names repeat across a practice, so folding and coding each distinct name once makes
# reading 100,000 records several times faster.
@lru_cache(maxsize=NAME_CACHE_SIZE)
def _fold(text: str) -> str:
    return fold(text)


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _code(text: str) -> str:
    return nysiis(text)


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _parts(text: str) -> frozenset[str]:
    return frozenset(name_parts(text))


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _nicknames(folded_first: str) -> frozenset[str]:
    return equivalents(folded_first)


def score_pair(a: PatientFacts, b: PatientFacts) -> Similarity:
    """Return how alike `a` and `b` are; the reasons quote `a`'s values first."""
    points = 0
    reasons: list[str] = []
    for part_points, part_reasons in (
        _date_of_birth(a, b),
        _names(a, b),
        _contact(a, b),
        _sex(a, b),
    ):
        points += part_points
        reasons.extend(part_reasons)
    return Similarity(max(0, min(100, points)), tuple(reasons))


def swapped_date(value: date) -> date | None:
    """Return the date with day and month exchanged, or None when that is no other date."""
    if value.day == value.month or value.day > 12:
        return None
    return date(value.year, value.day, value.month)


def _date_of_birth(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    if a.date_of_birth is None or b.date_of_birth is None:
        return 0, []
    if a.date_of_birth == b.date_of_birth:
        return SAME_DATE_OF_BIRTH, ["same date of birth"]
    if swapped_date(a.date_of_birth) == b.date_of_birth:
        shown = f"{a.date_of_birth:%m/%d/%Y} / {b.date_of_birth:%m/%d/%Y}"
        return SWAPPED_DATE_OF_BIRTH, [f"date of birth with day and month swapped ({shown})"]
    return 0, []


def _names(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    if a.first and a.last and a.first == b.last and a.last == b.first and a.first != a.last:
        return SWAPPED_NAMES, [
            f"first and last names swapped ({a.first_name} {a.last_name} / "
            f"{b.first_name} {b.last_name})"
        ]
    last_points, last_reasons = _last_name(a, b)
    first_points, first_reasons = _first_name(a, b)
    return last_points + first_points, last_reasons + first_reasons


# Each name rule: points, the test, and the reason ("{shown}" becomes "(a / b)"). The
# first rule that applies decides.
NameRule = tuple[int, Callable[[PatientFacts, PatientFacts], bool], str]

LAST_NAME_RULES: tuple[NameRule, ...] = (
    (SAME_LAST_NAME, lambda a, b: a.last == b.last, "same last name"),
    (
        PREVIOUS_LAST_NAME,
        lambda a, b: a.last in b.previous_lasts or b.last in a.previous_lasts,
        "last name matches a previous name {shown}",
    ),
    (
        LAST_NAME_SOUNDS_SAME,
        lambda a, b: bool(a.last_code) and a.last_code == b.last_code,
        "last name sounds the same {shown}",
    ),
    (
        LAST_NAME_ONE_TYPO,
        lambda a, b: _one_typo(a.last, b.last),
        "last name differs by one letter {shown}",
    ),
    (
        LAST_NAME_PART,
        lambda a, b: a.last in b.last_parts or b.last in a.last_parts,
        "last name is part of the other {shown}",
    ),
)

FIRST_NAME_RULES: tuple[NameRule, ...] = (
    (SAME_FIRST_NAME, lambda a, b: a.first == b.first, "same first name"),
    (
        FIRST_NAME_NICKNAME,
        lambda a, b: b.first in a.first_nicknames,
        "first name is a nickname {shown}",
    ),
    (
        FIRST_NAME_SOUNDS_SAME,
        lambda a, b: bool(a.first_code) and a.first_code == b.first_code,
        "first name sounds the same {shown}",
    ),
    (
        FIRST_NAME_ONE_TYPO,
        lambda a, b: _one_typo(a.first, b.first),
        "first name differs by one letter {shown}",
    ),
    (
        FIRST_INITIAL,
        lambda a, b: (len(a.first) == 1 or len(b.first) == 1) and a.first[0] == b.first[0],
        "first initial matches {shown}",
    ),
)


def _last_name(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    if not a.last or not b.last:
        return 0, []
    return _first_rule(LAST_NAME_RULES, a, b, (a.last_name, b.last_name), 0)


def _first_name(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    if not a.first or not b.first:
        return 0, []
    names = (a.first_name, b.first_name)
    return _first_rule(FIRST_NAME_RULES, a, b, names, DIFFERENT_FIRST_NAME)


def _first_rule(
    rules: tuple[NameRule, ...],
    a: PatientFacts,
    b: PatientFacts,
    names: tuple[str, str],
    otherwise: int,
) -> tuple[int, list[str]]:
    for points, applies, reason in rules:
        if applies(a, b):
            return points, [reason.format(shown=f"({names[0]} / {names[1]})")]
    return otherwise, []


def _one_typo(first: str, second: str) -> bool:
    shorter = min(len(first), len(second))
    return shorter >= MIN_TYPO_NAME_LENGTH and within_one_edit(first, second)


def _contact(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    points = 0
    reasons: list[str] = []
    shared_phones = sorted(a.phones & b.phones)
    if shared_phones:
        points += SAME_PHONE
        reasons.append(f"same phone {display_phone(_as_e164(shared_phones[0]))}")
    if a.address and a.address == b.address:
        points += SAME_ADDRESS
        reasons.append("same address")
    if a.members & b.members:
        points += SAME_MEMBER_ID
        reasons.append("same member id on a coverage")
    return points, reasons


def _as_e164(phone: str) -> str:
    return "+1" + phone if len(phone) == 10 else "+" + phone


def _sex(a: PatientFacts, b: PatientFacts) -> tuple[int, list[str]]:
    known = {"F", "M"}
    if a.sex in known and b.sex in known and a.sex != b.sex:
        return DIFFERENT_SEX, []
    return 0, []
