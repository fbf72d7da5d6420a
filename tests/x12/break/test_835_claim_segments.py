"""835 segments that belong to a claim loop but sit outside one.

The reader skipped SVC, CAS and the other claim segments when no CLP came before them,
and an unknown segment inside a claim ended the claim early. The money of those lines
and adjustments was lost while the remittance still balanced.
"""

import pytest

from app.x12.reader_835 import read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import HEADER, PAID_CLAIM, remittance_text, with_payment

CLAIM = ["CLP*A1*1*100*90*0*12*ICN1", "SVC*HC:99213*100*90", "CAS*CO*45*10"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([*HEADER, "SVC*HC:99213*100*100", *CLAIM], "Segment 14 (SVC): this segment belongs"),
        ([*HEADER, "CAS*CO*45*10", *CLAIM], "Segment 14 (CAS): this segment belongs"),
        ([*HEADER, "LQ*HE*N1", *CLAIM], "Segment 14 (LQ): this segment belongs"),
        (HEADER + CLAIM + ["LX*2", "SVC*HC:99214*50*50"], "Segment 18 (SVC): this segment"),
        (HEADER + CLAIM + ["PLB*1*20251231*WO*1", "CAS*CO*1*1"], "Segment 18 (CAS): this"),
        (HEADER + CLAIM + ["ZZZ*1", "CAS*CO*45*5"], "Segment 17 (ZZZ): this segment cannot"),
        (HEADER + CLAIM + ["N1*PE*X", "SVC*HC:99214*50*50"], "Segment 17 (N1): this segment"),
    ],
)
def test_claim_segment_outside_claim(body: list[str], message: str) -> None:
    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "90")))

    assert str(caught.value).startswith(message)


def test_claims_between_lx_groups_read() -> None:
    body = HEADER + CLAIM + ["LX*2", "TS3*1234567893*11*20251231*1*100"] + PAID_CLAIM
    [remittance] = read_835(remittance_text(with_payment(body, "240")))

    assert [claim.patient_control_number for claim in remittance.claims] == ["A1", "A1001"]
