"""Posting to the append-only ledger, reversals, balances and the period lock date.

Services write ledger rows through `post_entry`. It hashes the row's fields into
row_hash, and its audit POST event carries the same hash, so `ledger verify` can find a
row added, changed or removed behind the application's back. Balances are sums over the
ledger and are never stored.

The functions that post check no permission: the caller checks the one its action needs
(CHARGE_POST for charges, SCHEDULE_EDIT for a no-show fee, and so on).
"""

import logging
import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError, ValidationError
from app.ids import new_id
from app.ledger_hash import ledger_row_hash
from app.models.ledger import LedgerEntry
from app.models.onboarding import PatientMerge
from app.models.practice import Payer
from app.models.system import Setting
from app.money import ZERO, to_money
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.settings import store_setting
from app.services.today import practice_today

log = logging.getLogger(__name__)

ENTRY_TYPES = ("charge", "payment", "adjustment", "transfer", "refund", "reversal")
REVERSAL = "reversal"
RESPONSIBLE_PATIENT = "patient"
RESPONSIBLE_PARTIES = (RESPONSIBLE_PATIENT, "primary", "secondary", "tertiary")
CHARGE_LINE_SOURCE = "charge_line"
# source_type of the transfers that move a merged record's rows to the survivor; their
# source_id is the patient_merge id.
MERGE_SOURCE = "merge"

# Bucket key of the patient's own share in balances_by_bucket; insurance buckets are
# keyed by the payer's name.
PATIENT_BUCKET = "patient"
# Bucket key of insurance rows that name no payer (rows written before post_entry
# required one).
UNKNOWN_PAYER_BUCKET = "Insurance (payer not recorded)"

LOCK_DATE_KEY = "ledger.lock_date"
# Managers close a period; PAYMENT_VOID is the manager-only permission over posted money.
LOCK_PERMISSION = Permission.PAYMENT_VOID

# The audit detail of a POST event carries the row's hash in this form.
HASH_PATTERN = re.compile(r"row_hash=([0-9a-f]{64})")


class PeriodLockedError(UserError):
    """A posting into a period that a manager has closed with the ledger lock date."""


def entry_hash(entry: LedgerEntry | Row[Any]) -> str:
    """Return the SHA-256 of the entry's fields (an ORM row or a Core row) as posted."""
    return ledger_row_hash(
        entry_id=entry.id,
        posted_at=entry.posted_at,
        posted_by=entry.posted_by,
        entry_type=entry.entry_type,
        amount=entry.amount,
        patient_id=entry.patient_id,
        payer_id=entry.payer_id,
        responsible_party=entry.responsible_party,
        service_date=entry.service_date,
        reverses_id=entry.reverses_id,
        source_type=entry.source_type,
        source_id=entry.source_id,
        memo=entry.memo,
        charge_line_id=entry.charge_line_id,
    )


def bucket_key(responsible_party: str, payer_name: str | None) -> str:
    """Return the balance bucket of a row: "patient", or the payer's name for insurance."""
    if responsible_party == RESPONSIBLE_PATIENT:
        return PATIENT_BUCKET
    return payer_name or UNKNOWN_PAYER_BUCKET


def bucket_label(key: str) -> str:
    """Return the bucket's name as screens show it ("Patient" or the payer's name)."""
    return "Patient" if key == PATIENT_BUCKET else key


# --- the period lock ----------------------------------------------------------------


def ledger_lock_date(session: Session) -> date | None:
    """Return the last day of the closed period, or None when no period is closed."""
    value = session.scalar(select(Setting.value).where(Setting.key == LOCK_DATE_KEY))
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        log.error("stored ledger lock date %r is not a date; no period is treated as closed", value)
        return None


def set_ledger_lock_date(session: Session, actor: Actor, lock_date: date | None) -> Changes:
    """Close every day up to and including `lock_date` to posting (None reopens all).

    Managers and administrators only. Raises ValidationError for today or a later day,
    because closing the current day would stop all posting.
    """
    require(actor, LOCK_PERMISSION)
    today = practice_today(session)
    if lock_date is not None and lock_date >= today:
        raise ValidationError(
            [
                Problem(
                    "lock_date",
                    f"The lock date {lock_date:%m/%d/%Y} is not before today "
                    f"({today:%m/%d/%Y}); choose the last day of a period that has ended.",
                )
            ]
        )
    if lock_date == ledger_lock_date(session):
        return Changes()
    stored = None if lock_date is None else lock_date.isoformat()
    store_setting(session, actor, LOCK_DATE_KEY, stored)
    log.info("ledger lock date set to %s", lock_date)
    return Changes.of(ChangeKind.SETTINGS, ChangeKind.LEDGER)


