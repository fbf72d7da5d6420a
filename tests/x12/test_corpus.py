"""Read every file of the shared X12 corpus, when it sits beside the repository."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.x12_responses import response_digest, split_digest
from app.x12.ack_277ca import read_277ca
from app.x12.ack_999 import read_999
from app.x12.kinds import detect_kind
from app.x12.reader_835 import balance_problems, read_835
from app.x12.reader_837p import read_837p
from app.x12.segment_split import split_segments
from app.x12.segments import X12FormatError, parse_segments, read_x12_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "x12"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the X12 corpus is not present")

KINDS = {"837p": "837P", "999": "999", "277ca": "277CA", "835": "835", "270": "270", "271": "271"}

# Files in the good folders that really are broken, with the part the error names.
EXPECTED_FAILURES = {
    # SE01 declares another segment count than the transaction set contains.
    "837p/imsweb-complex-two-st-six-claims-2320.837": "Segment 149 (SE)",
    "837p/imsweb-many-claims-820-perf.837": "Segment 11488 (SE)",
    "837p/imsweb-multiple-gs-groups.837": "Segment 36 (SE)",
    "837p/imsweb-multiple-isa-interchanges.837": "Segment 36 (SE)",
    "837p/imsweb-nonstandard-separators-tilde-caret-underscore.837": "Segment 36 (SE)",
    "837p/oopfactory-professional-seven-lines-dependent.837": "Segment 63 (SE)",
    "271/oopfactory-ig-example-3-1-2-aaa-everywhere-tabs.271": "Segment 42 (SE)",
    # SE02 differs from ST02.
    "271/lfh-aaa-rejection-se-control-mismatch.271": "Segment 10 (SE)",
    "835/oopfactory-4010-masked-large-six-st-crossover.835": "Segment 13000 (SE)",
    # GS01 is XX, which is no functional group.
    "271/oopfactory-error-without-benefit-info.271": "Segment 2 (GS)",
}

# The kind detected when it differs from the folder: a 277 status response, not a 277CA.
OTHER_KINDS = {"277ca/lfh-277-x212-claim-status-response-not-ca.277": "277"}


def corpus_files(folder: str) -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(f"{folder}/{path.name}" for path in (CORPUS / folder).iterdir())


GOOD_FILES = [name for folder in KINDS for name in corpus_files(folder)]


@pytest.mark.parametrize("name", GOOD_FILES)
def test_good_file_kind(name: str) -> None:
    text = read_x12_file(CORPUS / name)
    failure = EXPECTED_FAILURES.get(name)

    if failure is not None:
        with pytest.raises(X12FormatError) as caught:
            detect_kind(text)
        assert str(caught.value).startswith(failure)
        return

    parse_segments(text)
    expected = OTHER_KINDS.get(name, KINDS[name.split("/", maxsplit=1)[0]])
    assert detect_kind(text) == expected


@pytest.mark.parametrize("name", corpus_files("malformed"))
def test_malformed_file_rejected(name: str) -> None:
    text = read_x12_file(CORPUS / name)

    with pytest.raises(X12FormatError) as caught:
        kind = detect_kind(text)
        reader = {"837P": read_837p, "999": read_999, "277CA": read_277ca}[kind]
        reader(text)

    message = str(caught.value)
    assert message.startswith(("Segment ", "ISA header"))


def readable(folder: str) -> list[str]:
    return [name for name in corpus_files(folder) if name not in EXPECTED_FAILURES]


@pytest.mark.parametrize("name", readable("837p"))
def test_837p_files_read(name: str) -> None:
    claims = read_837p(read_x12_file(CORPUS / name))

    assert claims
    for claim in claims:
        assert claim.claim_number
        assert claim.lines
        assert claim.total_charge >= 0


@pytest.mark.parametrize("name", readable("999"))
def test_999_files_read(name: str) -> None:
    groups = read_999(read_x12_file(CORPUS / name))

    assert groups
    assert all(group.sets for group in groups)


@pytest.mark.parametrize("name", [n for n in readable("277ca") if n not in OTHER_KINDS])
def test_277ca_files_read(name: str) -> None:
    claims = read_277ca(read_x12_file(CORPUS / name))

    assert claims
    assert all(claim.statuses for claim in claims)


def read(name: str) -> str:
    return read_x12_file(CORPUS / name)


def test_837p_known_values() -> None:
    [crlf] = read_837p(read("837p/oopfactory-crlf-terminated-secondary-2320.837"))
    assert crlf.claim_number == "B330004Y"
    assert crlf.total_charge == Decimal("360")
    assert crlf.other_payer_codes == ("11111",)
    assert [line.line_control_number for line in crlf.lines] == ["17053", "17054"]

    [newline] = read_837p(read("837p/staedi-newline-terminated-isa00402.837"))
    assert newline.place_of_service == "12"
    assert newline.lines[0].units == Decimal("84")

    medicaid = read_837p(read("837p/oopfactory-masked-medicaid-five-claims-pipe-repetition.837"))
    assert len(medicaid) == 5

    [dme] = read_837p(read("837p/wpc-ex7-dme-rental-pwk.837"))
    assert dme.claim_number == "R03996273 #01"
    assert [line.modifiers for line in dme.lines] == [("RR",), ("RR",)]

    [secondary] = read_837p(read("837p/wpc-ex4-medicare-secondary-svd-cas.837"))
    assert secondary.other_payer_codes == ("59999",)
    assert secondary.lines[0].service_date == date(2005, 1, 19)


def test_999_known_values() -> None:
    [accepted] = read_999(read("999/emedny-999-accepted.999"))
    assert accepted.code == "A"
    assert accepted.sets[0].transaction_control_number == "0028"

    [partial] = read_999(read("999/dhs-wisconsin-999-partial-ik3-ik4-ctx.999"))
    assert [ack.code for ack in partial.sets] == ["A", "R", "R"]


def test_277ca_known_values() -> None:
    [accepted] = read_277ca(read("277ca/emedny-277ca-accepted.277"))
    assert accepted.claim_number == "5781"
    assert accepted.accepted is True

    [rejected] = read_277ca(read("277ca/emedny-277ca-rejected-a7-562.277"))
    assert rejected.accepted is False
    assert rejected.statuses[0].entity == "85"


# 835 files that are read but do not balance, with the number of balance problems.
# Masking replaced every digit with 9 (amounts such as 999.99 and 9.99). So 101 line and
# claim checks fail, and none of the three transaction sets adds up to its BPR02.
EXPECTED_UNBALANCED_835 = {"835/oopfactory-masked-three-interchanges-56-claims.835": 104}

# 835 files in the good folder that read_835 rejects, with the part the error names.
EXPECTED_835_FAILURES = {
    # SVC01 is written with ">" between components while ISA16 declares ":", so the
    # procedure code cannot be separated from its qualifier.
    "835/lfh-cob-negative-cas-oa94.835": "Segment 21 (SVC): SVC01 should start with",
    "835/lfh-secondary-payment-clp02-2-two-lx.835": "Segment 29 (SVC): SVC01 should start with",
    # BPR16, the payment date, is 20002316 (month 23).
    "835/lfh-managed-care-two-claims-ach-ccp.835": "Segment 4 (BPR): BPR16 should be a date",
    # SVC01 is "HC" with no procedure code.
    "835/lfh-tertiary-payment-clp02-3.835": "Segment 20 (SVC): SVC01 has no procedure code",
}


@pytest.mark.parametrize(
    "name", [name for name in readable("835") if name not in EXPECTED_835_FAILURES]
)
def test_835_files_read(name: str) -> None:
    remittances = read_835(read(name))
    problems = [problem for remittance in remittances for problem in balance_problems(remittance)]

    assert remittances
    assert all(remittance.claims for remittance in remittances)
    assert len(problems) == EXPECTED_UNBALANCED_835.get(name, 0)


@pytest.mark.parametrize("name", sorted(EXPECTED_835_FAILURES))
def test_835_files_rejected(name: str) -> None:
    with pytest.raises(X12FormatError) as caught:
        read_835(read(name))

    assert str(caught.value).startswith(EXPECTED_835_FAILURES[name])


@pytest.mark.parametrize("name", corpus_files("malformed"))
def test_malformed_file_rejected_as_835(name: str) -> None:
    with pytest.raises(X12FormatError) as caught:
        read_835(read(name))

    assert str(caught.value).startswith(("Segment ", "ISA header"))


@pytest.mark.parametrize("name", [*GOOD_FILES, *corpus_files("malformed")])
def test_split_segments_matches_parse_segments(name: str) -> None:
    text = read(name)
    try:
        _, segments = parse_segments(text)
    except X12FormatError as error:
        with pytest.raises(X12FormatError) as caught:
            split_segments(text)
        assert str(caught.value) == str(error)
        return

    split = split_segments(text)

    # The fast path strips spaces around each segment, which parse_segments keeps at
    # the end of a segment's last element.
    expected = [[value.strip() for value in segment.elements] for segment in segments]
    assert [[value.strip() for value in elements] for elements in split.elements] == expected


@pytest.mark.parametrize("name", [*GOOD_FILES, *corpus_files("malformed")])
def test_split_digest_matches_response_digest(name: str) -> None:
    text = read(name)
    try:
        expected = response_digest(text)
    except X12FormatError:
        return

    assert split_digest(text, split_segments(text)) == expected


def test_835_known_values() -> None:
    [remittance] = read_835(read("835/emedny-outpatient-reversal-and-correction-plb.835"))
    reversal, correction = remittance.claims

    assert (reversal.status_code, reversal.paid) == ("22", Decimal("-7151.17"))
    assert (correction.status_code, correction.paid) == ("1", Decimal("7131.01"))
    assert correction.adjustments[0].reason_code == "45"
    assert remittance.provider_adjustments[0].reason_code == "FB"
    assert remittance.provider_adjustments[0].amount == Decimal("-20.16")

    [uhc] = read_835(read("835/uhc-legacy-sample-multi-cas-triplets.835"))
    assert [claim.paid for claim in uhc.claims] == [Decimal("88.92"), Decimal("261.07")]
    assert [len(service.adjustments) for service in uhc.claims[1].services] == [1, 0, 3]

    masked = read_835(read("835/oopfactory-masked-three-interchanges-56-claims.835"))
    assert [len(remittance.claims) for remittance in masked] == [19, 23, 14]
