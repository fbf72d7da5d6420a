"""The 837P writer: envelope, control numbers, loops and the values in them."""

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.x12.claim_data import Address, Adjustment, ClaimDocument, Submitter
from app.x12.p837_cob import adjustment_segments
from app.x12.validate import pyx12_errors
from app.x12.writer_837p import Written837, X12WriteError, write_837p
from tests.x12.claim_samples import (
    BILLING_PROVIDER,
    TEST_SUBMITTER,
    ClaimOptions,
    build_claim,
    dependent_claim,
    line_paid_total,
    ndc_claim,
    replacement_claim,
    sample_claims,
    secondary_claim,
    secondary_claim_level_claim,
    subscriber_claim,
)

CREATED_AT = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)


def write(
    claims: Sequence[ClaimDocument],
    *,
    submitter: Submitter = TEST_SUBMITTER,
    interchange_number: int = 42,
    group_number: int = 7,
    claims_per_transaction: int = 1,
) -> Written837:
    return write_837p(
        submitter,
        claims,
        interchange_number=interchange_number,
        group_number=group_number,
        created_at=CREATED_AT,
        claims_per_transaction=claims_per_transaction,
    )


def segments_of(text: str) -> list[list[str]]:
    """Split 837P text as written (one "~"-terminated segment per line) into elements."""
    lines = text.split("\n")
    assert lines[-1] == ""
    assert all(line.endswith("~") for line in lines[:-1])
    return [line[:-1].split("*") for line in lines[:-1]]


def find(segments: list[list[str]], segment_id: str, *leading: str) -> list[list[str]]:
    """Return the segments with this id whose first elements are `leading`."""
    return [
        found
        for found in segments
        if found[0] == segment_id and found[1 : 1 + len(leading)] == list(leading)
    ]


def claim_segments(claim: ClaimDocument) -> list[list[str]]:
    return segments_of(write([claim]).text)


def after(segments: list[list[str]], segment_id: str, *leading: str) -> list[str]:
    """Return the segment that follows the only match."""
    (match,) = find(segments, segment_id, *leading)
    return segments[segments.index(match) + 1]


# Envelope and control numbers


def test_isa_is_106_characters() -> None:
    text = write([subscriber_claim()]).text
    first_line = text.split("\n")[0]

    assert len(first_line) == 106
    assert first_line[3] == "*"
    assert first_line[82] == "^"
    assert first_line[104] == ":"
    assert first_line[105] == "~"


def test_isa_values_from_submitter() -> None:
    isa = segments_of(write([subscriber_claim()]).text)[0]

    assert isa[1:5] == ["00", " " * 10, "00", " " * 10]
    assert isa[5:9] == ["ZZ", "CLINICDESK01   ", "ZZ", "EXAMPLECH      "]
    assert isa[9:11] == ["260303", "1405"]
    assert isa[12] == "00501"
    assert isa[14] == "0"
    assert isa[15] == "T"


def test_isa15_production_indicator() -> None:
    production = replace(TEST_SUBMITTER, usage_indicator="P")
    isa = segments_of(write([subscriber_claim()], submitter=production).text)[0]
    assert isa[15] == "P"


def test_interchange_number_padded_in_isa13_and_iea02() -> None:
    segments = segments_of(write([subscriber_claim()], interchange_number=12345).text)
    assert segments[0][13] == "000012345"
    assert segments[-1] == ["IEA", "1", "000012345"]


def test_group_number_in_gs06_and_ge02() -> None:
    segments = segments_of(write(sample_claims(), group_number=5150).text)

    gs = segments[1]
    assert gs[:4] == ["GS", "HC", "CLINICDESK01", "EXAMPLECH"]
    assert gs[4:] == ["20260303", "1405", "5150", "X", "005010X222A1"]
    assert segments[-2] == ["GE", "6", "5150"]


def test_st_and_se_numbers_match_and_are_unique() -> None:
    segments = segments_of(write(sample_claims()).text)
    st_numbers = [found[2] for found in find(segments, "ST")]
    se_numbers = [found[2] for found in find(segments, "SE")]

    assert st_numbers == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert se_numbers == st_numbers
    assert all(found[3] == "005010X222A1" for found in find(segments, "ST"))


