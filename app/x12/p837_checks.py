"""Checks of claim values before the 837P builders write them.

Some code values (place of service, frequency, relationship, payer sequence, sex, CAS
group) are written without cleaning, and cleaning others (modifiers) would change their
meaning. So each code must match its format here. Otherwise a delimiter in one of them
would split an element or end a segment early.
"""

import re

from app.x12.claim_data import ClaimDocument, Person
from app.x12.envelope import X12WriteError

_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_FREQUENCY = re.compile(r"[0-9]")
_RELATIONSHIP = re.compile(r"[0-9]{2}")
_PAYER_SEQUENCE = re.compile(r"[A-HPSTU]")  # SBR01 codes of 005010X222A1
_SEX = re.compile(r"[FMU]")
_GROUP_CODE = re.compile(r"CO|CR|OA|PI|PR")
_MODIFIER = re.compile(r"[A-Za-z0-9]{2}")


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
            f"Claim {claim}: the {name} {value[:20]!r} is invalid. Correct it in {record} "
            "and create the batch again."
        )
