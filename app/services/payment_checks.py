"""Checks of a front-desk payment form: amount, method, check and card details.

Card payments run on an external terminal. ClinicDesk keeps only the last four digits
and the authorization code, so every text field is searched for anything that looks like
a full card number (PAN), which must never be stored.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.money import CENT, MAX_DIGITS
from app.problems import Problem

METHODS = ("cash", "check", "card", "eft", "other")
KINDS = ("copay", "payment", "prepayment")
METHOD_LABELS = {
    "cash": "Cash",
    "check": "Check",
    "card": "Card",
    "eft": "EFT",
    "other": "Other",
}
KIND_LABELS = {"copay": "Copay", "payment": "Payment", "prepayment": "Prepayment"}

# Card numbers are 13 to 19 digits; terminals and people group them with spaces or dashes.
# A run of groups is searched for every span of whole groups, so a card number next to
# an expiry date or a phone number is found. One group of more than 19 digits (a bank
# trace number) is not a card number.
_DIGIT_GROUPS = re.compile(r"\d+(?:[ -]\d+)*")
_GROUP_SEPARATOR = re.compile(r"[ -]")
CARD_DIGITS_MIN = 13
CARD_DIGITS_MAX = 19
CARD_NUMBER_MESSAGE = (
    "This field contains what looks like a full card number. ClinicDesk must not "
    "store card numbers; keep only the last four digits and the authorization code."
)
_LAST4 = re.compile(r"\d{4}")
# Authorization codes are short letters and digits (commonly six), never a card number.
_AUTHORIZATION = re.compile(r"[A-Za-z0-9]{2,12}")
CHECK_NUMBER_LENGTH = 30
MEMO_LENGTH = 500


@dataclass(slots=True)
class PaymentForm:
    """A payment taken at the desk or received from a third party for a patient.

    `amount` is in dollars and must be whole cents. `allocations` maps charge line ids
    to the amount applied to each; None applies a payment to the oldest open lines
    first and leaves a copay or prepayment unapplied as a credit. `received_on` None
    means today in the practice's time zone. `payer_id` names a third party (an
    attorney, an employer) paying the account directly.
    """

    patient_id: uuid.UUID
    amount: Decimal
    method: str
    kind: str = "payment"
    check_number: str | None = None
    card_last4: str | None = None
    card_authorization: str | None = None
    appointment_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None
    allocations: dict[uuid.UUID, Decimal] | None = None
    memo: str = ""
    received_on: date | None = None


def looks_like_card_number(text: str) -> bool:
    """Return True when `text` contains 13 to 19 digits in a row that pass the Luhn check.

    Spaces and dashes between the digits are ignored, as card numbers are printed in groups.
    """
    for match in _DIGIT_GROUPS.finditer(text):
        groups = _GROUP_SEPARATOR.split(match.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > CARD_DIGITS_MAX:
                    break
                if len(digits) >= CARD_DIGITS_MIN and _luhn_valid(digits):
                    return True
    return False


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def form_problems(form: PaymentForm, today: date) -> list[Problem]:
    """Return the problems of the form's own fields, before anything is read from the database."""
    problems = _amount_problems(form.amount)
    problems.extend(_kind_problems(form))
    problems.extend(_method_problems(form))
    problems.extend(_card_number_problems(form))
    if form.received_on is not None and form.received_on > today:
        problems.append(
            Problem(
                "received_on",
                f"The date received {form.received_on:%m/%d/%Y} is after today "
                f"({today:%m/%d/%Y}); enter the day the money was received.",
            )
        )
    if len(form.memo) > MEMO_LENGTH:
        problems.append(
            Problem("memo", f"The memo is {len(form.memo)} characters; keep it to {MEMO_LENGTH}.")
        )
    return problems


