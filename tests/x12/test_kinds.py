import pytest

from app.x12.kinds import detect_kind
from app.x12.segments import X12FormatError
from tests.x12.x12_text import data_text, interchange, isa

BODY = ["BHT*0019*00*B1*20250101*1200*CH"]


@pytest.mark.parametrize(
    ("functional_id", "set_id", "convention", "kind"),
    [
        ("HC", "837", "005010X222A1", "837P"),
        ("HC", "837", "005010X222", "837P"),
        ("HP", "835", "005010X221A1", "835"),
        ("FA", "999", "005010X231A1", "999"),
        ("HN", "277", "005010X214", "277CA"),
        ("HN", "277", "005010X212", "277"),
        ("HS", "270", "005010X279A1", "270"),
        ("HB", "271", "004010X092A1", "271"),
    ],
)
def test_kind_from_gs_and_st(functional_id: str, set_id: str, convention: str, kind: str) -> None:
    text = interchange([BODY], functional_id=functional_id, set_id=set_id, convention=convention)

    assert detect_kind(text) == kind


def test_837p_from_gs08_when_st03_empty() -> None:
    text = interchange([BODY]).replace("ST*837*0001*005010X222A1", "ST*837*0001")

    assert detect_kind(text) == "837P"


def test_ta1_without_group() -> None:
    text = isa() + "TA1*000000101*250101*1200*R*001~IEA*0*000000101~"

    assert detect_kind(text) == "TA1"


@pytest.mark.parametrize(
    ("functional_id", "set_id", "convention", "message"),
    [
        ("HC", "837", "005010X223A2", r"Segment 3 \(ST\): this 837 follows implementation "
         r"guide '005010X223A2', but ClinicDesk reads only professional claims"),
        ("FA", "997", "004010", r"Segment 3 \(ST\): this is a 997"),
        ("HC", "835", "005010X222A1", r"Segment 3 \(ST\): ST01 is '835' but the functional "
         r"group \(GS01 HC\) must hold 837"),
        ("XX", "271", "005010X279", r"Segment 2 \(GS\): GS01 is 'XX'"),
        ("HP", "835", "5010", r"Segment 2 \(GS\): GS08 is '5010', which is not a version"),
    ],
)  # fmt: skip
def test_unreadable_kinds(functional_id: str, set_id: str, convention: str, message: str) -> None:
    text = interchange([BODY], functional_id=functional_id, set_id=set_id, convention=convention)

    with pytest.raises(X12FormatError, match=message):
        detect_kind(text)


def test_no_group_or_ta1() -> None:
    with pytest.raises(X12FormatError, match="no GS functional group or TA1"):
        detect_kind(isa() + "IEA*0*000000101~")


def test_mixed_kinds() -> None:
    claims = interchange([BODY])
    acknowledgment = interchange([BODY], functional_id="FA", set_id="999", convention="005010X231")
    second_group = acknowledgment[acknowledgment.index("GS*") : acknowledgment.index("IEA*")]
    text = claims.replace("IEA*1*", second_group + "IEA*2*")

    with pytest.raises(X12FormatError, match=r"Segment 7 \(GS\): this functional group contains"):
        detect_kind(text)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("uhin-minimal-single-claim.837", "837P"),
        ("emedny-999-rejected-ik3-ik5.999", "999"),
        ("emedny-277ca-accepted.277", "277CA"),
    ],
)
def test_corpus_copies(name: str, kind: str) -> None:
    assert detect_kind(data_text(name)) == kind