def test_segment_counts_in_trailers() -> None:
    segments = segments_of(write(sample_claims(), claims_per_transaction=4).text)
    starts = [index for index, found in enumerate(segments) if found[0] == "ST"]
    ends = [index for index, found in enumerate(segments) if found[0] == "SE"]

    assert len(starts) == 2
    for start, end in zip(starts, ends, strict=True):
        assert int(segments[end][1]) == end - start + 1
    assert segments[-2][1] == "2"
    assert segments[-1][1] == "1"


def test_transaction_numbers_by_claim() -> None:
    claims = sample_claims()
    written = write(claims, claims_per_transaction=4)
    numbers = [claim.claim_number for claim in claims]

    assert written.transaction_numbers == dict.fromkeys(numbers[:4], "0001") | dict.fromkeys(
        numbers[4:], "0002"
    )


def test_bht_header() -> None:
    segments = segments_of(write([subscriber_claim()], interchange_number=42).text)
    assert find(segments, "BHT") == [
        ["BHT", "0019", "00", "0000000420001", "20260303", "1405", "CH"]
    ]


def test_one_segment_per_line() -> None:
    text = write(sample_claims()).text
    lines = text.splitlines()

    assert all(line.count("~") == 1 and line.endswith("~") for line in lines)
    assert text.endswith("~\n")
    assert "\r" not in text


def test_submitter_and_receiver_loops() -> None:
    segments = segments_of(write([subscriber_claim()]).text)

    assert find(segments, "NM1", "41") == [
        ["NM1", "41", "2", "MAPLE STREET FAMILY MEDICINE", "", "", "", "", "46", "CLINICDESK01"]
    ]
    assert find(segments, "PER") == [["PER", "IC", "DANA OKAFOR", "TE", "2175550100"]]
    assert find(segments, "NM1", "40") == [
        ["NM1", "40", "2", "EXAMPLE CLEARINGHOUSE", "", "", "", "", "46", "EXAMPLECH"]
    ]


@pytest.mark.parametrize("number", [0, -1, 1_000_000_000])
def test_interchange_number_out_of_range(number: int) -> None:
    with pytest.raises(ValueError, match="interchange control number"):
        write([subscriber_claim()], interchange_number=number)


def test_group_number_out_of_range() -> None:
    with pytest.raises(ValueError, match="group control number"):
        write([subscriber_claim()], group_number=0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("isa_sender_id", "A" * 16, "ISA sender id"),
        ("isa_receiver_id", "", "ISA receiver id"),
        ("isa_sender_qualifier", "Z", "ISA sender id qualifier"),
        ("gs_receiver_code", "X", "GS application receiver code"),
        ("usage_indicator", "X", "usage indicator"),
    ],
)
def test_invalid_clearinghouse_setting(field: str, value: str, message: str) -> None:
    submitter = replace(TEST_SUBMITTER, **{field: value})

    with pytest.raises(X12WriteError, match=message) as raised:
        write([subscriber_claim()], submitter=submitter)
    assert "clearinghouse settings" in str(raised.value)


def test_no_claims_is_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one claim"):
        write([])


def test_repeated_claim_number_is_programming_error() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        write([subscriber_claim(), subscriber_claim()])


def test_zero_claims_per_transaction() -> None:
    with pytest.raises(ValueError, match="claims_per_transaction"):
        write([subscriber_claim()], claims_per_transaction=0)


# ZIP+4


@pytest.mark.parametrize("zip_code", ["62701", "62701-1234", "6270112", "ABCDE1234", ""])
def test_billing_zip_must_be_nine_digits(zip_code: str) -> None:
    address = replace(BILLING_PROVIDER.address, zip_code=zip_code)
    claim = replace(subscriber_claim(), billing_provider=replace(BILLING_PROVIDER, address=address))

    with pytest.raises(X12WriteError) as raised:
        write([claim])
    message = str(raised.value)
    assert claim.claim_number in message
    assert "ZIP+4" in message
    assert "practice settings" in message


def test_facility_zip_must_be_nine_digits() -> None:
    claim = ndc_claim()
    facility = replace(
        claim.service_facility, address=replace(claim.service_facility.address, zip_code="62704")
    )

    with pytest.raises(X12WriteError) as raised:
        write([replace(claim, service_facility=facility)])
    assert claim.claim_number in str(raised.value)
    assert "ZIP+4" in str(raised.value)


