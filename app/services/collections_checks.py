"""Checks of what a manager types to place, recover or recall a collections account.

Each check returns `Problem`s naming the field and the fix; the collections service
raises them together as one ValidationError before anything is written.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models.statements import CollectionPlacement
from app.money import ZERO, format_money
from app.problems import Problem
from app.services.ledger import PeriodLockedError, _check_period_open
from app.services.payment_checks import (
    CARD_NUMBER_MESSAGE,
    CHECK_NUMBER_LENGTH,
    is_cents,
    looks_like_card_number,
)
from app.services.today import practice_today

# The width of collection_placement.agency.
AGENCY_MAX_LENGTH = 60
REASON_MAX_LENGTH = 500
PLACED = "placed"


def agency_problems(agency: str) -> list[Problem]:
    """Return the problems of the agency name typed for a placement."""
    name = agency.strip()
    if not name:
        return [Problem("agency", "Type the name of the collection agency.")]
    if len(name) > AGENCY_MAX_LENGTH:
        return [
            Problem(
                "agency",
                f"The agency name has {len(name)} characters; shorten it to {AGENCY_MAX_LENGTH}.",
            )
        ]
    if looks_like_card_number(name):
        return [Problem("agency", CARD_NUMBER_MESSAGE)]
    return []


def reason_problems(reason: str) -> list[Problem]:
    """Return the problems of a recall reason: required, at most 500 characters, no card number."""
    text = reason.strip()
    if not text:
        return [Problem("reason", "Give the reason for the recall; it is kept on the ledger.")]
    if len(text) > REASON_MAX_LENGTH:
        return [
            Problem(
                "reason",
                f"The reason has {len(text)} characters; shorten it to {REASON_MAX_LENGTH}.",
            )
        ]
    if looks_like_card_number(text):
        return [Problem("reason", CARD_NUMBER_MESSAGE)]
    return []


def posting_date_problems(session: Session, field: str, day: date, label: str) -> list[Problem]:
    """Return a problem when `day` is after today or in a period the ledger lock closed."""
    today = practice_today(session)
    if day > today:
        return [
            Problem(
                field,
                f"The {label} {day:%m/%d/%Y} is after today ({today:%m/%d/%Y}); use today "
                "or an earlier day.",
            )
        ]
    try:
        _check_period_open(session, day)
    except PeriodLockedError as error:
        return [Problem(field, str(error))]
    return []


def recovery_problems(
    placement: CollectionPlacement,
    recovered: Decimal,
    gross: Decimal,
    fee: Decimal,
    check_number: str,
) -> list[Problem]:
    """Return the problems of a recovery: the placement's status, the amounts and the check.

    `recovered` is the gross amount recovered on the placement before this one.
    """
    problems = _status_problems(placement)
    problems.extend(_amount_problems(placement, recovered, gross, fee))
    problems.extend(check_number_problems(check_number))
    return problems


def _status_problems(placement: CollectionPlacement) -> list[Problem]:
    if placement.status == PLACED:
        return []
    state = "recalled" if placement.status == "recalled" else "recovered in full and closed"
    return [
        Problem(
            "placement",
            f"The placement with {placement.agency} of {placement.placed_on:%m/%d/%Y} was "
            f"{state}, so no recovery can be recorded on it; post money that still arrives "
            "as a patient payment.",
        )
    ]


def _amount_problems(
    placement: CollectionPlacement, recovered: Decimal, gross: Decimal, fee: Decimal
) -> list[Problem]:
    problems = []
    gross_valid = is_cents(gross) and gross > ZERO
    if not gross_valid:
        problems.append(
            Problem(
                "gross",
                f"The amount collected {gross} is not a positive amount in dollars and "
                "cents; type what the agency collected from the guarantor, such as 120.00.",
            )
        )
    if not is_cents(fee) or fee < ZERO:
        problems.append(
            Problem(
                "fee",
                f"The agency's fee {fee} is not an amount of zero or more in dollars and "
                "cents; type what the agency kept, such as 30.00, or 0.00.",
            )
        )
    elif gross_valid and fee > gross:
        problems.append(
            Problem(
                "fee",
                f"The agency's fee {format_money(fee)} is more than the "
                f"{format_money(gross)} it collected; the fee is part of the amount collected.",
            )
        )
    if gross_valid and recovered + gross > placement.placed_amount:
        left = placement.placed_amount - recovered
        problems.append(
            Problem(
                "gross",
                f"{format_money(gross)} would bring the amount recovered to "
                f"{format_money(recovered + gross)}, more than the "
                f"{format_money(placement.placed_amount)} placed; at most {format_money(left)} "
                "is left to recover. Check the agency's statement.",
            )
        )
    return problems


def check_number_problems(check_number: str) -> list[Problem]:
    """Return the problems of the agency's check number (empty means no check)."""
    number = check_number.strip()
    if len(number) > CHECK_NUMBER_LENGTH:
        return [
            Problem(
                "check_number",
                f"The check number has {len(number)} characters; a check number has at "
                f"most {CHECK_NUMBER_LENGTH}.",
            )
        ]
    if looks_like_card_number(number):
        return [Problem("check_number", CARD_NUMBER_MESSAGE)]
    return []
