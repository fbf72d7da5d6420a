"""Read the patient search index: which patients each query word matches, and how well.

Every lookup reads the patient_search_key b-tree in key order and stops after
CANDIDATE_CAP rows, so a one-letter word costs no more than a CANDIDATE_CAP-row read.
A word that hits the cap is "open": its full set of patients is unknown, so it is
checked against the candidates that the other words found instead.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.search.index_keys import NAME
from app.search.query import Clause, MatchKind, QueryToken, typo_lookups, within_one_edit

log = logging.getLogger(__name__)

CANDIDATE_CAP = 100

PatientKey = bytes  # patient.id as stored: the UUID's 16 bytes


@dataclass(slots=True)
class TokenHits:
    """The patients one word matched, each with the best kind of match."""

    kinds: dict[PatientKey, MatchKind]
    complete: bool  # False when the lookup stopped at CANDIDATE_CAP rows


def driver_connection(session: Session) -> Any:
    """Return the DB-API connection under `session`, inside the session's transaction.

    Search runs up to a dozen small statements per keystroke; SQLAlchemy's statement
    handling would cost more than SQLite's work, so this module uses the driver.
    """
    connection = session.connection().connection.driver_connection
    assert connection is not None
    return connection


def placeholders(count: int) -> str:
    """Return "?, ?, ?" with `count` marks, for an IN list."""
    return ", ".join("?" * count)


def add_typo_clauses(session: Session, tokens: Sequence[QueryToken]) -> None:
    """Add a one-typo clause to each name word that has indexed names one edit away."""
    connection = driver_connection(session)
    for token in tokens:
        lookups = typo_lookups(token)
        if not lookups:
            continue
        rows = connection.execute(
            "SELECT DISTINCT term FROM patient_search_variant "
            f"WHERE variant IN ({placeholders(len(lookups))})",
            lookups,
        ).fetchall()
        word = token.folded_name
        typos = sorted(t for (t,) in rows if t != word and within_one_edit(word, t))
        if typos:
            token.clauses.append(Clause(MatchKind.TYPO, keys=tuple(NAME + t for t in typos)))


def _condition(clause: Clause, alias: str) -> tuple[str, list[str]]:
    """Return SQL matching `clause` against `alias`.key, and its parameters."""
    if clause.low:
        return f"({alias}.key >= ? AND {alias}.key < ?)", [clause.low, clause.high]
    return f"{alias}.key IN ({placeholders(len(clause.keys))})", list(clause.keys)


def _any_clause(clauses: Sequence[Clause], alias: str) -> tuple[str, list[str]]:
    parts: list[str] = []
    params: list[str] = []
    for clause in clauses:
        sql, values = _condition(clause, alias)
        parts.append(sql)
        params.extend(values)
    return "(" + " OR ".join(parts) + ")", params


def _best_kind(clauses: Sequence[Clause], key: str) -> MatchKind | None:
    kinds = [
        clause.kind_of(key)
        for clause in clauses
        if (clause.low and key.startswith(clause.low)) or key in clause.keys
    ]
    return max(kinds, default=None)


def _record(
    kinds: dict[PatientKey, MatchKind], patient: PatientKey, kind: MatchKind | None
) -> None:
    if kind is not None and kind > kinds.get(patient, 0):
        kinds[patient] = kind


def token_hits(session: Session, token: QueryToken) -> TokenHits:
    """Return the patients `token` matches, reading at most CANDIDATE_CAP rows per clause."""
    connection = driver_connection(session)
    hits = TokenHits({}, complete=True)
    for clause in token.clauses:
        condition, params = _condition(clause, "k")
        rows = connection.execute(
            f"SELECT k.key, k.patient_id FROM patient_search_key AS k WHERE {condition} "
            "ORDER BY k.key LIMIT ?",
            [*params, CANDIDATE_CAP + 1],
        ).fetchall()
        if len(rows) > CANDIDATE_CAP:
            hits.complete = False
            rows = rows[:CANDIDATE_CAP]
        for key, patient in rows:
            _record(hits.kinds, bytes(patient), clause.kind_of(key))
    return hits


def check_candidates(
    session: Session, token: QueryToken, candidates: Iterable[PatientKey]
) -> dict[PatientKey, MatchKind]:
    """Return which of `candidates` `token` matches, and how well."""
    ids = list(candidates)
    if not ids:
        return {}
    condition, params = _any_clause(token.clauses, "k")
    rows = driver_connection(session).execute(
        "SELECT k.key, k.patient_id FROM patient_search_key AS k "
        f"WHERE k.patient_id IN ({placeholders(len(ids))}) AND {condition}",
        [*ids, *params],
    )
    kinds: dict[PatientKey, MatchKind] = {}
    for key, patient in rows:
        _record(kinds, bytes(patient), _best_kind(token.clauses, key))
    return kinds


def joint_candidates(session: Session, tokens: Sequence[QueryToken]) -> list[PatientKey]:
    """Return up to CANDIDATE_CAP patients that match every one of `tokens`.

    This serves words that each match too many patients to list, such as "j s". The
    longest word drives a walk of the index in key order, and an EXISTS probe per row
    checks the others. The walk stops as soon as enough patients match all of them.
    """
    driver = max(tokens, key=lambda token: len(token.text))
    probes: list[str] = []
    probe_params: list[str] = []
    for number, token in enumerate(t for t in tokens if t is not driver):
        condition, values = _any_clause(token.clauses, f"o{number}")
        probes.append(
            f"EXISTS (SELECT 1 FROM patient_search_key AS o{number} "
            f"WHERE o{number}.patient_id = k.patient_id AND {condition})"
        )
        probe_params.extend(values)

    connection = driver_connection(session)
    found: dict[PatientKey, None] = {}
    for clause in driver.clauses:
        condition, values = _condition(clause, "k")
        sql = (
            f"SELECT k.patient_id FROM patient_search_key AS k WHERE {condition} AND "
            + " AND ".join(probes)
            + " ORDER BY k.key LIMIT ?"
        )
        for (patient,) in connection.execute(sql, [*values, *probe_params, CANDIDATE_CAP]):
            found[bytes(patient)] = None
    return list(found)[:CANDIDATE_CAP]
