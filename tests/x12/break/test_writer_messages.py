"""X12WriteError messages must not repeat patient values.

claim_batches logs the message of every X12WriteError, and logs must not contain patient
names, birth dates, member ids, addresses or claim content. The first versions of the
claim checks quoted the rejected value.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import SUBSCRIBER, ndc_claim, subscriber_claim

from .writing import write_text


def _subscriber(**changes: object) -> ClaimDocument:
    person = replace(SUBSCRIBER, **changes)
    return replace(subscriber_claim(), subscriber=person, patient=person)


def _address(**changes: str) -> ClaimDocument:
    assert SUBSCRIBER.address is not None
    return _subscriber(address=replace(SUBSCRIBER.address, **changes))


def _charge(amount: Decimal) -> ClaimDocument:
    claim = subscriber_claim()
    return replace(
        claim, total_charge=amount, lines=(replace(claim.lines[0], charge_amount=amount),)
    )


def _ndc(code: str) -> ClaimDocument:
    claim = ndc_claim()
    return replace(claim, lines=(*claim.lines[:-1], replace(claim.lines[-1], ndc_code=code)))


CASES = [
    (_subscriber(last_name="*~😀"), "😀"),
    (_subscriber(date_of_birth=date(1777, 7, 7)), "1777"),
    (_subscriber(sex="Q"), "'Q'"),
    (replace(subscriber_claim(), member_id="*~:"), "*~:"),
    (_address(state="Qz"), "Qz"),
    (_address(zip_code="9817"), "9817"),
    (_charge(Decimal("123.456")), "123.456"),
    (replace(subscriber_claim(), place_of_service="9*"), "9*"),
    (_ndc("5551212"), "5551212"),
]


@pytest.mark.parametrize(("claim", "value"), CASES)
def test_message_omits_value(claim: ClaimDocument, value: str) -> None:
    with pytest.raises(X12WriteError) as caught:
        write_text(claim)

    message = str(caught.value)
    assert value not in message
    assert f"Claim {claim.claim_number}" in message
