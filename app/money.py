"""Money: `Decimal` in the domain, integer cents in the database.

Every amount is made here, so there is one rounding rule: quantize to cents with
ROUND_HALF_UP. Never build money from a float.
"""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeAlias

Money: TypeAlias = Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Return `value` as dollars rounded to cents, half up.

    Raises ValueError for floats, text that is not a number, and non-finite values.
    """
    if isinstance(value, float):
        raise TypeError("money must not be built from a float; pass a str or Decimal")
    try:
        amount = (
            Decimal(value.strip().replace(",", "").replace("$", ""))
            if isinstance(value, str)
            else Decimal(value)
        )
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount of money") from exc
    if not amount.is_finite():
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

    Each part is rounded down to the cent, then the cents left over go one by one to
    the parts with the largest remainders (ties to the earliest part). The result is
    deterministic and never off by a cent in total.
    """
    if not weights:
        raise ValueError("cannot split an amount over no parts")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("split weights must be non-negative and not all zero")

    total_cents = to_cents(to_money(total))
    exact = [Decimal(total_cents) * weight / weight_sum for weight in weights]
    floors = [int(part.to_integral_value(rounding=ROUND_FLOOR)) for part in exact]

    leftover = total_cents - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return [from_cents(part) for part in floors]


def format_money(amount: Decimal) -> str:
    """Format `amount` for display, such as `$1,234.50` or `-$12.00`."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
