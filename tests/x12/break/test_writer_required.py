"""Required 837P values that cleaning empties.

The writer drops delimiters and characters outside the X12 set, so a name of only emoji
or an id of only "*" became an empty required element and pyx12 rejected the file. An
NM109 emptied that way also left its NM108 qualifier behind.
"""

from dataclasses import replace

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from app.x12.validate import pyx12_errors
from tests.x12.claim_samples import (
    BILLING_PROVIDER,
    PRIMARY_PAYER,
    SUBSCRIBER,
    dependent_claim,
    secondary_claim,
    subscriber_claim,
)

from .writing import write_text, write_valid


def _subscriber(claim: ClaimDocument, **changes: object) -> ClaimDocument:
    person = replace(SUBSCRIBER, **changes)
    return replace(claim, subscriber=person, patient=person)


BAD_CLAIMS = {
    "subscriber last name": _subscriber(subscriber_claim(), last_name="😀"),
    "patient last name": replace(
        dependent_claim(), patient=replace(dependent_claim().patient, last_name="*~")
    ),
    "member id": replace(subscriber_claim(), member_id="*~"),
    "payer name": replace(subscriber_claim(), payer=replace(PRIMARY_PAYER, name="😀")),
    "payer id": replace(subscriber_claim(), payer=replace(PRIMARY_PAYER, payer_code="^")),
    "billing provider name": replace(
        subscriber_claim(), billing_provider=replace(BILLING_PROVIDER, name="|>")
    ),
    "subscriber street address": _subscriber(
        subscriber_claim(), address=replace(SUBSCRIBER.address, line1="~")
    ),
    "diagnosis 2": replace(subscriber_claim(), diagnoses=("J06.9", "*.")),
    "other payer's member id": replace(
        secondary_claim(),
        other_payers=(replace(secondary_claim().other_payers[0], member_id="::"),),
    ),
}


@pytest.mark.parametrize("name", BAD_CLAIMS)
def test_emptied_value_raises_write_error(name: str) -> None:
    claim = BAD_CLAIMS[name]

    with pytest.raises(X12WriteError, match=f"Claim {claim.claim_number}: the {name} ") as caught:
        write_text(claim)

    assert "contains no character that X12 allows" in str(caught.value)


def test_missing_member_id_raises_write_error() -> None:
    with pytest.raises(X12WriteError, match="the member id is missing"):
        write_text(replace(subscriber_claim(), member_id=""))


@pytest.mark.parametrize(
    "changes",
    [
        {"prior_authorization": "*"},
        {"frequency_code": "1", "payer_claim_number": "~~"},
    ],
)
def test_emptied_optional_reference_is_left_out(changes: dict[str, str]) -> None:
    claim = replace(subscriber_claim(), **changes)

    text = write_text(claim)

    assert pyx12_errors(text) == []
    assert "REF*G1" not in text


def test_emptied_line_control_number_is_left_out() -> None:
    claim = subscriber_claim()
    lines = (replace(claim.lines[0], line_control_number="**"), *claim.lines[1:])

    read = write_valid(replace(claim, lines=lines))

    assert read.lines[0].line_control_number is None
    assert read.lines[1].line_control_number == claim.lines[1].line_control_number


def test_delimiters_inside_names_are_dropped() -> None:
    claim = _subscriber(subscriber_claim(), last_name="Pe*ñ~a:^|>")

    read = write_valid(replace(claim, member_id="AB*C~D:E"))

    assert read.patient_last_name == "PENA"
    assert read.member_id == "ABCDE"
