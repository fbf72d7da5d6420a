"""What the 837P writer writes, the 837P reader reads back unchanged."""

from decimal import Decimal

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.reader_837p import ReadClaim, read_837p
from app.x12.text import clean_element
from tests.x12.claim_samples import sample_claims, varied_claim
from tests.x12.test_writer_837p import write


def assert_read_back(claim: ClaimDocument, read: ReadClaim) -> None:
    assert read.claim_number == claim.claim_number
    assert read.total_charge == claim.total_charge
    assert read.frequency_code == claim.frequency_code
    assert read.place_of_service == claim.place_of_service
    assert read.diagnoses == claim.diagnoses
    assert read.payer_code == claim.payer.payer_code
    assert read.member_id == claim.member_id
    assert read.patient_last_name == clean_element(claim.patient.last_name, 60)
    assert read.other_payer_codes == tuple(other.payer.payer_code for other in claim.other_payers)

    expected_payer_number = claim.payer_claim_number if claim.frequency_code != "1" else None
    assert read.payer_claim_number == expected_payer_number

    assert len(read.lines) == len(claim.lines)
    for read_line, line in zip(read.lines, claim.lines, strict=True):
        assert read_line.line_number == line.line_number
        assert read_line.procedure_code == line.procedure_code
        assert read_line.modifiers == line.modifiers
        assert read_line.charge_amount == line.charge_amount
        assert read_line.units == Decimal(line.units)
        assert read_line.pointers == line.pointers
        assert read_line.service_date == line.service_date
        assert read_line.line_control_number == line.line_control_number


@pytest.mark.parametrize("claims_per_transaction", [1, 4])
def test_samples_read_back(claims_per_transaction: int) -> None:
    claims = sample_claims()
    written = write(claims, claims_per_transaction=claims_per_transaction)
    read = read_837p(written.text)

    assert [claim.claim_number for claim in read] == [claim.claim_number for claim in claims]
    for claim, read_claim in zip(claims, read, strict=True):
        assert_read_back(claim, read_claim)
        assert read_claim.transaction_number == written.transaction_numbers[claim.claim_number]


def test_varied_claims_read_back() -> None:
    claims = [varied_claim(index) for index in range(120)]
    read = read_837p(write(claims, claims_per_transaction=25).text)

    assert len(read) == len(claims)
    for claim, read_claim in zip(claims, read, strict=True):
        assert_read_back(claim, read_claim)
