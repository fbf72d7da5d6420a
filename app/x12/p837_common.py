"""Name, address and date segments that several 837P loops share.

Maximum lengths are the 005010X222A1 element sizes (NM103 60, NM104 35, NM105 25,
NM107 10, NM109 80, N301/N302 55, N401 30, REF02 50).
"""

from datetime import date

from app.x12.claim_data import Address, Person
from app.x12.envelope import segment
from app.x12.text import clean_element, digits_only, format_date

NM103_LENGTH = 60
NM104_LENGTH = 35
NM105_LENGTH = 25
NM107_LENGTH = 10
NM109_LENGTH = 80
N3_LENGTH = 55
N401_LENGTH = 30
REF02_LENGTH = 50


def organization_name(entity: str, name: str, id_qualifier: str = "", id_value: str = "") -> str:
    """Build an NM1 for a non-person entity (NM102 2), such as a payer or the practice."""
    return segment(
        "NM1",
        entity,
        "2",
        clean_element(name, NM103_LENGTH),
        "",
        "",
        "",
        "",
        *_identifier(id_qualifier, id_value),
    )


def person_name(
    entity: str,
    last_name: str,
    first_name: str,
    *,
    middle_name: str | None = None,
    suffix: str | None = None,
    id_qualifier: str = "",
    id_value: str = "",
) -> str:
    """Build an NM1 for a person (NM102 1), with an id such as a member id or NPI."""
    return segment(
        "NM1",
        entity,
        "1",
        clean_element(last_name, NM103_LENGTH),
        clean_element(first_name, NM104_LENGTH),
        clean_element(middle_name or "", NM105_LENGTH),
        "",
        clean_element(suffix or "", NM107_LENGTH),
        *_identifier(id_qualifier, id_value),
    )


def _identifier(qualifier: str, value: str) -> tuple[str, str]:
    """Return NM108 and NM109, both empty when cleaning leaves no id (they go together)."""
    cleaned = clean_element(value, NM109_LENGTH)
    return (qualifier, cleaned) if cleaned else ("", "")


def person_nm1(entity: str, person: Person, id_qualifier: str = "", id_value: str = "") -> str:
    return person_name(
        entity,
        person.last_name,
        person.first_name,
        middle_name=person.middle_name,
        suffix=person.suffix,
        id_qualifier=id_qualifier,
        id_value=id_value,
    )


def address_segments(address: Address) -> list[str]:
    """Build N3 and N4. The ZIP code is sent as its digits, never padded."""
    return [
        segment(
            "N3", clean_element(address.line1, N3_LENGTH), clean_element(address.line2, N3_LENGTH)
        ),
        segment(
            "N4",
            clean_element(address.city, N401_LENGTH),
            clean_element(address.state, 2),
            digits_only(address.zip_code),
        ),
    ]


def demographics(person: Person) -> list[str]:
    """Build DMG with the date of birth and sex, or nothing when the birth date is unknown."""
    if person.date_of_birth is None:
        return []
    return [segment("DMG", "D8", format_date(person.date_of_birth), clean_element(person.sex, 1))]


def reference(qualifier: str, value: str) -> str:
    return segment("REF", qualifier, clean_element(value, REF02_LENGTH))


def optional_reference(qualifier: str, value: str | None) -> list[str]:
    """Build a REF for an optional value, or nothing when cleaning leaves it empty."""
    if not clean_element(value or "", REF02_LENGTH):
        return []
    return [reference(qualifier, value or "")]


def date_segment(qualifier: str, day: date) -> str:
    return segment("DTP", qualifier, "D8", format_date(day))


def same_address(first: Address, second: Address) -> bool:
    """Compare two addresses as they would be written, ignoring case, accents and spacing."""

    def written(address: Address) -> tuple[str, ...]:
        return (
            clean_element(address.line1, N3_LENGTH),
            clean_element(address.line2, N3_LENGTH),
            clean_element(address.city, N401_LENGTH),
            clean_element(address.state, 2),
            digits_only(address.zip_code),
        )

    return written(first) == written(second)
