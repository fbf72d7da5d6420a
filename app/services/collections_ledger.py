"""Ledger work of collection placements: the bad-debt write-off, reinstatements and fees.

Placing an account writes off the guarantor balance as "collections" account
adjustments, one per patient, spread over each patient's open lines oldest first. When
the agency collects money, a positive "collections_recovery" adjustment reinstates that
much of the write-off on the same lines. The money the practice receives is posted as a
patient payment on those lines, and the agency's fee as a negative "collections_fee"
adjustment on them. Reinstated amount = payment + fee, so the guarantor balance is left
where the write-off put it.

What is still written off is read back from the ledger: the rows of every
"collections" and "collections_recovery" adjustment of the account's patients, summed
per patient and line. Reversals carry their row's source, so they net out.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.models.payments import AccountAdjustment
from app.money import ZERO, to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services import account_adjustments
from app.services.account_adjustments import ADJUSTMENT_LABELS, AdjustmentForm
from app.services.account_balances import bucket_totals, open_lines_by_patient, patient_share
from app.services.claim_build_rows import chunks
from app.services.ledger import RESPONSIBLE_PATIENT
from app.services.ledger_bulk import NewEntry, post_entries

log = logging.getLogger(__name__)

WRITE_OFF_KIND = "collections"
RECOVERY_KIND = "collections_recovery"
FEE_KIND = "collections_fee"


@dataclass(frozen=True, slots=True)
class WrittenOff:
    """Part of a collections write-off still off the books: one patient's line, or no line.

    `charge_line_id` None is the part the patient's lines could not take when it was
    written off, which stays on the account. `service_date` is the line's, None for it.
    """

    patient_id: uuid.UUID
    charge_line_id: uuid.UUID | None
    service_date: date | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineShare:
    """An amount to post on one patient's line (or on the account when the line is None)."""

    patient_id: uuid.UUID
    charge_line_id: uuid.UUID | None
    amount: Decimal


# --- the write-off ----------------------------------------------------------------------