def _check_period_open(session: Session, service_date: date | None) -> None:
    lock_date = ledger_lock_date(session)
    if lock_date is None:
        return
    # A row without a service date posts on today's date.
    effective = service_date if service_date is not None else practice_today(session)
    if effective <= lock_date:
        raise PeriodLockedError(
            f"The ledger is closed through {lock_date:%m/%d/%Y}, so nothing can be posted "
            f"with the date {effective:%m/%d/%Y}. Ask a manager to move the ledger lock "
            "date back, or post with a date in the open period."
        )


# --- posting ------------------------------------------------------------------------


def _check_fields(
    entry_type: str, amount: Decimal, responsible_party: str, payer_id: uuid.UUID | None
) -> None:
    # These values come from calling code, not from a person typing, so a wrong one is a bug.
    if entry_type not in ENTRY_TYPES:
        raise ValueError(f"entry_type {entry_type!r} is not one of {', '.join(ENTRY_TYPES)}")
    if responsible_party not in RESPONSIBLE_PARTIES:
        parties = ", ".join(RESPONSIBLE_PARTIES)
        raise ValueError(f"responsible_party {responsible_party!r} is not one of {parties}")
    if responsible_party != RESPONSIBLE_PATIENT and payer_id is None:
        raise ValueError(f"a {responsible_party} insurance row needs the payer_id")
    if not isinstance(amount, Decimal) or amount != to_money(amount):
        raise ValueError(f"amount {amount!r} must be a Decimal in whole cents (use to_money)")


def _check_reversal(session: Session, target_id: uuid.UUID, amount: Decimal) -> LedgerEntry:
    target = session.get(LedgerEntry, target_id)
    if target is None:
        raise NotFoundError(f"Ledger row {target_id} was not found; refresh the ledger.")
    if amount != -target.amount:
        raise ValueError(f"a reversal of {target.amount} must have the amount {-target.amount}")
    if reversal_of(session, target_id) is not None:
        raise UserError(
            f"Ledger row {target_id} is already reversed; refresh the ledger to see the reversal."
        )
    return target


def reversal_of(session: Session, entry_id: uuid.UUID) -> LedgerEntry | None:
    """Return the row that reverses `entry_id`, or None when it is not reversed."""
    return session.scalars(
        select(LedgerEntry).where(LedgerEntry.reverses_id == entry_id).limit(1)
    ).first()


def post_entry(
    session: Session,
    actor: Actor,
    *,
    entry_type: str,
    amount: Decimal,
    patient_id: uuid.UUID,
    responsible_party: str,
    payer_id: uuid.UUID | None = None,
    service_date: date | None = None,
    source_type: str | None = None,
    source_id: uuid.UUID | None = None,
    reverses_id: uuid.UUID | None = None,
    memo: str = "",
    check_period: bool = True,
    charge_line_id: uuid.UUID | None = None,
) -> LedgerEntry:
    """Insert one ledger row with its row_hash, flush it and audit it (AuditAction.POST).

    `charge_line_id` names the service line the row settles (a payment or adjustment of
    that line), so line balances are sums too. `check_period` False skips the lock date,
    for pairs of rows that move an amount
    between patients without changing any period's total (a patient merge and its undo).

    Raises UserError when no person is signed in (every row names who posted it),
    PeriodLockedError when the service date falls in a closed period, and ValueError for
    field values calling code should never pass: an unknown entry type or responsible
    party, insurance without a payer, fractions of a cent, or a reversal that does not
    cancel its row exactly. A "reversal" row needs `reverses_id`, and only a reversal
    may have one.
    """
    if actor.user_id is None:
        raise UserError(
            "Ledger rows record the person who posted them, and no user is signed in. "
            "Sign in and post again."
        )
    _check_fields(entry_type, amount, responsible_party, payer_id)
    if (entry_type == REVERSAL) != (reverses_id is not None):
        raise ValueError("a reversal row needs reverses_id, and only a reversal may have one")
    if reverses_id is not None:
        _check_reversal(session, reverses_id, amount)
    if check_period:
        _check_period_open(session, service_date)

    entry = LedgerEntry(
        id=new_id(),
        posted_at=utc_now(),
        posted_by=actor.user_id,
        entry_type=entry_type,
        amount=amount,
        patient_id=patient_id,
        payer_id=payer_id,
        responsible_party=responsible_party,
        service_date=service_date,
        reverses_id=reverses_id,
        source_type=source_type,
        source_id=source_id,
        memo=memo,
        charge_line_id=charge_line_id,
    )
    entry.row_hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.POST,
        "ledger_entry",
        entry.id,
        patient_id=patient_id,
        detail=_post_detail(entry),
    )
    return entry


