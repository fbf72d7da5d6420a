"""The payers a crossover moved a claim to, and each payer's place in the claim's payment order.

A payer that processes a claim and forwards it to the next payer itself (CLP02 19, 20 or
21, a crossover) moves the balance to that payer, and ClinicDesk builds no claim to it.
The crossover payer then sends a remittance of its own that names the claim billed to
the first payer (CLP01). That remittance is the next payer's adjudication of the same
claim: it is stored with that payer's id and posts to that payer's ledger bucket, and
the first payer's posting stays as it is.

The payment order is the patient's coverages in force on the claim's first date of
service, by priority (`claim_build_rows.coverages_in_force`).
"""

import uuid
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.claims import Claim, ClaimLine, PayerAdjudication
from app.models.patients import Coverage
from app.models.practice import Payer
from app.services.claim_build_rows import PAYER_SEQUENCES, coverages_in_force

# CLP02 4: the payer denied the claim, which leaves the balance in that payer's bucket.
DENIED_CODE = "4"


def place_in_order(claim: Claim, coverage_ids: Sequence[uuid.UUID]) -> int:
    """Return the 0-based place of the claim's own payer among the coverages in force."""
    if claim.coverage_id in coverage_ids:
        return list(coverage_ids).index(claim.coverage_id)
    # The claim's coverage is no longer in force on the date (its dates were changed),
    # so the claim's own place in the order is used instead.
    if claim.payer_sequence in PAYER_SEQUENCES:
        return PAYER_SEQUENCES.index(claim.payer_sequence)
    return 0


def payer_place(claim: Claim, in_force: Sequence[Coverage], payer_id: uuid.UUID) -> int | None:
    """Return the place of `payer_id` in the claim's payment order, or None when it has none.

    The claim's own payer has the claim's place. Any other payer has the place of its
    first coverage after that one, because a crossover only moves a claim down the order.
    """
    place = place_in_order(claim, [coverage.id for coverage in in_force])
    if payer_id == claim.payer_id:
        return place
    for later in range(place + 1, len(in_force)):
        if in_force[later].payer_id == payer_id:
            return later
    return None


def crossover_payers(
    claim: Claim,
    coverages: Sequence[Coverage],
    adjudications: Mapping[uuid.UUID, PayerAdjudication],
) -> list[uuid.UUID]:
    """Return the payers the claim reached by crossover, in payment order.

    `adjudications` contains the claim's current adjudication by each payer. Starting at
    the claim's payer, each payer whose adjudication forwarded the claim hands it to
    the next coverage in force, up to the third. Returns [] when the claim's payer did
    not forward it.
    """
    in_force = coverages_in_force(coverages, claim.service_date_from)
    place = place_in_order(claim, [coverage.id for coverage in in_force])
    payer_id = claim.payer_id
    reached: list[uuid.UUID] = []
    # The ledger keeps primary, secondary and tertiary buckets only.
    last = min(len(in_force), len(PAYER_SEQUENCES))
    while place + 1 < last:
        adjudication = adjudications.get(payer_id)
        if adjudication is None or not adjudication.crossed_over:
            break
        place += 1
        payer_id = in_force[place].payer_id
        reached.append(payer_id)
    return reached


def adjudicating_payer(
    claim: Claim,
    payer_id: uuid.UUID,
    adjudications: Mapping[uuid.UUID, PayerAdjudication],
    coverages: Callable[[], Sequence[Coverage]],
) -> uuid.UUID | None:
    """Return the payer whose adjudication a remittance from `payer_id` is, or None.

    That is the claim's payer itself, or `payer_id` when a crossover moved the claim to
    it. None means the remittance's payer is neither. `adjudications` contains the claim's
    current adjudication by each payer. `coverages` returns the patient's coverages and
    is called only when the claim's payer forwarded the claim.
    """
    if payer_id == claim.payer_id:
        return payer_id
    return payer_id if payer_id in claim_payers(claim, adjudications, coverages) else None


def claim_payers(
    claim: Claim,
    adjudications: Mapping[uuid.UUID, PayerAdjudication],
    coverages: Callable[[], Sequence[Coverage]],
) -> list[uuid.UUID]:
    """Return the claim's payer, then each payer a crossover moved the claim to, in order.

    A remittance from any of them is that payer's adjudication of the claim. The
    arguments are those of `adjudicating_payer`.
    """
    own = adjudications.get(claim.payer_id)
    if own is None or not own.crossed_over:
        return [claim.payer_id]
    return [claim.payer_id, *crossover_payers(claim, coverages(), adjudications)]


def payer_sequence_of(claim: Claim, coverages: Sequence[Coverage], payer_id: uuid.UUID) -> str:
    """Return the SBR01 letter (P, S or T) of `payer_id` in the claim's payment order.

    `payer_id` is the claim's payer or one a crossover moved the claim to. A payer
    with no place in the order gets the claim's own letter.
    """
    in_force = coverages_in_force(coverages, claim.service_date_from)
    place = payer_place(claim, in_force, payer_id)
    if place is None or place >= len(PAYER_SEQUENCES):
        return claim.payer_sequence
    return PAYER_SEQUENCES[place]


def current_adjudications(session: Session, claim: Claim) -> dict[uuid.UUID, PayerAdjudication]:
    """Return the claim's current adjudication by each payer, by payer id."""
    query = (
        select(PayerAdjudication)
        .where(
            PayerAdjudication.claim_id == claim.id,
            PayerAdjudication.voided.is_(False),
            PayerAdjudication.archived.is_(False),
        )
        .order_by(PayerAdjudication.adjudicated_on, PayerAdjudication.created_at)
    )
    # Oldest first, so each payer's newest is kept, as `latest_adjudication` picks it.
    return {adjudication.payer_id: adjudication for adjudication in session.scalars(query)}


