"""Numbers in a damaged file: non-ASCII digits and overlong values must not crash the readers.

str.isdigit() accepts characters such as "²" and "\u0663" that int() rejects, and int() rejects
strings of more than 4,300 digits. Both raised ValueError instead of X12FormatError.
"""

import pytest

from app.x12.reader_837p import read_837p
from app.x12.segments import X12FormatError, parse_segments
from tests.x12.x12_text import interchange

LINE_BODY = [
    "BHT*0019*00*B1*20250101*1200*CH",
    "NM1*41*2*CLINIC*****46*SUB01",
    "HL*1**20*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
    "HL*2*1*22*0",
    "SBR*P*18*******CI",
    "NM1*IL*1*DOE*JANE****MI*M123",
    "NM1*PR*2*ACME HEALTH*****PI*ACME1",
    "CLM*A1001*100***11:B:1*Y*A*Y*Y",
    "HI*ABK:J069",
    "LX*1",
    "SV1*HC:99213*100*UN*1***1",
    "DTP*472*D8*20241230",
]

ODD_NUMBERS = ["\u00b2", "1\u00b2", "\u0663", "1" * 5000]


@pytest.mark.parametrize("count", ODD_NUMBERS)
def test_trailer_count_odd_digits(count: str) -> None:
    text = interchange([LINE_BODY]).replace("SE*15*", f"SE*{count}*")

    with pytest.raises(X12FormatError, match=r"Segment \d+ \(SE\): SE01 should give"):
        parse_segments(text)


@pytest.mark.parametrize("count", ODD_NUMBERS)
def test_group_count_odd_digits(count: str) -> None:
    text = interchange([LINE_BODY]).replace("GE*1*", f"GE*{count}*")

    with pytest.raises(X12FormatError, match=r"\(GE\): GE01 should give"):
        parse_segments(text)


def test_long_count_message_is_short() -> None:
    text = interchange([LINE_BODY]).replace("IEA*1*", "IEA*" + "1" * 5000 + "*")

    with pytest.raises(X12FormatError) as caught:
        parse_segments(text)

    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("number", ODD_NUMBERS)
def test_line_number_odd_digits(number: str) -> None:
    body = [segment.replace("LX*1", f"LX*{number}") for segment in LINE_BODY]

    with pytest.raises(X12FormatError, match=r"\(LX\): LX01"):
        read_837p(interchange([body]))


@pytest.mark.parametrize("pointer", ["\u00b2", "\u0663", "1" * 5000])
def test_pointer_odd_digits(pointer: str) -> None:
    body = [segment.replace("***1", f"***{pointer}") for segment in LINE_BODY]

    with pytest.raises(X12FormatError, match=r"\(SV1\): SV107"):
        read_837p(interchange([body]))


@pytest.mark.parametrize(
    ("segment", "replacement", "element"),
    [
        ("CLM*A1001*100", "CLM*A1001*\u0661\u0660\u0660", "CLM02"),
        ("11:B:1", "\u0661\u0661:B:1", "CLM05-1"),
        ("11:B:1", "11:B:\u0663", "CLM05-3"),
        ("SV1*HC:99213*100", "SV1*HC:99213*\u0661\u0660\u0660", "SV102"),
    ],
)
def test_claim_values_need_ascii_digits(segment: str, replacement: str, element: str) -> None:
    body = [line.replace(segment, replacement) for line in LINE_BODY]

    with pytest.raises(X12FormatError, match=element):
        read_837p(interchange([body]))


def test_plain_file_still_reads() -> None:
    claims = read_837p(interchange([LINE_BODY]))

    assert [claim.claim_number for claim in claims] == ["A1001"]
    assert claims[0].lines[0].pointers == (1,)
