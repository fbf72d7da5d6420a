import pytest

from app.x12 import codes_999
from app.x12.ack_999 import read_999
from app.x12.segments import X12FormatError
from tests.x12.x12_text import data_text, interchange


def acknowledgment(*bodies: list[str]) -> str:
    return interchange(list(bodies), functional_id="FA", set_id="999", convention="005010X231A1")


ACCEPTED = ["AK1*HC*101*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1"]
REJECTED = [
    "AK1*HC*102*005010X222A1",
    "AK2*837*0001*005010X222A1",
    "IK3*CLM*22*2300*8",
    "CTX*CLM01:A1001",
    "IK4*2*782*1",
    "IK4*5:3*1325*7*9",
    "IK3*NM1*17**3",
    "AK2*837*0002*005010X222A1",
    "IK5*A",
]


def test_accepted_set() -> None:
    [group] = read_999(acknowledgment(ACCEPTED))

    assert group.functional_id == "HC"
    assert group.group_control_number == "101"
    assert group.code == "A"
    assert group.problems == ()
    [ack] = group.sets
    assert ack.transaction_control_number == "0001"
    assert ack.transaction_set_id == "837"
    assert ack.code == "A"
    assert ack.accepted
    assert ack.problems == ()


def test_rejected_set_problems() -> None:
    body = [*REJECTED[:7], "IK5*R*5*I5", *REJECTED[7:], "AK9*P*2*2*1*5"]

    [group] = read_999(acknowledgment(body))

    assert group.code == "P"
    assert group.problems == (
        "Functional group: the count of transaction sets in GE01 does not match the sets sent.",
    )
    rejected, accepted = group.sets
    assert not rejected.accepted
    assert rejected.code == "R"
    assert rejected.problems == (
        "Segment CLM at position 22 in loop 2300 (claim A1001): element CLM02: a required "
        "value is missing.",
        "Segment CLM at position 22 in loop 2300 (claim A1001): element CLM05-3: the value "
        "is not one of the allowed codes (the file had '9').",
        "Segment NM1 at position 17: a segment the claim needs is missing.",
        "Transaction set: one or more segments have errors (see the segment problems).",
        "Transaction set: one or more segments break the 837P rules (see the segment problems).",
        codes_999.REJECTED_FIX,
    )
    assert accepted.accepted
    assert accepted.transaction_control_number == "0002"


@pytest.mark.parametrize(
    ("code", "accepted"),
    [("A", True), ("E", True), ("R", False), ("M", False), ("W", False), ("X", False)],
)
def test_verdict_codes(code: str, accepted: bool) -> None:
    body = [*ACCEPTED[:2], f"IK5*{code}", f"AK9*{code}*1*1*1"]

    [group] = read_999(acknowledgment(body))

    assert group.sets[0].accepted is accepted


def test_unknown_codes_named() -> None:
    body = [*ACCEPTED[:2], "IK3*CLM*9**Z1", "IK4*1**Z2", "IK5*R*Z3", "AK9*R*1*1*0*Z4"]

    [group] = read_999(acknowledgment(body))

    problems = group.sets[0].problems
    assert "error code 'Z1', which ClinicDesk does not know" in problems[0]
    assert "element CLM01: error code 'Z2'" in problems[1]
    assert "Transaction set: error code 'Z3'" in problems[2]
    assert "error code 'Z4'" in group.problems[0]


def test_situational_trigger_context() -> None:
    body = [
        *ACCEPTED[:2],
        "IK3*REF*57**3",
        "CTX*SITUATIONAL TRIGGER*CLM*43**5:3*C023:1325",
        "CTX*CLM01:987654321",
        "IK5*R*5",
        "AK9*R*1*1*0",
    ]

    [group] = read_999(acknowledgment(body))

    assert group.sets[0].problems[0] == (
        "Segment REF at position 57 (required because of segment CLM at position 43, claim "
        "987654321): a segment the claim needs is missing."
    )


def test_several_groups_and_sets() -> None:
    second = [line.replace("101", "202") for line in ACCEPTED]

    groups = read_999(acknowledgment(ACCEPTED, second))

    assert [group.group_control_number for group in groups] == ["101", "202"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["IK5*A", *ACCEPTED], r"Segment 4 \(IK5\): IK5 appears before the AK1"),
        (["AK1*HC*1", "IK5*A", "AK9*A*1*1*1"], r"Segment 5 \(IK5\): IK5 appears before the AK2"),
        ([*ACCEPTED[:2], "IK5*Q", "AK9*A"], r"IK501 is 'Q', which is not a 999 verdict"),
        ([*ACCEPTED[:3], "AK9*Z"], r"AK901 is 'Z'"),
        ([*ACCEPTED[:2], "AK9*A"], r"Segment 5 \(AK2\): this AK2 has no IK5 verdict"),
        ([*ACCEPTED[:2], "AK2*837*2", "IK5*A"], r"Segment 5 \(AK2\): this AK2 has no IK5"),
        (ACCEPTED[:3], r"Segment 4 \(AK1\): this acknowledgment has no AK9"),
        ([*ACCEPTED[:3], "AK1*HC*2"], r"Segment 7 \(AK1\): a second AK1 appears"),
        ([*ACCEPTED[:2], "IK4*2*782*1"], r"Segment 6 \(IK4\): IK4 must follow the IK3"),
    ],
)
def test_out_of_order_segments(body: list[str], message: str) -> None:
    with pytest.raises(X12FormatError, match=message):
        read_999(acknowledgment(body))


def test_not_a_999() -> None:
    with pytest.raises(
        X12FormatError, match=r"Segment 3 \(ST\): this transaction set is 837, not a 999"
    ):
        read_999(interchange([["BHT*0019"]]))


def test_corpus_rejected_copy() -> None:
    [group] = read_999(data_text("emedny-999-rejected-ik3-ik5.999"))

    assert group.code == "R"
    assert group.group_control_number == "28"
    [ack] = group.sets
    assert ack.transaction_control_number == "0028"
    assert not ack.accepted
    assert (
        ack.problems[0] == "Segment NM at position 17: the receiver does not know this segment id."
    )


def test_corpus_partial_copy() -> None:
    [group] = read_999(data_text("dhs-wisconsin-999-partial-ik3-ik4-ctx.999"))

    assert group.code == "P"
    assert [ack.accepted for ack in group.sets] == [True, False, False]
    assert group.sets[1].problems[0] == (
        "Segment CLM at position 22 (claim 123456789): element CLM02: a required value is missing."
    )


def test_corpus_two_groups_copy() -> None:
    groups = read_999(data_text("pyx12-999-two-groups-four-sets-accepted.999"))

    assert len(groups) == 4
    assert all(ack.accepted for group in groups for ack in group.sets)
    assert {group.functional_id for group in groups} == {"BE"}