def test_other_zip_codes_are_not_padded() -> None:
    segments = claim_segments(subscriber_claim())
    assert after(segments, "N3", "42 ELM ST", "APT 3") == ["N4", "SPRINGFIELD", "IL", "62702"]


# Billing provider, subscriber, patient


def test_billing_provider_loops() -> None:
    segments = claim_segments(subscriber_claim())

    assert segments[7:13] == [
        ["HL", "1", "", "20", "1"],
        ["PRV", "BI", "PXC", "207Q00000X"],
        ["NM1", "85", "2", "MAPLE STREET FAMILY MEDICINE", "", "", "", "", "XX", "1234567893"],
        ["N3", "100 MAPLE ST", "SUITE 200"],
        ["N4", "SPRINGFIELD", "IL", "627011234"],
        ["REF", "EI", "371234567"],
    ]


def test_billing_provider_without_taxonomy() -> None:
    claim = replace(
        subscriber_claim(), billing_provider=replace(BILLING_PROVIDER, taxonomy_code=None)
    )
    assert find(claim_segments(claim), "PRV") == []


def test_subscriber_is_patient() -> None:
    segments = claim_segments(subscriber_claim())

    assert find(segments, "HL", "2") == [["HL", "2", "1", "22", "0"]]
    assert find(segments, "SBR") == [["SBR", "P", "18", "GRP-4471", "", "", "", "", "", "CI"]]
    assert after(segments, "NM1", "IL") == ["N3", "42 ELM ST", "APT 3"]
    assert find(segments, "DMG") == [["DMG", "D8", "19840719", "M"]]
    assert find(segments, "HL", "3") == []
    assert find(segments, "PAT") == []


def test_subscriber_name_cleaned() -> None:
    segments = claim_segments(subscriber_claim())
    assert find(segments, "NM1", "IL") == [
        ["NM1", "IL", "1", "PENA", "JOSE", "LUIS", "", "", "MI", "PHP01M1048829"]
    ]


def test_group_name_only_without_group_number() -> None:
    with_number = claim_segments(subscriber_claim())
    without_number = claim_segments(replace(subscriber_claim(), group_number=None))

    assert find(with_number, "SBR")[0][3:5] == ["GRP-4471", ""]
    assert find(without_number, "SBR")[0][3:5] == ["", "SPRINGFIELD PUBLIC SCHOOLS"]


def test_payer_loop() -> None:
    segments = claim_segments(subscriber_claim())
    assert find(segments, "NM1", "PR") == [
        ["NM1", "PR", "2", "PRAIRIE HEALTH PLAN", "", "", "", "", "PI", "PHP01"]
    ]
    assert after(segments, "NM1", "PR") == ["N3", "PO BOX 4000"]


def test_dependent_patient_loop() -> None:
    segments = claim_segments(dependent_claim())

    assert find(segments, "HL", "2") == [["HL", "2", "1", "22", "1"]]
    assert find(segments, "SBR")[0][1:3] == ["P", ""]
    # The subscriber's address and birth date belong to 2010CA's patient, not 2010BA.
    assert after(segments, "NM1", "IL")[:2] == ["NM1", "PR"]
    assert find(segments, "HL", "3") == [["HL", "3", "2", "23", "0"]]
    assert after(segments, "HL", "3") == ["PAT", "19"]
    assert find(segments, "NM1", "QC") == [["NM1", "QC", "1", "PENA", "LUCIA"]]
    assert find(segments, "DMG") == [["DMG", "D8", "20160930", "F"]]


def test_claims_share_billing_provider_level() -> None:
    segments = segments_of(write(sample_claims()[:3], claims_per_transaction=3).text)
    levels = [found[1:5] for found in find(segments, "HL")]

    assert levels == [
        ["1", "", "20", "1"],
        ["2", "1", "22", "0"],
        ["3", "1", "22", "1"],
        ["4", "3", "23", "0"],
        ["5", "1", "22", "0"],
    ]


# Claim loop 2300


def test_clm_segment() -> None:
    segments = claim_segments(subscriber_claim())
    assert find(segments, "CLM") == [
        ["CLM", "CD260302001", "485", "", "", "11:B:1", "Y", "A", "Y", "Y"]
    ]


def test_clm01_longer_than_20_characters_rejected() -> None:
    # A cut claim number would not match the CLM01 that responses return.
    claim = replace(subscriber_claim(), claim_number="C" * 25)
    with pytest.raises(X12WriteError, match="cannot be sent unchanged"):
        claim_segments(claim)


