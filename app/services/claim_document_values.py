"""Small conversions from ClaimDesk records to the values of `app.x12.claim_data`."""

from app.models.patients import Patient
from app.models.patients import Person as PersonRow
from app.models.practice import Payer
from app.x12.claim_data import Address, PayerInfo, Person

# Individual relationship codes valid in PAT01 (2000C) and SBR02 (2320) of the 837P.
# Coverage rows store these same codes, so mapping them keeps each code as it is.
X12_RELATIONSHIPS = frozenset({"01", "18", "19", "20", "21", "39", "40", "53", "G8"})
OTHER_RELATIONSHIP = "G8"


def digits(value: str | None) -> str:
    """Return only the digits of `value`, such as a ZIP, EIN or phone number."""
    return "".join(character for character in value or "" if character.isdigit())


def x12_relationship(code: str) -> str:
    """Return the 837P relationship code for a coverage's relationship code.

    An unknown code becomes G8 (other relationship), which every payer accepts.
    """
    return code if code in X12_RELATIONSHIPS else OTHER_RELATIONSHIP


def address(
    line1: str | None, line2: str | None, city: str | None, state: str | None, zip_code: str | None
) -> Address:
    """Return an address with blank text for missing parts and the ZIP as digits only."""
    return Address(
        line1=line1 or "",
        line2=line2 or "",
        city=city or "",
        state=state or "",
        zip_code=digits(zip_code),
    )


def optional_address(
    line1: str | None, line2: str | None, city: str | None, state: str | None, zip_code: str | None
) -> Address | None:
    """Return the address, or None when no part of it is on file."""
    if not any((line1, city, state, zip_code)):
        return None
    return address(line1, line2, city, state, zip_code)


def person_from_patient(patient: Patient | PersonRow) -> Person:
    """Return a patient, or a non-patient subscriber, as an 837P person."""
    return Person(
        last_name=patient.last_name,
        first_name=patient.first_name,
        middle_name=patient.middle_name,
        suffix=patient.suffix,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        address=optional_address(
            patient.address_line1,
            patient.address_line2,
            patient.city,
            patient.state,
            patient.zip_code,
        ),
    )


def payer_info(payer: Payer) -> PayerInfo:
    """Return the payer's name, payer id and address (None when none is on file)."""
    return PayerInfo(
        name=payer.name,
        payer_code=payer.payer_code,
        address=optional_address(
            payer.address_line1, payer.address_line2, payer.city, payer.state, payer.zip_code
        ),
    )
