from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.x12_responses import response_digest, split_digest
from app.x12.reader_835 import (
    Cas,
    Remittance835,
    ServicePayment,
    balance_problems,
    claim_balance_problems,
    read_835,
    read_claim_loop,
)
from app.x12.segment_split import split_segments
from app.x12.segments import X12FormatError, parse_segments
from tests.x12.x12_text import interchange

HEADER = [
    "BPR*I*245*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20250115",
    "TRN*1*EFT1001*1512345678",
    "DTM*405*20250114",
    "N1*PR*ACME HEALTH PLAN",
    "N3*PO BOX 1",
    "N4*SPRINGFIELD*IL*62701",
    "REF*2U*ACME01",
    "PER*BL**UR*WWW.EXAMPLE.COM",
    "N1*PE*MAIN STREET CLINIC*XX*1234567893",
    "LX*1",
]
# Paid 150 of 200: CO 45 of 30 on the first line, PR 2 of 20 on the second.
PAID_CLAIM = [
    "CLP*A1001*1*200*150*20*12*ICN0001*11*1",
    "NM1*QC*1*DOE*JANE****MI*M123",
    "NM1*IL*1*DOE*JOHN****MI*S999",
    "MOA***MA01*N130",
    "DTM*232*20250102",
    "DTM*233*20250103",
    "AMT*I*1.5",
    "SVC*HC:99213:25:59*120*90**1",
    "DTM*472*20250102",
    "CAS*CO*45*30",
    "REF*6R*L1",
    "AMT*B6*90",
    "LQ*HE*N362",
    "SVC*HC:85025*80*60**2*HC:85027*1",
    "DTM*150*20250102",
    "DTM*151*20250103",
    "CAS*PR*2*20*1",
    "REF*6R*L2",
]
# Denied at the claim level; crossed over to a second payer.
DENIED_CLAIM = [
    "CLP*A1002*19*100*0*0*12*ICN0002",
    "CAS*CO*16*100",
    "NM1*QC*1*ROE*RITA",
    "NM1*TT*2*STATE MEDICAID*****PI*55555",
    "MIA*0****MA130",
]
PROVIDER_ADJUSTMENTS = ["PLB*1234567893*20251231*L6:A1001*-1.5*WO:ICN0099*5"]
# 150 + 0 paid, minus PLB: -1.5 interest raises it, 5 overpayment recovery lowers it.
BODY = HEADER + PAID_CLAIM + DENIED_CLAIM + PROVIDER_ADJUSTMENTS
PAYMENT = Decimal("146.5")


def remittance_text(*bodies: list[str], **options: str) -> str:
    return interchange(
        list(bodies), functional_id="HP", set_id="835", convention="005010X221A1", **options
    )


def with_payment(body: list[str], amount: str) -> list[str]:
    fields = body[0].split("*")
    fields[2] = amount
    return ["*".join(fields), *body[1:]]


def as_4010(text: str) -> str:
    """Turn a 5010 test interchange into a 4010 one: ISA11 U, ISA12 00401, no ST03."""
    text = text.replace("*^*00501*", "*U*00401*", 1)
    text = text.replace("005010X221A1", "004010X091A1")
    return text.replace("*0001*004010X091A1~", "*0001~")


@pytest.fixture(scope="module")
def remittance() -> Remittance835:
    [read] = read_835(remittance_text(with_payment(BODY, str(PAYMENT))))
    return read


def test_payment_header(remittance: Remittance835) -> None:
    assert remittance.control_number == "0001"
    assert remittance.handling_code == "I"
    assert remittance.payment_amount == PAYMENT
    assert remittance.credit_debit == "C"
    assert remittance.payment_method == "ACH"
    assert remittance.payment_date == date(2025, 1, 15)
    assert remittance.trace_number == "EFT1001"
    assert remittance.originator_id == "1512345678"
    assert remittance.segment_number == 3
    assert remittance.interchange_control_number == "000000101"


def test_payer_and_payee(remittance: Remittance835) -> None:
    assert remittance.payer_name == "ACME HEALTH PLAN"
    assert remittance.payer_identifier == "ACME01"
    assert remittance.payee_name == "MAIN STREET CLINIC"
    assert remittance.payee_identifier == "1234567893"


