"""Correcting claims: replacement (frequency 7), void (8), resending lines, and rebuilding.

A claim the payer adjudicated is corrected by a new claim that names the payer's claim
number: a replacement bills the lines as they are now, a void cancels the claim. A claim
the payer never accepted (on hold, ready or rejected) is instead rebuilt from the current
charges and sent as a new original.
"""

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.charges import ChargeLine, Encounter
from app.models.claims import Claim, ClaimLine
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_charges import build_claims, load_diagnoses
from app.services.claim_build_rows import (
    FREQUENCY_REPLACEMENT,
    FREQUENCY_VOID,
    MAX_CLAIM_DIAGNOSES,
    MAX_CLAIM_LINES,
    ClaimHeader,
    ClaimLink,
    LineDraft,
    bills_lines,
    chunks,
    claim_diagnoses,
    claim_lines,
    draft_from_charge,
    draft_from_claim_line,
    get_claim,
    part_diagnoses,
    write_claim,
)
from app.services.claim_status import (
    DEAD_STATUSES,
    NEVER_ACCEPTED_STATUSES,
    ClaimEventKind,
    ClaimStatus,
    record_event,
    status_label,
)
from app.services.encounter_records import reversed_line_ids

log = logging.getLogger(__name__)


def replace_claim(session: Session, actor: Actor, claim_id: uuid.UUID) -> uuid.UUID:
    """Build a replacement claim (frequency 7) that bills the original's lines as they are now.

    Each line of the original is followed through its corrections (replaces_id) to the
    charge line that bills the service now. A line reversed without a correction is
    left off. Raises UserError when the original has no payer claim number, is already
    corrected or voided, or nothing is left to bill.
    """
    require(actor, Permission.CLAIM_MANAGE)
    original = _correctable(session, claim_id, "replace")
    lines, order = _current_lines(session, original)
    if not lines:
        raise UserError(
            f"Every line of claim {original.claim_number} was reversed, so a replacement "
            "would bill nothing; void the claim instead."
        )
    diagnoses = part_diagnoses(lines, order)
    _check_fits(original, lines, diagnoses)

    return _write_correction(
        session, actor, original, lines, diagnoses, frequency=FREQUENCY_REPLACEMENT
    )


def void_claim(session: Session, actor: Actor, claim_id: uuid.UUID) -> uuid.UUID:
    """Build a void claim (frequency 8) with the original's lines, to cancel it at the payer.

    Raises UserError when the original has no payer claim number or is already corrected
    or voided.
    """
    require(actor, Permission.CLAIM_MANAGE)
    original = _correctable(session, claim_id, "void")
    diagnoses = claim_diagnoses(session, original.id)
    lines = [draft_from_claim_line(line, diagnoses) for line in claim_lines(session, original.id)]

    return _write_correction(session, actor, original, lines, diagnoses, frequency=FREQUENCY_VOID)


def resubmit_lines(
    session: Session, actor: Actor, claim_id: uuid.UUID, line_ids: Sequence[uuid.UUID]
) -> uuid.UUID:
    """Build a new original claim (frequency 1) with some lines of a claim, linked to it.

    The lines keep their codes and amounts, and their pointers are renumbered into the
    new claim's diagnoses. Raises UserError when no line is chosen, a line is not on the
    claim, the claim is corrected or voided, or the payer has not adjudicated it (denied,
    partly paid or paid).
    """
    require(actor, Permission.CLAIM_MANAGE)
    original = get_claim(session, claim_id)
    _check_alive(original, "send lines of")
    _check_adjudicated(original)
    chosen = _chosen_lines(session, original, line_ids)
    _check_not_sent_again(session, original, chosen)
    diagnoses = claim_diagnoses(session, original.id)
    lines = [draft_from_claim_line(line, diagnoses) for line in chosen]

    numbers = ", ".join(str(line.line_number) for line in chosen)
    link = ClaimLink(original_claim_id=original.id)
    detail = f"Lines {numbers} of claim {original.claim_number} sent again"
    claim = write_claim(
        session,
        actor,
        _header(original),
        lines,
        part_diagnoses(lines, diagnoses),
        link=link,
        detail=detail,
    )
    record_event(
        session,
        original,
        ClaimEventKind.NOTE,
        user_id=actor.user_id,
        detail=f"Lines {numbers} sent again on claim {claim.claim_number}",
    )
    session.flush()
    log.info("claim %s: %d lines resubmitted on claim %s", original.id, len(chosen), claim.id)
    return claim.id


