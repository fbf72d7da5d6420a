"""A primary payer's reversal after the secondary payer paid its own claim for the services.

The primary pays and leaves a 10.00 deductible, which moves to the secondary payer's
bucket and is billed on a claim to the secondary. The secondary pays 8.00 of it on that
claim. Reversing the primary alone would move the 10.00 back out of the secondary's
bucket, leaving it a credit larger than it paid, so the reversal waits for the
secondary's reversal.
"""

import uuid
from decimal import Decimal

import pytest

from app.errors import UserError
from app.models.payments import RemittanceClaim
from app.services.era_queue import post_reviewed
from app.x12.writer_835 import WrittenClaim
from tests.helpers.era_data import BuiltClaim, EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    ADJUSTED,
    PAID,
    SECONDARY_ADJUSTED,
    SECONDARY_PAID,
    add_secondary_coverage,
    buckets,
    claim_payments,
    claim_to,
    control,
    import_text,
    ledger_findings,
    ledger_rows,
    new_claim,
    new_payer,
    reversal_remittance,
    trace,
)


def secondary_payment(claim: BuiltClaim) -> WrittenClaim:
    """Return the secondary payer's payment of its own claim."""
    return written_claim(
        claim,
        paid=SECONDARY_PAID,
        adjustments=SECONDARY_ADJUSTED,
        status_code="2",
        payer_claim_number="SEC-ICN-2",
    )


def secondary_paid_then_primary_reversed(
    practice: EraPractice,
) -> tuple[BuiltClaim, BuiltClaim, tuple[str, str], uuid.UUID]:
    """Post both payments, then import the primary's reversal.

    Returns the primary claim, the secondary's claim, the secondary payer and the
    reversal's claim payment id.
    """
    primary_id, primary = new_payer(practice)
    secondary_id, secondary = new_payer(practice)
    claim = new_claim(practice, primary_id)
    add_secondary_coverage(practice, claim, secondary_id)
    paid = written_claim(claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number="PRI-ICN-2")
    first = write_remittance([paid], payer=primary, trace_number=trace(), control_number=control())
    assert import_text(practice, first).posted == 1
    assert buckets(practice, claim) == {secondary[0]: Decimal("10.00")}

    second_claim = claim_to(practice, claim, secondary_id)
    second = write_remittance(
        [secondary_payment(second_claim)],
        payer=secondary,
        trace_number=trace(),
        control_number=control(),
    )
    assert import_text(practice, second).posted == 1
    assert buckets(practice, claim) == {"patient": Decimal("2.00")}

    result = import_text(practice, reversal_remittance(paid, primary, "-100.00"))
    (row,) = claim_payments(practice, result.response_id)
    return claim, second_claim, secondary, row.id


def test_primary_reversal_waits(era_practice: EraPractice) -> None:
    claim, second_claim, secondary, row_id = secondary_paid_then_primary_reversed(era_practice)

    with era_practice.database.reading() as session:
        row = session.get(RemittanceClaim, row_id)
        assert row is not None
    assert row.state == "review"
    reason = row.review_reason or ""
    assert f"after {secondary[0]} paid claim {second_claim.claim_number}" in reason
    assert (
        f"Post this reversal after {secondary[0]}'s reversal of claim "
        f"{second_claim.claim_number} is posted" in reason
    )
    # Nothing moved: the secondary's 8.00 and the patient's 2.00 stand.
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    assert ledger_findings(era_practice) == []


def test_primary_reversal_approval_rejected(era_practice: EraPractice) -> None:
    claim, second_claim, _, row_id = secondary_paid_then_primary_reversed(era_practice)
    rows_before = ledger_rows(era_practice)

    with (
        pytest.raises(UserError, match=f"reversal of claim {second_claim.claim_number}"),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, row_id)

    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}


def test_primary_reversal_after_secondary_reversal(era_practice: EraPractice) -> None:
    claim, second_claim, secondary, row_id = secondary_paid_then_primary_reversed(era_practice)
    taken_back = reversal_remittance(
        secondary_payment(second_claim), secondary, "-8.00", "SEC-ICN-2"
    )
    assert import_text(era_practice, taken_back).posted == 1
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("10.00")}

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row_id)

    # Both payments are taken back, so the primary payer owes the whole charge again and
    # the secondary owes nothing and is owed nothing.
    owed = buckets(era_practice, claim)
    assert sum(owed.values(), Decimal("0")) == Decimal("160.00")
    assert secondary[0] not in owed
    assert "patient" not in owed
    assert ledger_findings(era_practice) == []