def guarantor_balances(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Return each patient's own (patient-bucket) balance; patients owing nothing are left out."""
    totals = bucket_totals(session, patient_ids)
    shares = {patient_id: patient_share(totals.get(patient_id, {})) for patient_id in patient_ids}
    return {patient_id: share for patient_id, share in shares.items() if share != ZERO}


def write_off_amounts(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Return what to write off per patient so the guarantor balance ends at zero.

    Patients with the oldest open line come first, each up to their own balance, until
    the guarantor balance (debts less credits) is used. A patient with a credit keeps
    it, and so the last patient written off may keep part of their debt, which the
    credit offsets. Empty when the guarantor balance is not above zero.
    """
    shares = guarantor_balances(session, patient_ids)
    left = sum(shares.values(), ZERO)
    if left <= ZERO:
        return {}
    open_lines = open_lines_by_patient(session, [pid for pid, share in shares.items() if share > 0])
    oldest = _oldest_line_dates(session, open_lines)
    debtors = sorted(
        (patient_id for patient_id, share in shares.items() if share > ZERO),
        key=lambda patient_id: (oldest.get(patient_id, date.max), patient_id),
    )
    amounts: dict[uuid.UUID, Decimal] = {}
    for patient_id in debtors:
        if left <= ZERO:
            break
        part = min(left, shares[patient_id])
        amounts[patient_id] = part
        left -= part
    return amounts


def _oldest_line_dates(
    session: Session, open_lines: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]
) -> dict[uuid.UUID, date]:
    first_lines = {patient_id: lines[0][0] for patient_id, lines in open_lines.items() if lines}
    dates = service_dates(session, list(first_lines.values()))
    return {
        patient_id: dates[line_id]
        for patient_id, line_id in first_lines.items()
        if line_id in dates
    }


def post_write_off(
    session: Session,
    actor: Actor,
    amounts: dict[uuid.UUID, Decimal],
    reason: str,
    posted_on: date,
) -> list[uuid.UUID]:
    """Post one "collections" adjustment per patient and return the adjustment ids.

    Each goes through `account_adjustments.post_account_adjustment`, so it is checked,
    audited and spread over the patient's open lines as any write-off is. Raises
    ValidationError with the adjustment's problems when one is rejected; the caller
    rolls back what was posted before it.
    """
    adjustment_ids: list[uuid.UUID] = []
    for patient_id, amount in amounts.items():
        form = AdjustmentForm(
            kind=WRITE_OFF_KIND,
            patient_id=patient_id,
            amount=amount,
            reason=reason,
            posted_on=posted_on,
        )
        outcome = account_adjustments.post_account_adjustment(session, actor, form)
        outcome.raise_if_rejected()
        assert outcome.record_id is not None, "a saved outcome carries the adjustment id"
        adjustment_ids.append(outcome.record_id)
    return adjustment_ids


# --- what is still written off -----------------------------------------------------------


def outstanding_write_offs(
    session: Session, patient_ids: Sequence[uuid.UUID], first_on: date | None = None
) -> list[WrittenOff]:
    """Return what the collections write-offs of these patients still keep off the books.

    Lines written off on or after `first_on` (the placement's date) come first, so a
    recovery reinstates the debt of its own placement before an older one kept as bad
    debt by a recall. Within each group the oldest service comes first, and the part
    on no line comes last.
    """
    sums: dict[tuple[uuid.UUID, uuid.UUID | None], Decimal] = {}
    recent: set[tuple[uuid.UUID, uuid.UUID | None]] = set()
    for part in chunks(list(dict.fromkeys(patient_ids))):
        rows = session.execute(
            select(
                LedgerEntry.patient_id,
                LedgerEntry.charge_line_id,
                func.sum(LedgerEntry.amount),
                # The last day the line was written off; reinstatements do not count.
                func.max(
                    case((AccountAdjustment.kind == WRITE_OFF_KIND, AccountAdjustment.posted_on))
                ),
            )
            .join(AccountAdjustment, AccountAdjustment.id == LedgerEntry.source_id)
            .where(
                LedgerEntry.source_type == account_adjustments.SOURCE_TYPE,
                LedgerEntry.patient_id.in_(part),
                AccountAdjustment.kind.in_((WRITE_OFF_KIND, RECOVERY_KIND)),
            )
            .group_by(LedgerEntry.patient_id, LedgerEntry.charge_line_id)
        )
        for patient_id, line_id, total, latest in rows:
            sums[(patient_id, line_id)] = to_money(total)
            if first_on is not None and latest is not None and latest >= first_on:
                recent.add((patient_id, line_id))

    owed = {key: -total for key, total in sums.items() if total < ZERO}
    dates = service_dates(session, [line_id for _pid, line_id in owed if line_id is not None])
    found = [
        WrittenOff(patient_id, line_id, dates.get(line_id) if line_id else None, amount)
        for (patient_id, line_id), amount in owed.items()
    ]
    found.sort(
        key=lambda item: (
            (item.patient_id, item.charge_line_id) not in recent,
            item.charge_line_id is None,
            item.service_date or date.max,
            str(item.charge_line_id),
            str(item.patient_id),
        )
    )
    return found


def service_dates(session: Session, line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date]:
    """Return the service date of each charge line."""
    dates: dict[uuid.UUID, date] = {}
    for part in chunks(list(dict.fromkeys(line_ids))):
        rows = session.execute(
            select(ChargeLine.id, ChargeLine.service_date).where(ChargeLine.id.in_(part))
        )
        dates.update(dict(rows.all()))
    return dates


def take_in_order(items: Sequence[WrittenOff], amount: Decimal) -> list[LineShare]:
    """Take `amount` from the written-off parts in order, each up to what it keeps off."""
    shares: list[LineShare] = []
    left = amount
    for item in items:
        if left <= ZERO:
            break
        part = min(left, item.amount)
        shares.append(LineShare(item.patient_id, item.charge_line_id, part))
        left -= part
    return shares


def split_payment_and_fee(
    shares: Sequence[LineShare], fee: Decimal
) -> tuple[list[LineShare], list[LineShare]]:
    """Split reinstated shares into the payment's part (oldest first) and the fee's part.

    The money received (the reinstated total less `fee`) pays the oldest shares, and the
    fee takes what is left, so each share is paid and the fee in full.
    """
    paid_left = sum((share.amount for share in shares), ZERO) - fee
    paid: list[LineShare] = []
    fees: list[LineShare] = []
    for share in shares:
        part = min(paid_left, share.amount)
        if part > ZERO:
            paid.append(LineShare(share.patient_id, share.charge_line_id, part))
            paid_left -= part
        rest = share.amount - max(part, ZERO)
        if rest > ZERO:
            fees.append(LineShare(share.patient_id, share.charge_line_id, rest))
    return paid, fees


# --- reinstatement and fee adjustments ---------------------------------------------------


def post_line_adjustments(
    session: Session,
    actor: Actor,
    kind: str,
    shares: Sequence[LineShare],
    *,
    sign: int,
    reason: str,
    posted_on: date,
) -> list[uuid.UUID]:
    """Post one adjustment of `kind` per patient, with a ledger row per share, and audit it.

    `sign` +1 raises the patient's balance (a reinstatement) and -1 lowers it (a fee).
    These are written here and not with `post_account_adjustment`, because a
    reinstatement raises the balance and both must land on the exact lines the
    write-off lowered. Raises PeriodLockedError when the ledger is closed for `posted_on`.

    Every row's service date is `posted_on`, as for any payment or adjustment, and not
    the line's own service date. The ledger lock closes periods by the rows' service
    dates, and lines sent to collections are months old, so their dates would usually
    be closed and the recovery rejected. The charge line id links each row to its visit.
    """
    by_patient: dict[uuid.UUID, list[LineShare]] = {}
    for share in shares:
        by_patient.setdefault(share.patient_id, []).append(share)

    entries: list[NewEntry] = []
    adjustment_ids: list[uuid.UUID] = []
    memo = f"{ADJUSTMENT_LABELS[kind]} adjustment: {reason}"
    for patient_id, patient_shares in by_patient.items():
        total = sum((share.amount for share in patient_shares), ZERO)
        adjustment = _write_adjustment(
            session,
            actor,
            kind,
            patient_id,
            amount=sign * total,
            reason=reason,
            posted_on=posted_on,
        )
        adjustment_ids.append(adjustment.id)
        entries.extend(
            NewEntry(
                entry_type=account_adjustments.ENTRY_TYPE,
                amount=sign * share.amount,
                patient_id=patient_id,
                responsible_party=RESPONSIBLE_PATIENT,
                service_date=posted_on,
                source_type=account_adjustments.SOURCE_TYPE,
                source_id=adjustment.id,
                memo=memo,
                charge_line_id=share.charge_line_id,
            )
            for share in patient_shares
        )
    post_entries(session, actor, entries, detail=f"{kind} of {len(adjustment_ids)} patients")
    log.info("posted %d %s adjustments in %d ledger rows", len(adjustment_ids), kind, len(entries))
    return adjustment_ids


def _write_adjustment(
    session: Session,
    actor: Actor,
    kind: str,
    patient_id: uuid.UUID,
    *,
    amount: Decimal,
    reason: str,
    posted_on: date,
) -> AccountAdjustment:
    if actor.user_id is None:
        raise UserError(
            "Adjustments record the person who posted them, and no user is signed in. "
            "Sign in and try again."
        )
    adjustment = AccountAdjustment(
        patient_id=patient_id,
        kind=kind,
        amount=amount,
        charge_line_id=None,
        reason=reason,
        posted_on=posted_on,
        posted_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(adjustment)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        account_adjustments.OBJECT_TYPE,
        adjustment.id,
        patient_id=patient_id,
        detail=f"kind {kind}",
    )
    return adjustment
