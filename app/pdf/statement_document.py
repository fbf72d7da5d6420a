"""The printed wording of a patient statement and the rules its amounts follow.

Amounts follow two rules so a credit never looks like money owed:
- a balance (the account's, a line's, an aging bucket) prints as "$1,234.50" or, when
  negative, as "Credit $1,234.50";
- a change to the balance (a summary step, an adjustment) prints with a plus sign or
  an en dash (U+2013) in front, such as "+ $200.00" for a charge.
No amount ever prints as "-$".
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.services.billing_header import BillingHeader
from app.services.statement_figures import StatementFigures

EN_DASH = "\u2013"


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """One statement or notice ready to draw: the figures plus the printed wording."""

    figures: StatementFigures
    header: BillingHeader
    statement_number: str
    level_label: str
    message: str
    due_on: date
    plan_line: str | None
    payment_options: str
    assistance_notice: str


def dollars(amount: Decimal) -> str:
    """Return the size of `amount` as "$1,234.50", whatever its sign."""
    return f"${abs(amount):,.2f}"


def balance_text(amount: Decimal) -> str:
    """Return a balance as printed: "$1,234.50", or "Credit $1,234.50" when negative."""
    if amount < 0:
        return f"Credit {dollars(amount)}"
    return dollars(amount)


def change_text(amount: Decimal) -> str:
    """Return a change to a balance as printed: "+ $200.00", an en dash and "$50.00" for a
    reduction, or "$0.00"."""
    if amount > 0:
        return f"+ {dollars(amount)}"
    if amount < 0:
        return f"{EN_DASH} {dollars(amount)}"
    return dollars(amount)


def remit_lines(name: str, address: str) -> tuple[str, ...]:
    """Split the practice's one-line address into mailing lines under its name.

    The practice header joins the street lines, city, and "ST 12345" with ", ", so the
    last two parts form the city line and every part before them is a street line.
    """
    parts = [part.strip() for part in address.split(",") if part.strip()]
    if len(parts) < 3:
        return tuple(line for line in (name, ", ".join(parts)) if line)
    city_line = f"{parts[-2]}, {parts[-1]}"
    return tuple(line for line in (name, *parts[:-2], city_line) if line)
