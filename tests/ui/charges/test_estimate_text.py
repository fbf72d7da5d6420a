"""The expected-shares sentence of the post confirmation."""

from decimal import Decimal

from app.services.charge_estimate import ChargeEstimate
from ui.charges.editor import estimate_text


def test_shares_named() -> None:
    estimate = ChargeEstimate(
        "Aetna", Decimal("170.00"), Decimal("145.00"), Decimal("25.00"), Decimal("25.00")
    )

    text = estimate_text(estimate)

    assert "Expected from Aetna: about $145.00" in text
    assert "from the patient: about $25.00 (copay)" in text


def test_self_pay_named() -> None:
    assert estimate_text(None).startswith("No insurance covers this date")
