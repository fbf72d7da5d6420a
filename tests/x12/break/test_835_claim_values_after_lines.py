"""Claim-level values that appear after a claim's service lines.

AMT*I (claim interest) and DTM*232/233 (claim dates) belong before the first SVC. After
it the reader took them for line values it does not read and dropped them, so the
interest the payer added was never posted.
"""

import pytest

from app.x12.reader_835 import read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import HEADER, remittance_text, with_payment

CLAIM = ["CLP*A1*1*100*100*0*12*ICN1", "SVC*HC:99213*100*100"]


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ("AMT*I*5", "Segment 16 (AMT): the claim interest (AMT*I) appears after the lines"),
        ("DTM*232*20250101", "Segment 16 (DTM): a claim date (DTM*232) appears after"),
        ("DTM*233*20250101", "Segment 16 (DTM): a claim date (DTM*233) appears after"),
    ],
)
def test_claim_value_after_lines(segment: str, message: str) -> None:
    body = [*HEADER, *CLAIM, segment]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "100")))

    assert str(caught.value).startswith(message)


def test_claim_values_before_lines_read() -> None:
    body = [*HEADER, CLAIM[0], "DTM*232*20250101", "AMT*I*5", CLAIM[1], "AMT*B6*100"]

    [remittance] = read_835(remittance_text(with_payment(body, "100")))

    assert remittance.claims[0].interest == 5
    assert remittance.claims[0].services[0].allowed == 100
