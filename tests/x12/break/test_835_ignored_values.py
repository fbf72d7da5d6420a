"""835 values the reader skipped without an error.

A second TRN in one transaction set was ignored, so a remittance with two trace numbers
was matched to whichever deposit the first named. A CAS quantity with no reason code or
amount before it was dropped.
"""

import pytest

from app.x12.reader_835 import read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import HEADER, remittance_text, with_payment

CLAIM = "CLP*A1*1*100*90*0*12*ICN1"


def test_second_trace_number() -> None:
    body = [*HEADER[:2], "TRN*1*EFT2002*1512345678", *HEADER[2:], CLAIM, "CAS*CO*45*10"]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "90")))

    assert str(caught.value).startswith("Segment 6 (TRN): a second TRN appears")


def test_quantity_without_adjustment() -> None:
    body = [*HEADER, CLAIM, "CAS*CO*45*10****5"]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "90")))

    assert str(caught.value).startswith("Segment 15 (CAS): CAS07 (a quantity) has no reason")


def test_empty_triplets_between_adjustments() -> None:
    body = [*HEADER, CLAIM, "CAS*CO*45*5*****1*5*1"]

    [remittance] = read_835(remittance_text(with_payment(body, "90")))

    assert [cas.reason_code for cas in remittance.claims[0].adjustments] == ["45", "1"]
