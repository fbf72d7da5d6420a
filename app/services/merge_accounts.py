"""The merge step that keeps a guarantor's billing account with the surviving record.

A billing account names its guarantor by patient id. When the guarantor's own chart is
merged into a duplicate, the family's patients are pointed at the survivor. Without this
step they would land on a new, empty account. The hold, payment plan, email consent and
statement history of the old one would stay behind. Every change goes through the
merge's RowRecorder, so undoing the merge puts it all back.
"""

import uuid

from sqlalchemy import select

from app.models.statements import BillingAccount, CollectionPlacement, PaymentPlan, Statement
from app.services.merge_steps import MergeContext

# Tables whose rows belong to one billing account and follow it to the survivor's.
ACCOUNT_ROWS = (
    ("statement", Statement),
    ("payment_plan", PaymentPlan),
    ("collection_placement", CollectionPlacement),
)


def move_billing_account(context: MergeContext) -> list[str]:
    """Give the survivor the merged record's billing account, or fold it into theirs.

    Returns notes for the user when both records had an account.
    """
    merged_account = _account_of(context, context.merged_id)
    if merged_account is None:
        return []

    survivor_account = _account_of(context, context.survivor_id)
    if survivor_account is None:
        # The usual case: the account changes guarantor and keeps its number.
        context.recorder.update(
            "billing_account", merged_account.id, {"guarantor_patient_id": context.survivor_id}
        )
        return []

    _move_account_rows(context, merged_account.id, survivor_account.id)
    _carry_settings(context, merged_account, survivor_account)
    return [
        f"Both records were guarantors. Account {merged_account.account_number}'s statements, "
        f"payment plans and collections now belong to account "
        f"{survivor_account.account_number}."
    ]


def _account_of(context: MergeContext, patient_id: uuid.UUID) -> BillingAccount | None:
    return context.session.scalar(
        select(BillingAccount).where(BillingAccount.guarantor_patient_id == patient_id)
    )


def _move_account_rows(context: MergeContext, old_id: uuid.UUID, new_id: uuid.UUID) -> None:
    for table_name, model in ACCOUNT_ROWS:
        row_ids = context.session.scalars(
            select(model.id).where(model.account_id == old_id).order_by(model.id)
        ).all()
        for row_id in row_ids:
            context.recorder.update(table_name, row_id, {"account_id": new_id})


def _carry_settings(
    context: MergeContext, merged: BillingAccount, survivor: BillingAccount
) -> None:
    """Keep a hold and an email consent that only the merged record's account had.

    A hold protects the guarantor (a dispute, a bankruptcy), so losing it in a merge would
    send notices that must not go out. The survivor's own hold wins when both have one.
    """
    values: dict[str, object] = {}
    if survivor.hold_reason is None and merged.hold_reason is not None:
        values.update(
            hold_reason=merged.hold_reason,
            hold_until=merged.hold_until,
            hold_note=merged.hold_note,
        )
    if merged.email_statements and not survivor.email_statements:
        values["email_statements"] = True
    if values:
        context.recorder.update("billing_account", survivor.id, values)
