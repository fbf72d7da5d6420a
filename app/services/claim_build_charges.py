"""Building new claims from posted charges.

Lines are grouped by patient, destination payer, rendering provider, date of service and
the encounter facts a claim carries once (location, place of service, referring provider,
prior authorization, onset and related causes). The billing provider is always the
practice. A group that needs more than 50 lines or 12 diagnoses is split into parts.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.gc_pause import bulk_work
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis
from app.models.claims import Claim, ClaimLine
from app.models.patients import Coverage
from app.models.practice import Payer
from app.problems import Problem
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import (
    CLAIM_NUMBER_KIND,
    MAX_CLAIM_DIAGNOSES,
    ClaimHeader,
    ClaimLink,
    ClaimRows,
    LineDraft,
    bills_lines,
    chunks,
    claim_rows,
    coverages_in_force,
    draft_from_charge,
    insert_claims,
    pack_lines,
    part_diagnoses,
    payer_sequence,
)
from app.services.claim_status import NEVER_ACCEPTED_STATUSES, ClaimStatus
from app.services.encounter_forms import STATUS_POSTED
from app.services.encounter_records import reversed_line_ids
from app.services.numbering import next_numbers

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """Claims built, and each encounter or line left out with the reason."""

    claim_ids: list[uuid.UUID] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class LiveClaim:
    """A claim that still bills a charge line: not voided, corrected or archived."""

    claim_id: uuid.UUID
    claim_number: str
    payer_id: uuid.UUID
    status: str


@dataclass
class Facts:
    """Everything build_claims reads, loaded in a few bulk queries."""

    encounters: list[Encounter]
    lines: dict[uuid.UUID, list[ChargeLine]]  # encounter id -> lines, reversed included
    reversed_ids: set[uuid.UUID]
    diagnoses: dict[uuid.UUID, list[str]]  # encounter id -> codes in claim order
    coverages: dict[uuid.UUID, list[Coverage]]  # patient id -> coverages
    payers: dict[uuid.UUID, Payer]
    live: dict[uuid.UUID, list[LiveClaim]]  # charge line id -> live claims


GroupKey = tuple[object, ...]


@dataclass
class Group:
    """Lines that go on one claim (or its split parts)."""

    header: ClaimHeader
    encounters: list[Encounter] = field(default_factory=list)
    lines: list[LineDraft] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)  # the encounters' codes, in order

    def add_encounter(self, encounter: Encounter, diagnoses: list[str]) -> None:
        """Add an encounter and its diagnoses; a code two encounters share appears once."""
        if encounter in self.encounters:
            return
        self.encounters.append(encounter)
        self.diagnoses.extend(code for code in diagnoses if code not in self.diagnoses)


@bulk_work
def build_claims(
    session: Session, actor: Actor, *, encounter_ids: Sequence[uuid.UUID] | None = None
) -> BuildResult:
    """Build claims from posted encounters' lines that no live claim bills yet.

    `encounter_ids` None means every posted encounter. Each new claim starts on hold with
    a BUILT event; the scrubber moves it to ready. Self-pay encounters (the patient has
    no coverage on file) are left out without a problem. An encounter whose patient has
    no coverage in force on the date of service, and a corrected line whose earlier
    version a live claim still bills, are left out with a problem in `skipped`.
    """
    require(actor, Permission.CLAIM_MANAGE)
    facts = _load_facts(session, encounter_ids)
    result = BuildResult()
    groups = _group_lines(facts, result.skipped)

    # The rows go in as multi-row INSERTs with numbers issued in one counter update,
    # because thousands of claims through the unit of work take several seconds.
    parts = {key: pack_lines(group.lines) for key, group in groups.items()}
    count = sum(len(split) for split in parts.values())
    numbers = iter(next_numbers(session, CLAIM_NUMBER_KIND, count))
    rows: list[ClaimRows] = []
    for key, group in groups.items():
        rows.extend(_group_rows(actor, group, parts[key], numbers))
    insert_claims(session, rows)
    result.claim_ids = [claim.claim_id for claim in rows]
    if result.claim_ids:
        result.changes = Changes.of(ChangeKind.CLAIMS)
        session.flush()
    log.info(
        "built %d claims from %d encounters, %d skipped",
        len(result.claim_ids),
        len(facts.encounters),
        len(result.skipped),
    )
    return result


def _load_facts(session: Session, encounter_ids: Sequence[uuid.UUID] | None) -> Facts:
    query = select(Encounter).where(
        Encounter.status == STATUS_POSTED, Encounter.archived.is_(False)
    )
    encounters: list[Encounter] = []
    if encounter_ids is None:
        encounters = list(session.scalars(query))
    else:
        for part in chunks(list(dict.fromkeys(encounter_ids))):
            encounters.extend(session.scalars(query.where(Encounter.id.in_(part))))
    encounters.sort(key=lambda encounter: (encounter.service_date, encounter.encounter_number))

    ids = [encounter.id for encounter in encounters]
    lines = _load_lines(session, ids)
    line_ids = [line.id for rows in lines.values() for line in rows]
    reversed_ids: set[uuid.UUID] = set()
    for part in chunks(line_ids):
        reversed_ids |= reversed_line_ids(session, part)
    patient_ids = list({encounter.patient_id for encounter in encounters})
    coverages = _load_coverages(session, patient_ids)
    payer_ids = list({coverage.payer_id for rows in coverages.values() for coverage in rows})
    return Facts(
        encounters=encounters,
        lines=lines,
        reversed_ids=reversed_ids,
        diagnoses=load_diagnoses(session, ids),
        coverages=coverages,
        payers=_load_payers(session, payer_ids),
        live=_load_live_claims(session, line_ids),
    )


def _load_lines(
    session: Session, encounter_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ChargeLine]]:
    lines: dict[uuid.UUID, list[ChargeLine]] = defaultdict(list)
    for part in chunks(encounter_ids):
        query = (
            select(ChargeLine)
            .where(ChargeLine.encounter_id.in_(part), ChargeLine.archived.is_(False))
            .order_by(ChargeLine.position, ChargeLine.created_at)
        )
        for line in session.scalars(query):
            lines[line.encounter_id].append(line)
    return lines


def load_diagnoses(session: Session, encounter_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Return each encounter's diagnosis codes in claim order, keyed by encounter id."""
    diagnoses: dict[uuid.UUID, list[str]] = defaultdict(list)
    for part in chunks(encounter_ids):
        query = (
            select(EncounterDiagnosis.encounter_id, EncounterDiagnosis.code)
            .where(
                EncounterDiagnosis.encounter_id.in_(part),
                EncounterDiagnosis.archived.is_(False),
            )
            .order_by(EncounterDiagnosis.position)
        )
        for encounter_id, code in session.execute(query):
            diagnoses[encounter_id].append(code)
    return diagnoses


