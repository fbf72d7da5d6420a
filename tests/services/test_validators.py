"""Identifier and code checks used on claims."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from app import validators as v
from app.problems import Problem


@pytest.mark.parametrize("npi", ["1234567893", "1003000126", "1245319599", "1234 567893"])
def test_npi_valid(npi: str) -> None:
    assert v.npi_problems(npi, "npi") == []


def test_npi_check_digit_cms_example() -> None:
    # 123456789 gets check digit 3, so 1234567893 is a valid NPI.
    assert v.npi_check_digit("123456789") == 3


def test_npi_check_digit_rejects_short_input() -> None:
    with pytest.raises(ValueError, match="nine digits"):
        v.npi_check_digit("12345678")


@pytest.mark.parametrize("first9", ["100000000", "199999999", "287654321", "150000007"])
def test_npi_check_digit_round_trip(first9: str) -> None:
    npi = first9 + str(v.npi_check_digit(first9))
    assert v.npi_problems(npi, "npi") == []


def test_npi_wrong_check_digit() -> None:
    problems = v.npi_problems("1234567890", "practice.billing_npi")
    assert len(problems) == 1
    assert problems[0].field == "practice.billing_npi"
    assert problems[0].message == (
        "NPI 1234567890 fails the check digit; check the number on the NPPES record."
    )


@pytest.mark.parametrize(
    ("npi", "expected"),
    [
        ("", "missing"),
        ("123456789", "not 10 digits"),
        ("12345678901", "not 10 digits"),
        ("12345A7893", "not 10 digits"),
        ("3234567893", "starts with 1 or 2"),
    ],
)
def test_npi_invalid(npi: str, expected: str) -> None:
    problems = v.npi_problems(npi, "npi")
    assert len(problems) == 1
    assert expected in problems[0].message


@pytest.mark.parametrize("ein", ["36-1234567", "361234567", "95-0000001", "10 1234567"])
def test_ein_valid(ein: str) -> None:
    assert v.ein_problems(ein, "ein") == []


def test_ein_normalized() -> None:
    assert v.normalize_ein("361234567") == "36-1234567"


@pytest.mark.parametrize("prefix", sorted(v.INVALID_EIN_PREFIXES))
def test_ein_never_issued_prefix(prefix: str) -> None:
    problems = v.ein_problems(f"{prefix}-1234567", "ein")
    assert len(problems) == 1
    assert "never issues" in problems[0].message


@pytest.mark.parametrize("ein", ["", "36-123456", "36-12345678", "3A-1234567"])
def test_ein_invalid_format(ein: str) -> None:
    assert len(v.ein_problems(ein, "ein")) == 1


@pytest.mark.parametrize("zip_code", ["60601", "60601-1234", "606011234"])
def test_zip_valid(zip_code: str) -> None:
    assert v.zip_problems(zip_code, "zip") == []


@pytest.mark.parametrize("zip_code", ["", "6060", "606012", "60601-12", "ABCDE", "60601 1234"])
def test_zip_invalid(zip_code: str) -> None:
    assert len(v.zip_problems(zip_code, "zip")) == 1


def test_zip_plus4_required() -> None:
    problems = v.zip_problems("60601", "practice.zip_code", require_plus4=True)
    assert len(problems) == 1
    assert "ZIP+4" in problems[0].message


def test_zip_plus4_accepted() -> None:
    assert v.zip_problems("60601-1234", "zip", require_plus4=True) == []


def test_zip_normalized() -> None:
    assert v.normalize_zip("606011234") == "60601-1234"


@pytest.mark.parametrize(
    "line",
    [
        "PO Box 123",
        "P.O. Box 123",
        "p.o. box 9",
        "P O Box 77",
        "P. O. Box 77",
        "POB 55",
        "P.O.B. 55",
        "Post Office Box 12",
        "post office box 12",
        "Postal Box 4",
        "Lock Box 2201",
        "Lockbox 2201",
        "LOCKBOX #881",
        "Dept 4410, PO Box 9",
    ],
)
def test_po_box_detected(line: str) -> None:
    assert v.is_po_box(line)


@pytest.mark.parametrize(
    "line",
    ["1200 Lake Shore Drive", "12 Poblano Street", "1 Apollo Blvd", "Suite 300", "45 Boxwood Ln"],
)
def test_street_not_po_box(line: str) -> None:
    assert not v.is_po_box(line)


def test_po_box_problem_names_field() -> None:
    problems = v.po_box_problems("PO Box 12", "practice.address_line1")
    assert [problem.field for problem in problems] == ["practice.address_line1"]


@pytest.mark.parametrize("state", ["IL", "il", " NY ", "PR", "DC", "GU"])
def test_state_valid(state: str) -> None:
    assert v.state_problems(state, "state") == []


@pytest.mark.parametrize("state", ["", "XX", "Ill", "I"])
def test_state_invalid(state: str) -> None:
    assert len(v.state_problems(state, "state")) == 1


@pytest.mark.parametrize("code", ["207Q00000X", "261QP2300X", "363lf0000x"])
def test_taxonomy_valid(code: str) -> None:
    assert v.taxonomy_problems(code, "taxonomy") == []


@pytest.mark.parametrize("code", ["", "207Q00000", "207Q00000Y", "207Q0000X", "207Q-0000X"])
def test_taxonomy_invalid(code: str) -> None:
    assert len(v.taxonomy_problems(code, "taxonomy")) == 1


@pytest.mark.parametrize(
    "phone", ["(312) 555-0142", "312-555-0142", "312.555.0142", "+1 312 555 0142", "13125550142"]
)
def test_phone_valid_and_normalized(phone: str) -> None:
    assert v.phone_problems(phone, "phone") == []
    assert v.normalize_phone(phone) == "(312) 555-0142"


@pytest.mark.parametrize(
    "phone", ["555-0142", "(312) 555-014", "012-555-0142", "312-155-0142", "312-555-0142 x12"]
)
def test_phone_invalid(phone: str) -> None:
    assert len(v.phone_problems(phone, "phone")) == 1


def test_phone_optional_blank() -> None:
    assert v.phone_problems("", "phone", required=False) == []


def test_phone_required_blank() -> None:
    assert len(v.phone_problems("", "phone")) == 1


def test_time_zone_valid() -> None:
    assert v.time_zone_problems("America/Chicago", "tz") == []


@pytest.mark.parametrize("name", ["", "Central", "America/Springfield", "../etc/passwd"])
def test_time_zone_invalid(name: str) -> None:
    assert len(v.time_zone_problems(name, "tz")) == 1


def test_us_time_zones_all_known() -> None:
    for name in v.US_TIME_ZONES:
        assert ZoneInfo(name).key == name


def test_claim_filing_indicators_complete() -> None:
    expected = [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "AM",
        "BL",
        "CH",
        "CI",
        "DS",
        "FI",
        "HM",
        "LM",
        "MA",
        "MB",
        "MC",
        "OF",
        "TV",
        "VA",
        "WC",
        "ZZ",
    ]
    assert sorted(v.CLAIM_FILING_INDICATORS) == sorted(expected)


def test_claim_filing_indicator_valid() -> None:
    assert v.claim_filing_indicator_problems("MB", "cfi") == []


@pytest.mark.parametrize("code", ["", "XX", "10", "MD"])
def test_claim_filing_indicator_invalid(code: str) -> None:
    assert len(v.claim_filing_indicator_problems(code, "cfi")) == 1


@pytest.mark.parametrize(("code", "count"), [("11", 0), ("02", 0), ("00", 1), ("1", 1), ("", 1)])
def test_place_of_service(code: str, count: int) -> None:
    assert len(v.place_of_service_problems(code, "pos")) == count


def test_text_too_long() -> None:
    problems = v.text_problems("x" * 61, "practice.legal_name", "Legal name", 60)
    assert len(problems) == 1
    assert "61 characters" in problems[0].message


def test_text_optional_blank() -> None:
    assert v.text_problems("  ", "line2", "Address line 2", 55, required=False) == []


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("a\x1b[31mred\x07", "a control character", "U+001B"),
        ("Main\tStreet", "a control character", "U+0009"),
        ("Lakeside\u202eClinic", "an invisible formatting character", "U+202E"),
        ("Lake\u200bside", "an invisible formatting character", "U+200B"),
        ("Ma\ud800ria", "a broken character (a lone surrogate)", "U+D800"),
        ("Main\u2028Street", "a line separator", "U+2028"),
        ("Main\u2029Street", "a paragraph separator", "U+2029"),
    ],
)
def test_text_rejects_hidden_characters(text: str, kind: str, code: str) -> None:
    problems = v.text_problems(text, "practice.legal_name", "Legal name", 60)

    assert len(problems) == 1
    assert problems[0].field == "practice.legal_name"
    assert problems[0].message.startswith(f"Legal name contains {kind}")
    assert kind in problems[0].message
    assert code in problems[0].message


def test_text_reports_each_character_kind() -> None:
    problems = v.text_problems("a\x1b\u202eb", "city", "City", 30)

    messages = [problem.message for problem in problems]
    assert len(messages) == 2
    assert "control character" in messages[0]
    assert "formatting character" in messages[1]


@pytest.mark.parametrize("text", ["Jane  Smith", "José Núñez-O'Brien", "Suite 4B, Bldg. 2", " x "])
def test_text_allows_ordinary_characters(text: str) -> None:
    assert v.text_problems(text, "name", "Name", 60) == []


def test_text_hidden_character_and_length() -> None:
    problems = v.text_problems("\x07" + "x" * 61, "name", "Name", 60)

    assert len(problems) == 2


def test_shorten_for_message_keeps_short() -> None:
    assert v.shorten_for_message("x" * 60) == "x" * 60


def test_shorten_for_message_cuts_long() -> None:
    shortened = v.shorten_for_message("x" * 5_000)

    assert len(shortened) == 60
    assert shortened.endswith("\u2026")


def test_echo_for_message_escapes_hidden() -> None:
    assert v.echo_for_message("60\x1b[31m601") == "60\\u001B[31m601"


@pytest.mark.parametrize(
    "check",
    [
        lambda value: v.npi_problems(value, "npi"),
        lambda value: v.ein_problems(value, "ein"),
        lambda value: v.zip_problems(value, "zip"),
        lambda value: v.state_problems(value, "state"),
        lambda value: v.taxonomy_problems(value, "taxonomy"),
        lambda value: v.phone_problems(value, "phone"),
        lambda value: v.time_zone_problems(value, "zone"),
        lambda value: v.claim_filing_indicator_problems(value, "sbr09"),
        lambda value: v.place_of_service_problems(value, "pos"),
    ],
)
def test_long_input_shortened_in_message(check: Callable[[str], list[Problem]]) -> None:
    problems = check("9\x1b" * 2_500)

    assert len(problems) == 1
    assert len(problems[0].message) < 300
    assert "\x1b" not in problems[0].message
    assert "\u2026" in problems[0].message


def test_po_box_message_shortened() -> None:
    problems = v.po_box_problems("PO Box " + "9" * 5_000, "line1")

    assert len(problems) == 1
    assert len(problems[0].message) < 300


def test_text_rejects_combining_marks_only() -> None:
    problems = v.text_problems("\u0301\u0301", "first_name", "First name", 35)

    assert len(problems) == 1
    assert problems[0].message.startswith("First name contains only combining marks")


def test_text_allows_letter_with_combining_mark() -> None:
    assert v.text_problems("Jose\u0301", "first_name", "First name", 35) == []


def test_echo_for_message_escapes_surrogate() -> None:
    echoed = v.echo_for_message("Ma\ud800ria")

    assert echoed == "Ma\\uD800ria"
    assert echoed.encode("utf-8")


@pytest.mark.parametrize("text", ["820 * Davis", "Apt ~2", "Evan:ston", "Unit ^4"])
def test_claim_text_rejects_x12_separators(text: str) -> None:
    problems = v.claim_text_problems(text, "city", "City", 60)

    assert len(problems) == 1
    assert "which claim files use as separators" in problems[0].message


def test_claim_text_allows_ordinary_punctuation() -> None:
    assert v.claim_text_problems("Suite 4B, Bldg. 2 #7 (rear)", "line", "Address", 60) == []


# Other scripts' digits, which str.isdigit and \d accept: full-width (U+FF10-U+FF19)
# and Arabic-Indic (U+0660-U+0669).
def _full_width(digits: str) -> str:
    return "".join(chr(0xFF10 + int(digit)) if digit.isascii() else digit for digit in digits)


def _arabic_indic(digits: str) -> str:
    return "".join(
        chr(0x0660 + int(digit)) if digit.isascii() and digit.isdigit() else digit
        for digit in digits
    )


@pytest.mark.parametrize("convert", [_full_width, _arabic_indic])
def test_identifiers_reject_non_ascii_digits(convert: Callable[[str], str]) -> None:
    checks: list[tuple[str, list[Problem]]] = [
        ("zip", v.zip_problems(convert("60201"), "zip")),
        ("zip+4", v.zip_problems(convert("60201") + "-" + convert("1234"), "zip")),
        ("npi", v.npi_problems(convert("1234567893"), "npi")),
        ("ein", v.ein_problems(convert("36") + "-" + convert("1234567"), "ein")),
        ("phone", v.phone_problems(convert("3125550142"), "phone")),
        ("place of service", v.place_of_service_problems(convert("11"), "pos")),
    ]
    for name, problems in checks:
        assert len(problems) == 1, f"{name}: {problems}"
        assert "not" in problems[0].message, f"{name}: {problems[0].message}"


def test_npi_check_digit_rejects_non_ascii_digits() -> None:
    with pytest.raises(ValueError, match="nine digits"):
        v.npi_check_digit(_full_width("123456789"))
