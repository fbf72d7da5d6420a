"""Checks of claim values before the 837P builders write them; check_claim runs them all.

This module checks codes, the claim number and addresses, and p837_check_values checks
names, ids, dates, amounts and line values. Some codes (place of service, frequency,
relationship, payer sequence, sex, CAS group) are written without cleaning, and cleaning
others (modifiers) would change their meaning. So each code must match its format here.
Otherwise a delimiter in one of them would split an element or end a segment early.

Messages name the claim, the field and where to correct it, but never the patient's
values, because callers log them and logs must not contain patient data.
"""

import re

from app.validators import US_STATES
from app.x12.claim_data import Address, ClaimDocument, Person, Submitter
from app.x12.envelope import X12WriteError
from app.x12.p837_check_values import (
    check_amounts,
    check_dates,
    check_required_text,
    check_service_lines,
)
from app.x12.p837_claim import CLAIM_NUMBER_LENGTH
from app.x12.text import clean_element, digits_only

_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_FREQUENCY = re.compile(r"[0-9]")
_RELATIONSHIP = re.compile(r"[0-9]{2}")
_PAYER_SEQUENCE = re.compile(r"[A-HPSTU]")  # SBR01 codes of 005010X222A1
_SEX = re.compile(r"[FMU]")
_GROUP_CODE = re.compile(r"CO|CR|OA|PI|PR")
_MODIFIER = re.compile(r"[A-Za-z0-9]{2}")


def check_claim(document: ClaimDocument) -> None:
    """Raise X12WriteError for the first value of the claim that the 837P cannot carry."""
    check_claim_number(document)
    check_claim_codes(document)
    check_required_text(document)
    check_dates(document)
    check_service_lines(document)
    check_amounts(document)
    check_addresses(document)


def check_claim_codes(document: ClaimDocument) -> None:
    """Raise X12WriteError naming the claim, the field and the fix for an invalid code."""
    claim = document.claim_number
    _check(claim, "place of service", document.place_of_service, _PLACE_OF_SERVICE, "the visit")
    _check(claim, "claim frequency code", document.frequency_code, _FREQUENCY, "the claim")
    _check(claim, "payer sequence", document.payer_sequence, _PAYER_SEQUENCE, "the coverage")
    _check(claim, "patient relationship", document.relationship_code, _RELATIONSHIP, "the coverage")
    _check_person(claim, document.subscriber)
    _check_person(claim, document.patient)

    for other in document.other_payers:
        _check(claim, "other payer sequence", other.payer_sequence, _PAYER_SEQUENCE, "the coverage")
        _check(
            claim,
            "other payer relationship",
            other.relationship_code,
            _RELATIONSHIP,
            "the coverage",
        )
        _check_person(claim, other.subscriber)
        for adjustment in other.claim_adjustments:
            _check(claim, "adjustment group code", adjustment.group_code, _GROUP_CODE, "the EOB")

    for line in document.lines:
        where = f"line {line.line_number} "
        if line.place_of_service:
            _check(
                claim,
                where + "place of service",
                line.place_of_service,
                _PLACE_OF_SERVICE,
                "the charge",
            )
        for modifier in line.modifiers:
            _check(claim, where + "modifier", modifier, _MODIFIER, "the charge")
        for adjudication in line.adjudications:
            for modifier in adjudication.modifiers:
                _check(claim, where + "paid modifier", modifier, _MODIFIER, "the EOB")
            for adjustment in adjudication.adjustments:
                _check(
                    claim,
                    where + "adjustment group code",
                    adjustment.group_code,
                    _GROUP_CODE,
                    "the EOB",
                )


def _check_person(claim: str, person: Person) -> None:
    # DMG03 is sent only with a birth date (see demographics), so only then must it be valid.
    if person.date_of_birth is not None:
        _check(claim, "sex", person.sex, _SEX, "the patient or subscriber record (F, M or U)")


def _check(claim: str, name: str, value: str, pattern: re.Pattern[str], record: str) -> None:
    if not pattern.fullmatch(value):
        raise X12WriteError(
            f"Claim {claim}: the {name} is invalid. Correct it in {record} "
            "and create the batch again."
        )


def check_claim_number(document: ClaimDocument) -> None:
    """Raise X12WriteError unless CLM01 carries the claim number exactly as ClinicDesk stores it.

    The 999, the 277CA and the 835 return CLM01 to match the claim, so a number that
    cleaning would change (a delimiter, a lower-case letter or more than 20 characters)
    would leave every response for the claim unmatched.
    """
    number = document.claim_number
    if (
        clean_element(number, CLAIM_NUMBER_LENGTH + 1) != number
        or len(number) > CLAIM_NUMBER_LENGTH
    ):
        raise X12WriteError(
            f"The claim number {number[:30]!r} cannot be sent unchanged: an 837P claim number "
            f"has at most {CLAIM_NUMBER_LENGTH} upper-case letters, digits, spaces or common "
            "punctuation other than * ~ : ^ | >. Rebuild the claim so it gets a new number."
        )


def check_submitter(submitter: Submitter) -> None:
    """Raise X12WriteError when a 1000A or 1000B value that the 837P requires is empty.

    Names and ids are cleaned like all text, and PER04 carries only the phone's digits,
    so a setting of only delimiters, emoji or letters would leave a required element empty.
    """
    for name, value in (
        ("submitter name", submitter.submitter_name),
        ("submitter id", submitter.submitter_id),
        ("receiver name", submitter.receiver_name),
        ("receiver id", submitter.receiver_id),
    ):
        if not clean_element(value, 80):
            raise X12WriteError(
                f"The clearinghouse {name} {value[:20]!r} is missing or contains no character "
                "that X12 allows. Correct it in the clearinghouse settings."
            )

    if not digits_only(submitter.contact_phone):
        raise X12WriteError(
            f"The clearinghouse contact phone {submitter.contact_phone[:20]!r} has no digits. "
            "Enter the phone number of the practice's EDI contact in the clearinghouse settings."
        )


_ZIP_CODE = re.compile(r"[0-9]{5}(-?[0-9]{4})?")


def check_addresses(document: ClaimDocument) -> None:
    """Raise X12WriteError for an address whose state or ZIP code the 837P cannot carry.

    Cleaning would cut "IéL" to "IE" and digits_only would turn "627O2" into "6272", so
    a mistyped state or ZIP code would reach the payer as another valid-looking value.
    """
    claim = document.claim_number
    addresses: list[tuple[str, Address | None, str]] = [
        ("billing provider", document.billing_provider.address, "the practice settings"),
        ("service location", document.service_facility.address, "the location settings"),
        ("subscriber", document.subscriber.address, "the subscriber's record"),
        ("patient", document.patient.address, "the patient's record"),
        ("payer", document.payer.address, "the payer settings"),
    ]
    for other in document.other_payers:
        addresses.append(("other subscriber", other.subscriber.address, "the coverage"))
        addresses.append(("other payer", other.payer.address, "the payer settings"))

    # NOTE: pyx12 4.0's state list lacks PW (Palau), so a Palau address passes here but
    # fails the pyx12 check of the written file.
    for role, address, record in addresses:
        if address is None:
            continue
        if address.state.strip().upper() not in US_STATES:
            _address_error(claim, f"{role} state is not a US state code", record)
        if not _ZIP_CODE.fullmatch(address.zip_code.strip()):
            _address_error(claim, f"{role} ZIP code is not 5 or 9 digits", record)


def _address_error(claim: str, problem: str, record: str) -> None:
    raise X12WriteError(
        f"Claim {claim}: the {problem}. Correct it in {record} and create the batch again."
    )
