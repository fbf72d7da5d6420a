"""Undoing a deposit made by mistake, before the bank statement is compared with it.

Undoing returns the deposit's payments and remittances to the money not yet deposited.
The deposit row stays, with status "undone", its number and its original expected
amount, so the numbering keeps no gap and the audit trail keeps what was undone. Its
note and the audit entry name who undid it, when, and which receipts and traces it
carried.

Undoing needs PAYMENT_POST, the permission that makes deposits, because it only takes
back a deposit that no one has checked against the bank yet. A reconciled deposit
cannot be undone.
"""

import logging
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import UserError
from app.models.payments import Deposit, Payment, Remittance
from app.money import format_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.deposits import (
    NO_ITEMS,
    OBJECT_TYPE,
    RECONCILED,
    UNDONE,
    counted_totals,
    get_deposit,
    local_day,
    user_name,
)

log = logging.getLogger(__name__)


class DepositNotUndoableError(UserError):
    """Raised for a deposit that is reconciled or undone already. The message names the fix."""


def undo_deposit(session: Session, actor: Actor, deposit_id: uuid.UUID) -> Changes:
    """Return the deposit's payments and remittances to the undeposited money; mark it undone.

    Raises DepositNotUndoableError for a deposit that is reconciled or already undone,
    and NotFoundError for an unknown id. Nothing is written then.
    """
    require(actor, Permission.PAYMENT_POST)
    deposit = get_deposit(session, deposit_id)
    _check_undoable(session, deposit)

    payments = list(session.scalars(select(Payment).where(Payment.deposit_id == deposit.id)))
    remittances = list(
        session.scalars(select(Remittance).where(Remittance.deposit_id == deposit.id))
    )
    # The note counts items the way the deposit list does, which leaves out voided items.
    counted = counted_totals(session, [deposit.id]).get(deposit.id, NO_ITEMS)
    items: list[Payment | Remittance] = [*payments, *remittances]
    for item in items:
        item.deposit_id = None
        item.updated_by = actor.user_id

    deposit.status = UNDONE
    deposit.note = _undone_note(session, actor, counted.count, counted.amount)
    deposit.updated_by = actor.user_id
    session.flush()

    references = [payment.receipt_number for payment in payments]
    references += [f"trace {remittance.trace_number}" for remittance in remittances]
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        deposit.id,
        detail=f"undone; back to undeposited: {', '.join(references) or 'no items'}",
    )
    log.info(
        "deposit %s undone; %d payments and %d remittances are undeposited again",
        deposit.id,
        len(payments),
        len(remittances),
    )
    return Changes.of(ChangeKind.PAYMENTS)


def _check_undoable(session: Session, deposit: Deposit) -> None:
    if deposit.status == RECONCILED:
        day = local_day(session, deposit.reconciled_at)
        reconciled_on = f" on {day:%m/%d/%Y}" if day is not None else ""
        raise DepositNotUndoableError(
            f"Deposit {deposit.deposit_number} was reconciled with the bank "
            f"statement{reconciled_on}, so it cannot be undone, and ClinicDesk cannot clear "
            "a reconciliation. Ask a manager to correct the money in it with a refund or an "
            "account adjustment instead."
        )
    if deposit.status == UNDONE:
        raise DepositNotUndoableError(
            f"Deposit {deposit.deposit_number} was undone already, and its items are back "
            "in the money not yet deposited; refresh the list of deposits."
        )


def _undone_note(session: Session, actor: Actor, count: int, returned: Decimal) -> str:
    day = local_day(session, utc_now())
    undone_by = user_name(session, actor.user_id) or actor.username
    noun = "item" if count == 1 else "items"
    return (
        f"Undone by {undone_by} on {day:%m/%d/%Y}; {count} {noun} ({format_money(returned)}) "
        "went back to the money not yet deposited."
    )
