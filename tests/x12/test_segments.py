import contextlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import UserError
from app.x12.ack_277ca import read_277ca
from app.x12.ack_999 import read_999
from app.x12.kinds import detect_kind
from app.x12.reader_837p import read_837p
from app.x12.segments import (
    X12FormatError,
    decode_x12_bytes,
    element_amount,
    parse_segments,
    period_start,
    read_x12_file,
)
from tests.x12.x12_text import data_text, interchange, isa

BODY = ["BHT*0019*00*B1*20250101*1200*CH", "NM1*41*2*CLINIC*****46*SUB01"]


def test_delimiters_from_fixed_offsets() -> None:
    text = interchange([BODY], element="|", component=">", terminator="\n")

    delimiters, segments = parse_segments(text)

    assert delimiters.element == "|"
    assert delimiters.component == ">"
    assert delimiters.repetition == "^"
    assert delimiters.segment == "\n"
    assert [segment.id for segment in segments] == [
        "ISA", "GS", "ST", "BHT", "NM1", "SE", "GE", "IEA",
    ]  # fmt: skip
    assert segments[4].element(3) == "CLINIC"


def test_segment_numbers_and_elements() -> None:
    _, segments = parse_segments(interchange([[*BODY, "CLM*A1*150***11:B:1"]]))

    claim = segments[5]
    assert claim.number == 6
    assert claim.label == "Segment 6 (CLM)"
    assert claim.element(1) == "A1"
    assert claim.element(40) == ""
    assert claim.component(5, 1) == "11"
    assert claim.component(5, 3) == "1"
    assert claim.component(5, 9) == ""
    assert claim.component(40, 1) == ""


def test_isa_u_repetition_means_none() -> None:
    text = interchange([BODY]).replace("*^*00501*", "*U*00501*", 1)

    delimiters, _ = parse_segments(text)

    assert delimiters.repetition == ""


def test_bom_line_breaks_and_indentation() -> None:
    text = "\ufeff" + interchange([BODY], separator="\r\n").replace("\r\nNM1", "\r\n    NM1")

    _, segments = parse_segments(text)

    assert len(segments) == 8
    assert segments[4].id == "NM1"


def test_line_break_terminator_with_crlf() -> None:
    text = interchange([BODY], terminator="\r", separator="\n")

    _, segments = parse_segments(text)

    assert segments[-1].id == "IEA"
    assert segments[3].element(6) == "CH"


def test_last_iea_without_terminator() -> None:
    text = interchange([BODY]).removesuffix("~")

    _, segments = parse_segments(text)

    assert segments[-1].element(2) == "000000101"


def test_two_interchanges_with_own_delimiters() -> None:
    first = interchange([BODY])
    second = interchange([BODY], element="|", terminator="\n", control="000000102")

    delimiters, segments = parse_segments(first + "\r\n" + second)

    assert delimiters.element == "*"
    assert len(segments) == 16
    assert segments[8].delimiters.element == "|"
    assert segments[12].element(3) == "CLINIC"


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b""), ("utf-8", b"\xef\xbb\xbf")],
)
def test_read_file_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "response.x12"
    text = interchange([BODY])
    path.write_bytes(prefix + text.encode(encoding))

    assert read_x12_file(path) == text


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(X12FormatError, match=r"missing\.x12 could not be read"):
        read_x12_file(tmp_path / "missing.x12")


def test_latin1_bytes_decode() -> None:
    assert decode_x12_bytes("ISA*JOSÉ".encode("latin-1")) == "ISA*JOSÉ"


def test_error_is_user_error() -> None:
    assert issubclass(X12FormatError, UserError)


def test_se_count_mismatch_message() -> None:
    text = interchange([BODY]).replace("SE*4*0001", "SE*25*0001")

    with pytest.raises(X12FormatError) as caught:
        parse_segments(text)

    assert str(caught.value) == (
        "Segment 6 (SE): the transaction set says it has 25 segments but 4 were found. "
        "Ask the clearinghouse for a new copy of the file."
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("SE*4*0001", "SE*4*0002", r"Segment 6 \(SE\): control number SE02 '0002' does not "
         r"match ST02 '0001' in segment 3"),
        ("SE*4*0001", "SE*X*0001", r"Segment 6 \(SE\): SE01 should give the number of "
         r"segments but is 'X'"),
        ("GE*1*7", "GE*2*7", r"Segment 7 \(GE\): the functional group says it has 2 "
         r"transaction sets but 1 were found"),
        ("GE*1*7", "GE*1*8", r"Segment 7 \(GE\): control number GE02 '8' does not match GS06"),
        ("IEA*1*", "IEA*3*", r"Segment 8 \(IEA\): the interchange says it has 3 functional "
         r"groups but 1 were found"),
        ("IEA*1*000000101", "IEA*1*000000999", r"Segment 8 \(IEA\): control number IEA02 "
         r"'000000999' does not match ISA13 '000000101'"),
        ("ST*837*0001*005010X222A1", "ST*837", r"Segment 3 \(ST\): ST01 \(set type\) or ST02"),
        ("NM1*41", "nm1*41", r"Segment 5: 'nm1\*41' is not a valid segment id|"
         r"Segment 5: 'nm1' is not a valid segment id"),
    ],
)  # fmt: skip
def test_envelope_errors_name_segment(old: str, new: str, message: str) -> None:
    text = interchange([BODY]).replace(old, new, 1)

    with pytest.raises(X12FormatError, match=message):
        parse_segments(text)


