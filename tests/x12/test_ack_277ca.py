from datetime import date
from decimal import Decimal

import pytest

from app.x12 import codes_277
from app.x12.ack_277ca import read_277ca
from app.x12.segments import X12FormatError
from tests.x12.x12_text import data_text, interchange

LEVELS = [
    "BHT*0085*08*B1*20250110*1200*TH",
    "HL*1**20*1",
    "NM1*AY*2*CLEARINGHOUSE*****46*CH1",
    "TRN*1*T1",
    "DTP*050*D8*20250110",
    "HL*2*1*21*1",
    "NM1*41*2*CLINIC*****46*SUB01",
    "TRN*2*B101",
    "STC*A1:19:PR*20250110*WQ*250",
    "HL*3*2*19*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
]
ACCEPTED_CLAIM = [
    "HL*4*3*PT",
    "NM1*QC*1*DOE*JANE****MI*M123",
    "TRN*2*A1001",
    "STC*A2:20*20250110*WQ*150",
    "REF*1K*PAYER-ICN-1",
    "REF*D9*CH-TRACE-9",
    "DTP*472*RD8*20241230-20241231",
]
REJECTED_CLAIM = [
    "HL*5*3*PT",
    "NM1*QC*1*ROE*RITA****MI*R9",
    "TRN*2*A1002",
    "STC*A7:21:85*20250110*U*100******A7:562:85*A6:254",
    "DTP*472*D8*20241229",
    "SVC*HC:99213:25*100****1",
    "STC*A7:454*20250110*U*100",
    "REF*FJ*L5001",
    "DTP*472*D8*20241229",
    "SVC*HC:87070*50****1",
    "STC*A7:476",
]


def acknowledgment(*bodies: list[str]) -> str:
    return interchange(list(bodies), functional_id="HN", set_id="277", convention="005010X214")


def test_accepted_claim() -> None:
    [claim] = read_277ca(acknowledgment(LEVELS + ACCEPTED_CLAIM))

    assert claim.claim_number == "A1001"
    assert claim.accepted is True
    assert claim.action_code == "WQ"
    assert claim.amount == Decimal("150")
    assert claim.payer_claim_number == "PAYER-ICN-1"
    assert claim.clearinghouse_number == "CH-TRACE-9"
    assert claim.service_date == date(2024, 12, 30)
    assert claim.lines == ()
    [status] = claim.statuses
    assert (status.category, status.code, status.entity) == ("A2", "20", "")
    assert status.explanation.startswith("Accepted for adjudication: the claim was accepted")


def test_rejected_claim_with_lines() -> None:
    accepted, rejected = read_277ca(acknowledgment(LEVELS + ACCEPTED_CLAIM + REJECTED_CLAIM))

    assert accepted.claim_number == "A1001"
    assert rejected.claim_number == "A1002"
    assert rejected.accepted is False
    assert rejected.action_code == "U"
    assert rejected.amount == Decimal("100")
    assert rejected.payer_claim_number is None
    assert rejected.service_date == date(2024, 12, 29)
    assert [(s.category, s.code, s.entity) for s in rejected.statuses] == [
        ("A7", "21", "85"), ("A7", "562", "85"), ("A6", "254", ""),
    ]  # fmt: skip
    assert rejected.statuses[1].explanation == (
        "Rejected for invalid information: the NPI is missing or invalid (concerns the "
        "billing provider). Check it in the practice or provider record against the NPPES "
        "registry. Correct the claim and send it again. A rejected claim never reached "
        "adjudication, so it is not a denial and needs no appeal."
    )

    first_line, second_line = rejected.lines
    assert first_line[0] == "L5001"
    assert [status.code for status in first_line[1]] == ["454"]
    assert second_line[0] == "87070"
    assert [status.code for status in second_line[1]] == ["476"]