def test_paid_claim(remittance: Remittance835) -> None:
    claim = remittance.claims[0]

    assert claim.patient_control_number == "A1001"
    assert claim.status_code == "1"
    assert claim.charge == Decimal("200")
    assert claim.paid == Decimal("150")
    assert claim.patient_responsibility == Decimal("20")
    assert claim.filing_indicator == "12"
    assert claim.payer_claim_number == "ICN0001"
    assert claim.frequency_code == "1"
    assert (claim.patient_last, claim.patient_first) == ("DOE", "JANE")
    assert claim.member_id == "M123"
    assert claim.crossover_payer is None
    assert claim.service_date_from == date(2025, 1, 2)
    assert claim.service_date_to == date(2025, 1, 3)
    assert claim.adjustments == ()
    assert claim.interest == Decimal("1.5")
    assert claim.remarks == ("MA01", "N130")
    assert claim.segment_number == 14


def test_service_lines(remittance: Remittance835) -> None:
    first, second = remittance.claims[0].services

    assert first.qualifier == "HC"
    assert first.procedure_code == "99213"
    assert first.modifiers == ("25", "59")
    assert (first.charge, first.paid, first.units_paid) == (Decimal(120), Decimal(90), Decimal(1))
    assert first.submitted_code is None
    assert first.service_date == date(2025, 1, 2)
    assert first.service_date_to is None
    assert first.line_control_number == "L1"
    assert first.allowed == Decimal("90")
    assert first.adjustments == (Cas("CO", "45", Decimal("30"), None),)
    assert first.remarks == ("N362",)
    assert first.segment_number == 21

    assert second.submitted_code == "85027"
    assert second.submitted_units == Decimal("1")
    assert second.units_paid == Decimal("2")
    assert second.service_date == date(2025, 1, 2)
    assert second.service_date_to == date(2025, 1, 3)
    assert second.adjustments == (Cas("PR", "2", Decimal("20"), Decimal("1")),)
    assert second.allowed is None


def test_denied_crossover_claim(remittance: Remittance835) -> None:
    claim = remittance.claims[1]

    assert claim.status_code == "19"
    assert claim.adjustments == (Cas("CO", "16", Decimal("100"), None),)
    assert claim.services == ()
    assert claim.crossover_payer == "STATE MEDICAID"
    assert claim.member_id == ""
    assert claim.remarks == ("MA130",)


def test_provider_adjustments(remittance: Remittance835) -> None:
    interest, recovery = remittance.provider_adjustments

    assert interest.provider_identifier == "1234567893"
    assert interest.fiscal_period_date == date(2025, 12, 31)
    assert (interest.reason_code, interest.reference) == ("L6", "A1001")
    assert interest.amount == Decimal("-1.5")
    assert (recovery.reason_code, recovery.amount) == ("WO", Decimal("5"))


def test_member_id_falls_back_to_insured() -> None:
    claim = PAID_CLAIM.copy()
    claim[1] = "NM1*QC*1*DOE*JANE"
    [read] = read_835(remittance_text(with_payment(HEADER + claim, "150")))

    assert read.claims[0].member_id == "S999"


def test_payer_identifier_falls_back_to_trace_originator() -> None:
    header = [segment for segment in HEADER if not segment.startswith("REF*2U")]
    [read] = read_835(remittance_text(with_payment(header + PAID_CLAIM, "150")))

    assert read.payer_identifier == "1512345678"


def test_payer_identifier_prefers_n104() -> None:
    header = [
        "N1*PR*ACME HEALTH PLAN*XV*PLAN77" if segment.startswith("N1*PR") else segment
        for segment in HEADER
    ]
    [read] = read_835(remittance_text(with_payment(header + PAID_CLAIM, "150")))

    assert read.payer_identifier == "PLAN77"


def test_balanced_remittance_has_no_problems(remittance: Remittance835) -> None:
    assert balance_problems(remittance) == []


def test_claim_balance_message() -> None:
    claim = PAID_CLAIM.copy()
    claim[0] = "CLP*A1001*1*200*140*20*12*ICN0001"
    [read] = read_835(remittance_text(with_payment(HEADER + claim, "140")))

    assert claim_balance_problems(read.claims[0]) == [
        "Claim A1001 (segment 14): charge 200.00 minus adjustments 50.00 is 150.00 (151.50 "
        "with the claim interest 1.50) but CLP04 says 140.00."
    ]


def test_line_balance_message() -> None:
    claim = PAID_CLAIM.copy()
    claim[7] = "SVC*HC:99213*120*95**1"
    [read] = read_835(remittance_text(with_payment(HEADER + claim, "150")))

    assert balance_problems(read) == [
        "Claim A1001 (segment 14), line 99213 (segment 21): charge 120.00 minus adjustments "
        "30.00 is 90.00 but SVC03 says 95.00."
    ]


def test_transaction_balance_message() -> None:
    [read] = read_835(remittance_text(with_payment(BODY, "150")))

    assert balance_problems(read) == [
        "Transaction set 0001 (segment 3): claim payments 150.00 minus provider adjustments "
        "3.50 is 146.50 but BPR02 says 150.00."
    ]


