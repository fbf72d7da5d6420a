"""Replacement (7) and void (8) claims need the payer's claim number in REF*F8.

Without one the writer left REF*F8 out and wrote a file that pyx12 accepts but every
payer rejects, because the payer cannot tell which claim to replace or void.
"""

from dataclasses import replace

import pytest

from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import replacement_claim, subscriber_claim

from .writing import write_text, write_valid


@pytest.mark.parametrize("frequency", ["7", "8"])
@pytest.mark.parametrize("payer_claim_number", [None, "", "  ", "**"])
def test_missing_payer_claim_number_raises(frequency: str, payer_claim_number: str | None) -> None:
    claim = replace(
        subscriber_claim(), frequency_code=frequency, payer_claim_number=payer_claim_number
    )

    with pytest.raises(
        X12WriteError, match=f"payer claim number \\(needed for frequency {frequency}"
    ):
        write_text(claim)


def test_replacement_round_trips() -> None:
    claim = replacement_claim()

    read = write_valid(claim)

    assert read.frequency_code == "7"
    assert read.payer_claim_number == claim.payer_claim_number


def test_original_claim_needs_no_payer_claim_number() -> None:
    read = write_valid(replace(subscriber_claim(), payer_claim_number=None))

    assert read.payer_claim_number is None