def rebuild_claim(session: Session, actor: Actor, claim_id: uuid.UUID) -> uuid.UUID:
    """Archive a claim the payer never accepted and build it again from the current charges.

    The new claim follows the current coverage, codes and corrections of the encounter.
    When the charges now need more than one claim, the id of the first is returned and
    the old claim's history names them all. Raises UserError for a claim that was
    accepted or later, and when nothing is left to bill.
    """
    require(actor, Permission.CLAIM_MANAGE)
    old = get_claim(session, claim_id)
    if ClaimStatus(old.status) not in NEVER_ACCEPTED_STATUSES:
        raise UserError(
            f"Claim {old.claim_number} is {status_label(old.status).lower()}, so the payer has "
            "it; send a replacement or void claim instead of rebuilding it."
        )
    encounter_ids = _encounter_ids(session, old)
    old.archived = True
    old.updated_by = actor.user_id
    session.flush()

    result = build_claims(session, actor, encounter_ids=encounter_ids)
    if not result.claim_ids:
        reasons = " ".join(problem.message for problem in result.skipped)
        raise UserError(
            f"Claim {old.claim_number} was not rebuilt because its charges bill nothing "
            f"now. {reasons or 'Every line was reversed.'}".strip()
        )
    numbers = session.scalars(select(Claim.claim_number).where(Claim.id.in_(result.claim_ids)))
    record_event(
        session,
        old,
        ClaimEventKind.NOTE,
        user_id=actor.user_id,
        detail=f"Rebuilt from current charges as claim {', '.join(numbers)}",
    )
    session.flush()
    log.info("claim %s rebuilt as %d claims", old.id, len(result.claim_ids))
    return result.claim_ids[0]


def _write_correction(
    session: Session,
    actor: Actor,
    original: Claim,
    lines: list[LineDraft],
    diagnoses: list[str],
    *,
    frequency: str,
) -> uuid.UUID:
    """Write a replacement or void claim and mark the original corrected or voided."""
    link = ClaimLink(
        frequency_code=frequency,
        original_claim_id=original.id,
        payer_claim_number=original.payer_claim_number,
    )
    is_void = frequency == FREQUENCY_VOID
    detail = f"{'Void' if is_void else 'Replacement'} of claim {original.claim_number}"
    claim = write_claim(
        session, actor, _header(original), lines, diagnoses, link=link, detail=detail
    )
    record_event(
        session,
        original,
        ClaimEventKind.VOIDED if is_void else ClaimEventKind.CORRECTED,
        user_id=actor.user_id,
        status=ClaimStatus.VOIDED if is_void else ClaimStatus.CORRECTED,
        detail=f"{'Voided' if is_void else 'Replaced'} by claim {claim.claim_number}",
    )
    session.flush()
    log.info("claim %s corrected by claim %s, frequency %s", original.id, claim.id, frequency)
    return claim.id


def _check_alive(claim: Claim, action: str) -> None:
    if ClaimStatus(claim.status) in DEAD_STATUSES:
        raise UserError(
            f"Claim {claim.claim_number} is {status_label(claim.status).lower()}, so you "
            f"cannot {action} it; open the claim that replaced it."
        )


# Resubmitting is for lines a payer denied. Before adjudication the claim itself is fixed
# and scrubbed again, or rebuilt, so the original and a new claim never both go out.
ADJUDICATED_STATUSES = frozenset({ClaimStatus.DENIED, ClaimStatus.PARTIAL, ClaimStatus.PAID})


def _check_adjudicated(claim: Claim) -> None:
    if ClaimStatus(claim.status) not in ADJUDICATED_STATUSES:
        raise UserError(
            f"Claim {claim.claim_number} is {status_label(claim.status).lower()}, so its lines "
            "cannot go on a new claim yet: that is for lines a payer denied. Fix this claim "
            "and scrub it again, or use Rebuild claim."
        )


def _correctable(session: Session, claim_id: uuid.UUID, action: str) -> Claim:
    claim = get_claim(session, claim_id)
    _check_alive(claim, action)
    if claim.frequency_code == FREQUENCY_VOID:
        raise UserError(
            f"Claim {claim.claim_number} is a void claim, so you cannot {action} it; open "
            "the claim it voids instead."
        )
    if not claim.payer_claim_number:
        raise UserError(
            f"Claim {claim.claim_number} has no payer claim number, which a {action} claim "
            "must send. Enter the number from the payer's remittance or acknowledgment; if "
            "the payer never accepted the claim, rebuild it instead."
        )
    return claim


def _header(claim: Claim) -> ClaimHeader:
    return ClaimHeader(
        patient_id=claim.patient_id,
        encounter_id=claim.encounter_id,
        coverage_id=claim.coverage_id,
        payer_id=claim.payer_id,
        payer_sequence=claim.payer_sequence,
        rendering_provider_id=claim.rendering_provider_id,
        location_id=claim.location_id,
        place_of_service=claim.place_of_service,
        clearinghouse_id=claim.clearinghouse_id,
    )


def _check_fits(claim: Claim, lines: list[LineDraft], diagnoses: list[str]) -> None:
    if len(lines) > MAX_CLAIM_LINES or len(diagnoses) > MAX_CLAIM_DIAGNOSES:
        raise UserError(
            f"The corrected charges of claim {claim.claim_number} need {len(lines)} lines "
            f"and {len(diagnoses)} diagnoses, more than one claim carries (50 lines, 12 "
            "diagnoses); void the claim and build new claims from the charges."
        )


