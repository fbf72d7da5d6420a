"""Column mappings of the CSV import: the fields it fills and the headers that mean them.

A mapping is a dict from target key to header name (None leaves the target empty). It
is suggested from the headers, adjusted by the user, and can be saved as JSON so the
next file from the same system imports with one command.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from app.errors import UserError
from app.search.folding import fold

log = logging.getLogger(__name__)

Mapping = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Target:
    """A field the importer can fill: its key, its label and the headers that mean it."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    group: str = "Patient"


TARGETS: tuple[Target, ...] = (
    Target("external_id", "ID in the old system", (
        "id", "chart", "chart number", "chart no", "account", "account number", "acct",
        "mrn", "medical record number", "patient id", "patient number", "person id",
    )),
    Target("first_name", "First name", ("first name", "fname", "first", "given", "given name")),
    Target("middle_name", "Middle name", (
        "middle name", "middle", "mname", "middle initial", "mi",
    )),
    Target("last_name", "Last name", (
        "last name", "lname", "last", "surname", "family", "family name",
    )),
    Target("suffix", "Suffix", ("suffix", "name suffix")),
    Target("preferred_name", "Preferred name", ("preferred name", "nickname", "goes by")),
    Target("date_of_birth", "Date of birth", (
        "dob", "birth date", "birthdate", "date of birth", "birthday", "born",
    )),
    Target("sex", "Sex", ("sex", "gender", "birth sex", "sex at birth", "administrative sex")),
    Target("gender_identity", "Gender identity", ("gender identity",)),
    Target("ssn", "SSN", ("ssn", "social security number", "social security", "soc sec")),
    Target("address_line1", "Street address", (
        "address", "address1", "address 1", "address line 1", "street", "street address",
    )),
    Target("address_line2", "Address line 2", ("address2", "address 2", "address line 2", "apt")),
    Target("city", "City", ("city", "town")),
    Target("state", "State", ("state", "st", "province")),
    Target("zip_code", "ZIP code", ("zip", "zip code", "zipcode", "postal code", "postcode")),
    Target("home_phone", "Home phone", ("phone", "home phone", "telephone", "phone number")),
    Target("mobile_phone", "Mobile phone", ("cell", "mobile", "cell phone", "mobile phone")),
    Target("work_phone", "Work phone", ("work phone", "business phone", "office phone")),
    Target("email", "Email", ("email", "e-mail", "email address")),
    Target("preferred_language", "Preferred language", ("language", "preferred language")),
    Target("marital_status", "Marital status", ("marital", "marital status")),
    Target("employer_name", "Employer", ("employer", "employer name")),
    Target("emergency_contact_name", "Emergency contact", (
        "emergency contact", "emergency contact name",
    )),
    Target("emergency_contact_phone", "Emergency contact phone", ("emergency phone",
        "emergency contact phone")),
    Target("deceased_on", "Date of death", (
        "deathdate", "death date", "date of death", "dod", "deceased date",
    )),
    Target("payer", "Insurance (payer name or code)", (
        "insurance", "payer", "insurance name", "insurance company", "carrier",
        "primary insurance", "payer name", "payer id", "payer code",
    ), "Primary insurance"),
    Target("member_id", "Member ID", (
        "member id", "policy", "policy number", "policy id", "subscriber id", "member number",
        "insurance id",
    ), "Primary insurance"),
    Target("group_number", "Group number", (
        "group", "group number", "group no", "group id",
    ), "Primary insurance"),
    Target("plan_name", "Plan name", ("plan", "plan name"), "Primary insurance"),
    Target("plan_type", "Plan type", ("plan type", "insurance type", "coverage type"),
        "Primary insurance"),
)  # fmt: skip

TARGET_KEYS = tuple(target.key for target in TARGETS)
TARGETS_BY_KEY = {target.key: target for target in TARGETS}
_TARGET_BY_SYNONYM = {
    fold(synonym): target.key for target in TARGETS for synonym in target.synonyms
}


def suggest_mapping(headers: tuple[str, ...] | list[str]) -> Mapping:
    """Return, for every target, the header that usually means it (None when none does).

    Headers are compared folded, so case, spaces and punctuation do not matter
    ("First Name", "FIRST_NAME" and "first-name" all match). A header fills at most
    one target, the first in file order that claims it.
    """
    mapping: Mapping = dict.fromkeys(TARGET_KEYS)
    for header in headers:
        key = _TARGET_BY_SYNONYM.get(fold(header))
        if key is not None and mapping[key] is None:
            mapping[key] = header
    return mapping


def mapping_problems(mapping: Mapping, headers: tuple[str, ...]) -> list[str]:
    """Return a message for each target key or header in `mapping` that is not known."""
    problems = [
        f"{key!r} is not a field the importer fills; use one of {', '.join(TARGET_KEYS)}."
        for key in mapping
        if key not in TARGETS_BY_KEY
    ]
    problems += [
        f"The mapping sends column {header!r} to {TARGETS_BY_KEY[key].label}, but the file "
        f"has no such column; its columns are {', '.join(headers)}."
        for key, header in mapping.items()
        if header is not None and key in TARGETS_BY_KEY and header not in headers
    ]
    return problems


def complete_mapping(mapping: Mapping) -> Mapping:
    """Return `mapping` with every target present (absent targets map to None)."""
    return {key: mapping.get(key) for key in TARGET_KEYS}


def load_mapping(path: Path) -> Mapping:
    """Read a mapping saved as a JSON object of target key to header name or null."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"The mapping file {path} does not exist. Check the file name.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(
            f"The mapping file {path} is not readable JSON ({exc}). Write it as an object "
            'such as {"first_name": "FNAME", "last_name": "LNAME"}.'
        ) from exc

    valid = isinstance(document, dict) and all(
        isinstance(value, str | None) for value in document.values()
    )
    if not valid:
        raise UserError(
            f"The mapping file {path} must hold one JSON object whose values are column "
            'names or null, such as {"first_name": "FNAME", "ssn": null}.'
        )
    return dict(document)


def save_mapping(mapping: Mapping, path: Path) -> None:
    """Write `mapping` as indented JSON, one target per line."""
    path.write_text(json.dumps(complete_mapping(mapping), indent=2) + "\n", encoding="utf-8")