def test_debit_payment_is_negative() -> None:
    claim = ["CLP*A1001*22*-200*-150*-20*12*ICN0001", "CAS*CO*45*-30", "CAS*PR*2*-20"]
    header = [f"BPR*D*150*D*ACH{'*' * 11}20250115", *HEADER[1:]]
    [read] = read_835(remittance_text(header + claim))

    assert read.credit_debit == "D"
    assert balance_problems(read) == []


def test_balance_compares_whole_cents() -> None:
    claim = ["CLP*A1001*1*100*89.996*0*12*ICN0001", "CAS*CO*45*10.004"]
    [read] = read_835(remittance_text(with_payment(HEADER + claim, "90")))

    assert balance_problems(read) == []


def test_every_interchange_and_transaction() -> None:
    first = remittance_text(
        with_payment(HEADER + PAID_CLAIM, "150"), with_payment(HEADER + DENIED_CLAIM, "0")
    )
    second = remittance_text(
        with_payment(HEADER + PAID_CLAIM, "150"),
        element="|",
        component=">",
        terminator="\n",
        control="000000102",
    )
    remittances = read_835(first + "\r\n\r\n" + second)

    assert [r.control_number for r in remittances] == ["0001", "0002", "0001"]
    assert [r.interchange_control_number for r in remittances] == [
        "000000101",
        "000000101",
        "000000102",
    ]
    other_delimiters = remittances[2].claims[0]
    assert other_delimiters.services[0].modifiers == ("25", "59")
    assert other_delimiters.segment_number == 51 + 14


def test_blank_lines_and_crlf_tolerated() -> None:
    text = remittance_text(with_payment(BODY, str(PAYMENT)), separator="\r\n\r\n")
    [read] = read_835("\ufeff" + text)

    assert len(read.claims) == 2
    assert read.claims[0].segment_number == 14


def test_4010_remittance() -> None:
    body = [segment for segment in BODY if not segment.startswith("PER")]
    text = as_4010(remittance_text(with_payment(body, str(PAYMENT))))
    [read] = read_835(text)

    assert "00401" in text.split("~", 1)[0]
    assert [claim.patient_control_number for claim in read.claims] == ["A1001", "A1002"]
    assert read.claims[0].services[0].adjustments == (Cas("CO", "45", Decimal("30"), None),)
    assert balance_problems(read) == []


def test_4010_correction_group_code() -> None:
    claim = ["CLP*A1001*1*100*90*0*12*ICN0001", "CAS*CR*45*10"]
    [read] = read_835(as_4010(remittance_text(with_payment(HEADER + claim, "90"))))

    assert read.claims[0].adjustments[0].group_code == "CR"


def test_claim_loop_round_trip(remittance: Remittance835) -> None:
    for claim in remittance.claims:
        again = read_claim_loop(claim.text)

        assert again.services == tuple(
            _renumbered(service, claim.segment_number) for service in claim.services
        )
        assert again.patient_control_number == claim.patient_control_number
        assert again.adjustments == claim.adjustments
        assert again.remarks == claim.remarks
        assert again.segment_number == 1
        assert again.text == claim.text


def _renumbered(service: ServicePayment, claim_number: int) -> ServicePayment:
    return replace(service, segment_number=service.segment_number - claim_number + 1)


def test_claim_loop_from_other_delimiters() -> None:
    text = remittance_text(
        with_payment(HEADER + PAID_CLAIM, "150"), element="|", component=">", terminator="\n"
    )
    [read] = read_835(text)
    claim = read.claims[0]

    assert claim.text.startswith("CLP*A1001*1*200*150")
    assert "SVC*HC:99213:25:59*120" in claim.text
    assert read_claim_loop(claim.text).services[0].modifiers == ("25", "59")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The stored claim loop is empty"),
        ("NM1*QC*1*DOE~CLP*A*1*1*1~", "Segment 1 (NM1): a stored claim loop starts"),
        ("CLP*A*1*1*1~PLB*1*20250101*WO*1~", "Segment 2 (PLB): a stored claim loop starts"),
        ("CLP*A*1*1*X~", "Segment 1 (CLP): CLP04 should be an amount but is 'X'"),
    ],
)
def test_claim_loop_rejects(text: str, message: str) -> None:
    with pytest.raises(X12FormatError) as caught:
        read_claim_loop(text)

    assert str(caught.value).startswith(message)


def replaced(body: list[str], index: int, segment: str) -> list[str]:
    changed = body.copy()
    changed[index] = segment
    return changed