def _chosen_lines(session: Session, claim: Claim, line_ids: Sequence[uuid.UUID]) -> list[ClaimLine]:
    requested = set(line_ids)
    if not requested:
        raise UserError("Choose at least one line of the claim to send again.")
    lines = [line for line in claim_lines(session, claim.id) if line.id in requested]
    if len(lines) != len(requested):
        raise UserError(
            f"Some chosen lines are not on claim {claim.claim_number}; reopen the claim and "
            "choose its lines again."
        )
    return lines


def _check_not_sent_again(session: Session, claim: Claim, lines: list[ClaimLine]) -> None:
    """Raise UserError when another live claim to the payer already bills a chosen line."""
    query = (
        select(ClaimLine.charge_line_id, Claim.claim_number)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(
            ClaimLine.charge_line_id.in_([line.charge_line_id for line in lines]),
            ClaimLine.archived.is_(False),
            Claim.id != claim.id,
            Claim.payer_id == claim.payer_id,
            bills_lines(),
        )
    )
    billed = session.execute(query).first()
    if billed is None:
        return
    charge_line_id, other_number = billed
    line_number = next(line.line_number for line in lines if line.charge_line_id == charge_line_id)
    raise UserError(
        f"Line {line_number} of claim {claim.claim_number} is already billed on claim "
        f"{other_number}, so sending it again would bill it twice; work claim "
        f"{other_number} instead."
    )


def _encounter_ids(session: Session, claim: Claim) -> list[uuid.UUID]:
    query = (
        select(ChargeLine.encounter_id)
        .join(ClaimLine, ClaimLine.charge_line_id == ChargeLine.id)
        .where(ClaimLine.claim_id == claim.id)
        .distinct()
    )
    return list(dict.fromkeys([claim.encounter_id, *session.scalars(query)]))


def _current_lines(session: Session, claim: Claim) -> tuple[list[LineDraft], list[str]]:
    """Return the charge lines that bill the claim's services now, and the diagnosis order."""
    originals = [line.charge_line_id for line in claim_lines(session, claim.id)]
    family = _with_descendants(session, originals)
    reversed_ids: set[uuid.UUID] = set()
    for part in chunks(list(family)):
        reversed_ids |= reversed_line_ids(session, part)
    children: dict[uuid.UUID, list[ChargeLine]] = {}
    for line in family.values():
        if line.replaces_id is not None:
            children.setdefault(line.replaces_id, []).append(line)

    current: list[ChargeLine] = []
    for line_id in originals:
        _collect_current(family[line_id], children, reversed_ids, current)

    encounters = _encounters(session, {line.encounter_id for line in current})
    diagnoses = load_diagnoses(session, [encounter.id for encounter in encounters])
    order = list(
        dict.fromkeys(code for encounter in encounters for code in diagnoses[encounter.id])
    )
    places = {encounter.id: encounter.place_of_service for encounter in encounters}
    drafts = [
        draft_from_charge(line, diagnoses[line.encounter_id], places[line.encounter_id])
        for line in dict.fromkeys(current)
    ]
    return drafts, order


def _collect_current(
    line: ChargeLine,
    children: dict[uuid.UUID, list[ChargeLine]],
    reversed_ids: set[uuid.UUID],
    found: list[ChargeLine],
) -> None:
    if line.id not in reversed_ids:
        found.append(line)
        return
    for child in sorted(children.get(line.id, []), key=lambda row: row.position):
        _collect_current(child, children, reversed_ids, found)


def _with_descendants(session: Session, line_ids: list[uuid.UUID]) -> dict[uuid.UUID, ChargeLine]:
    family: dict[uuid.UUID, ChargeLine] = {}
    for part in chunks(line_ids):
        family.update(
            (line.id, line)
            for line in session.scalars(select(ChargeLine).where(ChargeLine.id.in_(part)))
        )
    parents = list(family)
    # Each round finds the corrections of the last round's lines; a chain of corrections
    # is short, so this loop runs a few times at most.
    while parents:
        found: list[ChargeLine] = []
        for part in chunks(parents):
            query = select(ChargeLine).where(
                ChargeLine.replaces_id.in_(part), ChargeLine.archived.is_(False)
            )
            found.extend(line for line in session.scalars(query) if line.id not in family)
        family.update((line.id, line) for line in found)
        parents = [line.id for line in found]
    return family


def _encounters(session: Session, encounter_ids: set[uuid.UUID]) -> list[Encounter]:
    query = select(Encounter).where(Encounter.id.in_(list(encounter_ids)))
    encounters = list(session.scalars(query))
    encounters.sort(key=lambda encounter: (encounter.service_date, encounter.encounter_number))
    return encounters
