"""A 277CA claim status that comes before the TRN*2 naming its claim.

The reader skipped such an STC as a batch status, so a rejection in a damaged file
disappeared without a word and the claim stayed "submitted".
"""

import pytest

from app.x12.ack_277ca import read_277ca
from app.x12.segments import X12FormatError
from tests.x12.x12_text import interchange

HEADER = [
    "BHT*0085*08*B1*20250110*1200*TH",
    "HL*1**20*1",
    "NM1*AY*2*CLEARINGHOUSE*****46*CH1",
    "TRN*1*T1",
    "HL*2*1*21*1",
    "NM1*41*2*CLINIC*****46*SUB01",
    "TRN*2*B101",
    "STC*A1:19:PR*20250110*WQ*250",
    "HL*3*2*19*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
    "HL*4*3*PT",
    "NM1*QC*1*DOE*JANE****MI*M123",
]


def _text(claim: list[str]) -> str:
    return interchange([HEADER + claim], functional_id="HN", set_id="277", convention="005010X214")


def test_status_before_trace_raises() -> None:
    text = _text(["STC*A7:21:85*20250110*U*100", "TRN*2*A1001"])

    with pytest.raises(X12FormatError, match=r"\(STC\): this claim status comes before the TRN\*2"):
        read_277ca(text)


def test_status_without_trace_raises() -> None:
    with pytest.raises(X12FormatError, match=r"\(STC\)"):
        read_277ca(_text(["STC*A7:21:85*20250110*U*100"]))


def test_batch_statuses_still_skipped() -> None:
    (claim,) = read_277ca(_text(["TRN*2*A1001", "STC*A7:21:85*20250110*U*100"]))

    assert claim.claim_number == "A1001"
    assert claim.accepted is False
    assert [status.category for status in claim.statuses] == ["A7"]
