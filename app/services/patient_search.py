"""The patients' one-box search: names, dates of birth, phones, chart numbers, member ids.

Words may come in any order and each may match a different field. Patients who match
more words come first; among them, better matches come first (exact, then prefix, then
nickname, then one typo), then by name. The balance and the next appointment are read
only for the page returned. Searching is not audited because the results show no
clinical detail; opening a patient's record is a separate, audited view.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.ids import PatientId
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.practice import Practice
from app.models.scheduling import Appointment
from app.money import ZERO
from app.search import lookup
from app.search.folding import fold
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
    tokens = parse_query(text, local_now.date())
    if not tokens or not limit:
        return []

    lookup.add_typo_clauses(session, tokens)
    scores = _score(session, tokens)
    patients = _top_patients(session, scores, limit)
    matches = _page(session, patients, scores, local_now)
    log.debug(
        "patient search: %d words, %d candidates, %d shown", len(tokens), len(scores), len(matches)
    )
    return matches


def _practice_now(session: Session, instant: datetime) -> datetime:
    """Return `instant` as naive wall-clock time in the practice's zone (UTC before set-up)."""
    zone_name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
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
    fully listed word matched anyone, the patients who match all the open words."""
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


def _top_patients(session: Session, scores: dict[PatientKey, _Score], limit: int) -> list[Patient]:
    """Return the best `limit` patients, loading only those whose score can make the page."""
    ranked = sorted(scores, key=lambda patient: scores[patient].order)
    if len(ranked) > limit:
        # Patients tied with the last one on the page are ordered by name, so all load.
        boundary = scores[ranked[limit - 1]].order
        ranked = [patient for patient in ranked if scores[patient].order <= boundary]

    ids = [uuid.UUID(bytes=patient) for patient in ranked]
    patients = session.scalars(
        select(Patient).where(Patient.id.in_(ids), Patient.archived.is_(False))
    ).all()
    patients = sorted(
        patients,
        key=lambda p: (scores[p.id.bytes].order, fold(p.last_name), fold(p.first_name), p.id),
    )
    return patients[:limit]


def _balances(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    # Reads only the ix_ledger_entry_patient_posted index, which carries the amount.
    rows = session.execute(
        select(LedgerEntry.patient_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.patient_id.in_(ids))
        .group_by(LedgerEntry.patient_id)
    )
    return {row[0]: row[1] for row in rows}


def _next_appointments(
    session: Session, ids: list[uuid.UUID], local_now: datetime
) -> dict[uuid.UUID, datetime]:
    rows = session.execute(
        select(Appointment.patient_id, func.min(Appointment.starts_at))
        .where(
            Appointment.patient_id.in_(ids),
            Appointment.starts_at >= local_now,
            Appointment.archived.is_(False),
            Appointment.status.not_in(NOT_UPCOMING),
        )
        .group_by(Appointment.patient_id)
    )
    return {row[0]: row[1] for row in rows}


def display_name(patient: Patient) -> str:
    """Return the name as search results show it, such as "Núñez Jr, Ana María"."""
    last = f"{patient.last_name} {patient.suffix}" if patient.suffix else patient.last_name
    first = (
        f"{patient.first_name} {patient.middle_name}" if patient.middle_name else patient.first_name
    )
    return f"{last}, {first}"


def _page(
    session: Session,
    patients: list[Patient],
    scores: dict[PatientKey, _Score],
    local_now: datetime,
) -> list[PatientMatch]:
    ids = [patient.id for patient in patients]
    balances = _balances(session, ids) if ids else {}
    appointments = _next_appointments(session, ids, local_now) if ids else {}
    return [
        PatientMatch(
            patient_id=PatientId(patient.id),
            display_name=display_name(patient),
            date_of_birth=patient.date_of_birth,
            phone=patient.phone,
            chart_number=patient.chart_number,
            balance=balances.get(patient.id, ZERO),
            next_appointment=appointments.get(patient.id),
            matched_words=scores[patient.id.bytes].matched,
            best_match=scores[patient.id.bytes].best,
        )
        for patient in patients
    ]
