"""Cleaning and formatting of X12 element values."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.x12.text import (
    DELIMITER_CHARACTERS,
    clean_element,
    digits_only,
    format_amount,
    format_date,
    format_time,
)

# Every character an X12 element may contain after cleaning (basic and extended sets,
# upper case, no delimiters).
ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./;?=%@[]_{}\\<#$")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Peña", "PENA"),
        ("Müller", "MULLER"),
        ("José Luis", "JOSE LUIS"),
        ("Straße", "STRASSE"),
        ("Øster", "OSTER"),
        ("Łukasz", "LUKASZ"),
        ("Ærø", "AERO"),
        ("Nguyễn", "NGUYEN"),
        ("O\u2019Brien", "O'BRIEN"),
        ("Smith\u2013Jones", "SMITH-JONES"),
        ("\uff26\uff55\uff4c\uff4c", "FULL"),  # fullwidth letters
    ],
)
def test_clean_element_transliterates(typed: str, expected: str) -> None:
    assert clean_element(typed, 60) == expected


def test_clean_element_drops_delimiters() -> None:
    assert clean_element("A*B~C:D^E>F|G", 60) == "ABCDEFG"


def test_clean_element_drops_outside_characters() -> None:
    assert clean_element("Ann\u00a0Lee \U0001f600 ©2026 `x`", 60) == "ANN LEE 2026 X"


def test_clean_element_collapses_spaces() -> None:
    assert clean_element("  100   Main\tSt \n Apt 3  ", 55) == "100 MAIN ST APT 3"


def test_clean_element_cuts_to_max_length() -> None:
    assert clean_element("x" * 70, 60) == "X" * 60
    assert clean_element("ABC DEF", 4) == "ABC"


def test_clean_element_empty_text() -> None:
    assert clean_element("", 10) == ""
    assert clean_element("***", 10) == ""


def test_clean_element_rejects_zero_length() -> None:
    with pytest.raises(ValueError, match="max_length"):
        clean_element("A", 0)


@given(st.text(), st.integers(min_value=1, max_value=80))
def test_clean_element_output_always_valid(typed: str, max_length: int) -> None:
    cleaned = clean_element(typed, max_length)

    assert len(cleaned) <= max_length
    assert set(cleaned) <= ALLOWED
    assert not set(cleaned) & DELIMITER_CHARACTERS
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned


def test_digits_only_keeps_ascii_digits() -> None:
    assert digits_only("(217) 555-0100") == "2175550100"
    assert digits_only("62701-1234") == "627011234"
    assert digits_only("٣٤") == ""


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("150.00", "150"),
        ("150.50", "150.5"),
        ("150.55", "150.55"),
        ("0.00", "0"),
        ("-0.00", "0"),
        ("0.05", "0.05"),
        ("-20.10", "-20.1"),
        ("1E+2", "100"),
        ("1234567.89", "1234567.89"),
        ("100", "100"),
    ],
)
def test_format_amount_r_type(amount: str, expected: str) -> None:
    assert format_amount(Decimal(amount)) == expected


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_format_amount_rejects_non_finite(amount: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        format_amount(Decimal(amount))


def test_format_date_and_time() -> None:
    assert format_date(date(2026, 3, 2)) == "20260302"
    assert format_time(datetime(2026, 3, 2, 7, 5, 59, tzinfo=UTC)) == "0705"


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40), st.integers(1, 60))
def test_ascii_fast_path_matches_the_general_path(value: str, max_length: int) -> None:
    # A trailing combining accent sends the text down the general path, which drops it.
    assert clean_element(value, max_length) == clean_element(value + "\u0301", max_length)
