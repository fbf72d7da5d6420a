"""Posting many ledger rows at once, for remittances and other work that posts thousands.

`post_entry` flushes and audits each row, which costs about a millisecond per row. A
remittance of 10,000 claims posts some 50,000 rows, so this module inserts them with one
statement and records one audit event per chunk of rows. Each event's detail lists every
row's id and hash (`id=hash`), which `ledger verify` reads as it reads a single POST
event. The rules are those of `post_entry`: whole cents, known entry types and parties,
a payer for insurance rows and the period lock. Reversals are not posted here; use
`ledger.reverse_entry`, which also follows merged records.
"""

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.fast_insert import insert_many
from app.errors import UserError
from app.ids import new_id
from app.ledger_hash import ledger_row_hash
from app.models.ledger import LedgerEntry
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services.ledger import REVERSAL, _check_fields, _check_period_open

log = logging.getLogger(__name__)

# object_type of the audit events that record a chunk of rows.
BATCH_OBJECT_TYPE = "ledger_entries"
# Rows per audit event: keeps each event's detail near 100 KB.
CHUNK_ROWS = 1000
# One `id=hash` pair of a batch event's detail.
PAIR_PATTERN = re.compile(r"([0-9a-f-]{36})=([0-9a-f]{64})")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One ledger row to post; the fields mean what they mean on `ledger.post_entry`."""

    entry_type: str
    amount: Decimal
    patient_id: uuid.UUID
    responsible_party: str
    payer_id: uuid.UUID | None = None
    service_date: date | None = None
    source_type: str | None = None
    source_id: uuid.UUID | None = None
    memo: str = ""
    charge_line_id: uuid.UUID | None = None


def post_entries(
    session: Session, actor: Actor, entries: Sequence[NewEntry], *, detail: str = ""
) -> list[uuid.UUID]:
    """Insert every row with its hash, audit them in chunks, and return their ids in order.

    `detail` (ids and counts only, never PHI) starts each audit event, for example the
    remittance the rows post. Raises what `post_entry` raises, before anything is written.
    """
    if not entries:
        return []
    if actor.user_id is None:
        raise UserError(
            "Ledger rows record the person who posted them, and no user is signed in. "
            "Sign in and post again."
        )
    _check_all(session, entries)

    posted_at = utc_now()
    ids = [new_id() for _ in entries]
    rows = [
        _row(entry_id, entry, actor.user_id, posted_at)
        for entry_id, entry in zip(ids, entries, strict=True)
    ]
    insert_many(session, cast(Table, LedgerEntry.__table__), rows)
    for start in range(0, len(rows), CHUNK_ROWS):
        _audit_chunk(session, actor, rows[start : start + CHUNK_ROWS], detail)
    log.info("posted %d ledger rows in one batch", len(rows))
    return ids


def _check_all(session: Session, entries: Sequence[NewEntry]) -> None:
    for entry in entries:
        if entry.entry_type == REVERSAL:
            raise ValueError("post reversals with ledger.reverse_entry, not in a batch")
        _check_fields(entry.entry_type, entry.amount, entry.responsible_party, entry.payer_id)
    # The lock date is one setting; checking each distinct date once is enough.
    for service_date in {entry.service_date for entry in entries}:
        _check_period_open(session, service_date)


def _row(
    entry_id: uuid.UUID, entry: NewEntry, user_id: uuid.UUID, posted_at: datetime
) -> dict[str, object]:
    row_hash = ledger_row_hash(
        entry_id=entry_id,
        posted_at=posted_at,
        posted_by=user_id,
        entry_type=entry.entry_type,
        amount=entry.amount,
        patient_id=entry.patient_id,
        payer_id=entry.payer_id,
        responsible_party=entry.responsible_party,
        service_date=entry.service_date,
        reverses_id=None,
        source_type=entry.source_type,
        source_id=entry.source_id,
        memo=entry.memo,
        charge_line_id=entry.charge_line_id,
    )
    return {
        "id": entry_id,
        "posted_at": posted_at,
        "posted_by": user_id,
        "entry_type": entry.entry_type,
        "amount": entry.amount,
        "patient_id": entry.patient_id,
        "payer_id": entry.payer_id,
        "responsible_party": entry.responsible_party,
        "service_date": entry.service_date,
        "reverses_id": None,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "memo": entry.memo,
        "charge_line_id": entry.charge_line_id,
        "row_hash": row_hash,
    }


def _audit_chunk(
    session: Session, actor: Actor, rows: list[dict[str, object]], detail: str
) -> None:
    pairs = " ".join(f"{row['id']}={row['row_hash']}" for row in rows)
    prefix = f"{detail}; " if detail else ""
    audit.record(
        session,
        actor,
        AuditAction.POST,
        BATCH_OBJECT_TYPE,
        detail=f"{prefix}{len(rows)} rows: {pairs}",
    )