def test_segment_outside_transaction() -> None:
    text = interchange([BODY]).replace("GE*1*7~", "NM1*41~GE*1*7~")

    with pytest.raises(X12FormatError, match=r"Segment 7 \(NM1\): this segment is outside"):
        parse_segments(text)


def test_ends_inside_segment() -> None:
    text = interchange([BODY]).split("NM1*41")[0] + "NM1*41*2*CLI"

    with pytest.raises(X12FormatError, match=r"Segment 5 \(NM1\): the file ends inside"):
        parse_segments(text)


def test_ends_inside_transaction() -> None:
    text = interchange([BODY]).split("SE*")[0]

    with pytest.raises(X12FormatError, match=r"Segment 3 \(ST\): the file ends at segment 5"):
        parse_segments(text)


def test_ends_inside_isa_header() -> None:
    with pytest.raises(X12FormatError, match=r"Segment 1 \(ISA header\): the file ends after"):
        parse_segments(isa()[:60])


def test_isa_element_wrong_width() -> None:
    text = interchange([BODY]).replace("*00*          *00*", "*00*         *00*", 1)

    with pytest.raises(X12FormatError, match=r"ISA02 \(authorization information\) is 9"):
        parse_segments(text)


def test_isa_same_delimiters() -> None:
    text = interchange([BODY], component="~")

    with pytest.raises(X12FormatError, match=r"must be three different"):
        parse_segments(text)


@pytest.mark.parametrize("text", ["", "   \r\n", "GS*HC*S*R~", "\ufeffST*835*1~"])
def test_missing_isa(text: str) -> None:
    with pytest.raises(X12FormatError, match=r"The file is empty|ISA header"):
        parse_segments(text)


def test_gs_outside_interchange() -> None:
    text = interchange([BODY]) + "GS*HC*S*R*20250101*1200*8*X*005010X222A1~"

    with pytest.raises(X12FormatError, match=r"Segment 9 \(GS\): GS must follow ISA or GE"):
        parse_segments(text)


def test_ta1_interchange() -> None:
    text = isa() + "TA1*000000101*250101*1200*A*000~IEA*0*000000101~"

    _, segments = parse_segments(text)

    assert [segment.id for segment in segments] == ["ISA", "TA1", "IEA"]


def test_element_amount_and_dates() -> None:
    _, segments = parse_segments(
        interchange([["AMT*D*-.06", "DTP*472*RD8*20250101-20250105", "DTP*472*D8*20250230"]])
    )
    amount, period, bad_date = segments[3], segments[4], segments[5]

    assert element_amount(amount, 2) == Decimal("-0.06")
    assert period_start(period, 2) == date(2025, 1, 1)
    with pytest.raises(X12FormatError, match=r"Segment 4 \(AMT\): AMT01 should be an amount"):
        element_amount(amount, 1)
    with pytest.raises(X12FormatError, match=r"Segment 6 \(DTP\): DTP03 should be a date"):
        period_start(bad_date, 2)
    with pytest.raises(X12FormatError, match=r"DTP01 should be the date format D8 or RD8"):
        period_start(bad_date, 1)


def test_corpus_copy_parses() -> None:
    delimiters, segments = parse_segments(data_text("emedny-277ca-rejected-a7-562.277"))

    assert delimiters.component == "|"
    assert segments[-1].id == "IEA"


READERS: dict[str, Callable[[str], object]] = {
    "837P": read_837p,
    "999": read_999,
    "277CA": read_277ca,
}

GOOD_FILES = [
    "uhin-minimal-single-claim.837",
    "wpc-ex3b-cob-to-secondary-2320-cas-amt-2430-svd.837",
    "dhs-wisconsin-999-partial-ik3-ik4-ctx.999",
    "emedny-277ca-rejected-a7-562.277",
    "oopfactory-masked-277ca-multiple-stc.277",
]


# Delimiters and segment starts make mutations reach the readers' checks, not only
# the splitter's.
CHUNKS = st.one_of(
    st.binary(max_size=3),
    st.sampled_from(
        [
            b"*",
            b"~",
            b":",
            b"^",
            b"|",
            b"\r\n",
            b"\x00",
            b"\xff\xfe",
            b"ISA",
            b"SE*1*",
            b"HL*2*1*23*0~",
            b"CLM*X*1***11:B:1~",
            b"LX*1~",
            b"SV1*HC:1*1*UN*1***1~",
            b"AK2*837*1~",
            b"IK5*R*5~",
            b"STC*A7:21:85*20250101*U~",
            b"HL*9*1*PT~",
        ]
    ),
)


def read_everything(data: bytes) -> None:
    """Run every reader that applies; only X12FormatError may escape."""
    text = decode_x12_bytes(data)
    parse_segments(text)
    reader = READERS.get(detect_kind(text))
    if reader is not None:
        reader(text)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_format_errors(data: bytes) -> None:
    with contextlib.suppress(X12FormatError):
        read_everything(data)


@settings(max_examples=500, deadline=None)
@given(
    name=st.sampled_from(GOOD_FILES),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 2), CHUNKS),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_files_raise_only_format_errors(
    name: str, edits: list[tuple[int, int, bytes]]
) -> None:
    data = bytearray((Path(__file__).resolve().parents[1] / "data" / "x12" / name).read_bytes())
    for position, action, chunk in edits:
        where = position % (len(data) + 1)
        if action == 0:
            data[where:where] = chunk
        elif action == 1:
            del data[where : where + len(chunk) + 1]
        else:
            data[where : where + len(chunk)] = chunk

    with contextlib.suppress(X12FormatError):
        read_everything(bytes(data))
