"""Account balances per patient and bucket, read from the ledger in one grouped query.

Small-balance write-offs and the credit-balance report look at every patient at once,
so they read the sums here instead of calling `ledger.balances_by_bucket` per patient.
Buckets are keyed as `line_balances.Bucket` keys them (responsible party and payer id),
so two payers with the same name stay apart.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.money import ZERO, to_money
from app.services.claim_build_rows import chunks
from app.services.ledger import CHARGE_LINE_SOURCE
from app.services.line_balances import PATIENT, Bucket, line_buckets


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


def open_lines_by_patient(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]:
    """Return each patient's lines with a patient balance above zero, oldest first.

    Each line comes with its patient-bucket balance. This is
    `line_balances.open_patient_lines` for many patients with a few queries in all,
    for write-offs that touch thousands of accounts. As there, only the patient's own
    ledger rows make a line theirs.
    """
    owners: dict[uuid.UUID, set[uuid.UUID]] = {}
    for part in chunks(list(dict.fromkeys(patient_ids))):
        for line_id, patient_id in _line_owners(session, part):
            owners.setdefault(line_id, set()).add(patient_id)

    balances = line_buckets(session, list(owners))
    owing = {
        line_id: buckets[PATIENT]
        for line_id, buckets in balances.items()
        if buckets.get(PATIENT, ZERO) > ZERO
    }
    dates: dict[uuid.UUID, date] = {}
    for part in chunks(list(owing)):
        rows = session.execute(
            select(ChargeLine.id, ChargeLine.service_date).where(ChargeLine.id.in_(part))
        )
        dates.update(dict(rows.all()))

    by_patient: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]] = {}
    # Oldest service first; uuid7 ids keep lines of one date in the order they were made.
    for line_id in sorted(owing, key=lambda line_id: (dates.get(line_id, date.min), line_id)):
        for patient_id in owners[line_id]:
            by_patient.setdefault(patient_id, []).append((line_id, owing[line_id]))
    return by_patient


def _line_owners(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Return (line id, patient id) for every line with a ledger row of these patients."""
    named = session.execute(
        select(LedgerEntry.charge_line_id, LedgerEntry.patient_id)
        .where(LedgerEntry.patient_id.in_(patient_ids), LedgerEntry.charge_line_id.is_not(None))
        .distinct()
    )
    by_source = session.execute(
        select(LedgerEntry.source_id, LedgerEntry.patient_id)
        .where(
            LedgerEntry.patient_id.in_(patient_ids),
            LedgerEntry.charge_line_id.is_(None),
            LedgerEntry.source_type == CHARGE_LINE_SOURCE,
        )
        .distinct()
    )
    return [
        (line_id, patient_id) for line_id, patient_id in [*named, *by_source] if line_id is not None
    ]
