"""Registration details for the large practice: phones, SSNs, preferred and previous names.

The shares below are rough guesses at a primary-care practice, chosen so the search
benchmark meets every kind of index key in realistic numbers. They are not measured.
"""

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.ids import new_id
from app.search.folding import digits, fold
from app.search.nicknames import equivalents

Row = dict[str, Any]

SSN_SHARE = 0.9  # children and some adults register without one
PREFERRED_NAME_SHARE = 0.05
PREVIOUS_NAME_SHARE = 0.10
# Share of patients with at least a second phone, and with a third.
SECOND_PHONE_SHARE = 0.35
THIRD_PHONE_SHARE = 0.05
PHONE_KINDS = ("mobile", "home", "work")
# Preferred names for first names that have no nickname in app/search/nicknames.py.
OTHER_PREFERRED = ("Jay", "Bee", "Sunny", "Kit", "Max", "Lou", "Dee", "Tee")


@dataclass
class RegistrationRows:
    """Rows that belong to one batch of patients, for the child tables."""

    phones: list[Row] = field(default_factory=list)
    previous_names: list[Row] = field(default_factory=list)


def e164(phone: str) -> str:
    """Return a US phone number such as "(312) 555-0142" as E.164, "+13125550142"."""
    return "+1" + digits(phone)[-10:]


def ssn(rng: random.Random) -> str:
    """Return nine digits in the shape of an SSN that the SSA could issue: area 001 to
    899 without 666, group 01 to 99, serial 0001 to 9999."""
    area = rng.randint(1, 898)
    area += area >= 666  # skips 666
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def preferred_name(rng: random.Random, first_name: str) -> str:
    """Return a nickname of `first_name`, or a common short name when it has none."""
    nicknames = sorted(equivalents(fold(first_name)))
    return rng.choice(nicknames).capitalize() if nicknames else rng.choice(OTHER_PREFERRED)


def _phone_row(patient_id: uuid.UUID, number: str, position: int) -> Row:
    return {
        "id": new_id(),
        "patient_id": patient_id,
        "kind": PHONE_KINDS[position % len(PHONE_KINDS)],
        "number": number,
        "extension": None,
        "position": position,
    }


def _extra_phones(rng: random.Random, area_code: str) -> list[str]:
    count = int(rng.random() < SECOND_PHONE_SHARE) + int(rng.random() < THIRD_PHONE_SHARE)
    return [f"+1{area_code}555{rng.randrange(10_000):04d}" for _ in range(count)]


def add_registration(rng: random.Random, patients: list[Row]) -> RegistrationRows:
    """Fill SSNs and preferred names into `patients` and store each patient's phone as
    E.164, then return their phone rows and previous names.

    A previous name is the same first name with the last name of another patient of
    the batch, as after a marriage.
    """
    rows = RegistrationRows()
    last_names = [patient["last_name"] for patient in patients]
    for patient in patients:
        patient["ssn"] = ssn(rng) if rng.random() < SSN_SHARE else None
        if rng.random() < PREFERRED_NAME_SHARE:
            patient["preferred_name"] = preferred_name(rng, patient["first_name"])

        patient["phone"] = e164(patient["phone"])
        numbers = [patient["phone"], *_extra_phones(rng, patient["phone"][2:5])]
        for position, number in enumerate(numbers):
            rows.phones.append(_phone_row(patient["id"], number, position))

        if rng.random() < PREVIOUS_NAME_SHARE:
            rows.previous_names.append(
                {
                    "id": new_id(),
                    "patient_id": patient["id"],
                    "first_name": patient["first_name"],
                    "middle_name": None,
                    "last_name": rng.choice(last_names),
                    "suffix": None,
                    "used_until": None,
                }
            )
    return rows
