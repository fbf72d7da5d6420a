"""Turn the text typed into the patient search box into index lookups.

Each word of the query becomes a `QueryToken` with the lookups (`Clause`s) that can
satisfy it: a name prefix, nickname equivalents, one-typo name variants, or a date of
birth, phone, chart number or member id prefix. Words may come in any order.

A word of exactly four digits may also be the last four digits of an SSN, but only when
the caller passes include_ssn (the actor may view SSNs). Otherwise no clause of any word
reads the "s:" keys, so a four-digit word keeps its other meanings: a chart number's
trailing number, a phone number's beginning, a member id's beginning.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

from app.search.dates import dob_keys, month_keys
from app.search.folding import digits, fold
from app.search.index_keys import (
    CHART,
    DOB,
    MEMBER,
    MERGED_CHART,
    MIN_TYPO_LENGTH,
    NAME,
    PHONE,
    SSN,
)
from app.search.nicknames import equivalents

_WORD_SEPARATORS = re.compile(r"[\s,;]+")
_PHONE_LIKE = re.compile(r"^[\d()\-.+]+$")
_SSN_LAST_FOUR = re.compile(r"^\d{4}$")
# "(312) 555-0142" is one phone number, so the space after an area code in brackets
# does not start a new word.
_AREA_CODE_SPACE = re.compile(r"(\(\d{3}\))\s+(?=\d)")
MAX_TOKENS = 8  # words after the eighth are ignored; no real name needs more
# The longest indexed value is a member id of 80 characters, so longer words are cut
# there rather than turned into thousands of typo lookups.
MAX_WORD_LENGTH = 80


class MatchKind(IntEnum):
    """Quality of a word's match with a patient. A larger value ranks higher."""

    TYPO = 1
    NICKNAME = 2
    PREFIX = 3
    EXACT = 4


@dataclass(frozen=True, slots=True)
class Clause:
    """One index lookup: keys starting with `low` (a prefix) or keys equal to any of `keys`."""

    kind: MatchKind
    low: str = ""
    keys: tuple[str, ...] = ()

    @property
    def high(self) -> str:
        """Exclusive upper bound of the prefix range: the prefix with its last character
        raised by one, which sorts after every key that starts with the prefix."""
        return self.low[:-1] + chr(ord(self.low[-1]) + 1)

    def kind_of(self, key: str) -> MatchKind:
        """Return how well `key`, found by this clause, matched."""
        if self.low and key == self.low:
            return MatchKind.EXACT
        return self.kind


@dataclass(slots=True)
class QueryToken:
    """One typed word and the clauses that can satisfy it."""

    text: str
    clauses: list[Clause] = field(default_factory=list)
    folded_name: str = ""  # set for words of letters, which can match with one typo


def split_words(text: str) -> list[str]:
    """Return the words of `text`: at most MAX_TOKENS, each cut to MAX_WORD_LENGTH."""
    joined = _AREA_CODE_SPACE.sub(r"\1", text.strip())
    words = [word for word in _WORD_SEPARATORS.split(joined) if word][:MAX_TOKENS]
    return [word[:MAX_WORD_LENGTH] for word in words]


def _date_clauses(word: str, today: date) -> list[Clause]:
    """Return date-of-birth clauses: whole dates, month-first prefixes, ISO months."""
    clauses = [
        Clause(MatchKind.EXACT if key.complete else MatchKind.PREFIX, low=DOB + key.digits)
        for key in dob_keys(word, today)
    ]
    days = month_keys(word)
    if days:
        clauses.append(Clause(MatchKind.PREFIX, keys=tuple(DOB + day for day in days)))
    return clauses


def _phone_digits(word: str) -> str:
    """Return the digits of a phone number typed so far, without the US country code."""
    phone = digits(word)
    if word.startswith("+1") or (len(phone) == 11 and phone.startswith("1")):
        return phone[1:]
    return phone


def _number_clauses(word: str, today: date, include_ssn: bool) -> list[Clause]:
    """Return clauses for a word with a digit: date of birth, phone, chart number, a
    merged record's chart number, member id and, with `include_ssn`, SSN last four."""
    clauses = _date_clauses(word, today)
    if clauses and "/" in word:
        return clauses  # a slash is only ever typed in a date
    phone = _phone_digits(word)
    if _PHONE_LIKE.match(word) and len(phone) >= 3:
        clauses.append(Clause(MatchKind.PREFIX, low=PHONE + phone))
    if include_ssn and _SSN_LAST_FOUR.match(word):
        clauses.append(Clause(MatchKind.PREFIX, low=SSN + word))

    folded = fold(word)
    chart_forms = [folded] if folded else []
    if folded.isdigit() and folded.lstrip("0") not in ("", folded):
        chart_forms.append(folded.lstrip("0"))
    for form in chart_forms:
        clauses.append(Clause(MatchKind.PREFIX, low=CHART + form))
        clauses.append(Clause(MatchKind.PREFIX, low=MERGED_CHART + form))
    if folded:
        clauses.append(Clause(MatchKind.PREFIX, low=MEMBER + folded))
    return clauses


def _name_clauses(folded: str) -> list[Clause]:
    clauses = [Clause(MatchKind.PREFIX, low=NAME + folded)]
    nicknames = sorted(equivalents(folded))
    if nicknames:
        clauses.append(Clause(MatchKind.NICKNAME, keys=tuple(NAME + name for name in nicknames)))
    return clauses


def parse_query(text: str, today: date, include_ssn: bool = False) -> list[QueryToken]:
    """Return the tokens of `text`; words that fold to nothing (such as "-") are dropped.

    `today` resolves two-digit birth years. `include_ssn` lets a four-digit word match
    the last four digits of an SSN. One-typo clauses are added later by the caller,
    because finding them reads the variant table.
    """
    tokens: list[QueryToken] = []
    for word in split_words(text):
        if any(c.isdigit() for c in word):
            clauses = _number_clauses(word, today, include_ssn)
            if clauses:
                tokens.append(QueryToken(word, clauses))
            continue
        folded = fold(word)
        if folded:
            tokens.append(QueryToken(word, _name_clauses(folded), folded_name=folded))
    return tokens


def within_one_edit(first: str, second: str) -> bool:
    """Return True when one insertion, deletion, substitution or swap of neighbors
    turns `first` into `second` (optimal string alignment distance of at most 1)."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    start = 0
    while start < len(first) and first[start] == second[start]:
        start += 1
    if len(first) < len(second):
        return first[start:] == second[start + 1 :]
    if first[start + 1 :] == second[start + 1 :]:
        return True
    return first[start : start + 2] == second[start : start + 2][::-1] and (
        first[start + 2 :] == second[start + 2 :]
    )


def typo_lookups(token: QueryToken) -> list[str]:
    """Return the variants to look up for one-typo matches of `token`, or none."""
    word = token.folded_name
    if len(word) < MIN_TYPO_LENGTH:
        return []
    return list(dict.fromkeys([word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]))
