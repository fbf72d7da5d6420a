"""Addresses whose state or ZIP code cleaning turned into another value.

clean_element cut "IéL" to "IE" and digits_only turned "627O2" into "6272", so a mistyped
state or ZIP code reached the payer as a different value, and pyx12 rejected unknown
state codes.
"""

from dataclasses import replace

import pytest

from app.x12.claim_data import Address, ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import PRIMARY_PAYER, SUBSCRIBER, dependent_claim, subscriber_claim

from .writing import write_text, write_valid


def _subscriber_address(**changes: str) -> ClaimDocument:
    assert SUBSCRIBER.address is not None
    person = replace(SUBSCRIBER, address=replace(SUBSCRIBER.address, **changes))
    return replace(subscriber_claim(), subscriber=person, patient=person)


@pytest.mark.parametrize("state", ["IéL", "I", "XX", "", "I*L"])
def test_invalid_state_raises_write_error(state: str) -> None:
    with pytest.raises(X12WriteError, match="the subscriber state is not a US state code"):
        write_text(_subscriber_address(state=state))


@pytest.mark.parametrize("zip_code", ["627O2", "6270", "627021", "62702-12", "", "62702~"])
def test_invalid_zip_raises_write_error(zip_code: str) -> None:
    with pytest.raises(X12WriteError, match="the subscriber ZIP code is not 5 or 9 digits"):
        write_text(_subscriber_address(zip_code=zip_code))


def test_invalid_payer_state_raises_write_error() -> None:
    payer = replace(PRIMARY_PAYER, address=Address("PO Box 1", "", "Chicago", "I~", "60680"))

    with pytest.raises(X12WriteError, match="the payer state"):
        write_text(replace(subscriber_claim(), payer=payer))


@pytest.mark.parametrize(("state", "zip_code"), [("il", "62702-1234"), (" IL ", "627021234")])
def test_valid_address_forms_write(state: str, zip_code: str) -> None:
    read = write_valid(_subscriber_address(state=state, zip_code=zip_code))

    assert read.patient_last_name == "PENA"


def test_patient_address_checked_for_dependent() -> None:
    claim = dependent_claim()
    assert claim.patient.address is not None
    patient = replace(claim.patient, address=replace(claim.patient.address, state="ZZ"))

    with pytest.raises(X12WriteError, match="the patient state is not a US state code"):
        write_text(replace(claim, patient=patient))
