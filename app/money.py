"""Money: `Decimal` in the domain, integer cents in the database.

Every amount is made here, so there is one rounding rule: quantize to cents with
ROUND_HALF_UP. Never build money from a float.
"""

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TypeAlias

Money: TypeAlias = Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# Digits with optional thousands separators in groups of three, optional cents: "$1,234.5".
_AMOUNT_TEXT = re.compile(r"-?\$?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?|-?\$?\.\d+")
# Amounts beyond this are typing mistakes, not money, and would exhaust Decimal's precision.
MAX_DIGITS = 15


def _parse_text(value: str) -> Decimal:
    text = value.strip()
    if not text.isascii() or not _AMOUNT_TEXT.fullmatch(text):
        raise ValueError(
            f"{value!r} is not an amount of money; type digits with an optional decimal "
            "point, such as 1234.50 or $1,234.50"
        )
    return Decimal(text.replace(",", "").replace("$", ""))


def to_money(value: Decimal | int | str) -> Decimal:
    """Return `value` as dollars rounded to cents, half up.

    Raises TypeError for floats and booleans, and ValueError for text that is not an
    amount (a decimal comma such as "12,34" included), non-finite values and amounts of
    more than 15 digits before the decimal point.
    """
    if isinstance(value, float | bool):
        raise TypeError(
            f"money must be built from a str, int or Decimal, not {type(value).__name__}"
        )
    amount = _parse_text(value) if isinstance(value, str) else Decimal(value)
    if not amount.is_finite() or amount.adjusted() >= MAX_DIGITS:
        raise ValueError(f"{value!r} is not an amount of money")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Return the whole number of cents in `amount`, which must already be in cents."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent; round it with to_money() first")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Return the amount of `cents` as dollars."""
    return (Decimal(cents) / 100).quantize(CENT)


def split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights` so the parts sum exactly to `total`.

    Each part's size is rounded down to the cent, then the cents left over go one by
    one to the parts with the largest remainders (ties to the earliest part). A negative
    total splits as the mirror of the positive one, so a reversal computed with split
    cancels the original part by part.
    """
    if not weights:
        raise ValueError("cannot split an amount over no parts")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("split weights must be non-negative and not all zero")

    total_cents = to_cents(to_money(total))
    sign = -1 if total_cents < 0 else 1
    magnitude = abs(total_cents)
    exact = [Decimal(magnitude) * weight / weight_sum for weight in weights]
    floors = [int(part.to_integral_value(rounding=ROUND_FLOOR)) for part in exact]

    leftover = magnitude - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return [from_cents(sign * part) for part in floors]


def format_money(amount: Decimal) -> str:
    """Format `amount` for display, such as `$1,234.50` or `-$12.00`."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