CLP = len(HEADER)  # index of the first CLP in BODY
SVC = CLP + 7


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (replaced(BODY, 0, "BPR*I*ABC*C*ACH"), "Segment 4 (BPR): BPR02 should be an amount"),
        (replaced(BODY, 0, "BPR*I*10*X*ACH"), "Segment 4 (BPR): BPR03 should be C (credit)"),
        (replaced(BODY, 0, "BPR**10*C*ACH"), "Segment 4 (BPR): BPR01 (the transaction"),
        (
            replaced(BODY, 0, "BPR*I*10*C*ACH************20251345"),
            "Segment 4 (BPR): BPR16 should be a date",
        ),
        (replaced(BODY, 1, "TRN*1"), "Segment 5 (TRN): TRN02 (the check or EFT trace"),
        (BODY[1:], "Segment 13 (CLP): this claim comes before the BPR payment header"),
        (replaced(BODY, 1, "DTM*405*20250114"), "Segment 3 (ST): the transaction set has no TRN"),
        ([BODY[0], BODY[0], *BODY[1:]], "Segment 5 (BPR): a second BPR appears"),
        (replaced(BODY, CLP, "CLP**1*200*150"), "Segment 14 (CLP): CLP01 (the patient"),
        (replaced(BODY, CLP, "CLP*A1*X*200*150"), "Segment 14 (CLP): CLP02 should be a claim"),
        (replaced(BODY, CLP, "CLP*A1*1*2OO*150"), "Segment 14 (CLP): CLP03 should be an amount"),
        (replaced(BODY, CLP, "CLP*A1*1*1e5*150"), "Segment 14 (CLP): CLP03 should be an amount"),
        (
            replaced(BODY, CLP, "CLP*A1*1*1234567890123456789*150"),
            "Segment 14 (CLP): CLP03 should be an amount",
        ),
        (
            replaced(BODY, 0, "BPR*I*-1234567890123456789*C*ACH"),
            "Segment 4 (BPR): BPR02 should be an amount",
        ),
        (replaced(BODY, CLP, "CLP*A1*1*200"), "Segment 14 (CLP): CLP04 should be an amount"),
        (replaced(BODY, CLP + 4, "DTM*232*20250231"), "Segment 18 (DTM): DTM02 should be a date"),
        (replaced(BODY, SVC + 2, "CAS*XY*45*30"), "Segment 23 (CAS): CAS01 should be the group"),
        (replaced(BODY, SVC + 2, "CAS*CO**30"), "Segment 23 (CAS): CAS02 (the reason code"),
        (replaced(BODY, SVC + 2, "CAS*CO"), "Segment 23 (CAS): CAS02 and CAS03"),
        (replaced(BODY, SVC + 2, "CAS*CO*45*30*1*A2*--1"), "Segment 23 (CAS): CAS06 should be"),
        (replaced(BODY, SVC, "SVC*HC>99213*120*90"), "Segment 21 (SVC): SVC01 should start with"),
        (replaced(BODY, SVC, "SVC*HC*120*90"), "Segment 21 (SVC): SVC01 has no procedure code"),
        (replaced(BODY, SVC + 5, "LQ*HE"), "Segment 26 (LQ): LQ02 (the remark code) is missing"),
        (replaced(BODY, SVC + 1, "NM1*QC*1*X"), "Segment 22 (NM1): a claim-level name (NM1)"),
        (
            replaced(BODY, CLP + 1, "LQ*HE*N1"),
            "Segment 15 (LQ): a service line remark (LQ) appears before any SVC",
        ),
        (replaced(BODY, -1, "PLB*1234567893*20251231"), "Segment 37 (PLB): PLB03 and PLB04"),
        (replaced(BODY, -1, "PLB**20251231*WO*5"), "Segment 37 (PLB): PLB01 (the provider"),
        (replaced(BODY, -1, "PLB*1*20251231*:A1*5"), "Segment 37 (PLB): PLB03 (the adjustment"),
        (replaced(BODY, -1, "PLB*1*20251231*WO*five"), "Segment 37 (PLB): PLB04 should be"),
    ],
)
def test_malformed_segment_named(body: list[str], message: str) -> None:
    with pytest.raises(X12FormatError) as caught:
        read_835(remittance_text(body))

    assert str(caught.value).startswith(message)


