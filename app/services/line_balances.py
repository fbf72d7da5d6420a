"""Line balances: the amount still owed on each service line per bucket, from the ledger.

A row settles a line when its `charge_line_id` names the line. Charge rows posted before
ledger rows carried the line name it through `source_type` "charge_line" and
`source_id` instead, so those rows are read as well. A row that has both (every charge
posted since) is read once, through `charge_line_id`.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.models.practice import Payer
from app.money import ZERO, to_money
from app.services.claim_build_rows import chunks
from app.services.ledger import (
    CHARGE_LINE_SOURCE,
    PATIENT_BUCKET,
    RESPONSIBLE_PATIENT,
    bucket_key,
)

log = logging.getLogger(__name__)

K = TypeVar("K")


class Bucket(NamedTuple):
    """The party that owes an amount: the responsible party and, for insurance, the payer."""

    responsible_party: str
    payer_id: uuid.UUID | None


PATIENT = Bucket(RESPONSIBLE_PATIENT, None)


@dataclass(frozen=True, slots=True)
class OpenLine:
    """A service line on which the patient owes money, with what insurance still owes."""

    charge_line_id: uuid.UUID
    service_date: date
    procedure_code: str
    charge: Decimal
    patient_balance: Decimal
    insurance_balance: Decimal


def line_buckets(
    session: Session, charge_line_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[Bucket, Decimal]]:
    """Return each line's balance per bucket, keyed by responsible party and payer id.

    Every requested line has an entry; buckets that sum to zero are left out. Payment
    posting uses this form because two payers may share a name.
    """
    ids = list(dict.fromkeys(charge_line_ids))
    balances: dict[uuid.UUID, dict[Bucket, Decimal]] = {line_id: {} for line_id in ids}
    for part in chunks(ids):
        for line_id, party, payer_id, total in _current_rows(session, part):
            _add(balances[line_id], Bucket(party, payer_id), total)
    for line_id, party, payer_id, total in _old_charge_rows(session, ids):
        _add(balances[line_id], Bucket(party, payer_id), total)
    return {line_id: _non_zero(buckets) for line_id, buckets in balances.items()}


def line_balances(
    session: Session, charge_line_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Decimal]]:
    """Return each line's balance per bucket, keyed as `ledger.bucket_key` keys them.

    Keys are "patient" or the payer's name, as in `ledger.balances_by_bucket`. Every
    requested line has an entry; buckets that sum to zero are left out.
    """
    by_bucket = line_buckets(session, charge_line_ids)
    payer_ids = {
        bucket.payer_id
        for buckets in by_bucket.values()
        for bucket in buckets
        if bucket.payer_id is not None
    }
    names = _payer_names(session, payer_ids)
    balances: dict[uuid.UUID, dict[str, Decimal]] = {}
    for line_id, buckets in by_bucket.items():
        keyed: dict[str, Decimal] = {}
        for bucket, amount in buckets.items():
            name = names.get(bucket.payer_id) if bucket.payer_id is not None else None
            _add(keyed, bucket_key(bucket.responsible_party, name), amount)
        balances[line_id] = _non_zero(keyed)
    return balances


def open_patient_lines(session: Session, patient_id: uuid.UUID) -> list[OpenLine]:
    """Return the patient's lines with a patient-bucket balance above zero, oldest first.

    Only the patient's own ledger rows count, so a line whose rows a merge moved to
    another record is listed under that record.
    """
    line_ids = session.scalars(
        select(LedgerEntry.charge_line_id)
        .where(LedgerEntry.patient_id == patient_id, LedgerEntry.charge_line_id.is_not(None))
        .distinct()
    ).all()
    old_ids = session.scalars(
        select(LedgerEntry.source_id)
        .where(
            LedgerEntry.patient_id == patient_id,
            LedgerEntry.charge_line_id.is_(None),
            LedgerEntry.source_type == CHARGE_LINE_SOURCE,
        )
        .distinct()
    ).all()
    candidates = [line_id for line_id in {*line_ids, *old_ids} if line_id is not None]
    balances = line_balances(session, candidates)
    owing = {
        line_id: buckets
        for line_id, buckets in balances.items()
        if buckets.get(PATIENT_BUCKET, ZERO) > ZERO
    }
    lines: list[OpenLine] = []
    for part in chunks(list(owing)):
        for line in session.scalars(select(ChargeLine).where(ChargeLine.id.in_(part))):
            buckets = owing[line.id]
            patient = buckets.get(PATIENT_BUCKET, ZERO)
            insurance = sum(
                (amount for key, amount in buckets.items() if key != PATIENT_BUCKET), ZERO
            )
            lines.append(
                OpenLine(
                    charge_line_id=line.id,
                    service_date=line.service_date,
                    procedure_code=line.procedure_code,
                    charge=line.charge_amount,
                    patient_balance=patient,
                    insurance_balance=insurance,
                )
            )
    # Oldest service first; uuid7 ids keep lines of one date in the order they were made.
    lines.sort(key=lambda line: (line.service_date, line.charge_line_id))
    log.debug("patient %s has %d lines with a patient balance", patient_id, len(lines))
    return lines


def _current_rows(
    session: Session, line_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, uuid.UUID | None, Decimal]]:
    rows = session.execute(
        select(
            LedgerEntry.charge_line_id,
            LedgerEntry.responsible_party,
            LedgerEntry.payer_id,
            func.sum(LedgerEntry.amount),
        )
        .where(LedgerEntry.charge_line_id.in_(line_ids))
        .group_by(LedgerEntry.charge_line_id, LedgerEntry.responsible_party, LedgerEntry.payer_id)
    )
    return [
        (line_id, party, payer_id, total)
        for line_id, party, payer_id, total in rows
        if line_id is not None
    ]


def _old_charge_rows(
    session: Session, line_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, uuid.UUID | None, Decimal]]:
    """Return the sums of charge rows (and their reversals) that name the line by source only.

    Only rows posted to one of the lines' patients count. The rows are found through the
    (source_type, source_id) index, 500 lines per query, summed per patient, and the sums
    of other patients are dropped here. Asked for the lines' patients instead of the
    lines, SQLite read every charge row of the ledger through source_type alone.
    """
    found: list[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None, Decimal]] = []
    for part in chunks(list(line_ids)):
        sums = (
            select(
                LedgerEntry.source_id,
                LedgerEntry.patient_id,
                LedgerEntry.responsible_party,
                LedgerEntry.payer_id,
                func.sum(LedgerEntry.amount),
            )
            .where(
                LedgerEntry.source_type == CHARGE_LINE_SOURCE,
                LedgerEntry.source_id.in_(part),
                LedgerEntry.charge_line_id.is_(None),
            )
            .group_by(
                LedgerEntry.source_id,
                LedgerEntry.patient_id,
                LedgerEntry.responsible_party,
                LedgerEntry.payer_id,
            )
        )
        found += [
            (line_id, patient_id, party, payer_id, total)
            for line_id, patient_id, party, payer_id, total in session.execute(sums)
            if line_id is not None
        ]
    if not found:
        # Ledgers posted since rows name their line have no such rows, so the lines'
        # patients are read only when a row was found.
        return []

    patients = _line_patients(session, list(line_ids))
    return [
        (line_id, party, payer_id, total)
        for line_id, patient_id, party, payer_id, total in found
        if patient_id in patients
    ]


def _line_patients(session: Session, line_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Return the patients of the lines' encounters, 500 lines per query."""
    patients: set[uuid.UUID] = set()
    for part in chunks(line_ids):
        query = (
            select(Encounter.patient_id)
            .join(ChargeLine, ChargeLine.encounter_id == Encounter.id)
            .where(ChargeLine.id.in_(part))
            .distinct()
        )
        patients.update(session.scalars(query))
    return patients


def _payer_names(session: Session, payer_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not payer_ids:
        return {}
    rows = session.execute(select(Payer.id, Payer.name).where(Payer.id.in_(payer_ids)))
    return {row.id: row.name for row in rows}


def _add(buckets: dict[K, Decimal], key: K, amount: Decimal) -> None:
    buckets[key] = buckets.get(key, ZERO) + to_money(amount)


def _non_zero(buckets: dict[K, Decimal]) -> dict[K, Decimal]:
    return {key: amount for key, amount in buckets.items() if amount != ZERO}
