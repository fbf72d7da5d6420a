from decimal import Decimal

import pytest

from app.money import ZERO, format_money, from_cents, split, to_cents, to_money


def test_to_money_rounds_half_up() -> None:
    assert to_money("2.345") == Decimal("2.35")
    assert to_money("-2.345") == Decimal("-2.35")
    assert to_money("$1,234.5") == Decimal("1234.50")


def test_to_money_rejects_float() -> None:
    with pytest.raises(TypeError):
        to_money(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["abc", "", "NaN", "Infinity"])
def test_to_money_rejects_non_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        to_money(text)


def test_cents_round_trip() -> None:
    assert to_cents(Decimal("12.34")) == 1234
    assert from_cents(-5) == Decimal("-0.05")
    assert from_cents(0) == ZERO


def test_to_cents_rejects_fractions_of_cents() -> None:
    with pytest.raises(ValueError, match="fractions of a cent"):
        to_cents(Decimal("0.001"))


def test_split_sums_to_total() -> None:
    parts = split(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(parts) == Decimal("100.00")


def test_split_odd_cent_goes_to_largest_remainder() -> None:
    parts = split(Decimal("0.05"), [Decimal(1), Decimal(3)])
    assert parts == [Decimal("0.01"), Decimal("0.04")]


def test_split_negative_total() -> None:
    parts = split(Decimal("-10.00"), [Decimal(1), Decimal(2)])
    assert sum(parts) == Decimal("-10.00")


def test_split_rejects_zero_weights() -> None:
    with pytest.raises(ValueError, match="not all zero"):
        split(Decimal("1.00"), [Decimal(0)])


def test_format_money() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-12")) == "-$12.00"


ODD_TEXT = [
    "12,34",  # a decimal comma would otherwise become a hundred times the amount
    "1,2345",
    "\uff11\uff12\uff13",  # fullwidth digits
    "\u0663",  # an Arabic-Indic digit
    "1_000",
    "1e5",
    "1e28",
    "1e999999",
    "3" * 30,
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_to_money_rejects_odd_text(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        to_money(text)


def test_to_money_rejects_bool() -> None:
    with pytest.raises(TypeError):
        to_money(True)


def test_to_money_rejects_huge_decimal() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        to_money(Decimal("1e26"))


@pytest.mark.parametrize("text", [".5", "-$3.10", "1,234,567.891", "0"])
def test_to_money_accepts_plain_forms(text: str) -> None:
    assert to_money(text) == to_money(Decimal(text.replace("$", "").replace(",", "")))


def test_split_negative_mirrors_positive() -> None:
    weights = [Decimal(1), Decimal(1), Decimal(1)]
    positive = split(Decimal("10.00"), weights)
    negative = split(Decimal("-10.00"), weights)
    assert negative == [-part for part in positive]
