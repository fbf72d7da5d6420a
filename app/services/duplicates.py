"""Find records that may be the same person: before a new patient is saved, and practice-wide.

Both searches read the patient search index (app/search/index_keys.py) to find
candidates, so neither compares every record with every other. The pre-save check looks
up the typed date of birth (and the same date with day and month swapped), phones,
member ids, and last and first names with their nicknames and one-typo variants. The
practice-wide report groups records into blocks that share a date of birth (day and month
in either order), a phone, a member id, or a folded last name and birth year, and scores
only the pairs inside a block. Pairs that a user ruled to be different people
(duplicate_decision rows) are left out of both, as are archived and merged records.
"""

import itertools
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.contact import display_phone
from app.errors import NotFoundError, UserError
from app.models.onboarding import DuplicateDecision
from app.models.patients import Patient
from app.progress import Progress
from app.search import lookup
from app.search.dates import stored_key
from app.search.folding import fold, name_parts
from app.search.index_keys import DOB, MEMBER, NAME, PHONE, deletion_variants
from app.search.nicknames import equivalents
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.duplicate_facts import (
    LoadedPatient,
    PatientSummary,
    facts_from_form,
    load_patients,
)
from app.services.duplicate_scoring import phone_digits, score_pair, swapped_date
from app.services.patient_forms import PatientForm

log = logging.getLogger(__name__)

