"""Files wrapped into fixed-width lines, as some senders deliver them.

A line break inside the ISA made the parser report an ISA element of the wrong width,
and a line break inside any other segment ended up in an element value.
"""

import pytest

from app.x12.ack_999 import read_999
from app.x12.reader_837p import read_837p
from app.x12.segments import X12FormatError, parse_segments
from tests.x12.claim_samples import sample_claims

from .writing import write_text

ACK = (
    "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINICDESK01   *260303*0930*^*00501"
    "*000000001*0*P*:~GS*FA*CH*CD*20260303*0930*1*X*005010X231A1~ST*999*0001*005010X231A1~"
    "AK1*HC*1*005010X222A1~AK2*837*0001*005010X222A1~IK5*R*5~AK9*R*1*1*0~SE*6*0001~GE*1*1~"
    "IEA*1*000000001~"
)


def _wrap(text: str, width: int, line_break: str) -> str:
    flat = text.replace("\n", "")
    return line_break.join(flat[start : start + width] for start in range(0, len(flat), width))


@pytest.mark.parametrize("width", [80, 64, 1])
@pytest.mark.parametrize("line_break", ["\n", "\r\n"])
def test_wrapped_837p_reads_like_unwrapped(width: int, line_break: str) -> None:
    text = write_text(sample_claims()[2])

    assert read_837p(_wrap(text, width, line_break)) == read_837p(text)


def test_wrapped_999_reads_rejection() -> None:
    (group,) = read_999(_wrap(ACK, 80, "\r\n"))

    assert group.code == "R"
    assert [(ack.transaction_control_number, ack.accepted) for ack in group.sets] == [
        ("0001", False)
    ]


def test_wrapped_file_still_checks_counts() -> None:
    damaged = _wrap(ACK.replace("SE*6*", "SE*7*"), 80, "\n")

    with pytest.raises(X12FormatError, match=r"\(SE\): the transaction set says it has 7"):
        parse_segments(damaged)
