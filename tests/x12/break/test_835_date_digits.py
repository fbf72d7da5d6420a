"""Dates of the 835 header and PLB written in digits of other scripts.

int() reads Arabic-Indic digits such as "\u0662", so BPR16 and PLB02 accepted a date that
is not X12 text, while the claim loop's dates rejected the same value.
"""

import pytest

from app.x12.reader_835 import read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import HEADER, remittance_text, with_payment

OTHER_SCRIPT_DATE = "\u0662\u0660\u0662\u0665\u0660\u0661\u0660\u0661"  # 20250101
CLAIM = "CLP*A1*1*0*0*0*12*ICN1"


def test_payment_date_other_script() -> None:
    body = [f"BPR*I*0*C*NON************{OTHER_SCRIPT_DATE}", *HEADER[1:], CLAIM]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(body))

    assert str(caught.value).startswith("Segment 4 (BPR): BPR16 should be a date")


def test_fiscal_period_other_script() -> None:
    body = [*HEADER, CLAIM, f"PLB*1234567893*{OTHER_SCRIPT_DATE}*WO*0"]

    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(with_payment(body, "0")))

    assert str(caught.value).startswith("Segment 15 (PLB): PLB02 should be a date")
