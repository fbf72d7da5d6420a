from datetime import date
from decimal import Decimal

import pytest

from app.x12.reader_837p import read_837p
from app.x12.segments import X12FormatError
from tests.x12.x12_text import data_text, interchange

PROVIDER = [
    "BHT*0019*00*B1*20250101*1200*CH",
    "NM1*41*2*CLINIC*****46*SUB01",
    "HL*1**20*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
]
SUBSCRIBER = [
    "HL*2*1*22*1",
    "SBR*P*01*GRP1******CI",
    "NM1*IL*1*DOE*JANE****MI*M123",
    "NM1*PR*2*ACME HEALTH*****PI*ACME1",
]
PATIENT = ["HL*3*2*23*0", "PAT*19", "NM1*QC*1*DOE*TED"]
CLAIM = [
    "CLM*A1001*150***11:B:7*Y*A*Y*Y",
    "REF*F8*PAYER-ICN-1",
    "HI*ABK:J069*ABF:R509",
    "NM1*82*1*WELBY*MARCUS****XX*1234567893",
    "SBR*S*18*******CI",
    "NM1*IL*1*DOE*JOHN****MI*OTHER9",
    "NM1*PR*2*OTHER PLAN*****PI*OTH22",
    "REF*F8*OTHER-ICN",
    "LX*1",
    "SV1*HC:99213:25:59*100*UN*1***1:2",
    "DTP*472*D8*20241230",
    "REF*6R*L5001",
    "LX*2",
    "SV1*HC:87070*50*UN*2.5***2",
    "DTP*472*RD8*20241230-20241231",
    "SVD*OTH22*40*HC:87070**1",
    "DTP*573*D8*20250115",
]


def claim_text(claim: list[str] | None = None) -> str:
    return interchange([PROVIDER + SUBSCRIBER + PATIENT + (claim or CLAIM)])


def test_claim_header_and_lines() -> None:
    [claim] = read_837p(claim_text())

    assert claim.claim_number == "A1001"
    assert claim.total_charge == Decimal("150")
    assert claim.frequency_code == "7"
    assert claim.place_of_service == "11"
    assert claim.diagnoses == ("J069", "R509")
    assert claim.payer_code == "ACME1"
    assert claim.member_id == "M123"
    assert claim.patient_last_name == "DOE"
    assert claim.payer_claim_number == "PAYER-ICN-1"
    assert claim.other_payer_codes == ("OTH22",)
    assert claim.transaction_number == "0001"

    first, second = claim.lines
    assert first.line_number == 1
    assert first.procedure_code == "99213"
    assert first.modifiers == ("25", "59")
    assert first.charge_amount == Decimal("100")
    assert first.units == Decimal("1")
    assert first.pointers == (1, 2)
    assert first.service_date == date(2024, 12, 30)
    assert first.line_control_number == "L5001"
    assert second.units == Decimal("2.5")
    assert second.service_date == date(2024, 12, 30)
    assert second.line_control_number is None


def test_claims_in_several_transactions() -> None:
    subscriber_claim = [*CLAIM[:3], *CLAIM[8:12]]
    second = [line.replace("A1001", "A1002") for line in subscriber_claim]
    text = interchange([PROVIDER + SUBSCRIBER + subscriber_claim, PROVIDER + SUBSCRIBER + second])

    claims = read_837p(text)

    assert [claim.claim_number for claim in claims] == ["A1001", "A1002"]
    assert [claim.transaction_number for claim in claims] == ["0001", "0002"]
    assert claims[0].patient_last_name == "DOE"
    assert claims[0].other_payer_codes == ()