def later_payers_with_adjudication(
    claim: Claim,
    payer_id: uuid.UUID,
    adjudications: Mapping[uuid.UUID, PayerAdjudication],
    coverages: Callable[[], Sequence[Coverage]],
) -> list[uuid.UUID]:
    """Return the payers after `payer_id` in the claim's order whose adjudication is still posted.

    These are crossover payers that settled the balance `payer_id` forwarded to them, so
    reversing `payer_id` alone would hand them back more than they paid. The arguments
    are those of `adjudicating_payer`. `coverages` is called only when another payer
    has an adjudication of the claim.
    """
    if all(other == payer_id for other in adjudications):
        return []
    payers = claim_payers(claim, adjudications, coverages)
    if payer_id not in payers:
        return []
    later = payers[payers.index(payer_id) + 1 :]
    return [other for other in later if other in adjudications]


def reversal_after_later_payer(
    session: Session, claim: Claim, payer_id: uuid.UUID, later: Sequence[uuid.UUID]
) -> str:
    """Explain why `payer_id`'s reversal waits while the `later` payers' payments are still posted.

    Reversing the first payer moves the whole forwarded balance back out of each later
    payer's bucket, so a later payer that paid part of it and moved the rest to the
    patient would show a credit larger than its payment.
    """
    reversing_payer = payer_name(session, payer_id)
    later_payers = " and ".join(payer_name(session, other) for other in later)
    return (
        f"{reversing_payer} reversed its payment of claim {claim.claim_number} after "
        f"{later_payers} paid as the crossover payer. Post this reversal after "
        f"{later_payers}'s reversal is posted, or "
        "set it aside and correct the balances by hand."
    )


def later_claims_paid(
    session: Session,
    claim: Claim,
    payer_id: uuid.UUID,
    coverages: Callable[[], Sequence[Coverage]],
) -> list[tuple[str, uuid.UUID]]:
    """Return (claim number, payer) for each later payer's claim with a posted payment.

    These are claims to a payer after `payer_id` in the order, billing any of the same
    services, and built when `payer_id`'s payment moved part of the balance on. Reversing
    `payer_id` alone would move that part back out of the later payer's bucket after it
    was paid. A denial moved nothing out of that bucket, so it does not count.
    `coverages` is called only when `payer_id` is not the claim's own payer.
    """
    if payer_id == claim.payer_id:
        letter = claim.payer_sequence
    else:
        letter = payer_sequence_of(claim, coverages(), payer_id)
    if letter not in PAYER_SEQUENCES:
        return []
    later_letters = PAYER_SEQUENCES[PAYER_SEQUENCES.index(letter) + 1 :]
    if not later_letters:
        return []

    # A voided or replaced claim counts too, because its payment stays posted until that
    # payer reverses it.
    charge_lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim.id)
    query = (
        select(Claim)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(
            ClaimLine.charge_line_id.in_(charge_lines),
            Claim.id != claim.id,
            Claim.payer_sequence.in_(later_letters),
            Claim.archived.is_(False),
        )
        .distinct()
        .order_by(Claim.payer_sequence, Claim.claim_number)
    )
    return [
        (other.claim_number, paid_by)
        for other in session.scalars(query)
        for paid_by, adjudication in current_adjudications(session, other).items()
        if adjudication.claim_status_code != DENIED_CODE
    ]


def reversal_wait_reason(
    session: Session,
    claim: Claim,
    payer_id: uuid.UUID,
    adjudications: Mapping[uuid.UUID, PayerAdjudication],
    coverages: Callable[[], Sequence[Coverage]],
) -> str | None:
    """Explain why reversing `payer_id`'s payment of the claim must wait, or return None.

    It waits while a later payer's payment of the balance `payer_id` moved on is still
    posted, on this claim (a crossover) or on the later payer's own claim. The arguments
    are those of `later_payers_with_adjudication`.
    """
    later = later_payers_with_adjudication(claim, payer_id, adjudications, coverages)
    if later:
        return reversal_after_later_payer(session, claim, payer_id, later)
    later_claims = later_claims_paid(session, claim, payer_id, coverages)
    if later_claims:
        return reversal_after_later_claim(session, claim, payer_id, later_claims)
    return None


def reversal_after_later_claim(
    session: Session,
    claim: Claim,
    payer_id: uuid.UUID,
    later: Sequence[tuple[str, uuid.UUID]],
) -> str:
    """Explain why `payer_id`'s reversal waits while later payers' claims stay paid."""
    reversing_payer = payer_name(session, payer_id)
    paid = " and ".join(
        f"{payer_name(session, other)} paid claim {number}" for number, other in later
    )
    reversals = " and ".join(
        f"{payer_name(session, other)}'s reversal of claim {number}" for number, other in later
    )
    return (
        f"{reversing_payer} reversed its payment of claim {claim.claim_number} after {paid} "
        f"for the same services. Post this reversal after {reversals} is posted, or set it "
        "aside and correct the balances by hand."
    )


def payer_name(session: Session, payer_id: uuid.UUID) -> str:
    """Return the payer's name, or "another payer" when the id names none."""
    payer = session.get(Payer, payer_id)
    return payer.name if payer is not None else "another payer"
