"""Claim interest (AMT*I): CLP04 includes it, the lines do not, the provider account gets it."""

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.ledger import LedgerEntry
from app.models.payments import ProviderAdjustment, Remittance
from app.services.era_queue import post_reviewed, review_detail
from app.services.x12_responses import AlreadyImportedError
from tests.helpers.era_data import EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    ADJUSTED,
    PAID,
    adjudications,
    buckets,
    claim_payments,
    control,
    import_text,
    ledger_findings,
    ledger_rows,
    new_claim,
    new_payer,
    reversal_remittance,
    trace,
)

INTEREST = Decimal("3.25")


def interest_rows(practice: EraPractice) -> list[tuple[str, Decimal, uuid.UUID | None, str]]:
    """Return every provider adjustment as (code, amount, claim id, reference)."""
    with practice.database.reading() as session:
        query = select(ProviderAdjustment).order_by(ProviderAdjustment.created_at)
        return [
            (row.reason_code, row.amount, row.claim_id, row.reference)
            for row in session.scalars(query)
        ]


def payments_posted(practice: EraPractice, claim_payment_id: uuid.UUID) -> Decimal:
    """Return the sum of the payment rows a claim payment posted to the lines."""
    with practice.database.reading() as session:
        total = session.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.source_id == claim_payment_id, LedgerEntry.entry_type == "payment"
            )
        )
    return total or Decimal("0.00")


def remittance_count(practice: EraPractice) -> int:
    with practice.database.reading() as session:
        return session.scalar(select(func.count()).select_from(Remittance)) or 0


def test_interest_posts_apart(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number="ICN-I1", interest=INTEREST
    )
    assert written.paid == Decimal("103.25")
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    before = interest_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.held == 0
    assert result.posted == 1
    assert result.paid_total == Decimal("103.25")
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.paid_amount == Decimal("103.25")
    # The lines get CLP04 minus the interest, and the payer's bucket is settled.
    assert payments_posted(era_practice, row.id) == Decimal("-100.00")
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    (adjudication,) = adjudications(era_practice, claim)
    assert adjudication.paid_amount == Decimal("100.00")
    added = interest_rows(era_practice)[len(before) :]
    assert added == [("L6", Decimal("-3.25"), claim.claim_id, "ICN-I1")]
    assert ledger_findings(era_practice) == []


def test_interest_not_posted_twice(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    number = trace()
    text = write_remittance([written], payer=payer, trace_number=number, control_number=control())
    import_text(era_practice, text)
    interest_before = interest_rows(era_practice)
    rows_before = ledger_rows(era_practice)
    remittances_before = remittance_count(era_practice)

    with pytest.raises(AlreadyImportedError):
        import_text(era_practice, text)
    # The same payment again in a file of its own is a duplicate payment.
    again = write_remittance([written], payer=payer, trace_number=number, control_number=control())
    result = import_text(era_practice, again, "again.835")

    assert result.duplicates == 1
    assert result.posted == 0
    assert interest_rows(era_practice) == interest_before
    assert ledger_rows(era_practice) == rows_before
    assert remittance_count(era_practice) == remittances_before
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}


def test_reversal_takes_interest_back(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    first = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    import_text(era_practice, first)
    before = interest_rows(era_practice)
    # The reversal takes back 103.25, and the payer carries it forward (PLB FB).
    taken_back = reversal_remittance(written, payer, "-103.25")

    result = import_text(era_practice, taken_back)

    assert result.posted == 1
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    added = [item for item in interest_rows(era_practice)[len(before) :] if item[0] == "L6"]
    assert added == [("L6", Decimal("3.25"), claim.claim_id, f"PCN{claim.claim_number}")]
    assert buckets(era_practice, claim) == {payer[0]: Decimal("160.00")}
    assert ledger_findings(era_practice) == []


def test_informational_interest_ignored(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    # CLP04 leaves the interest out: the AMT*I is information only.
    with_interest = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    written = replace(with_interest, paid=with_interest.paid - INTEREST)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    before = interest_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.held == 0
    assert result.posted == 1
    assert interest_rows(era_practice) == before
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}


def test_review_shows_interest(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, "review")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    before = interest_rows(era_practice)

    with era_practice.database.reading() as session:
        detail = review_detail(session, era_practice.biller, row.id)
    with era_practice.database.transaction() as session:
        posted = post_reviewed(session, era_practice.biller, row.id)

    assert detail.paid == Decimal("103.25")
    assert detail.interest == Decimal("3.25")
    assert detail.balance_problems == ()
    assert posted.paid == Decimal("100.00")
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    added = interest_rows(era_practice)[len(before) :]
    assert added == [("L6", Decimal("-3.25"), claim.claim_id, f"PCN{claim.claim_number}")]