DEFAULT_MIN_SCORE = 50
DEFAULT_LIMIT = 10
# Rows read per index lookup of the pre-save check. A date of birth is shared by a few
# dozen patients even in a large practice, so this cap only trims very common names.
LOOKUP_CAP = 200
# A block larger than this (a clinic phone typed for hundreds of patients, or a test
# member id) says little about any one pair and would cost a quadratic number of pairs,
# so the report skips it and logs how many it skipped. Pairs inside it are still found
# through their other blocks.
MAX_BLOCK_SIZE = 40
PROGRESS_EVERY = 5000


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """An existing record that may be the patient being registered."""

    patient_id: uuid.UUID
    display_name: str
    date_of_birth: date
    chart_number: str
    phone: str
    score: int
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that may be one person; `first` has the smaller id."""

    first: PatientSummary
    second: PatientSummary
    score: int
    reasons: list[str]


def ordered_pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """Return the two ids smaller first: the order decisions and the report use."""
    return (a, b) if a < b else (b, a)


# --- the check before saving ---------------------------------------------------------


def likely_duplicates(
    session: Session, actor: Actor, candidate: PatientForm, limit: int = DEFAULT_LIMIT
) -> list[DuplicateMatch]:
    """Return up to `limit` stored records that may be the patient in `candidate`, best first.

    Only matches scoring at least DEFAULT_MIN_SCORE are returned. When `candidate` is an
    existing record (its id is set), that record and the pairs ruled different people
    are left out.
    """
    require(actor, Permission.PATIENT_VIEW)
    facts = facts_from_form(candidate)
    ids = _candidate_ids(session, candidate)
    if candidate.id is not None:
        ids.discard(candidate.id)
        ids -= _ruled_different(session, candidate.id)

    matches: list[DuplicateMatch] = []
    for loaded in load_patients(session, ids).values():
        similarity = score_pair(facts, loaded.facts)
        if similarity.score >= DEFAULT_MIN_SCORE:
            matches.append(_match(loaded, similarity.score, list(similarity.reasons)))
    matches.sort(key=lambda match: (-match.score, match.display_name, match.patient_id))
    log.debug("duplicate check: %d candidates, %d matches", len(ids), len(matches))
    return matches[: max(0, limit)]


def _match(loaded: LoadedPatient, score: int, reasons: list[str]) -> DuplicateMatch:
    summary = loaded.summary
    return DuplicateMatch(
        patient_id=summary.patient_id,
        display_name=summary.display_name,
        date_of_birth=summary.date_of_birth,
        chart_number=summary.chart_number,
        phone=display_phone(summary.phone),
        score=score,
        reasons=reasons,
    )


def _candidate_ids(session: Session, form: PatientForm) -> set[uuid.UUID]:
    """Return the patients sharing an indexed key with the form, read from the index only."""
    keys: list[str] = []
    if form.date_of_birth is not None:
        keys.append(DOB + stored_key(form.date_of_birth))
        swapped = swapped_date(form.date_of_birth)
        if swapped is not None:
            keys.append(DOB + stored_key(swapped))
    for phone in form.phones:
        number = phone_digits(phone.number)
        if len(number) >= 7:
            keys.append(PHONE + number)
    keys.extend(MEMBER + fold(c.member_id) for c in form.coverages if fold(c.member_id))

    found = _patients_with_keys(session, keys)
    found |= _patients_with_names(session, form.first_name, form.last_name)
    return found


def _patients_with_keys(session: Session, keys: list[str]) -> set[uuid.UUID]:
    if not keys:
        return set()
    rows = lookup.driver_connection(session).execute(
        "SELECT patient_id FROM patient_search_key "
        f"WHERE key IN ({lookup.placeholders(len(keys))}) LIMIT ?",
        [*keys, LOOKUP_CAP],
    )
    return {uuid.UUID(bytes=bytes(patient)) for (patient,) in rows}


def _patients_with_names(session: Session, first_name: str, last_name: str) -> set[uuid.UUID]:
    """Return patients with a name part like the last name and one like the first name.

    Both parts are widened to their one-typo neighbors in the index, and the first name to
    its nicknames. The index does not say which field a part came from, so a record with
    first and last names swapped is found too.
    """
    last_terms = _typo_terms(session, name_parts(last_name))
    first_parts = name_parts(first_name)
    first_terms = _typo_terms(session, first_parts)
    first_terms |= {nick for part in first_parts for nick in equivalents(part)}
    if not last_terms or not first_terms:
        return set()
    last_keys = [NAME + term for term in sorted(last_terms)]
    first_keys = [NAME + term for term in sorted(first_terms)]
    rows = lookup.driver_connection(session).execute(
        "SELECT DISTINCT a.patient_id FROM patient_search_key AS a "
        "JOIN patient_search_key AS b ON b.patient_id = a.patient_id "
        f"WHERE a.key IN ({lookup.placeholders(len(last_keys))}) "
        f"AND b.key IN ({lookup.placeholders(len(first_keys))}) LIMIT ?",
        [*last_keys, *first_keys, LOOKUP_CAP],
    )
    return {uuid.UUID(bytes=bytes(patient)) for (patient,) in rows}


def _typo_terms(session: Session, parts: list[str]) -> set[str]:
    """Return `parts` and the indexed name parts one edit away from any of them."""
    terms = set(parts)
    lookups = sorted({variant for part in parts for variant in deletion_variants(part)})
    if lookups:
        rows = lookup.driver_connection(session).execute(
            "SELECT DISTINCT term FROM patient_search_variant "
            f"WHERE variant IN ({lookup.placeholders(len(lookups))})",
            lookups,
        )
        terms |= {term for (term,) in rows}
    return terms


def _ruled_different(session: Session, patient_id: uuid.UUID) -> set[uuid.UUID]:
    rows = session.execute(
        select(DuplicateDecision.first_patient_id, DuplicateDecision.second_patient_id).where(
            DuplicateDecision.archived.is_(False),
            or_(
                DuplicateDecision.first_patient_id == patient_id,
                DuplicateDecision.second_patient_id == patient_id,
            ),
        )
    )
    return {second if first == patient_id else first for first, second in rows}


# --- decisions --------------------------------------------------------------------------


def record_different_person(
    session: Session,
    actor: Actor,
    patient_a: uuid.UUID,
    patient_b: uuid.UUID,
    note: str | None = None,
) -> Changes:
    """Record that two records are different people, so neither check pairs them again.

    Any user who may edit patients may decide this. Deciding a pair twice keeps one row.
    """
    require(actor, Permission.PATIENT_EDIT)
    user_id = _user_id(actor)
    if patient_a == patient_b:
        raise UserError("A record cannot be a different person from itself; choose two records.")
    first, second = ordered_pair(patient_a, patient_b)
    for patient_id in (first, second):
        if session.get(Patient, patient_id) is None:
            raise NotFoundError(f"Patient record {patient_id} was not found; reload the list.")

    decision = session.scalars(
        select(DuplicateDecision).where(
            DuplicateDecision.first_patient_id == first,
            DuplicateDecision.second_patient_id == second,
        )
    ).one_or_none()
    if decision is None:
        decision = DuplicateDecision(first_patient_id=first, second_patient_id=second)
        session.add(decision)
    decision.decided_by = user_id
    decision.note = (note or "").strip() or None
    decision.archived = False
    decision.updated_by = user_id
    session.flush()
    for patient_id in (first, second):
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            "duplicate_decision",
            decision.id,
            patient_id=patient_id,
            detail=f"different people: {first} and {second}",
        )
    return Changes.of(ChangeKind.PATIENTS)


def record_new_patient_decisions(
    session: Session,
    actor: Actor,
    new_patient_id: uuid.UUID,
    dismissed_ids: Iterable[uuid.UUID],
) -> Changes:
    """Record "different person" for each match the user dismissed before saving a new patient.

    The save flow calls this in the same unit of work as the save, once the new record
    has its id.
    """
    changes = Changes()
    for other in dict.fromkeys(dismissed_ids):
        if other != new_patient_id:
            changes = record_different_person(
                session, actor, new_patient_id, other, "dismissed when registering"
            )
    return changes


def _user_id(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise UserError("This action needs a signed-in user; sign in and try again.")
    return actor.user_id


# --- the practice-wide report ---------------------------------------------------------


def duplicate_pairs(
    session: Session,
    actor: Actor,
    min_score: int = DEFAULT_MIN_SCORE,
    progress: Progress | None = None,
) -> list[DuplicatePair]:
    """Return every pair of active records scoring at least `min_score`, best first.

    Each pair is listed once, smaller id first, and scored in that order, so the result
    does not depend on which record was created or edited first.
    """
    require(actor, Permission.PATIENT_VIEW)
    progress = progress or Progress()
    progress.report(0, 0, "Reading the records")
    patients = load_patients(session, None)

    # Blocks hold positions in id order rather than UUIDs: pairs of small ints hash and
    # compare in C, which matters for the hundreds of thousands of pairs a large
    # practice produces.
    ordered = sorted(patients.values(), key=lambda loaded: loaded.summary.patient_id.int)
    position = {loaded.summary.patient_id.bytes: index for index, loaded in enumerate(ordered)}
    progress.report(0, 0, "Reading the search index")
    blocks = _index_blocks(session, position)
    blocks += _name_year_blocks(ordered) + _phone_blocks(ordered)
    candidates = _block_pairs(blocks)
    candidates -= _decided_pairs(session, position)

    pairs: list[DuplicatePair] = []
    total = len(candidates)
    for done, (first, second) in enumerate(candidates, start=1):
        if done % PROGRESS_EVERY == 0:
            progress.report(done, total, f"Compared {done:,} of {total:,} pairs")
        a, b = ordered[first], ordered[second]
        similarity = score_pair(a.facts, b.facts)
        if similarity.score >= min_score:
            pairs.append(
                DuplicatePair(a.summary, b.summary, similarity.score, list(similarity.reasons))
            )
    progress.report(total, total, "Done")
    pairs.sort(key=lambda pair: (-pair.score, pair.first.display_name, pair.first.patient_id))
    log.info(
        "duplicate report: %d patients, %d pairs compared, %d listed",
        len(patients),
        total,
        len(pairs),
    )
    return pairs


def _index_blocks(session: Session, position: dict[bytes, int]) -> list[list[int]]:
    """Return groups of patients sharing a date of birth (day and month in either order)
    or a member id, read from the search index in key order."""
    groups: defaultdict[str, list[int]] = defaultdict(list)
    connection = lookup.driver_connection(session)
    for prefix in (DOB, MEMBER):
        high = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = connection.execute(
            "SELECT key, patient_id FROM patient_search_key WHERE key >= ? AND key < ?",
            [prefix, high],
        )
        for key, patient in rows:
            block = _block_key(key)
            index = position.get(bytes(patient))
            if block and index is not None:
                groups[block].append(index)
    return list(groups.values())


def _block_key(key: str) -> str:
    """Return the block an index key puts its patient in, or "" for keys that block nothing."""
    if key.startswith(DOB):
        month, day, year = key[2:4], key[4:6], key[6:]
        return DOB + min(month, day) + max(month, day) + year if len(key) == 10 else ""
    return key


def _name_year_blocks(ordered: list[LoadedPatient]) -> list[list[int]]:
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for index, loaded in enumerate(ordered):
        facts = loaded.facts
        if facts.last and facts.date_of_birth is not None:
            groups[f"{facts.last}:{facts.date_of_birth.year}"].append(index)
    return list(groups.values())


def _phone_blocks(ordered: list[LoadedPatient]) -> list[list[int]]:
    """Return groups sharing a phone.

    These come from the loaded rows, because the index holds only patient.phone and
    not the patient_phone rows.
    """
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for index, loaded in enumerate(ordered):
        for phone in loaded.facts.phones:
            groups[phone].append(index)
    return list(groups.values())


def _block_pairs(blocks: list[list[int]]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for block in blocks:
        members = sorted(set(block))
        if len(members) > MAX_BLOCK_SIZE:
            skipped += 1
            continue
        pairs.update(itertools.combinations(members, 2))
    if skipped:
        log.info(
            "duplicate report skipped %d blocks of more than %d patients", skipped, MAX_BLOCK_SIZE
        )
    return pairs


def _decided_pairs(session: Session, position: dict[bytes, int]) -> set[tuple[int, int]]:
    """Return the decided pairs as positions; id order and position order agree."""
    rows = session.execute(
        select(DuplicateDecision.first_patient_id, DuplicateDecision.second_patient_id).where(
            DuplicateDecision.archived.is_(False)
        )
    )
    decided: set[tuple[int, int]] = set()
    for first, second in rows:
        a, b = position.get(first.bytes), position.get(second.bytes)
        if a is not None and b is not None:
            decided.add((min(a, b), max(a, b)))
    return decided