def test_clm02_amount_format() -> None:
    claim = replace(subscriber_claim(), total_charge=Decimal("150.50"))
    assert find(claim_segments(claim), "CLM")[0][2] == "150.5"


def test_diagnoses_without_dot() -> None:
    claim = replace(subscriber_claim(), diagnoses=("J06.9", "r50.9", "E11.9"))
    assert find(claim_segments(claim), "HI") == [["HI", "ABK:J069", "ABF:R509", "ABF:E119"]]


def test_twelve_diagnoses_in_one_hi() -> None:
    claim = build_claim(ClaimOptions(diagnosis_count=12))
    (hi,) = find(claim_segments(claim), "HI")

    assert len(hi) == 13
    assert hi[1].startswith("ABK:")
    assert all(composite.startswith("ABF:") for composite in hi[2:])


@pytest.mark.parametrize("count", [0, 13])
def test_diagnosis_count_outside_limits(count: int) -> None:
    claim = replace(subscriber_claim(), diagnoses=("J069",) * count)
    with pytest.raises(ValueError, match="1 to 12"):
        write([claim])


def test_dependent_claim_dates_and_references() -> None:
    segments = claim_segments(dependent_claim())

    assert find(segments, "DTP", "431") == [["DTP", "431", "D8", "20260226"]]
    assert find(segments, "AMT", "F5") == [["AMT", "F5", "25"]]
    assert find(segments, "REF", "G1") == [["REF", "G1", "PA88213"]]
    assert find(segments, "REF", "F8") == []


def test_replacement_claim_frequency_and_payer_number() -> None:
    segments = claim_segments(replacement_claim())

    assert find(segments, "CLM")[0][5] == "11:B:7"
    assert find(segments, "REF", "F8") == [["REF", "F8", "PHPCD260302006"]]


def test_void_claim_frequency() -> None:
    claim = build_claim(ClaimOptions(frequency_code="8"))
    segments = claim_segments(claim)

    assert find(segments, "CLM")[0][5] == "11:B:8"
    assert find(segments, "REF", "F8") == [["REF", "F8", f"PHP{claim.claim_number}"]]


def test_original_claim_never_sends_f8() -> None:
    claim = replace(subscriber_claim(), payer_claim_number="PHP998877")
    assert find(claim_segments(claim), "REF", "F8") == []


@pytest.mark.parametrize(
    ("accident", "related", "accident_date"),
    [
        ("auto", "AA:::IL", True),
        ("other", "OA", True),
        ("employment", "EM", False),
    ],
)
def test_related_causes(accident: str, related: str, accident_date: bool) -> None:
    segments = claim_segments(build_claim(ClaimOptions(accident=accident)))

    assert find(segments, "CLM")[0][10:] == ["", related]
    assert bool(find(segments, "DTP", "439")) is accident_date


def test_related_causes_keeps_two() -> None:
    claim = replace(
        build_claim(ClaimOptions(accident="auto")),
        related_employment=True,
        related_other_accident=True,
    )
    assert find(claim_segments(claim), "CLM")[0][11] == "AA:OA::IL"


def test_no_related_causes_without_accident() -> None:
    assert len(find(claim_segments(subscriber_claim()), "CLM")[0]) == 10


# Provider loops 2310A, 2310B, 2310C


def test_referring_provider_loop() -> None:
    segments = claim_segments(dependent_claim())
    assert find(segments, "NM1", "DN") == [
        ["NM1", "DN", "1", "MULLER", "JURGEN", "", "", "", "XX", "1678901236"]
    ]


def test_rendering_loop_when_npi_differs() -> None:
    segments = claim_segments(dependent_claim())

    assert find(segments, "NM1", "82") == [
        ["NM1", "82", "1", "NGUYEN", "MINH", "", "", "", "XX", "1987654328"]
    ]
    assert after(segments, "NM1", "82") == ["PRV", "PE", "PXC", "207R00000X"]


def test_no_rendering_loop_for_group_npi() -> None:
    assert find(claim_segments(subscriber_claim()), "NM1", "82") == []