def is_cents(amount: object) -> bool:
    """Return True when `amount` is a finite Decimal in whole cents that the database can store.

    Callers pass what a form or script typed, so a float, text or NaN returns False
    instead of raising on the comparison.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return False
    return amount == amount.quantize(CENT) and amount.adjusted() < MAX_DIGITS


def _amount_problems(amount: Decimal) -> list[Problem]:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return [Problem("amount", f"The amount {amount!r} is not a number; type it in dollars.")]
    if amount.adjusted() >= MAX_DIGITS:
        return [
            Problem(
                "amount",
                f"The amount {amount} has more than {MAX_DIGITS} digits before the decimal "
                "point; type the amount received in dollars.",
            )
        ]
    if amount != amount.quantize(Decimal("0.01")):
        return [
            Problem("amount", f"The amount {amount} has fractions of a cent; round it to cents.")
        ]
    if amount <= 0:
        return [
            Problem(
                "amount",
                f"The amount {amount} is not more than zero; type the amount received. "
                "A payment taken by mistake is voided, not entered as a negative amount.",
            )
        ]
    return []


def _kind_problems(form: PaymentForm) -> list[Problem]:
    if form.kind not in KINDS:
        return [
            Problem(
                "kind",
                f"The kind {form.kind!r} is unknown; choose one of {', '.join(KINDS)}.",
            )
        ]
    problems = []
    if form.kind == "copay" and form.appointment_id is None:
        problems.append(
            Problem("appointment_id", "A copay belongs to a visit; choose the appointment.")
        )
    if form.kind == "prepayment" and form.allocations:
        problems.append(
            Problem(
                "allocations",
                "A prepayment stays on the account as a credit; take it as a payment to "
                "apply it to services.",
            )
        )
    return problems


def _method_problems(form: PaymentForm) -> list[Problem]:
    if form.method not in METHODS:
        return [
            Problem(
                "method",
                f"The method {form.method!r} is unknown; choose one of {', '.join(METHODS)}.",
            )
        ]
    problems = _check_number_problems(form)
    if form.method == "card":
        problems.extend(_card_problems(form))
    elif form.card_last4 or form.card_authorization:
        problems.append(
            Problem(
                "card_last4",
                f"Card details were given for a {form.method} payment; clear them or "
                "choose the card method.",
            )
        )
    return problems


def _check_number_problems(form: PaymentForm) -> list[Problem]:
    number = (form.check_number or "").strip()
    if form.method != "check":
        if number:
            return [
                Problem(
                    "check_number",
                    f"A check number was given for a {form.method} payment; clear it or "
                    "choose the check method.",
                )
            ]
        return []
    if not number:
        return [Problem("check_number", "Type the number printed on the check.")]
    if len(number) > CHECK_NUMBER_LENGTH:
        return [
            Problem(
                "check_number",
                f"The check number has {len(number)} characters; a check number has at "
                f"most {CHECK_NUMBER_LENGTH}.",
            )
        ]
    return []


def _card_problems(form: PaymentForm) -> list[Problem]:
    problems = []
    last4 = (form.card_last4 or "").strip()
    if not last4:
        problems.append(
            Problem(
                "card_last4",
                "Type the card's last four digits from the terminal slip.",
            )
        )
    elif not _LAST4.fullmatch(last4) and not looks_like_card_number(last4):
        problems.append(
            Problem(
                "card_last4",
                f"The card's last four digits {last4!r} are not 4 digits; type only the "
                "last four digits from the terminal slip.",
            )
        )
    authorization = (form.card_authorization or "").strip()
    if not authorization:
        problems.append(
            Problem(
                "card_authorization",
                "Type the authorization code from the terminal slip; it proves the card "
                "was charged.",
            )
        )
    elif not _AUTHORIZATION.fullmatch(authorization) and not looks_like_card_number(authorization):
        problems.append(
            Problem(
                "card_authorization",
                f"The authorization code {authorization!r} is invalid; type the 2 to 12 "
                "letters and digits printed after AUTH on the terminal slip.",
            )
        )
    return problems


def _card_number_problems(form: PaymentForm) -> list[Problem]:
    """Reject a full card number typed into any field, without repeating it in the message."""
    fields = {
        "card_last4": form.card_last4 or "",
        "card_authorization": form.card_authorization or "",
        "check_number": form.check_number or "",
        "memo": form.memo,
    }
    return [
        Problem(name, CARD_NUMBER_MESSAGE)
        for name, value in fields.items()
        if looks_like_card_number(value)
    ]
