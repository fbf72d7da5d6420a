"""Amounts the 835 writer cannot send.

A NaN or infinite amount raised decimal.InvalidOperation instead of X12WriteError, and an
amount of more than 18 digits was written although pyx12 and read_835 reject it.
"""

from decimal import Decimal

import pytest

from app.x12.reader_835 import read_835
from app.x12.writer_835 import WrittenCas, WrittenPlb, X12WriteError
from tests.x12.test_writer_835 import FULL_CLAIM, claim, remittance, service, write


@pytest.mark.parametrize(
    ("charge", "message"),
    [
        ("NaN", "The payment amount NaN is not a number"),
        ("Infinity", "The payment amount Infinity is not a number"),
        ("1234567890123456789", "The payment amount 1234567890123456789 has 19 digits"),
        ("0.0000000000000000001", "The payment amount 0.0000000000000000001 has 20 digits"),
    ],
)
def test_payment_amount_rejected(charge: str, message: str) -> None:
    line = service(charge=charge, adjustments=[])

    with pytest.raises(X12WriteError) as caught:
        write([remittance([claim("A1", [line])])])

    assert str(caught.value).startswith(message)


def test_long_adjusted_charge_rejected() -> None:
    big = Decimal("1234567890123456789")
    line = service(charge=str(big), adjustments=[WrittenCas("CO", "45", big)])

    with pytest.raises(X12WriteError) as caught:
        write([remittance([claim("A1", [line])])])

    assert str(caught.value).startswith("The claim charge 1234567890123456789 has 19 digits")


def test_infinite_payment_minus_infinite_adjustment() -> None:
    items = [WrittenPlb("WO", "", Decimal("Infinity"))]
    line = service(charge="Infinity", adjustments=[])

    with pytest.raises(X12WriteError) as caught:
        write([remittance([claim("A1", [line])], provider_adjustments=items)])

    assert str(caught.value).startswith("The remittance 'EFT1001' contains an amount that is not")


def test_provider_adjustment_nan_rejected() -> None:
    items = [WrittenPlb("WO", "", Decimal("NaN"))]

    with pytest.raises(X12WriteError):
        write([remittance([FULL_CLAIM], provider_adjustments=items)])


def test_eighteen_digits_written_and_read() -> None:
    big = "999999999999999.99"
    line = service(charge=big, adjustments=[])

    [read] = read_835(write([remittance([claim("A1", [line])])]))

    assert read.payment_amount == Decimal(big)