def test_other_transaction_rejected() -> None:
    text = interchange([["BHT*0019*00*1*20250101*1200*CH"]])

    with pytest.raises(X12FormatError) as caught:
        read_835(text)

    assert str(caught.value).startswith("Segment 3 (ST): this transaction set is 837")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("SE*36*0001", "SE*35*0001"), "Segment 38 (SE): the transa"),
        (lambda text: text.replace("SE*36*0001", "SE*36*0002"), "Segment 38 (SE): control num"),
        (lambda text: text[: text.index("SE*36")], "Segment 3 (ST): the file ends at segment 37"),
        (lambda text: text.replace("~LX*1~", "~~LX*1~"), "Segment 13: '' is not a valid"),
        (lambda text: text.replace("LX*1", "lx*1"), "Segment 13: 'lx' is not a valid segment"),
        (lambda text: text[:-2], "Segment 40 (IEA)"),
        (lambda text: text.replace("GE*1*7", "GE*2*7"), "Segment 39 (GE): the functional group"),
        (lambda text: text[3:], "ISA header: the file starts with"),
    ],
)
def test_damaged_envelope_named(damage: Callable[[str], str], message: str) -> None:
    text = damage(remittance_text(with_payment(BODY, str(PAYMENT))))

    with pytest.raises(X12FormatError) as caught:
        read_835(text)

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "text",
    [
        remittance_text(BODY),
        remittance_text(BODY, separator="\n"),
        remittance_text(BODY, terminator="\n"),
        remittance_text(BODY, element="|", component=">", terminator="\n"),
        remittance_text(BODY) + remittance_text(BODY, element="|", control="000000102"),
        "   \n" + remittance_text(BODY).replace("~", "~\n    "),
    ],
)
def test_split_matches_parse_segments(text: str) -> None:
    _, segments = parse_segments(text)

    split = split_segments(text)

    assert split.elements == [segment.elements for segment in segments]
    isa_indexes = [index for index, segment in enumerate(segments) if segment.id == "ISA"]
    assert list(split.delimiters) == isa_indexes


def after_isa(text: str, old: str, new: str) -> str:
    """Replace `old` with `new` after the first ISA, whose delimiters stay as they are."""
    return text[:106] + text[106:].replace(old, new)


@pytest.mark.parametrize(
    "text",
    [
        remittance_text(BODY),
        remittance_text(BODY, terminator="\n"),
        remittance_text(BODY) + remittance_text(BODY, element="|", control="000000102"),
        "   \n" + remittance_text(BODY).replace("~", "~\n    "),
        after_isa(remittance_text(BODY), "~", " ~"),
        after_isa(remittance_text(BODY), "~", "\t\r\n~"),
        after_isa(remittance_text(BODY, terminator="\n"), "\n", "  \n"),
        after_isa(remittance_text(BODY), "*", " *"),
        after_isa(remittance_text(BODY), "~", "~ \t"),
    ],
)
def test_split_digest_matches_response_digest(text: str) -> None:
    """The digest from split segments equals the parsed one, blanks before terminators too."""
    assert split_digest(text, split_segments(text)) == response_digest(text)


@settings(max_examples=40, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2000),
            st.sampled_from(["insert", "replace"]),
            st.sampled_from(" \t\r\n~*"),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_split_digest_agrees_on_whitespace(edits: list[tuple[int, str, str]]) -> None:
    text = remittance_text(BODY)
    for offset, action, character in edits:
        position = offset % len(text)
        if action == "insert":
            text = text[:position] + character + text[position:]
        else:
            text = text[:position] + character + text[position + 1 :]

    try:
        expected = response_digest(text)
    except X12FormatError:
        with pytest.raises(X12FormatError):
            split_segments(text)
        return
    assert split_digest(text, split_segments(text)) == expected


# Characters that damage the structure of a file most often when inserted or replaced.
STRUCTURE_CHARACTERS = "*:~^\n ISAGESTIEA0123456789"


@settings(max_examples=30, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2000),
            st.sampled_from(["delete", "insert", "replace"]),
            st.sampled_from(STRUCTURE_CHARACTERS),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_split_agrees_with_parse_segments_on_damage(edits: list[tuple[int, str, str]]) -> None:
    text = remittance_text(BODY) + remittance_text(BODY, control="000000102")
    for offset, action, character in edits:
        position = offset % len(text)
        if action == "delete":
            text = text[:position] + text[position + 1 :]
        elif action == "insert":
            text = text[:position] + character + text[position:]
        else:
            text = text[:position] + character + text[position + 1 :]

    try:
        _, segments = parse_segments(text)
    except X12FormatError as error:
        with pytest.raises(X12FormatError) as caught:
            split_segments(text)
        assert str(caught.value) == str(error)
        return
    split = split_segments(text)
    expected = [[value.strip() for value in segment.elements] for segment in segments]
    assert [[value.strip() for value in elements] for elements in split.elements] == expected