def test_subscriber_and_patient_claims_in_one_set() -> None:
    subscriber_claim = [*CLAIM[:3], *CLAIM[8:12]]
    patient_claim = [line.replace("A1001", "A2002") for line in subscriber_claim]
    subscriber = [*SUBSCRIBER[:3], "NM1*PR*2*ACME HEALTH*****PI*ACME1"]
    other = ["HL*4*1*22*1", "SBR*P*18", "NM1*IL*1*ROE*RITA****MI*R9", "NM1*PR*2*B*****PI*B2"]
    body = (
        PROVIDER
        + subscriber
        + subscriber_claim
        + ["HL*3*2*23*0", "PAT*19", "NM1*QC*1*DOE*TED"]
        + patient_claim
        + other
        + [line.replace("A1001", "A3003") for line in subscriber_claim]
    )

    first, second, third = read_837p(interchange([body]))

    assert (first.claim_number, first.patient_last_name, first.member_id) == (
        "A1001", "DOE", "M123",
    )  # fmt: skip
    assert (second.claim_number, second.patient_last_name) == ("A2002", "DOE")
    assert (third.claim_number, third.patient_last_name, third.payer_code) == (
        "A3003", "ROE", "B2",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("11:B:7", "11>B>7", r"Segment \d+ \(CLM\): CLM05-1 \(place of service\) is "
         r"'11>B>7' instead of a two-digit code"),
        ("11:B:7", "11:B:", r"CLM05-3 \(claim frequency code\) is ''"),
        ("HI*ABK:J069*ABF:R509", "HI*BK>J069", r"Segment \d+ \(HI\): HI01 is 'BK>J069'"),
        ("NM1*82*1", "NM1**1", r"Segment \d+ \(NM1\): NM101 \(the entity identifier code"),
        ("SV1*HC:87070*", "SV1*HC*", r"SV101 is 'HC', which holds no procedure code"),
        ("***1:2", "***1:13", r"SV107 \(diagnosis pointers\) holds '13'"),
        ("*50*UN*2.5*", "*50*UN**", r"SV104 should be an amount but is ''"),
        ("DTP*472*D8*20241230", "DTP*472*D8*20241332", r"DTP03 should be a date"),
        ("DTP*472*D8*20241230", "DTP*473*D8*20241230", r"Segment \d+ \(LX\): this service "
         r"line has no service date \(DTP\*472\)"),
        ("LX*2", "LX*B", r"LX01 \(line number\) is 'B'"),
        ("CLM*A1001", "CLM*", r"CLM01 \(the claim number\) is missing"),
    ],
)  # fmt: skip
def test_invalid_values_name_segment(old: str, new: str, message: str) -> None:
    text = claim_text([line.replace(old, new, 1) for line in CLAIM])

    with pytest.raises(X12FormatError, match=message):
        read_837p(text)


def test_claim_without_lines() -> None:
    with pytest.raises(X12FormatError, match=r"\(CLM\): this claim has no service lines"):
        read_837p(claim_text(CLAIM[:3]))


def test_line_without_sv1() -> None:
    with pytest.raises(X12FormatError, match=r"\(LX\): this service line has no SV1"):
        read_837p(claim_text([*CLAIM[:9], "DTP*472*D8*20241230"]))


def test_line_before_claim() -> None:
    with pytest.raises(X12FormatError, match=r"\(LX\): this service line \(LX\) comes before"):
        read_837p(claim_text(CLAIM[8:]))


def test_not_an_837() -> None:
    text = interchange([["BPR*H*0*C*NON"]], functional_id="HP", set_id="835")

    with pytest.raises(X12FormatError, match=r"Segment 3 \(ST\): this transaction set is 835"):
        read_837p(text)


def test_minimal_corpus_claim() -> None:
    [claim] = read_837p(data_text("uhin-minimal-single-claim.837"))

    assert claim.claim_number == "1606"
    assert claim.total_charge == Decimal("2")
    assert claim.diagnoses == ("R69",)
    assert claim.payer_code == "FLHIN"
    assert claim.member_id == "601239742"
    assert claim.lines[0].procedure_code == "90834"
    assert claim.lines[0].service_date == date(2024, 8, 15)


def test_dependent_patient_claim() -> None:
    [claim] = read_837p(data_text("wpc-ex1-patient-is-dependent-four-lines.837"))

    assert claim.claim_number == "26463774"
    assert claim.member_id == "JS00111223333"
    assert claim.patient_last_name == "SMITH"
    assert [line.pointers for line in claim.lines] == [(1,), (1,), (2,), (2,)]
    assert sum(line.charge_amount for line in claim.lines) == claim.total_charge


def test_secondary_claim_other_payer() -> None:
    [claim] = read_837p(data_text("wpc-ex3b-cob-to-secondary-2320-cas-amt-2430-svd.837"))

    assert claim.payer_code == "567890"
    assert claim.other_payer_codes == ("999996666",)
    assert claim.diagnoses == ("4779", "2724", "2780", "53081")
    assert len(claim.lines) == 3


def test_component_separator_mismatch_rejected() -> None:
    with pytest.raises(X12FormatError, match=r"ISA16"):
        read_837p(data_text("lfh-837-component-separator-mismatch.837"))
