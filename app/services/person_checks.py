"""Checks shared by patients, guarantors and subscribers: names, birth dates, addresses.

A guarantor or subscriber may be another patient or a person who is not a patient.
These checks only read the database, to confirm that a chosen patient exists.
"""

import re
import uuid
from datetime import date

from sqlalchemy.orm import Session

from app.contact import contact_phone_problems, email_problems
from app.models.patients import Patient
from app.problems import Problem
from app.services.patient_forms import SEXES, PartyChoice, PersonForm
from app.validators import (
    claim_text_problems,
    echo_for_message,
    state_problems,
    zip_problems,
)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# The characters a typed phone number may contain. The phone parser would also read
# letters (1-800-FLOWERS), other scripts' digits and trailing text, and drop them silently.
_PHONE_TEXT = re.compile(r"[0-9 ().+-]+")


def name_problems(
    value: str, field: str, label: str, max_length: int, *, required: bool
) -> list[Problem]:
    """Check a name part: present when required, fits its column, no X12 separators."""
    return claim_text_problems(value, field, label, max_length, required=required)


def phone_number_problems(value: str, field: str, *, required: bool = False) -> list[Problem]:
    """Check a typed phone number: ASCII digits and ( ) . + - only, then a valid number."""
    text = value.strip()
    if text and _PHONE_TEXT.fullmatch(text) is None:
        return [
            Problem(
                field,
                f"Phone number {echo_for_message(text)} contains characters other than "
                "digits, spaces and ( ) . + -; enter it as digits, such as (512) 555-0100, "
                "and put an extension in the extension box.",
            )
        ]
    return contact_phone_problems(text, field, required=required)


def full_name_problems(
    prefix: str,
    first: str,
    middle: str,
    last: str,
    suffix: str,
) -> list[Problem]:
    return [
        *name_problems(first, f"{prefix}first_name", "First name", 35, required=True),
        *name_problems(middle, f"{prefix}middle_name", "Middle name", 25, required=False),
        *name_problems(last, f"{prefix}last_name", "Last name", 60, required=True),
        *name_problems(suffix, f"{prefix}suffix", "Suffix", 10, required=False),
    ]


def birth_date_problems(value: date | None, field: str, today: date) -> list[Problem]:
    """Check a date of birth: present, not in the future, not before 1900."""
    if value is None:
        return [Problem(field, "Date of birth is missing; enter it, such as 04/15/1986.")]
    if value > today:
        return [
            Problem(
                field,
                f"Date of birth {value.isoformat()} is in the future; check the year.",
            )
        ]
    if value < EARLIEST_BIRTH_DATE:
        return [
            Problem(
                field,
                f"Date of birth {value.isoformat()} is before 1900; check the year.",
            )
        ]
    return []


def sex_problems(value: str, field: str) -> list[Problem]:
    """Check the sex as billed: F, M or U."""
    if value in SEXES:
        return []
    shown = echo_for_message(value) or "(blank)"
    return [Problem(field, f"Sex {shown} is not valid; choose Female, Male or Unknown.")]


def address_problems(  # noqa: PLR0917 (the five parts of an address, in their usual order)
    prefix: str, line1: str, line2: str, city: str, state: str, zip_code: str
) -> list[Problem]:
    """Check an address whose parts are each optional; state and ZIP are checked when given."""
    problems = [
        *claim_text_problems(line1, f"{prefix}address_line1", "Address", 55, required=False),
        *claim_text_problems(line2, f"{prefix}address_line2", "Address line 2", 55, required=False),
        *claim_text_problems(city, f"{prefix}city", "City", 30, required=False),
    ]
    if state.strip():
        problems.extend(state_problems(state, f"{prefix}state"))
    if zip_code.strip():
        problems.extend(zip_problems(zip_code, f"{prefix}zip_code"))
    return problems


def person_problems(
    prefix: str, person: PersonForm | None, today: date, *, subscriber: bool
) -> list[Problem]:
    """Check a guarantor or subscriber who is not a patient.

    A subscriber also needs a date of birth and a sex, because an X12 837 claim sends
    them in the subscriber loop (2010BA DMG).
    """
    if person is None:
        return [Problem(f"{prefix}last_name", "Enter the person's first and last name.")]
    problems = full_name_problems(
        prefix, person.first_name, person.middle_name, person.last_name, person.suffix
    )
    if subscriber or person.date_of_birth is not None:
        problems.extend(birth_date_problems(person.date_of_birth, f"{prefix}date_of_birth", today))
    if subscriber or person.sex:
        problems.extend(sex_problems(person.sex, f"{prefix}sex"))
    problems.extend(
        address_problems(
            prefix,
            person.address_line1,
            person.address_line2,
            person.city,
            person.state,
            person.zip_code,
        )
    )
    problems.extend(phone_number_problems(person.phone, f"{prefix}phone"))
    problems.extend(email_problems(person.email, f"{prefix}email"))
    problems.extend(
        claim_text_problems(
            person.employer_name, f"{prefix}employer_name", "Employer", 60, required=False
        )
    )
    return problems


def other_patient_problems(
    session: Session, field: str, patient_id: uuid.UUID | None, own_id: uuid.UUID | None
) -> list[Problem]:
    """Check a reference to another patient: chosen, on file, not archived, not this one."""
    if patient_id is None:
        return [Problem(field, "Choose the patient from the search results.")]
    if patient_id == own_id:
        return [
            Problem(
                field, "The patient cannot be chosen here; choose The patient or Another person."
            )
        ]
    other = session.get(Patient, patient_id)
    if other is None or other.archived:
        return [
            Problem(
                field,
                "The chosen patient was not found or is archived; search for the patient again.",
            )
        ]
    return []


def party_problems(
    session: Session,
    prefix: str,
    party: PartyChoice,
    own_id: uuid.UUID | None,
    today: date,
    *,
    subscriber: bool,
) -> list[Problem]:
    """Check a guarantor or subscriber choice: self, another patient, or a person."""
    if party.kind == "self":
        return []
    if party.kind == "patient":
        return other_patient_problems(session, f"{prefix}patient_id", party.patient_id, own_id)
    if party.kind == "person":
        return person_problems(f"{prefix}person.", party.person, today, subscriber=subscriber)
    shown = echo_for_message(party.kind) or "(blank)"
    message = f"Choice {shown} is not valid; choose self, another patient or a person."
    return [Problem(f"{prefix}kind", message)]
