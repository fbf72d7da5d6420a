"""The ledger as the patient record shows it: rows with a running balance, by patient or family.

A family is a guarantor and every patient whose guarantor they are. The running balance
starts from the sum of the rows before the date range that pass the same type and
bucket filters, so with no filters the last running balance is the scope's balance.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.practice import Payer
from app.money import ZERO
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.ledger import CHARGE_LINE_SOURCE, bucket_key, bucket_label
from app.services.patient_records import display_name
from app.services.scheduling_settings import practice_zone

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    """Filters of the ledger view.

    `family` widens the scope from the patient to their guarantor's whole family. The
    date range is inclusive and compares the posting date in the practice's time zone.
    An empty `entry_types` and a None `bucket` (a balances_by_bucket key) match every row.
    """

    patient_id: uuid.UUID
    family: bool = False
    date_from: date | None = None
    date_to: date | None = None
    entry_types: frozenset[str] = frozenset()
    bucket: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row as the Ledger tab lists it.

    `code` is the procedure code of a charge-line row and empty otherwise. `reversed`
    is True for a row that a later reversal cancels.
    """

    entry_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    posted_at: datetime
    posted_on: date
    service_date: date | None
    entry_type: str
    code: str
    memo: str
    amount: Decimal
    bucket: str
    bucket_label: str
    running_balance: Decimal
    reversed: bool
    reverses_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class LedgerView:
    """The rows of a query, with the scope's balances before any filter is applied.

    `totals` maps each bucket label to its balance (zero balances included) and
    `buckets` maps bucket keys, for a filter, to their labels.
    """

    rows: list[LedgerRow]
    opening_balance: Decimal
    balance: Decimal
    totals: dict[str, Decimal]
    buckets: dict[str, str] = field(default_factory=dict)
    patient_count: int = 1


def running_balances(amounts: Iterable[Decimal], opening: Decimal = ZERO) -> list[Decimal]:
    """Return the balance after each amount in turn, starting from `opening`."""
    balances: list[Decimal] = []
    balance = opening
    for amount in amounts:
        balance += amount
        balances.append(balance)
    return balances


