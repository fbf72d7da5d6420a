"""Code values that the 837P writer copies into the file unchanged.

A delimiter in a place of service, frequency code, relationship, payer sequence, sex,
modifier or CAS group code split an element or ended a segment early. The file was then
invalid, and the reader saw other segments than the writer meant.
"""

from dataclasses import replace

import pytest

from app.x12.claim_data import Adjustment, ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import (
    SUBSCRIBER,
    dependent_claim,
    secondary_claim,
    secondary_claim_level_claim,
    subscriber_claim,
)

from .writing import write_text, write_valid


def _with_line(claim: ClaimDocument, **changes: object) -> ClaimDocument:
    return replace(claim, lines=(replace(claim.lines[0], **changes), *claim.lines[1:]))


def _with_other_payer(claim: ClaimDocument, **changes: object) -> ClaimDocument:
    return replace(claim, other_payers=(replace(claim.other_payers[0], **changes),))


BAD_CLAIMS = {
    "place of service": replace(subscriber_claim(), place_of_service="1*"),
    "claim frequency code": replace(subscriber_claim(), frequency_code="1~"),
    "payer sequence": replace(subscriber_claim(), payer_sequence="*"),
    "patient relationship": replace(dependent_claim(), relationship_code="1*"),
    "sex": replace(
        subscriber_claim(),
        subscriber=replace(SUBSCRIBER, sex="X"),
        patient=replace(SUBSCRIBER, sex="X"),
    ),
    "line 1 place of service": _with_line(subscriber_claim(), place_of_service="2:"),
    "line 1 modifier": _with_line(subscriber_claim(), modifiers=("2*",)),
    "other payer relationship": _with_other_payer(secondary_claim(), relationship_code="1~"),
    "adjustment group code": _with_other_payer(
        secondary_claim_level_claim(), claim_adjustments=(Adjustment("C*", "45", 1),)
    ),
}


@pytest.mark.parametrize("name", BAD_CLAIMS)
def test_invalid_code_raises_write_error(name: str) -> None:
    claim = BAD_CLAIMS[name]

    with pytest.raises(X12WriteError, match=f"Claim {claim.claim_number}: the {name} ") as caught:
        write_text(claim)

    assert "create the batch again" in str(caught.value)


def test_empty_sex_raises_write_error() -> None:
    person = replace(SUBSCRIBER, sex="")
    claim = replace(subscriber_claim(), subscriber=person, patient=person)

    with pytest.raises(X12WriteError, match="the sex is invalid"):
        write_text(claim)


def test_sex_without_birth_date_is_not_sent() -> None:
    person = replace(SUBSCRIBER, sex="", date_of_birth=None)
    claim = replace(subscriber_claim(), subscriber=person, patient=person)

    read = write_valid(claim)

    assert read.claim_number == claim.claim_number


def test_valid_codes_still_write() -> None:
    claim = _with_line(dependent_claim(), modifiers=("25", "59", "GT", "95"))

    read = write_valid(claim)

    assert read.lines[0].modifiers == ("25", "59", "GT", "95")
    assert read.place_of_service == "11"
