"""Checks of the payment form's own fields: amounts, methods, checks and card data."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from app.services.payment_checks import PaymentForm, form_problems, looks_like_card_number

TODAY = date(2026, 12, 5)
PATIENT = uuid.UUID(int=1)
PAN_MESSAGE = "looks like a full card number"


def _card(**changes: object) -> PaymentForm:
    form = PaymentForm(
        patient_id=PATIENT,
        amount=Decimal("25.00"),
        method="card",
        card_last4="4242",
        card_authorization="0A12BC",
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def _fields(form: PaymentForm) -> list[str]:
    return [problem.field for problem in form_problems(form, TODAY)]


def test_valid_card_payment() -> None:
    assert form_problems(_card(), TODAY) == []


@pytest.mark.parametrize(
    "text",
    ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005"],
)
def test_card_number_detected(text: str) -> None:
    assert looks_like_card_number(text)
    assert looks_like_card_number(f"paid with {text} today")


@pytest.mark.parametrize(
    "text",
    ["4242", "4111111111111112", "(847) 555-0140", "check 1042", "12345678901234567890123"],
)
def test_other_numbers_not_card(text: str) -> None:
    assert not looks_like_card_number(text)


def test_full_card_number_in_last4() -> None:
    problems = form_problems(_card(card_last4="4111 1111 1111 1111"), TODAY)
    assert [problem.field for problem in problems] == ["card_last4"]
    assert PAN_MESSAGE in problems[0].message
    assert "4111" not in problems[0].message


def test_full_card_number_in_memo() -> None:
    problems = form_problems(_card(memo="card 5555555555554444 exp 12/28"), TODAY)
    assert [problem.field for problem in problems] == ["memo"]
    assert PAN_MESSAGE in problems[0].message


def test_full_card_number_in_authorization() -> None:
    problems = form_problems(_card(card_authorization="4111111111111111"), TODAY)
    assert [problem.field for problem in problems] == ["card_authorization"]
    assert PAN_MESSAGE in problems[0].message


def test_full_card_number_in_check_number() -> None:
    form = PaymentForm(
        patient_id=PATIENT,
        amount=Decimal("10.00"),
        method="check",
        check_number="4111111111111111",
    )
    problems = form_problems(form, TODAY)
    assert [problem.field for problem in problems] == ["check_number"]
    assert PAN_MESSAGE in problems[0].message


@pytest.mark.parametrize("last4", ["424", "42424", "42a2"])
def test_last4_must_be_four_digits(last4: str) -> None:
    problems = form_problems(_card(card_last4=last4), TODAY)
    assert [problem.field for problem in problems] == ["card_last4"]
    assert "not 4 digits" in problems[0].message


@pytest.mark.parametrize("last4", ["", "  ", None])
def test_last4_missing(last4: str | None) -> None:
    problems = form_problems(_card(card_last4=last4), TODAY)
    assert [problem.field for problem in problems] == ["card_last4"]
    assert problems[0].message == "Type the card's last four digits from the terminal slip."


def test_authorization_required() -> None:
    problems = form_problems(_card(card_authorization="  "), TODAY)
    assert [problem.field for problem in problems] == ["card_authorization"]
    assert "authorization code" in problems[0].message


def test_authorization_invalid_characters() -> None:
    problems = form_problems(_card(card_authorization="0A-12 BC"), TODAY)
    assert [problem.field for problem in problems] == ["card_authorization"]
    assert "'0A-12 BC'" in problems[0].message


def test_card_details_on_cash_payment() -> None:
    form = _card(method="cash")
    assert _fields(form) == ["card_last4"]


def test_check_number_required_for_check() -> None:
    form = PaymentForm(patient_id=PATIENT, amount=Decimal("10.00"), method="check")
    problems = form_problems(form, TODAY)
    assert [problem.field for problem in problems] == ["check_number"]
    assert "number printed on the check" in problems[0].message


def test_check_number_on_cash_payment() -> None:
    form = PaymentForm(
        patient_id=PATIENT, amount=Decimal("10.00"), method="cash", check_number="1042"
    )
    assert _fields(form) == ["check_number"]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (Decimal("0.00"), "not more than zero"),
        (Decimal("-5.00"), "not more than zero"),
        (Decimal("10.005"), "fractions of a cent"),
        (Decimal("NaN"), "not a number"),
    ],
)
def test_amount_problems(amount: Decimal, words: str) -> None:
    form = PaymentForm(patient_id=PATIENT, amount=amount, method="cash")
    problems = form_problems(form, TODAY)
    assert [problem.field for problem in problems] == ["amount"]
    assert words in problems[0].message


def test_unknown_method_and_kind() -> None:
    form = PaymentForm(patient_id=PATIENT, amount=Decimal("10.00"), method="bitcoin", kind="tip")
    problems = form_problems(form, TODAY)
    assert sorted(problem.field for problem in problems) == ["kind", "method"]
    assert any("'bitcoin'" in problem.message for problem in problems)
    assert any("'tip'" in problem.message for problem in problems)


def test_copay_needs_appointment() -> None:
    form = PaymentForm(patient_id=PATIENT, amount=Decimal("25.00"), method="cash", kind="copay")
    assert _fields(form) == ["appointment_id"]


def test_prepayment_with_allocations() -> None:
    form = PaymentForm(
        patient_id=PATIENT,
        amount=Decimal("25.00"),
        method="cash",
        kind="prepayment",
        allocations={uuid.UUID(int=2): Decimal("25.00")},
    )
    assert _fields(form) == ["allocations"]


def test_received_after_today() -> None:
    form = PaymentForm(
        patient_id=PATIENT, amount=Decimal("25.00"), method="cash", received_on=date(2026, 12, 6)
    )
    problems = form_problems(form, TODAY)
    assert [problem.field for problem in problems] == ["received_on"]
    assert "12/06/2026" in problems[0].message
