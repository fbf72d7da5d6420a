"""Monetary amounts at and past what an 837P carries.

HIPAA limits a monetary amount to 10 digits including the cents (99999999.99). The
writer wrote every digit it was given, so "125.555" or "199999999.98" reached the payer.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import secondary_claim, subscriber_claim

from .writing import write_text, write_valid


def _one_line_claim(amount: Decimal) -> ClaimDocument:
    claim = subscriber_claim()
    line = replace(claim.lines[0], charge_amount=amount)
    return replace(claim, total_charge=amount, lines=(line,))


@pytest.mark.parametrize(
    "amount", [Decimal("125.555"), Decimal("0.001"), Decimal("100000000"), Decimal("NaN")]
)
def test_invalid_charge_raises_write_error(amount: Decimal) -> None:
    with pytest.raises(X12WriteError, match="the total charge is invalid"):
        write_text(_one_line_claim(amount))


def test_invalid_paid_amount_raises_write_error() -> None:
    claim = secondary_claim()
    other = replace(claim.other_payers[0], paid_amount=Decimal("10.001"))

    with pytest.raises(X12WriteError, match="the other payer's paid amount is invalid"):
        write_text(replace(claim, other_payers=(other,)))


def test_invalid_line_adjustment_raises_write_error() -> None:
    claim = secondary_claim()
    adjudication = claim.lines[0].adjudications[0]
    adjustment = replace(adjudication.adjustments[0], amount=Decimal("1.2345"))
    adjudication = replace(adjudication, adjustments=(adjustment, *adjudication.adjustments[1:]))
    lines = (replace(claim.lines[0], adjudications=(adjudication,)), *claim.lines[1:])

    with pytest.raises(X12WriteError, match="the line 1 adjustment is invalid"):
        write_text(replace(claim, lines=lines))


@pytest.mark.parametrize(
    "amount",
    [Decimal("99999999.99"), Decimal("0"), Decimal("0.00"), Decimal("1E+2"), Decimal("150.50")],
)
def test_valid_charge_round_trips(amount: Decimal) -> None:
    read = write_valid(_one_line_claim(amount))

    assert read.total_charge == amount
    assert read.lines[0].charge_amount == amount
