"""The stored rows that planning the posting of many adjudications reads, loaded together.

Planning one adjudication reads its claim, the claim's lines, the line adjudications and
adjustments, the patient's coverages, payer names and the ledger rows the claim
payment already posted. `load_posting_rows` reads them for a whole batch with one query
per table and 500 claims, so planning an 835 of 10,000 claims costs a few hundred queries
instead of some ten per claim.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.by_id import objects_by_id
from app.models.claims import (
    Claim,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage
from app.models.practice import Payer
from app.services.claim_build_rows import chunks
from app.services.ledger import REVERSAL

log = logging.getLogger(__name__)

# The ledger source_type of rows posted from a claim payment (RemittanceClaim.id).
LEDGER_SOURCE = "remittance_claim"


class PlanItem(NamedTuple):
    """An adjudication to plan and the claim payment (RemittanceClaim) its rows name."""

    adjudication_id: uuid.UUID
    source_id: uuid.UUID


class StoredAdjudication(NamedTuple):
    """The columns of a PayerAdjudication that planning reads."""

    id: uuid.UUID
    claim_id: uuid.UUID
    payer_id: uuid.UUID
    claim_status_code: str
    crossed_over: bool
    voided: bool


class StoredLine(NamedTuple):
    """The columns of a ClaimLine that planning reads."""

    id: uuid.UUID
    charge_line_id: uuid.UUID
    charge_amount: Decimal
    line_number: int
    procedure_code: str


class SettledLine(NamedTuple):
    """The columns of a PayerLineAdjudication that planning reads."""

    id: uuid.UUID
    claim_line_id: uuid.UUID
    paid_amount: Decimal


class StoredAdjustment(NamedTuple):
    """The columns of a PayerAdjustment that planning reads."""

    line_adjudication_id: uuid.UUID | None
    group_code: str
    reason_code: str
    amount: Decimal


@dataclass(slots=True)
class PostingRows:
    """Everything planning reads for a batch, keyed by id.

    `lines` holds each claim's lines that are not archived, in line order, and
    `charge_lines` every charge line of the claim, archived claim lines included.
    `settled` and `adjustments` are in the order they were stored. `posted` holds the
    (source id, charge line id) pairs of ledger rows posted and not reversed.
    """

    adjudications: dict[uuid.UUID, StoredAdjudication] = field(default_factory=dict)
    claims: dict[uuid.UUID, Claim] = field(default_factory=dict)
    lines: dict[uuid.UUID, list[StoredLine]] = field(default_factory=dict)
    charge_lines: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    settled: dict[uuid.UUID, list[SettledLine]] = field(default_factory=dict)
    adjustments: dict[uuid.UUID, list[StoredAdjustment]] = field(default_factory=dict)
    posted: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    coverages: dict[uuid.UUID, list[Coverage]] = field(default_factory=dict)
    payer_names: dict[uuid.UUID, str] = field(default_factory=dict)


@dataclass(slots=True)
class RecordedRows:
    """Adjudications stored in this unit of work, with their lines and adjustments, by id.

    `adjudication_batch.record_adjudications` fills it, so planning right after reads
    none of them back. The fields mean what they mean on `PostingRows`.
    """

    adjudications: dict[uuid.UUID, StoredAdjudication] = field(default_factory=dict)
    settled: dict[uuid.UUID, list[SettledLine]] = field(default_factory=dict)
    adjustments: dict[uuid.UUID, list[StoredAdjustment]] = field(default_factory=dict)
    # Each claim's lines that are not archived, in line order, by claim id.
    lines: dict[uuid.UUID, list[StoredLine]] = field(default_factory=dict)
    # Claim payments (RemittanceClaim ids) stored in this unit of work, which have posted
    # nothing yet; the caller adds them.
    new_sources: set[uuid.UUID] = field(default_factory=set)


def load_posting_rows(
    session: Session, items: Sequence[PlanItem], recorded: RecordedRows | None = None
) -> PostingRows:
    """Load the rows for planning `items`; ids that are not found are left out.

    Adjudications in `recorded` are taken from it, with their lines and adjustments,
    and so are the lines of its claims, instead of being read. They must be unchanged
    since they were recorded.
    """
    known = recorded if recorded is not None else RecordedRows()
    rows = PostingRows()
    ids = list(dict.fromkeys(item.adjudication_id for item in items))
    unknown = [
        adjudication_id for adjudication_id in ids if adjudication_id not in known.adjudications
    ]
    _load_adjudications(session, rows, unknown)
    for adjudication_id in ids:
        if adjudication_id in known.adjudications:
            rows.adjudications[adjudication_id] = known.adjudications[adjudication_id]
            rows.settled[adjudication_id] = known.settled[adjudication_id]
            rows.adjustments[adjudication_id] = known.adjustments[adjudication_id]
    claim_ids = list(dict.fromkeys(row.claim_id for row in rows.adjudications.values()))
    _load_claims(session, rows, claim_ids)
    _load_lines(session, rows, list(rows.claims), known.lines)
    read = [adjudication_id for adjudication_id in unknown if adjudication_id in rows.adjudications]
    _load_settlements(session, rows, read)
    _load_posted(session, rows, [item for item in items if item.source_id not in known.new_sources])
    patients = list(dict.fromkeys(claim.patient_id for claim in rows.claims.values()))
    _load_coverages(session, rows, patients)
    payer_ids = {claim.payer_id for claim in rows.claims.values()}
    payer_ids |= {adjudication.payer_id for adjudication in rows.adjudications.values()}
    payer_ids |= {coverage.payer_id for found in rows.coverages.values() for coverage in found}
    _load_payer_names(session, rows, payer_ids)
    log.debug("loaded posting rows of %d adjudications", len(rows.adjudications))
    return rows


def _load_adjudications(session: Session, rows: PostingRows, ids: list[uuid.UUID]) -> None:
    for part in chunks(list(dict.fromkeys(ids))):
        query = select(
            PayerAdjudication.id,
            PayerAdjudication.claim_id,
            PayerAdjudication.payer_id,
            PayerAdjudication.claim_status_code,
            PayerAdjudication.crossed_over,
            PayerAdjudication.voided,
        ).where(PayerAdjudication.id.in_(part))
        for row in session.execute(query):
            rows.adjudications[row.id] = StoredAdjudication(*row)


def _load_claims(session: Session, rows: PostingRows, ids: list[uuid.UUID]) -> None:
    rows.claims = objects_by_id(session, Claim, ids)


def _load_lines(
    session: Session,
    rows: PostingRows,
    claim_ids: list[uuid.UUID],
    known: dict[uuid.UUID, list[StoredLine]],
) -> None:
    """Load each claim's lines, taking those of the claims in `known` from it.

    The charge lines of a known claim's archived lines are still read, because
    `charge_lines` includes them.
    """
    for claim_id in claim_ids:
        rows.lines[claim_id] = list(known.get(claim_id, ()))
        rows.charge_lines[claim_id] = {line.charge_line_id for line in rows.lines[claim_id]}
    recorded = [claim_id for claim_id in claim_ids if claim_id in known]
    for part in chunks(recorded):
        archived_lines = select(ClaimLine.claim_id, ClaimLine.charge_line_id).where(
            ClaimLine.claim_id.in_(part), ClaimLine.archived.is_(True)
        )
        for claim_id, charge_line_id in session.execute(archived_lines):
            rows.charge_lines[claim_id].add(charge_line_id)

    for part in chunks([claim_id for claim_id in claim_ids if claim_id not in known]):
        query = (
            select(
                ClaimLine.id,
                ClaimLine.claim_id,
                ClaimLine.charge_line_id,
                ClaimLine.charge_amount,
                ClaimLine.line_number,
                ClaimLine.procedure_code,
                ClaimLine.archived,
            )
            .where(ClaimLine.claim_id.in_(part))
            .order_by(ClaimLine.claim_id, ClaimLine.line_number)
        )
        for line_id, claim_id, charge_line_id, charge, number, code, archived in session.execute(
            query
        ):
            rows.charge_lines[claim_id].add(charge_line_id)
            if not archived:
                rows.lines[claim_id].append(
                    StoredLine(line_id, charge_line_id, charge, number, code)
                )


def _load_settlements(session: Session, rows: PostingRows, ids: list[uuid.UUID]) -> None:
    for adjudication_id in ids:
        rows.settled[adjudication_id] = []
        rows.adjustments[adjudication_id] = []
    for part in chunks(ids):
        lines = (
            select(
                PayerLineAdjudication.adjudication_id,
                PayerLineAdjudication.id,
                PayerLineAdjudication.claim_line_id,
                PayerLineAdjudication.paid_amount,
            )
            .where(PayerLineAdjudication.adjudication_id.in_(part))
            .order_by(PayerLineAdjudication.created_at, PayerLineAdjudication.id)
        )
        for adjudication_id, line_id, claim_line_id, paid in session.execute(lines):
            rows.settled[adjudication_id].append(SettledLine(line_id, claim_line_id, paid))
        adjustments = (
            select(
                PayerAdjustment.adjudication_id,
                PayerAdjustment.line_adjudication_id,
                PayerAdjustment.group_code,
                PayerAdjustment.reason_code,
                PayerAdjustment.amount,
            )
            .where(PayerAdjustment.adjudication_id.in_(part))
            .order_by(PayerAdjustment.created_at, PayerAdjustment.id)
        )
        for owner_id, settled_id, group, reason, amount in session.execute(adjustments):
            rows.adjustments[owner_id].append(StoredAdjustment(settled_id, group, reason, amount))


def _load_posted(session: Session, rows: PostingRows, items: Sequence[PlanItem]) -> None:
    """Find the claim payments that already posted rows still in force on their claim's lines.

    Posting puts every row on one of the claim's lines, so only rows on those lines count.
    SQLite finds the rows through the (source_type, source_id) index.
    """
    pairs = [
        (rows.adjudications[item.adjudication_id].claim_id, item.source_id)
        for item in items
        if item.adjudication_id in rows.adjudications
    ]
    for part in chunks(pairs):
        claim_ids = list({claim_id for claim_id, _ in part})
        source_ids = list({source_id for _, source_id in part})
        lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id.in_(claim_ids))
        reversed_ids = select(LedgerEntry.reverses_id).where(
            LedgerEntry.charge_line_id.in_(lines),
            LedgerEntry.source_type == LEDGER_SOURCE,
            LedgerEntry.source_id.in_(source_ids),
            LedgerEntry.reverses_id.is_not(None),
        )
        query = select(LedgerEntry.source_id, LedgerEntry.charge_line_id).where(
            LedgerEntry.charge_line_id.in_(lines),
            LedgerEntry.source_type == LEDGER_SOURCE,
            LedgerEntry.source_id.in_(source_ids),
            LedgerEntry.entry_type != REVERSAL,
            LedgerEntry.id.not_in(reversed_ids),
        )
        for source_id, charge_line_id in session.execute(query):
            if source_id is not None and charge_line_id is not None:
                rows.posted.add((source_id, charge_line_id))


def _load_coverages(session: Session, rows: PostingRows, patient_ids: list[uuid.UUID]) -> None:
    """Load each patient's coverages that are not archived, as `patient_coverages` returns them."""
    for patient_id in patient_ids:
        rows.coverages[patient_id] = []
    for part in chunks(patient_ids):
        query = select(Coverage).where(Coverage.patient_id.in_(part), Coverage.archived.is_(False))
        for coverage in session.scalars(query):
            rows.coverages[coverage.patient_id].append(coverage)


def _load_payer_names(session: Session, rows: PostingRows, payer_ids: Iterable[uuid.UUID]) -> None:
    for part in chunks(list(payer_ids)):
        for payer_id, name in session.execute(
            select(Payer.id, Payer.name).where(Payer.id.in_(part))
        ):
            rows.payer_names[payer_id] = name
