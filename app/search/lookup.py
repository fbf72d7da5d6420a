"""Read the patient search index: which patients each query word matches, and how well.

Every lookup reads the patient_search_key b-tree in key order and stops after
CANDIDATE_CAP rows, so a one-letter word costs the same as a long one. A word that
hits the cap is "open": its full set of patients is unknown, and it is checked
against the candidates that the other words found instead.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.search.index_keys import NAME
from app.search.query import Clause, MatchKind, QueryToken, typo_lookups, within_one_edit

log = logging.getLogger(__name__)

CANDIDATE_CAP = 500

PatientKey = bytes  # patient.id as stored: the UUID's 16 bytes


@dataclass(slots=True)
class TokenHits:
    """The patients one word matched, each with the best kind of match."""

    kinds: dict[PatientKey, MatchKind]
    complete: bool  # False when the lookup stopped at CANDIDATE_CAP rows


def add_typo_clauses(session: Session, tokens: Sequence[QueryToken]) -> None:
    """Add a one-typo clause to each name word that has indexed names one edit away."""
    for token in tokens:
        lookups = typo_lookups(token)
        if not lookups:
            continue
        statement = text(
            "SELECT DISTINCT term FROM patient_search_variant WHERE variant IN :lookups"
        ).bindparams(bindparam("lookups", expanding=True))
        terms = session.scalars(statement, {"lookups": lookups}).all()
        word = token.folded_name
        typos = sorted(t for t in terms if t != word and within_one_edit(word, t))
        if typos:
            token.clauses.append(Clause(MatchKind.TYPO, keys=tuple(NAME + t for t in typos)))


def _condition(clause: Clause, index: int, alias: str) -> tuple[str, dict[str, object]]:
    """Return SQL matching `clause` against `alias`.key, and its parameters."""
    if clause.low:
        sql = f"({alias}.key >= :low{index} AND {alias}.key < :high{index})"
        bounds: dict[str, object] = {f"low{index}": clause.low, f"high{index}": clause.high}
        return sql, bounds
    names = [f":key{index}_{n}" for n in range(len(clause.keys))]
    params: dict[str, object] = {f"key{index}_{n}": key for n, key in enumerate(clause.keys)}
    return f"{alias}.key IN ({', '.join(names)})", params


def _any_clause(clauses: Sequence[Clause], alias: str, start: int) -> tuple[str, dict[str, object]]:
    parts: list[str] = []
    params: dict[str, object] = {}
    for offset, clause in enumerate(clauses):
        sql, values = _condition(clause, start + offset, alias)
        parts.append(sql)
        params.update(values)
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
    hits = TokenHits({}, complete=True)
    for clause in token.clauses:
        condition, params = _condition(clause, 0, "k")
        rows = session.execute(
            text(
                f"SELECT k.key, k.patient_id FROM patient_search_key AS k WHERE {condition} "
                "ORDER BY k.key LIMIT :cap"
            ),
            {**params, "cap": CANDIDATE_CAP + 1},
        ).all()
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
    condition, params = _any_clause(token.clauses, "k", 0)
    statement = text(
        "SELECT k.key, k.patient_id FROM patient_search_key AS k "
        f"WHERE k.patient_id IN :ids AND {condition}"
    ).bindparams(bindparam("ids", expanding=True))
    kinds: dict[PatientKey, MatchKind] = {}
    for key, patient in session.execute(statement, {**params, "ids": ids}):
        _record(kinds, bytes(patient), _best_kind(token.clauses, key))
    return kinds


def joint_candidates(session: Session, tokens: Sequence[QueryToken]) -> list[PatientKey]:
    """Return up to CANDIDATE_CAP patients that match every one of `tokens`.

    For words that each match too many patients to list ("j s"): the longest word
    drives a walk of the index in key order, and an EXISTS probe per row checks the
    others, so the walk stops as soon as enough patients match all of them.
    """
    driver = max(tokens, key=lambda token: len(token.text))
    others = [token for token in tokens if token is not driver]
    probes: list[str] = []
    params: dict[str, object] = {"cap": CANDIDATE_CAP}
    for number, token in enumerate(others):
        condition, values = _any_clause(token.clauses, f"o{number}", 100 * (number + 1))
        probes.append(
            f"EXISTS (SELECT 1 FROM patient_search_key AS o{number} "
            f"WHERE o{number}.patient_id = k.patient_id AND {condition})"
        )
        params.update(values)

    found: dict[PatientKey, None] = {}
    for clause in driver.clauses:
        condition, values = _condition(clause, 0, "k")
        sql = (
            f"SELECT k.patient_id FROM patient_search_key AS k WHERE {condition} AND "
            + " AND ".join(probes)
            + " ORDER BY k.key LIMIT :cap"
        )
        for (patient,) in session.execute(text(sql), {**params, **values}):
            found[bytes(patient)] = None
    return list(found)[:CANDIDATE_CAP]