def test_facility_loop_when_address_differs() -> None:
    segments = claim_segments(ndc_claim())

    assert find(segments, "NM1", "77") == [["NM1", "77", "2", "MAPLE STREET ANNEX"]]
    assert after(segments, "NM1", "77") == ["N3", "250 OAK AVE"]
    assert find(segments, "N4")[-1] == ["N4", "SPRINGFIELD", "IL", "627045678"]


def test_no_facility_loop_at_billing_address() -> None:
    claim = subscriber_claim()
    same_but_typed_differently = replace(
        claim.service_facility,
        address=Address("100  maple st", "suite 200", "springfield", "il", "627011234"),
    )
    segments = claim_segments(replace(claim, service_facility=same_but_typed_differently))
    assert find(segments, "NM1", "77") == []


# Service lines


def test_service_line_segments() -> None:
    segments = claim_segments(subscriber_claim())
    start = segments.index(["LX", "1"])

    assert segments[start : start + 8] == [
        ["LX", "1"],
        ["SV1", "HC:99213:25", "125", "UN", "1", "", "", "1"],
        ["DTP", "472", "D8", "20260302"],
        ["REF", "6R", "CD260302001-1"],
        ["LX", "2"],
        ["SV1", "HC:99214", "360", "UN", "2", "", "", "2:1"],
        ["DTP", "472", "D8", "20260302"],
        ["REF", "6R", "CD260302001-2"],
    ]


def test_line_place_of_service_only_when_different() -> None:
    claim = build_claim(ClaimOptions(line_count=3, line_place_of_service="22"))
    lines = find(claim_segments(claim), "SV1")

    assert [line[5] for line in lines] == ["", "22", ""]


def test_four_pointers_and_modifiers() -> None:
    claim = subscriber_claim()
    line = replace(claim.lines[0], modifiers=("25", "59", "XE", "76"), pointers=(2, 1, 4, 3))
    claim = replace(claim, lines=(line,), diagnoses=("J069", "R509", "E119", "I10"))

    (sv1,) = find(claim_segments(claim), "SV1")
    assert sv1[1] == "HC:99213:25:59:XE:76"
    assert sv1[7] == "2:1:4:3"


def test_lx_numbers_lines_from_one() -> None:
    claim = build_claim(ClaimOptions(line_count=50))
    assert [found[1] for found in find(claim_segments(claim), "LX")] == [
        str(number) for number in range(1, 51)
    ]


def test_more_than_fifty_lines_is_programming_error() -> None:
    claim = build_claim(ClaimOptions(line_count=50))
    claim = replace(claim, lines=(*claim.lines, claim.lines[0]))
    with pytest.raises(ValueError, match="1 to 50"):
        write([claim])


def test_ndc_drug_loop() -> None:
    segments = claim_segments(ndc_claim())

    assert after(segments, "REF", "6R", "CD260302005-2") == ["LIN", "", "N4", "00641036725"]
    assert find(segments, "CTP") == [["CTP", "", "", "", "2", "ML"]]


@pytest.mark.parametrize(("quantity", "unit"), [("2", "BOX"), ("0", "ML"), ("two", "ML")])
def test_invalid_ndc_quantity_or_unit(quantity: str, unit: str) -> None:
    claim = ndc_claim()
    drug_line = replace(claim.lines[-1], ndc_quantity=quantity, ndc_unit=unit)
    claim = replace(claim, lines=(claim.lines[0], drug_line))

    with pytest.raises(X12WriteError, match="NDC") as raised:
        write([claim])
    assert f"Claim {claim.claim_number}, line 2" in str(raised.value)


# Coordination of benefits


def test_secondary_claim_other_payer_loops() -> None:
    claim = secondary_claim()
    segments = claim_segments(claim)
    paid = line_paid_total(claim.lines, "PHP01")
    start = segments.index(["SBR", "P", "18", "GRP-4471", "", "", "", "", "", "CI"])

    assert find(segments, "SBR")[0][1] == "S"
    assert paid == claim.other_payers[0].paid_amount
    assert segments[start + 1 : start + 9] == [
        ["AMT", "D", "339.5"],
        ["AMT", "EAF", "48.5"],
        ["OI", "", "", "Y", "", "", "Y"],
        ["NM1", "IL", "1", "PENA", "JOSE", "LUIS", "", "", "MI", "PHP01M550"],
        ["N3", "42 ELM ST", "APT 3"],
        ["N4", "SPRINGFIELD", "IL", "62702"],
        ["NM1", "PR", "2", "PRAIRIE HEALTH PLAN", "", "", "", "", "PI", "PHP01"],
        ["N3", "PO BOX 4000"],
    ]
    # Every line carries its own DTP*573, so 2330B goes from N4 to REF*F8.
    assert segments[start + 9 : start + 11] == [
        ["N4", "CHICAGO", "IL", "606804000"],
        ["REF", "F8", "PHP01-CD260302003"],
    ]
    assert len(find(segments, "DTP", "573")) == len(claim.lines)