def _post_detail(entry: LedgerEntry) -> str:
    # Ids and the hash only: the audit detail contains no amounts tied to a patient.
    parts = [entry.entry_type]
    if entry.source_type:
        parts.append(f"source {entry.source_type} {entry.source_id}")
    if entry.reverses_id:
        parts.append(f"reverses {entry.reverses_id}")
    parts.append(f"row_hash={entry.row_hash}")
    return "; ".join(parts)


def reverse_entry(session: Session, actor: Actor, entry_id: uuid.UUID, memo: str) -> LedgerEntry:
    """Post the reversal of `entry_id`: the opposite amount in the same bucket and source.

    When the row's patient was merged into another record, the reversal is then moved to
    that record as the merge moved the row itself, so the survivor's balance drops.

    Raises UserError without a memo (the reason stays on the ledger), for a row that is
    already reversed, and for a row that is itself a reversal (post the original again
    instead); NotFoundError when the row does not exist.
    """
    if not memo.strip():
        raise UserError("Give the reason for the reversal; it is shown on the ledger.")
    original = session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotFoundError(f"Ledger row {entry_id} was not found; refresh the ledger.")
    if original.entry_type == REVERSAL:
        raise UserError(
            f"Ledger row {entry_id} is itself a reversal and cannot be reversed; "
            "post the original entry again instead."
        )
    reversal = post_entry(
        session,
        actor,
        entry_type=REVERSAL,
        amount=-original.amount,
        patient_id=original.patient_id,
        responsible_party=original.responsible_party,
        payer_id=original.payer_id,
        service_date=original.service_date,
        source_type=original.source_type,
        source_id=original.source_id,
        reverses_id=original.id,
        memo=memo.strip(),
        charge_line_id=original.charge_line_id,
    )
    _follow_merges(session, actor, reversal)
    return reversal


def _follow_merges(session: Session, actor: Actor, reversal: LedgerEntry) -> None:
    """Move a reversal posted on a merged record to the record that has its balance now.

    Each merge in force moves the amount by a pair of transfers tagged with the merge, as
    the merge moved every other row, so undoing that merge moves the pair back too.
    """
    patient_id = reversal.patient_id
    seen: set[uuid.UUID] = set()
    while True:
        merge = session.scalars(
            select(PatientMerge)
            .where(PatientMerge.merged_id == patient_id, PatientMerge.undone_at.is_(None))
            .order_by(PatientMerge.created_at.desc())
            .limit(1)
        ).first()
        if merge is None or merge.id in seen:
            return
        seen.add(merge.id)
        moves = (
            (patient_id, -reversal.amount, "to the surviving record"),
            (merge.survivor_id, reversal.amount, "from the merged record"),
        )
        for owner, amount, direction in moves:
            post_entry(
                session,
                actor,
                entry_type="transfer",
                amount=amount,
                patient_id=owner,
                responsible_party=reversal.responsible_party,
                payer_id=reversal.payer_id,
                service_date=reversal.service_date,
                source_type=MERGE_SOURCE,
                source_id=merge.id,
                memo=f"Reversal {reversal.id} moved {direction} of merge {merge.id}.",
                # The pair nets to zero in every period, as the merge's own transfers do.
                check_period=False,
            )
        log.info("moved reversal %s to the survivor of merge %s", reversal.id, merge.id)
        patient_id = merge.survivor_id


# --- balances -----------------------------------------------------------------------


def patient_balance(session: Session, patient_id: uuid.UUID) -> Decimal:
    """Return the sum of the patient's ledger rows over every bucket (what is owed)."""
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.patient_id == patient_id)
    )
    return ZERO if total is None else to_money(total)


def balances_by_bucket(session: Session, patient_id: uuid.UUID) -> dict[str, Decimal]:
    """Return the patient's balance per bucket; buckets whose rows sum to zero are left out.

    Keys are "patient" (PATIENT_BUCKET) or the payer's name for insurance buckets; two
    insurance rows with payers of the same name share a bucket.
    """
    rows = session.execute(
        select(LedgerEntry.responsible_party, Payer.name, func.sum(LedgerEntry.amount))
        .outerjoin(Payer, Payer.id == LedgerEntry.payer_id)
        .where(LedgerEntry.patient_id == patient_id)
        .group_by(LedgerEntry.responsible_party, LedgerEntry.payer_id, Payer.name)
    )
    balances: dict[str, Decimal] = {}
    for party, payer_name, total in rows:
        key = bucket_key(party, payer_name)
        balances[key] = balances.get(key, ZERO) + to_money(total)
    return {key: amount for key, amount in balances.items() if amount != ZERO}
