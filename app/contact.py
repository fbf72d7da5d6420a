"""Phone numbers, email addresses and ZIP codes of patients and the people around them.

Phones are stored in E.164 form ("+15125550100") and shown in the national form
("(512) 555-0100"); `phonenumbers` decides what is a real number, so a typo in an
area code is caught at the desk rather than when a reminder fails. ZIP codes are
looked up in the bundled `zipcodes` data to suggest the city and state. Email
addresses are checked for shape only: the desk is often offline, so no DNS lookup.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.problems import Problem
from app.validators import echo_for_message

log = logging.getLogger(__name__)

DEFAULT_REGION = "US"

PHONE_KINDS = ("mobile", "home", "work", "other")


def parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    """Return the number `text` stands for, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone_e164(text: str) -> str:
    """Return a phone number as E.164 (call only after contact_phone_problems passes)."""
    number = parse_phone(text)
    if number is None:
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str | None) -> str:
    """Return a stored phone for screens and paper: national form at home, else international."""
    if not stored:
        return ""
    number = parse_phone(stored)
    if number is None:
        return stored
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def contact_phone_problems(
    value: str | None, field: str, *, required: bool = False
) -> list[Problem]:
    """Check a phone number as typed; numbers outside the US need a leading + and country code."""
    text = (value or "").strip()
    if not text:
        if required:
            return [Problem(field, "Phone number is missing; enter it, such as (512) 555-0100.")]
        return []
    if parse_phone(text) is None:
        return [
            Problem(
                field,
                f"Phone number {echo_for_message(text)} is not a valid number; enter the "
                "area code and number, such as (512) 555-0100, or +44 20 7946 0958 for "
                "a number outside the US.",
            )
        ]
    return []


def normalize_email(text: str) -> str:
    """Return an email address with its domain lowercased (call after email_problems passes)."""
    return validate_email(text.strip(), check_deliverability=False).normalized


def email_problems(value: str | None, field: str) -> list[Problem]:
    """Check the shape of an email address; a blank value is allowed."""
    text = (value or "").strip()
    if not text:
        return []
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return [
            Problem(
                field,
                f"Email address {echo_for_message(text)} is not valid: "
                f"{str(exc).rstrip('.')}. Check it, such as name@example.com.",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class ZipSuggestion:
    """A city and state that a ZIP code belongs to."""

    city: str
    state: str


@lru_cache(maxsize=1024)
def suggest_city_state(zip_code: str) -> ZipSuggestion | None:
    """Return the city and state of a five-digit ZIP (ZIP+4 accepted), or None if unknown."""
    five = zip_code.strip()[:5]
    if len(five) != 5 or not five.isdigit():
        return None
    import zipcodes  # a large table, loaded on first use rather than at start-up

    try:
        matches = zipcodes.matching(five)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        return None
    if not matches:
        return None
    return ZipSuggestion(city=str(matches[0]["city"]), state=str(matches[0]["state"]))