def test_secondary_claim_line_adjudication() -> None:
    segments = claim_segments(secondary_claim())
    start = segments.index(["REF", "6R", "CD260302003-1"])

    assert segments[start + 1 : start + 5] == [
        ["SVD", "PHP01", "87.5", "HC:99213:25", "", "1"],
        ["CAS", "CO", "45", "25"],
        ["CAS", "PR", "2", "12.5"],
        ["DTP", "573", "D8", "20260320"],
    ]


def test_claim_level_adjudication() -> None:
    claim = secondary_claim_level_claim()
    segments = claim_segments(claim)
    start = segments.index(find(segments, "SBR")[1])

    assert segments[start + 1 : start + 4] == [
        ["CAS", "CO", "45", "121"],
        ["CAS", "PR", "2", "60.5"],
        ["AMT", "D", "423.5"],
    ]
    assert find(segments, "SVD") == []
    assert after(segments, "NM1", "PR", "2", "PRAIRIE HEALTH PLAN") == ["N3", "PO BOX 4000"]
    assert find(segments, "DTP", "573") == [["DTP", "573", "D8", "20260320"]]


def test_two_other_payers() -> None:
    claim = build_claim(ClaimOptions(other_payer_count=2, line_count=1))
    segments = claim_segments(claim)
    other_sbr = find(segments, "SBR")[1:]

    assert find(segments, "SBR")[0][1] == "T"
    assert [found[1:3] for found in other_sbr] == [["P", "18"], ["S", "01"]]
    assert [found[1] for found in find(segments, "SVD")] == ["PHP01", "LMI22"]


def test_cas_groups_six_adjustments_per_segment() -> None:
    adjustments = [Adjustment("CO", str(reason), Decimal("1.50")) for reason in range(1, 9)]
    adjustments.insert(2, Adjustment("PR", "1", Decimal(10), quantity=2))

    assert adjustment_segments(adjustments) == [
        "CAS*CO*1*1.5**2*1.5**3*1.5**4*1.5**5*1.5**6*1.5",
        "CAS*CO*7*1.5**8*1.5",
        "CAS*PR*1*10*2",
    ]


# Validation by pyx12


@pytest.mark.parametrize("claim", sample_claims(), ids=lambda claim: claim.claim_number)
def test_pyx12_accepts_each_sample(claim: ClaimDocument) -> None:
    assert pyx12_errors(write([claim]).text) == []


def test_pyx12_accepts_all_samples_in_one_transaction() -> None:
    assert pyx12_errors(write(sample_claims(), claims_per_transaction=6).text) == []


def test_pyx12_reports_wrong_segment_count() -> None:
    text = write([subscriber_claim()]).text
    broken = text.replace("SE*31*0001", "SE*30*0001")

    assert "SE*31*0001" in text
    errors = pyx12_errors(broken)
    assert any("SE count" in error for error in errors)


def test_pyx12_reports_unknown_version() -> None:
    text = write([subscriber_claim()]).text.replace("005010X222A1", "005010X222A2")
    (error,) = pyx12_errors(text)
    assert "could not read" in error


def test_pyx12_ignores_byte_order_mark() -> None:
    assert pyx12_errors("\ufeff" + write([subscriber_claim()]).text) == []


def test_pyx12_check_restores_logger() -> None:
    logger = logging.getLogger("pyx12")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    before = (logger.level, logger.propagate, list(logger.handlers))
    try:
        pyx12_errors(write([subscriber_claim()]).text.replace("SE*31", "SE*2"))
        assert (logger.level, logger.propagate, list(logger.handlers)) == before
    finally:
        logger.removeHandler(handler)


def test_pyx12_messages_stay_out_of_root_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        errors = pyx12_errors(write([subscriber_claim()]).text.replace("SE*31", "SE*2"))

    assert errors
    assert not [record for record in caplog.records if record.name.startswith("pyx12")]
