"""The patients' one-box search: names, dates of birth, phones, chart numbers, member ids.

Words may come in any order and each may match a different field. Patients who match
more words come first. Among those, better matches come first (exact, then prefix,
then nickname, then one typo). Among equal matches, a patient whose typed name words
spell the whole name ("ana garcia" for Ana García) comes first, then patients whose
last name begins with more of the typed words ("gar" puts García above Garth Brooks),
then the order is by name. The balance and the next appointment are read only for the
page returned. Searching is not audited because the results show no clinical detail.
Opening a patient's record is a separate, audited view. A four-digit word matches the
last four digits of an SSN only for actors with PATIENT_VIEW_SSN.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from app.clock import utc_now
from app.ids import PatientId
from app.money import ZERO, from_cents
from app.search import lookup
from app.search.folding import fold, name_parts
from app.search.lookup import PatientKey
from app.search.query import MatchKind, QueryToken, parse_query
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 25
MAX_LIMIT = 200
# Visits in these states are not coming up, so they are never the next appointment.
NOT_UPCOMING = ("cancelled", "no_show")


@dataclass(frozen=True, slots=True)
class PatientMatch:
    """One search result; `next_appointment` is practice wall-clock time."""

    patient_id: PatientId
    display_name: str
    date_of_birth: date
    phone: str | None
    chart_number: str
    balance: Decimal
    next_appointment: datetime | None
    matched_words: int
    best_match: MatchKind


@dataclass(frozen=True, slots=True)
class _Score:
    matched: int
    worst: int
    total: int
    best: MatchKind

    @property
    def order(self) -> tuple[int, int, int]:
        return (-self.matched, -self.worst, -self.total)


def search_patients(
    session: Session,
    actor: Actor,
    text: str,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> list[PatientMatch]:
    """Return up to `limit` patients (at most MAX_LIMIT) matching the words of `text`.

    `now` (an aware instant, default the current time) sets which appointment is
    next and which century a two-digit birth year is in. Archived patients are never
    returned. An empty `text` returns no patients.
    """
    require(actor, Permission.PATIENT_VIEW)
    limit = max(0, min(limit, MAX_LIMIT))
    local_now = _practice_now(session, now or utc_now())
    include_ssn = actor.can(Permission.PATIENT_VIEW_SSN)
    tokens = parse_query(text, local_now.date(), include_ssn=include_ssn)
    if not tokens or not limit:
        return []

    lookup.add_typo_clauses(session, tokens)
    scores = _score(session, tokens)
    connection = lookup.driver_connection(session)
    name_words = [token.folded_name for token in tokens if token.folded_name]
    rows = _top_rows(connection, scores, name_words, limit)
    matches = _page(connection, rows, scores, local_now)
    log.debug(
        "patient search: %d words, %d candidates, %d shown", len(tokens), len(scores), len(matches)
    )
    return matches


def _practice_now(session: Session, instant: datetime) -> datetime:
    """Return `instant` as naive wall-clock time in the practice's zone (UTC before set-up)."""
    zone_name = (
        lookup.driver_connection(session)
        .execute("SELECT time_zone FROM practice WHERE archived = 0 LIMIT 1")
        .fetchone()
    )
    zone_name = zone_name[0] if zone_name else None
    try:
        zone = ZoneInfo(zone_name) if zone_name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("practice time zone is unknown; using UTC for the next appointment")
        zone = ZoneInfo("UTC")
    return instant.astimezone(zone).replace(tzinfo=None)


def _candidates(
    session: Session, tokens: Sequence[QueryToken], hits: Sequence[lookup.TokenHits]
) -> list[PatientKey]:
    """Return the patients to rank: everyone a fully listed word matched, or, when no
    fully listed word matched anyone, the patients who match all the open words.

    NOTE: a patient who matches only open words (those past CANDIDATE_CAP) is left
    out when another word was listed in full, even if the page has room.
    """
    found: dict[PatientKey, None] = {}
    for token_hits in hits:
        if token_hits.complete:
            found.update(dict.fromkeys(token_hits.kinds))
    if found:
        return list(found)

    open_tokens = [t for t, h in zip(tokens, hits, strict=True) if not h.complete]
    if len(open_tokens) == 1:
        return list(hits[tokens.index(open_tokens[0])].kinds)
    return lookup.joint_candidates(session, open_tokens) if open_tokens else []


def _score(session: Session, tokens: Sequence[QueryToken]) -> dict[PatientKey, _Score]:
    """Return each candidate's score: words matched and how well."""
    hits = [lookup.token_hits(session, token) for token in tokens]
    candidates = _candidates(session, tokens, hits)
    per_token: list[dict[PatientKey, MatchKind]] = []
    for token, token_hits in zip(tokens, hits, strict=True):
        if token_hits.complete:
            per_token.append(token_hits.kinds)
        else:
            per_token.append(lookup.check_candidates(session, token, candidates))

    scores: dict[PatientKey, _Score] = {}
    for patient in candidates:
        kinds = [found[patient] for found in per_token if patient in found]
        if kinds:
            scores[patient] = _Score(len(kinds), min(kinds), sum(kinds), max(kinds))
    return scores