def family_patient_ids(session: Session, patient_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the ids of the patient's family: the guarantor first, then their dependents.

    The guarantor is the patient's guarantor patient, else the patient. A guarantor who
    is not a patient (a person record) is not listed, and the family is the patients
    that name that person.
    """
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError(f"Patient {patient_id} was not found; search for the patient again.")
    if patient.guarantor_patient_id is None and patient.guarantor_person_id is not None:
        members = session.scalars(
            select(Patient.id)
            .where(Patient.guarantor_person_id == patient.guarantor_person_id)
            .order_by(Patient.last_name, Patient.first_name, Patient.id)
        )
        return list(members)
    guarantor_id = patient.guarantor_patient_id or patient.id
    dependents = session.scalars(
        select(Patient.id)
        .where(Patient.guarantor_patient_id == guarantor_id, Patient.id != guarantor_id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
    )
    return [guarantor_id, *dependents]


def ledger_view(session: Session, actor: Actor, query: LedgerQuery) -> LedgerView:
    """Return the rows `query` selects with running balances, and the scope's totals.

    Raises NotFoundError for an unknown patient. The view is audited.
    """
    require(actor, Permission.PATIENT_VIEW)
    patient_ids = (
        family_patient_ids(session, query.patient_id)
        if query.family
        else [_existing_patient(session, query.patient_id)]
    )
    entries = _scope_entries(session, patient_ids)
    payer_names = _payer_names(session, entries)
    keys = [
        bucket_key(entry.responsible_party, payer_names.get(entry.payer_id)) for entry in entries
    ]

    totals: dict[str, Decimal] = {}
    for entry, key in zip(entries, keys, strict=True):
        totals[bucket_label(key)] = totals.get(bucket_label(key), ZERO) + entry.amount
    rows, opening = _filtered_rows(session, query, entries, keys)
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "ledger",
        query.patient_id,
        patient_id=query.patient_id,
        detail=f"{'family' if query.family else 'patient'} ledger, {len(rows)} rows",
    )
    return LedgerView(
        rows=rows,
        opening_balance=opening,
        balance=sum((entry.amount for entry in entries), ZERO),
        totals=totals,
        buckets={key: bucket_label(key) for key in sorted(set(keys))},
        patient_count=len(patient_ids),
    )


def ledger_rows(session: Session, actor: Actor, query: LedgerQuery) -> list[LedgerRow]:
    """Return the rows `query` selects, oldest first, each with its running balance."""
    return ledger_view(session, actor, query).rows


def _existing_patient(session: Session, patient_id: uuid.UUID) -> uuid.UUID:
    if session.get(Patient, patient_id) is None:
        raise NotFoundError(f"Patient {patient_id} was not found; search for the patient again.")
    return patient_id


def _scope_entries(session: Session, patient_ids: Sequence[uuid.UUID]) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.patient_id.in_(patient_ids))
        .order_by(LedgerEntry.posted_at, LedgerEntry.id)
    )
    return list(session.scalars(query))


def _payer_names(session: Session, entries: Sequence[LedgerEntry]) -> dict[uuid.UUID | None, str]:
    payer_ids = {entry.payer_id for entry in entries if entry.payer_id is not None}
    if not payer_ids:
        return {}
    rows = session.execute(select(Payer.id, Payer.name).where(Payer.id.in_(payer_ids)))
    return {row.id: row.name for row in rows}


def _filtered_rows(
    session: Session, query: LedgerQuery, entries: Sequence[LedgerEntry], keys: Sequence[str]
) -> tuple[list[LedgerRow], Decimal]:
    zone = practice_zone(session)
    opening = ZERO
    chosen: list[tuple[LedgerEntry, str, date]] = []
    for entry, key in zip(entries, keys, strict=True):
        if query.entry_types and entry.entry_type not in query.entry_types:
            continue
        if query.bucket is not None and key != query.bucket:
            continue
        posted_on = _local_date(entry.posted_at, zone)
        if query.date_from is not None and posted_on < query.date_from:
            opening += entry.amount
        elif query.date_to is None or posted_on <= query.date_to:
            chosen.append((entry, key, posted_on))

    codes = _procedure_codes(session, [entry for entry, _key, _day in chosen])
    names = _patient_names(session, {entry.patient_id for entry, _key, _day in chosen})
    reversed_ids = {entry.reverses_id for entry in entries if entry.reverses_id is not None}
    balances = running_balances((entry.amount for entry, _key, _day in chosen), opening)
    rows = [
        LedgerRow(
            entry_id=entry.id,
            patient_id=entry.patient_id,
            patient_name=names.get(entry.patient_id, ""),
            posted_at=entry.posted_at,
            posted_on=posted_on,
            service_date=entry.service_date,
            entry_type=entry.entry_type,
            code=codes.get(entry.source_id, "") if entry.source_id is not None else "",
            memo=entry.memo,
            amount=entry.amount,
            bucket=key,
            bucket_label=bucket_label(key),
            running_balance=balance,
            reversed=entry.id in reversed_ids,
            reverses_id=entry.reverses_id,
        )
        for (entry, key, posted_on), balance in zip(chosen, balances, strict=True)
    ]
    return rows, opening


def _local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _procedure_codes(session: Session, entries: Sequence[LedgerEntry]) -> dict[uuid.UUID, str]:
    line_ids = {
        entry.source_id
        for entry in entries
        if entry.source_type == CHARGE_LINE_SOURCE and entry.source_id is not None
    }
    if not line_ids:
        return {}
    rows = session.execute(
        select(ChargeLine.id, ChargeLine.procedure_code).where(ChargeLine.id.in_(line_ids))
    )
    return {row.id: row.procedure_code for row in rows}


def _patient_names(session: Session, patient_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not patient_ids:
        return {}
    patients = session.scalars(select(Patient).where(Patient.id.in_(patient_ids)))
    return {patient.id: display_name(patient) for patient in patients}
