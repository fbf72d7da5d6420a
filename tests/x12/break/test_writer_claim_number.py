"""Claim numbers that cleaning would change in CLM01.

CLM01 was cleaned and cut to 20 characters, so "CD*1~2" went out as "CD12". The 999,
277CA and 835 return CLM01, so no response could be matched to the claim.
"""

from dataclasses import replace

import pytest

from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import subscriber_claim

from .writing import write_text, write_valid


@pytest.mark.parametrize("number", ["CD*1~2", "CD:12", "cd12", " CD12", "C" * 21, "CD😀12"])
def test_changed_claim_number_raises(number: str) -> None:
    claim = replace(subscriber_claim(), claim_number=number)

    with pytest.raises(X12WriteError, match="cannot be sent unchanged"):
        write_text(claim)


@pytest.mark.parametrize("number", ["A7K-000123", "C" * 20, "CD 12/3"])
def test_claim_number_round_trips(number: str) -> None:
    claim = replace(subscriber_claim(), claim_number=number)

    read = write_valid(claim)

    assert read.claim_number == number
