"""The face sheet's Statements section: the patient's billing account and what it was sent.

It also names a hold in force on the day, because a held account gets no statements
and the front desk should know why before discussing the balance.

The account is looked up and never created here, because viewing a face sheet must not
write. A patient whose guarantor has no account yet gets no summary. The statements are
read from the stored rows, so the section lists what was printed or emailed, not a
recomputation.
"""

import logging
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.patients import Patient
from app.models.statements import BillingAccount, CollectionPlacement, Statement
from app.money import format_money
from app.services.billing_accounts import (
    HOLD_LABELS,
    active_hold,
    guarantor_contact,
    guarantor_key,
)
from app.services.face_sheet_values import StatementHistoryLine, StatementSummary
from app.services.notice_levels import level_label, list_levels
from app.services.payment_plans import plan_states

log = logging.getLogger(__name__)

STATEMENT_COUNT = 5
PLACED = "placed"
CHANNEL_LABELS = {"print": "Print", "email": "Email"}
PLAN_PREFIX = "Payment plan: "


def statement_summary(session: Session, patient: Patient, today: date) -> StatementSummary | None:
    """Return the patient's account, last statements, open plan, open placement and hold.

    Returns None when the patient's guarantor has no billing account yet.
    """
    account = _account(session, patient)
    if account is None:
        return None
    return StatementSummary(
        account_number=account.account_number,
        guarantor=_guarantor_name(session, account),
        statements=_statements(session, account.id),
        payment_plan=_payment_plan(session, account.id, today),
        collections=_collections(session, account.id),
        hold=hold_text(account, today),
    )


def hold_text(account: BillingAccount, today: date) -> str:
    """Describe the hold in force on `today`, such as "Bankruptcy through 07/31/2026".

    Returns "" when the account has no hold or its last day has passed.
    """
    reason = active_hold(account, today)
    if reason is None:
        return ""
    label = HOLD_LABELS.get(reason, reason)
    if account.hold_until is None:
        return f"{label}, until released"
    return f"{label} through {account.hold_until:%m/%d/%Y}"


def _account(session: Session, patient: Patient) -> BillingAccount | None:
    kind, owner_id = guarantor_key(
        patient.id, patient.guarantor_patient_id, patient.guarantor_person_id
    )
    column = (
        BillingAccount.guarantor_patient_id
        if kind == "patient"
        else BillingAccount.guarantor_person_id
    )
    return session.scalar(
        select(BillingAccount).where(column == owner_id, BillingAccount.archived.is_(False))
    )


def _guarantor_name(session: Session, account: BillingAccount) -> str:
    try:
        return guarantor_contact(session, account).name
    except NotFoundError:
        # The face sheet still opens. The Billing account tab shows the error and its fix.
        log.warning("guarantor record of billing account %s not found", account.id)
        return "Not found"


def _statements(session: Session, account_id: uuid.UUID) -> tuple[StatementHistoryLine, ...]:
    rows = session.scalars(
        select(Statement)
        .where(Statement.account_id == account_id, Statement.archived.is_(False))
        .order_by(Statement.statement_date.desc(), Statement.created_at.desc())
        .limit(STATEMENT_COUNT)
    ).all()
    levels = list_levels(session)
    return tuple(
        StatementHistoryLine(
            statement_date=row.statement_date,
            level=level_label(levels, row.level),
            amount_due=row.amount_due,
            channel=CHANNEL_LABELS.get(row.channel, row.channel.capitalize()),
            status=row.status.capitalize(),
        )
        for row in rows
    )


def _payment_plan(session: Session, account_id: uuid.UUID, today: date) -> str:
    state = plan_states(session, [account_id], today).get(account_id)
    if state is None:
        return ""
    return state.summary.removeprefix(PLAN_PREFIX)


def _collections(session: Session, account_id: uuid.UUID) -> str:
    placement = session.scalars(
        select(CollectionPlacement)
        .where(
            CollectionPlacement.account_id == account_id,
            CollectionPlacement.status == PLACED,
            CollectionPlacement.archived.is_(False),
        )
        .order_by(CollectionPlacement.placed_on.desc())
        .limit(1)
    ).first()
    if placement is None:
        return ""
    return (
        f"Placed with {placement.agency} on {placement.placed_on:%m/%d/%Y}, "
        f"{format_money(placement.placed_amount)} written off"
    )