def _load_coverages(
    session: Session, patient_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Coverage]]:
    coverages: dict[uuid.UUID, list[Coverage]] = defaultdict(list)
    for part in chunks(patient_ids):
        query = select(Coverage).where(Coverage.patient_id.in_(part), Coverage.archived.is_(False))
        for coverage in session.scalars(query):
            coverages[coverage.patient_id].append(coverage)
    return coverages


def _load_payers(session: Session, payer_ids: list[uuid.UUID]) -> dict[uuid.UUID, Payer]:
    payers: dict[uuid.UUID, Payer] = {}
    for part in chunks(payer_ids):
        for payer in session.scalars(select(Payer).where(Payer.id.in_(part))):
            payers[payer.id] = payer
    return payers


def _load_live_claims(
    session: Session, line_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[LiveClaim]]:
    live: dict[uuid.UUID, list[LiveClaim]] = defaultdict(list)
    for part in chunks(line_ids):
        query = (
            select(
                ClaimLine.charge_line_id,
                Claim.id,
                Claim.claim_number,
                Claim.payer_id,
                Claim.status,
            )
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .where(
                ClaimLine.charge_line_id.in_(part),
                ClaimLine.archived.is_(False),
                bills_lines(),
            )
        )
        for line_id, claim_id, number, payer_id, status in session.execute(query):
            live[line_id].append(LiveClaim(claim_id, number, payer_id, status))
    return live


def _group_lines(facts: Facts, skipped: list[Problem]) -> dict[GroupKey, Group]:
    groups: dict[GroupKey, Group] = {}
    for encounter in facts.encounters:
        patient_coverages = facts.coverages.get(encounter.patient_id, [])
        if not patient_coverages:
            # Self-pay: the patient is billed on statements, never on a claim.
            continue
        diagnoses = facts.diagnoses.get(encounter.id, [])
        for line in _lines_to_bill(facts, encounter):
            in_force = coverages_in_force(patient_coverages, line.service_date)
            if not in_force:
                _add_problem(skipped, _no_coverage_problem(encounter, line.service_date))
                continue
            coverage = in_force[0]
            if _billed_elsewhere(facts, encounter, line, coverage.payer_id, skipped):
                continue
            key = _group_key(encounter, coverage, line.service_date)
            group = groups.get(key)
            if group is None:
                group = Group(_header(facts, encounter, coverage))
                groups[key] = group
            group.add_encounter(encounter, diagnoses)
            group.lines.append(draft_from_charge(line, diagnoses, encounter.place_of_service))
    return groups


