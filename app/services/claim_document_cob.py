"""The payers ahead of a secondary or tertiary claim, with what each one paid.

The payers ahead are the patient's coverages in force on the date of service that come
before the claim's own coverage. A payer's adjudication is found through the claim
lines: an earlier claim to that payer that billed the same charge lines.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.models.claims import (
    Claim,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.models.patients import Coverage
from app.models.practice import Payer
from app.services.claim_build_rows import (
    PAYER_SEQUENCES,
    chunks,
    coverages_in_force,
    payer_sequence,
)
from app.x12.claim_data import Adjustment, LineAdjudication


@dataclass
class OtherPayerSource:
    """A payer ahead of a claim, its coverage and its adjudication (None when it has none)."""

    coverage: Coverage
    payer: Payer
    payer_sequence: str
    adjudication: PayerAdjudication | None = None
    claim_adjustments: tuple[Adjustment, ...] = ()
    # charge line id -> how this payer settled the line
    line_adjudications: dict[uuid.UUID, tuple[LineAdjudication, ...]] = field(default_factory=dict)


def load_other_payers(
    session: Session, claims: Sequence[Claim]
) -> dict[uuid.UUID, list[OtherPayerSource]]:
    """Return, for each claim to a second or later payer, the payers ahead of it in order."""
    if not claims:
        return {}
    coverages, payers = _load_coverages(session, {claim.patient_id for claim in claims})
    sources: dict[uuid.UUID, list[OtherPayerSource]] = {}
    for claim in claims:
        ahead = _coverages_ahead(claim, coverages.get(claim.patient_id, []))
        sources[claim.id] = [
            OtherPayerSource(coverage, payers[coverage.payer_id], payer_sequence(position))
            for position, coverage in enumerate(ahead)
            if coverage.payer_id != claim.payer_id
        ]

    adjudications = _latest_adjudications(session, [claim.id for claim in claims])
    for claim_id, claim_sources in sources.items():
        for source in claim_sources:
            source.adjudication = adjudications.get((claim_id, source.payer.id))
    _attach_adjustments(session, [s for group in sources.values() for s in group])
    return sources


def _load_coverages(
    session: Session, patient_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[Coverage]], dict[uuid.UUID, Payer]]:
    coverages: dict[uuid.UUID, list[Coverage]] = defaultdict(list)
    payers: dict[uuid.UUID, Payer] = {}
    for part in chunks(list(patient_ids)):
        query = (
            select(Coverage, Payer)
            .join(Payer, Payer.id == Coverage.payer_id)
            .where(Coverage.patient_id.in_(part), Coverage.archived.is_(False))
        )
        for coverage, payer in session.execute(query):
            coverages[coverage.patient_id].append(coverage)
            payers[payer.id] = payer
    return coverages, payers


def _coverages_ahead(claim: Claim, coverages: list[Coverage]) -> list[Coverage]:
    order = coverages_in_force(coverages, claim.service_date_from)
    for index, coverage in enumerate(order):
        if coverage.id == claim.coverage_id:
            return order[:index]
    # The claim's coverage was changed since the claim was built, so fall back on the
    # claim's place in the order (S has one payer ahead, T two).
    place = PAYER_SEQUENCES.index(claim.payer_sequence) if claim.payer_sequence in "PST" else 0
    return order[:place]


def _latest_adjudications(
    session: Session, claim_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], PayerAdjudication]:
    """Return the latest adjudication by each payer of each claim's charge lines on other claims."""
    current = aliased(ClaimLine)
    earlier_line = aliased(ClaimLine)
    earlier = aliased(Claim)
    query = (
        select(current.claim_id, PayerAdjudication)
        .join(earlier_line, earlier_line.charge_line_id == current.charge_line_id)
        .join(earlier, earlier.id == earlier_line.claim_id)
        .join(PayerAdjudication, PayerAdjudication.claim_id == earlier.id)
        .where(
            earlier.id != current.claim_id,
            earlier.archived.is_(False),
            earlier_line.archived.is_(False),
            # A crossover payer's adjudication is stored on the claim billed to the payer
            # before it, so the payer of the claim is not a condition here.
            PayerAdjudication.voided.is_(False),
        )
        .distinct()
    )
    latest: dict[tuple[uuid.UUID, uuid.UUID], PayerAdjudication] = {}
    for part in chunks(claim_ids):
        for claim_id, adjudication in session.execute(query.where(current.claim_id.in_(part))):
            key = (claim_id, adjudication.payer_id)
            known = latest.get(key)
            if known is None or _when(adjudication) > _when(known):
                latest[key] = adjudication
    return latest


def _when(adjudication: PayerAdjudication) -> tuple[object, datetime]:
    return (adjudication.adjudicated_on, adjudication.created_at)


def _attach_adjustments(session: Session, sources: list[OtherPayerSource]) -> None:
    by_adjudication = {
        source.adjudication.id: source for source in sources if source.adjudication is not None
    }
    if not by_adjudication:
        return
    ids = list(by_adjudication)

    line_rows: list[tuple[PayerLineAdjudication, uuid.UUID]] = []
    for part in chunks(ids):
        query = (
            select(PayerLineAdjudication, ClaimLine.charge_line_id)
            .join(ClaimLine, ClaimLine.id == PayerLineAdjudication.claim_line_id)
            .where(
                PayerLineAdjudication.adjudication_id.in_(part),
                PayerLineAdjudication.archived.is_(False),
            )
        )
        line_rows.extend((row, charge_line_id) for row, charge_line_id in session.execute(query))

    adjustments: dict[uuid.UUID | None, list[Adjustment]] = defaultdict(list)
    claim_level: dict[uuid.UUID, list[Adjustment]] = defaultdict(list)
    for part in chunks(ids):
        adjustment_query = (
            select(PayerAdjustment)
            .where(PayerAdjustment.adjudication_id.in_(part), PayerAdjustment.archived.is_(False))
            .order_by(PayerAdjustment.created_at)
        )
        for adjustment in session.scalars(adjustment_query):
            value = Adjustment(
                adjustment.group_code,
                adjustment.reason_code,
                adjustment.amount,
                adjustment.quantity,
            )
            if adjustment.line_adjudication_id is None:
                claim_level[adjustment.adjudication_id].append(value)
            else:
                adjustments[adjustment.line_adjudication_id].append(value)

    for adjudication_id, source in by_adjudication.items():
        source.claim_adjustments = tuple(claim_level.get(adjudication_id, []))
    lines: dict[tuple[uuid.UUID, uuid.UUID], list[LineAdjudication]] = defaultdict(list)
    for row, charge_line_id in line_rows:
        source = by_adjudication[row.adjudication_id]
        assert source.adjudication is not None
        lines[(row.adjudication_id, charge_line_id)].append(
            LineAdjudication(
                payer_code=source.payer.payer_code,
                paid_amount=row.paid_amount,
                procedure_code=row.procedure_code,
                modifiers=tuple(row.modifiers.split()),
                units=row.units,
                adjudicated_on=source.adjudication.adjudicated_on,
                adjustments=tuple(adjustments.get(row.id, [])),
            )
        )
    for (adjudication_id, charge_line_id), values in lines.items():
        by_adjudication[adjudication_id].line_adjudications[charge_line_id] = tuple(values)
