"""The claims a payer refund may name, for requesting it from a payer's credit.

A payer refund draws on the payer's bucket for one place in the payment order
(primary, secondary or tertiary), and `refunds.request_refund` needs the claim the
payer overpaid. The claims offered are the patient's claims to that payer at that
place, because `request_refund` finds the bucket from the claim's payer sequence. The
credit each claim's lines hold in the bucket orders them, so the claim the payer most
likely overpaid comes first.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.claims import Claim, ClaimLine
from app.models.practice import Payer
from app.money import ZERO
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import chunks
from app.services.line_balances import Bucket, line_buckets
from app.services.refunds import SEQUENCE_PARTIES, available_credit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OverpaidClaim:
    """A claim a payer refund may name. `credit` is what its lines hold in the payer's bucket."""

    claim_id: uuid.UUID
    claim_number: str
    service_date: date
    credit: Decimal


@dataclass(frozen=True, slots=True)
class PayerRefundChoice:
    """The credit left to refund to a payer and the claims a refund request may name.

    `available` is the payer's credit in the bucket less the refunds to that payer that
    are requested or approved. `claims` come with the most credit first, and may be
    empty when the patient has no claim to the payer at that place.
    """

    payer_id: uuid.UUID
    payer_name: str
    available: Decimal
    claims: tuple[OverpaidClaim, ...]


def payer_refund_choice(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID,
    responsible_party: str,
) -> PayerRefundChoice:
    """Return the credit a refund to the payer may draw on and the claims it may name.

    Requires PAYMENT_POST, as requesting a refund does.
    """
    require(actor, Permission.PAYMENT_POST)
    payer = session.get(Payer, payer_id)
    payer_name = payer.name if payer is not None else ""
    bucket = Bucket(responsible_party, payer_id)
    credit, pending = available_credit(session, patient_id, bucket, None)

    sequences = [letter for letter, party in SEQUENCE_PARTIES.items() if party == responsible_party]
    claims = list(
        session.scalars(
            select(Claim).where(
                Claim.patient_id == patient_id,
                Claim.payer_id == payer_id,
                Claim.payer_sequence.in_(sequences),
                Claim.archived.is_(False),
            )
        )
    )
    claim_credits = _claim_credits(session, [claim.id for claim in claims], bucket)
    offered = [
        OverpaidClaim(
            claim_id=claim.id,
            claim_number=claim.claim_number,
            service_date=claim.service_date_from,
            credit=claim_credits.get(claim.id, ZERO),
        )
        for claim in claims
    ]
    offered.sort(
        key=lambda claim: (-claim.credit, -claim.service_date.toordinal(), claim.claim_number)
    )
    log.info("listed %d claims for a payer refund", len(offered))
    return PayerRefundChoice(payer_id, payer_name, max(credit - pending, ZERO), tuple(offered))


def _claim_credits(
    session: Session, claim_ids: list[uuid.UUID], bucket: Bucket
) -> dict[uuid.UUID, Decimal]:
    """Return, per claim, the credit its lines hold in `bucket` (positive)."""
    line_claims: dict[uuid.UUID, set[uuid.UUID]] = {}
    for part in chunks(claim_ids):
        query = select(ClaimLine.charge_line_id, ClaimLine.claim_id).where(
            ClaimLine.claim_id.in_(part), ClaimLine.archived.is_(False)
        )
        for charge_line_id, claim_id in session.execute(query):
            line_claims.setdefault(charge_line_id, set()).add(claim_id)

    totals: dict[uuid.UUID, Decimal] = {}
    for line_id, buckets in line_buckets(session, list(line_claims)).items():
        owed = buckets.get(bucket, ZERO)
        if owed >= ZERO:
            continue
        for claim_id in line_claims[line_id]:
            totals[claim_id] = totals.get(claim_id, ZERO) - owed
    return totals