# Columns read for each result, in PatientMatch's terms, then the preferred name, which
# only ranking reads.
_ROW_COLUMNS = (
    "id, last_name, first_name, middle_name, suffix, date_of_birth, phone, chart_number, "
    "preferred_name"
)


def _name_order(row: Any, name_words: Sequence[str]) -> tuple[int, int]:
    """Return the name part of a row's sort key, where smaller ranks first.

    The first element is 0 for a full-name match: the typed name words, joined, spell
    the first (or preferred) and last name in either order, with or without the middle
    name. The second is minus the number of typed words that begin a last-name part.
    """
    if not name_words:
        return (1, 0)
    _, last, first, middle, *_, preferred = row
    last_folded, last_parts = _folded_name(last)
    middle_folded = _folded_name(middle)[0] if middle else ""
    spellings: set[str] = set()
    for given_name in (first, preferred):
        if given_name:
            given = _folded_name(given_name)[0]
            spellings.update((given + last_folded, last_folded + given))
            if middle_folded:
                spellings.update(
                    (given + middle_folded + last_folded, last_folded + given + middle_folded)
                )
    full_match = "".join(name_words) in spellings
    last_hits = sum(any(part.startswith(word) for part in last_parts) for word in name_words)
    return (0 if full_match else 1, -last_hits)


@lru_cache(maxsize=8192)
def _folded_name(name: str) -> tuple[str, tuple[str, ...]]:
    """Return a name folded whole and its folded parts, cached because a page sorts up to
    a few hundred rows per keystroke and names repeat across patients."""
    return fold(name), tuple(name_parts(name))


def _top_rows(
    connection: Any, scores: dict[PatientKey, _Score], name_words: Sequence[str], limit: int
) -> list[Any]:
    """Return the patient rows of the best `limit` patients, ties ordered by name match
    (see `_name_order`) and then by name."""
    ranked = sorted(scores, key=lambda patient: scores[patient].order)
    if len(ranked) > limit:
        # Patients tied with the last one on the page are ordered by name, so all load.
        boundary = scores[ranked[limit - 1]].order
        ranked = [patient for patient in ranked if scores[patient].order <= boundary]

    rows: list[Any] = connection.execute(
        f"SELECT {_ROW_COLUMNS} FROM patient "
        f"WHERE id IN ({lookup.placeholders(len(ranked))}) AND archived = 0",
        ranked,
    ).fetchall()
    rows.sort(
        key=lambda row: (
            scores[row[0]].order,
            _name_order(row, name_words),
            row[1].casefold(),
            row[2].casefold(),
            row[0],
        )
    )
    return rows[:limit]


def _balances(connection: Any, ids: list[PatientKey]) -> dict[PatientKey, Decimal]:
    # Reads only the ix_ledger_entry_patient_posted index, which carries the amount.
    rows = connection.execute(
        "SELECT patient_id, sum(amount) FROM ledger_entry "
        f"WHERE patient_id IN ({lookup.placeholders(len(ids))}) GROUP BY patient_id",
        ids,
    )
    return {bytes(patient): from_cents(int(cents)) for patient, cents in rows}


def _next_appointments(
    connection: Any, ids: list[PatientKey], local_now: datetime
) -> dict[PatientKey, datetime]:
    # Wall-clock times are stored as ISO text, so the text comparison orders them.
    rows = connection.execute(
        "SELECT patient_id, min(starts_at) FROM appointment "
        f"WHERE patient_id IN ({lookup.placeholders(len(ids))}) AND starts_at >= ? "
        f"AND archived = 0 AND status NOT IN ({lookup.placeholders(len(NOT_UPCOMING))}) "
        "GROUP BY patient_id",
        [*ids, local_now.isoformat(" ", "microseconds"), *NOT_UPCOMING],
    )
    return {bytes(patient): datetime.fromisoformat(starts) for patient, starts in rows}


def display_name(last: str, first: str, middle: str | None, suffix: str | None) -> str:
    """Return the name as search results show it, such as "Núñez Jr, Ana María"."""
    last_part = f"{last} {suffix}" if suffix else last
    first_part = f"{first} {middle}" if middle else first
    return f"{last_part}, {first_part}"


def _page(
    connection: Any, rows: list[Any], scores: dict[PatientKey, _Score], local_now: datetime
) -> list[PatientMatch]:
    ids = [bytes(row[0]) for row in rows]
    balances = _balances(connection, ids) if ids else {}
    appointments = _next_appointments(connection, ids, local_now) if ids else {}
    matches: list[PatientMatch] = []
    for patient, (_, last, first, middle, suffix, born, phone, chart, _) in zip(
        ids, rows, strict=True
    ):
        score = scores[patient]
        matches.append(
            PatientMatch(
                patient_id=PatientId(uuid.UUID(bytes=patient)),
                display_name=display_name(last, first, middle, suffix),
                date_of_birth=date.fromisoformat(born),
                phone=phone,
                chart_number=chart,
                balance=balances.get(patient, ZERO),
                next_appointment=appointments.get(patient),
                matched_words=score.matched,
                best_match=score.best,
            )
        )
    return matches
