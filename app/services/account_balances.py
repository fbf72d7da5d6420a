"""Account balances per patient and bucket, read from the ledger in one grouped query.

Small-balance write-offs and the credit-balance report look at every patient at once,
so they read the sums here instead of calling `ledger.balances_by_bucket` per patient.
Buckets are keyed as `line_balances.Bucket` keys them (responsible party and payer id),
so two payers with the same name stay apart.
"""

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.ledger import LedgerEntry
from app.money import ZERO, to_money
from app.services.claim_build_rows import chunks
from app.services.ledger import CHARGE_LINE_SOURCE
from app.services.line_balances import PATIENT, Bucket


def bucket_totals(
    session: Session, patient_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[Bucket, Decimal]]:
    """Return each patient's balance per bucket (of `patient_ids`, or of every patient).

    Buckets that sum to zero are left out, and so are patients whose buckets all do.
    """
    query = select(
        LedgerEntry.patient_id,
        LedgerEntry.responsible_party,
        LedgerEntry.payer_id,
        func.sum(LedgerEntry.amount),
    ).group_by(LedgerEntry.patient_id, LedgerEntry.responsible_party, LedgerEntry.payer_id)
    if patient_ids is None:
        rows = list(session.execute(query))
    else:
        rows = []
        for part in chunks(list(dict.fromkeys(patient_ids))):
            rows.extend(session.execute(query.where(LedgerEntry.patient_id.in_(part))))

    totals: dict[uuid.UUID, dict[Bucket, Decimal]] = {}
    for patient_id, party, payer_id, total in rows:
        amount = to_money(total)
        if amount != ZERO:
            totals.setdefault(patient_id, {})[Bucket(party, payer_id)] = amount
    return totals


def patient_share(buckets: dict[Bucket, Decimal]) -> Decimal:
    """Return the patient bucket's balance (zero when the patient owes nothing)."""
    return buckets.get(PATIENT, ZERO)


def insurance_buckets(buckets: dict[Bucket, Decimal]) -> dict[Bucket, Decimal]:
    """Return the insurance buckets only."""
    return {bucket: amount for bucket, amount in buckets.items() if bucket != PATIENT}


def patient_line_ids(session: Session, patient_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the ids of every service line with a ledger row on the patient's account.

    Charge rows posted before ledger rows named their line carry it in `source_id`, so
    those are read too.
    """
    named = session.scalars(
        select(LedgerEntry.charge_line_id)
        .where(LedgerEntry.patient_id == patient_id, LedgerEntry.charge_line_id.is_not(None))
        .distinct()
    ).all()
    by_source = session.scalars(
        select(LedgerEntry.source_id)
        .where(
            LedgerEntry.patient_id == patient_id,
            LedgerEntry.charge_line_id.is_(None),
            LedgerEntry.source_type == CHARGE_LINE_SOURCE,
        )
        .distinct()
    ).all()
    return [line_id for line_id in {*named, *by_source} if line_id is not None]
