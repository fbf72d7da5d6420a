"""The crossover payer's own remittance: it settles the claim as the next payer.

The primary payer processes the claim and forwards it (CLP02 19), which moves the
deductible to the secondary payer's bucket. The secondary payer's 835 then names the
primary claim's number in CLP01.
"""

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from app.models.claims import Claim
from app.services.era_queue import post_reviewed
from app.x12.writer_835 import WrittenClaim
from tests.helpers.era_data import BuiltClaim, EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    SECONDARY_ADJUSTED,
    SECONDARY_PAID,
    add_secondary_coverage,
    adjudications,
    buckets,
    claim_payments,
    claim_status,
    control,
    forwarded_claim,
    import_text,
    ledger_findings,
    ledger_rows,
    new_claim,
    new_payer,
    reversal_remittance,
    trace,
)


def crossed_over_claim(
    practice: EraPractice, secondary_mode: str = "auto"
) -> tuple[BuiltClaim, tuple[uuid.UUID, str], tuple[uuid.UUID, tuple[str, str]]]:
    """Post a primary crossover; return the claim, (primary id, name) and the secondary."""
    payer_id, payer = new_payer(practice)
    next_id, next_payer = new_payer(practice, secondary_mode)
    claim = new_claim(practice, payer_id)
    add_secondary_coverage(practice, claim, next_id)
    text = write_remittance(
        [forwarded_claim(claim, next_payer[0])],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    assert import_text(practice, text).posted == 1
    assert buckets(practice, claim) == {next_payer[0]: Decimal("10.00")}
    return claim, (payer_id, payer[0]), (next_id, next_payer)


def secondary_payment(claim: BuiltClaim) -> WrittenClaim:
    """Return the secondary payer's claim payment, naming the primary claim in CLP01."""
    return written_claim(
        claim,
        paid=SECONDARY_PAID,
        adjustments=SECONDARY_ADJUSTED,
        status_code="2",
        payer_claim_number="SEC-ICN-1",
    )


def payer_claim_number(practice: EraPractice, claim: BuiltClaim) -> str | None:
    with practice.database.reading() as session:
        found = session.get(Claim, claim.claim_id)
        assert found is not None
        return found.payer_claim_number


def test_crossover_payer_posts_secondary(era_practice: EraPractice) -> None:
    claim, (primary_id, _), (secondary_id, secondary) = crossed_over_claim(era_practice)
    text = write_remittance(
        [secondary_payment(claim)], payer=secondary, trace_number=trace(), control_number=control()
    )

    result = import_text(era_practice, text)

    assert result.posted == 1
    assert result.review == 0
    assert result.paid_total == Decimal("8.00")
    # The secondary's bucket is settled: 8.00 paid, 2.00 to the patient.
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    primary, second = adjudications(era_practice, claim)
    assert primary.payer_id == primary_id
    assert primary.crossed_over
    assert not primary.voided
    assert primary.paid_amount == Decimal("100.00")
    assert second.payer_id == secondary_id
    assert second.paid_amount == Decimal("8.00")
    assert not second.voided
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert row.adjudication_id == second.id
    assert claim_status(era_practice, claim) == "paid"
    # The claim keeps the number of the payer it was billed to.
    assert payer_claim_number(era_practice, claim) == "PRI-ICN-1"
    with era_practice.database.reading() as session:
        built = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.payer_id == secondary_id)
        )
    assert built == 0
    assert ledger_findings(era_practice) == []


def test_crossover_payer_reversal(era_practice: EraPractice) -> None:
    claim, _, (secondary_id, secondary) = crossed_over_claim(era_practice)
    paid = secondary_payment(claim)
    first = write_remittance(
        [paid], payer=secondary, trace_number=trace(), control_number=control()
    )
    assert import_text(era_practice, first).posted == 1
    taken_back = reversal_remittance(paid, secondary, "-8.00", "SEC-ICN-1")

    result = import_text(era_practice, taken_back)

    assert result.posted == 1
    # Only the secondary's posting is reversed; the primary's stays.
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("10.00")}
    primary, second = adjudications(era_practice, claim)
    assert not primary.voided
    assert second.payer_id == secondary_id
    assert second.voided
    assert ledger_findings(era_practice) == []


def test_other_payer_waits_in_review(era_practice: EraPractice) -> None:
    claim, (_, primary_name), (_, secondary) = crossed_over_claim(era_practice)
    _, stranger = new_payer(era_practice)
    text = write_remittance(
        [secondary_payment(claim)], payer=stranger, trace_number=trace(), control_number=control()
    )
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.posted == 0
    assert result.review == 1
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"
    reason = row.review_reason or ""
    assert f"billed to {primary_name}, which forwarded it to {secondary[0]}" in reason
    assert f"this remittance is from {stranger[0]}" in reason
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("10.00")}


def test_crossover_review_approved(era_practice: EraPractice) -> None:
    claim, _, (secondary_id, secondary) = crossed_over_claim(era_practice, "review")
    text = write_remittance(
        [secondary_payment(claim)], payer=secondary, trace_number=trace(), control_number=control()
    )
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"

    with era_practice.database.transaction() as session:
        posted = post_reviewed(session, era_practice.biller, row.id)

    assert posted.paid == Decimal("8.00")
    assert posted.to_patient == Decimal("2.00")
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    primary, second = adjudications(era_practice, claim)
    assert not primary.voided
    assert second.payer_id == secondary_id
    assert ledger_findings(era_practice) == []