@pytest.mark.parametrize(
    ("status", "accepted"),
    [
        ("STC*A1:19:PR*20250110*WQ*150", True),
        ("STC*A2:20*20250110**150", True),
        ("STC*A3:21*20250110*WQ*150", False),
        ("STC*A4:35*20250110**150", False),
        ("STC*A6:164:IL*20250110**150", False),
        ("STC*A8:86*20250110**150", False),
        ("STC*A0:16:PR*20250110**150", None),
        ("STC*X9:99*20250110*U*150", False),
        ("STC*X9:99*20250110*WQ*150", True),
        ("STC*X9:99*20250110**150", None),
    ],
)
def test_accepted_verdicts(status: str, accepted: bool | None) -> None:
    claim_body = [*ACCEPTED_CLAIM[:3], status]

    [claim] = read_277ca(acknowledgment(LEVELS + claim_body))

    assert claim.accepted is accepted


def test_rejection_wins_over_acceptance() -> None:
    claim_body = [*ACCEPTED_CLAIM[:3], "STC*A1:19*20250110*WQ*150", "STC*A7:562:82"]

    [claim] = read_277ca(acknowledgment(LEVELS + claim_body))

    assert claim.accepted is False


def test_every_category_explained() -> None:
    for category in ("A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"):
        assert category in codes_277.CATEGORIES
        assert category in codes_277.NEXT_STEPS


def test_unknown_codes_named() -> None:
    explanation = codes_277.explain_status("X9", "999", "XX")

    assert "Status category 'X9', which ClinicDesk does not list" in explanation
    assert "status code '999', which ClinicDesk does not list" in explanation
    assert "entity coded 'XX'" in explanation


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("TRN*2*A1001", "TRN*2*", r"Segment \d+ \(TRN\): TRN02 \(the claim number"),
        ("STC*A2:20*20250110*WQ*150", "STC**20250110", r"\(STC\): STC01 \(the claim status\)"),
        ("STC*A2:20*20250110*WQ*150", "STC*A2:20*20250110*WQ*1X", r"STC04 should be an amount"),
        ("RD8*20241230-20241231", "D8*20241399", r"\(DTP\): DTP03 should be a date"),
    ],
)
def test_invalid_values_name_segment(old: str, new: str, message: str) -> None:
    body = LEVELS + [line.replace(old, new) for line in ACCEPTED_CLAIM]

    with pytest.raises(X12FormatError, match=message):
        read_277ca(acknowledgment(body))


def test_service_line_before_claim() -> None:
    with pytest.raises(X12FormatError, match=r"\(SVC\): this service line \(SVC\) comes before"):
        read_277ca(acknowledgment([*LEVELS, "SVC*HC:99213*100"]))


def test_claim_status_response_rejected() -> None:
    text = interchange([LEVELS], functional_id="HN", set_id="277", convention="005010X212")

    with pytest.raises(
        X12FormatError, match=r"this transaction set is 277 005010X212, not a 277CA"
    ):
        read_277ca(text)


def test_corpus_accepted_copy() -> None:
    [claim] = read_277ca(data_text("emedny-277ca-accepted.277"))

    assert claim.claim_number == "5781"
    assert claim.accepted is True
    assert claim.payer_claim_number == "1107000000014420"
    assert claim.amount == Decimal("125")


def test_corpus_rejected_copy() -> None:
    [claim] = read_277ca(data_text("emedny-277ca-rejected-a7-562.277"))

    assert claim.claim_number == "3920394930203"
    assert claim.accepted is False
    assert [(s.category, s.code, s.entity) for s in claim.statuses] == [("A7", "562", "85")]
    assert claim.service_date == date(2009, 3, 11)


def test_corpus_masked_copy() -> None:
    claims = read_277ca(data_text("oopfactory-masked-277ca-multiple-stc.277"))

    assert len(claims) == 3
    assert [claim.amount for claim in claims] == [Decimal("220"), Decimal("340"), Decimal("340")]
    assert all(claim.accepted is False for claim in claims)
    assert all(len(claim.statuses) == 3 for claim in claims)
