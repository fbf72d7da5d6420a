"""CAS and PLB segments with more than six adjustments.

A CAS holds at most six (reason, amount, quantity) triplets and a PLB six (reason, amount)
pairs. The reader stopped at the sixth and dropped the rest without a word, so the money
of a seventh adjustment vanished.
"""

import pytest

from app.x12.reader_835 import read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import HEADER, remittance_text, with_payment

CLAIM = "CLP*A1*1*100*93*0*12*ICN1"


def triplets(count: int) -> str:
    return "".join(f"*{reason}*1*" for reason in range(1, count + 1))


def test_cas_with_seven_adjustments() -> None:
    body = [*HEADER, CLAIM, "CAS*CO" + triplets(7)]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "93")))

    assert str(caught.value).startswith("Segment 15 (CAS): CAS has 22 elements but at most 19")


def test_cas_with_six_adjustments() -> None:
    body = [*HEADER, CLAIM, "CAS*CO" + triplets(6) + "**"]

    [remittance] = read_835(remittance_text(with_payment(body, "94")))

    assert [cas.reason_code for cas in remittance.claims[0].adjustments] == list("123456")


def test_plb_with_seven_adjustments() -> None:
    pairs = "".join(f"*WO:R{index}*1" for index in range(7))
    body = [*HEADER, "CLP*A1*1*100*100*0*12*ICN1", "PLB*1234567893*20251231" + pairs]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "93")))

    assert str(caught.value).startswith("Segment 15 (PLB): PLB has 16 elements but at most 14")


def test_plb_with_six_adjustments() -> None:
    pairs = "".join(f"*WO:R{index}*1" for index in range(6))
    body = [*HEADER, "CLP*A1*1*100*100*0*12*ICN1", "PLB*1234567893*20251231" + pairs + "*"]

    [remittance] = read_835(remittance_text(with_payment(body, "94")))

    assert len(remittance.provider_adjustments) == 6