def _lines_to_bill(facts: Facts, encounter: Encounter) -> list[ChargeLine]:
    return [line for line in facts.lines.get(encounter.id, []) if line.id not in facts.reversed_ids]


def _billed_elsewhere(
    facts: Facts,
    encounter: Encounter,
    line: ChargeLine,
    payer_id: uuid.UUID,
    skipped: list[Problem],
) -> bool:
    """Return True when a live claim to the payer bills the line or an earlier version of it.

    A corrected line goes on a replacement of the claim that billed the line it corrects
    (or on that claim once rebuilt), so billing it on a new original claim would bill the
    service twice.
    """
    if any(claim.payer_id == payer_id for claim in facts.live.get(line.id, [])):
        return True

    by_id = {row.id: row for row in facts.lines.get(encounter.id, [])}
    ancestor_id = line.replaces_id
    while ancestor_id is not None:
        for claim in facts.live.get(ancestor_id, []):
            if claim.payer_id == payer_id:
                _add_problem(skipped, _corrected_line_problem(encounter, line, claim))
                return True
        ancestor = by_id.get(ancestor_id)
        ancestor_id = ancestor.replaces_id if ancestor is not None else None
    return False


def _group_key(encounter: Encounter, coverage: Coverage, service_date: date) -> GroupKey:
    return (
        encounter.patient_id,
        coverage.id,
        encounter.rendering_provider_id,
        service_date,
        encounter.location_id,
        encounter.place_of_service,
        encounter.referring_provider_id,
        encounter.prior_authorization_id,
        encounter.onset_date,
        encounter.related_employment,
        encounter.related_auto_accident,
        encounter.auto_accident_state,
        encounter.related_other_accident,
    )


def _header(facts: Facts, encounter: Encounter, coverage: Coverage) -> ClaimHeader:
    payer = facts.payers.get(coverage.payer_id)
    return ClaimHeader(
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        coverage_id=coverage.id,
        payer_id=coverage.payer_id,
        payer_sequence=payer_sequence(0),
        rendering_provider_id=encounter.rendering_provider_id,
        location_id=encounter.location_id,
        place_of_service=encounter.place_of_service,
        clearinghouse_id=payer.clearinghouse_id if payer is not None else None,
    )


def _group_rows(
    actor: Actor, group: Group, parts: list[list[LineDraft]], claim_numbers: Iterator[str]
) -> list[ClaimRows]:
    numbers = ", ".join(encounter.encounter_number for encounter in group.encounters)
    rows: list[ClaimRows] = []
    for index, part in enumerate(parts, start=1):
        diagnoses = part_diagnoses(part, group.diagnoses)
        if len(parts) == 1 and len(group.diagnoses) <= MAX_CLAIM_DIAGNOSES:
            # Every diagnosis fits on one claim, so those no line points at go on it too.
            diagnoses = group.diagnoses
        link = ClaimLink(split_part=index, split_count=len(parts))
        detail = f"Built from encounter {numbers}"
        if len(parts) > 1:
            detail += f", part {index} of {len(parts)}"
        rows.append(
            claim_rows(
                actor,
                group.header,
                part,
                diagnoses,
                claim_number=next(claim_numbers),
                link=link,
                detail=detail,
            )
        )
    return rows


def _no_coverage_problem(encounter: Encounter, service_date: date) -> Problem:
    return Problem(
        "coverage.dates",
        f"Encounter {encounter.encounter_number} was not billed: the patient has no "
        f"coverage in force on {service_date:%m/%d/%Y}. Correct the coverage dates or add "
        "the coverage that was in force, then build claims again.",
    )


def _corrected_line_problem(encounter: Encounter, line: ChargeLine, claim: LiveClaim) -> Problem:
    if ClaimStatus(claim.status) in NEVER_ACCEPTED_STATUSES:
        fix = f"rebuild claim {claim.claim_number} so it bills the corrected line"
    else:
        fix = f"send a replacement of claim {claim.claim_number}, which bills the corrected line"
    return Problem(
        "encounter.lines",
        f"Line {line.position} of encounter {encounter.encounter_number} corrects a line "
        f"that claim {claim.claim_number} still bills, so it was not put on a new claim; "
        f"{fix}.",
    )


def _add_problem(problems: list[Problem], problem: Problem) -> None:
    if problem not in problems:
        problems.append(problem)
