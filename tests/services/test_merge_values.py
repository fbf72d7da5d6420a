"""Stored values as the merge screen shows them: labels, phones and one-line addresses."""

import uuid
from datetime import date

import pytest

from app.services.merge_values import shown_value

NO_NAMES: dict[uuid.UUID, str] = {}


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [
        ("sex", ("M",), "Male"),
        ("sex", ("F",), "Female"),
        ("marital_status", ("married",), "Married"),
        ("preferred_contact", ("phone",), "Phone"),
        (
            "address",
            ("1443 Tate Place", None, "Evanston", "IL", "60202"),
            "1443 Tate Place, Evanston, IL 60202",
        ),
        (
            "address",
            ("1443 Tate Place", "Apt 2", "Evanston", "IL", "60202"),
            "1443 Tate Place, Apt 2, Evanston, IL 60202",
        ),
        (
            "emergency_contact",
            ("Ann Lee", "+12245550199", "Sister"),
            "Ann Lee, (224) 555-0199, Sister",
        ),
        ("status", ("active", None), "Active"),
        ("status", ("deceased", date(2025, 1, 2)), "Deceased, died 01/02/2025"),
        ("recall", (12, date(2027, 3, 1)), "Every 12 months, due 03/01/2027"),
        ("ssn", ("123456789",), "***-**-6789"),
        ("date_of_birth", (date(2001, 6, 4),), "06/04/2001"),
        ("first_name", ("Thomas",), "Thomas"),
        ("email", (None,), ""),
    ],
)
def test_shown_value(key: str, values: tuple[object, ...], expected: str) -> None:
    assert shown_value(key, values, NO_NAMES) == expected


def test_provider_shown_by_name() -> None:
    provider_id = uuid.uuid4()

    shown = shown_value("primary_provider_id", (provider_id,), {provider_id: "Ana Lopez, MD"})

    assert shown == "Ana Lopez, MD"
