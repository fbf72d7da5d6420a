"""Posting a remittance in several chunks of claim payments."""

from decimal import Decimal

import pytest

from app.services import era_import
from app.services.ledger_verify import ledger_check
from tests.helpers.era_data import EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    balance,
    buckets,
    cas,
    claim_payments,
    claim_status,
    control,
    import_text,
    new_claim,
    new_payer,
    trace,
)


def test_chunks_post_every_claim(
    era_practice: EraPractice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five claims in chunks of two post as they post in one chunk."""
    monkeypatch.setattr(era_import, "_POST_CHUNK", 2)
    payer_id, payer = new_payer(era_practice)
    claims = [new_claim(era_practice, payer_id) for _ in range(5)]
    # 99213 at 120.00 and 97110 at 40.00: the deductible grows with each claim.
    written = [
        written_claim(
            claim,
            paid=[str(80 - index), "30.00"],
            adjustments=[
                [cas("CO", "45", "30.00"), cas("PR", "1", str(10 + index))],
                [cas("CO", "45", "10.00")],
            ],
        )
        for index, claim in enumerate(claims)
    ]
    text = write_remittance(written, payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    assert result.posted == 5
    assert [row.state for row in claim_payments(era_practice, result.response_id)] == ["posted"] * 5
    for index, claim in enumerate(claims):
        assert claim_status(era_practice, claim) == "paid"
        assert buckets(era_practice, claim) == {
            "patient": Decimal(10 + index).quantize(Decimal("0.01"))
        }
        assert balance(era_practice, claim) == Decimal(10 + index)
    with era_practice.database.transaction() as session:
        assert ledger_check(session, era_practice.manager) == []
