"""Clearinghouse settings that leave a 1000A or 1000B element empty.

A submitter or receiver name or id of only delimiters or emoji, or a contact phone with
no digits, was written as an empty required element, so pyx12 rejected the file.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.x12.envelope import X12WriteError
from app.x12.validate import pyx12_errors
from app.x12.writer_837p import write_837p
from tests.x12.claim_samples import TEST_SUBMITTER, subscriber_claim

CREATED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def _write(**changes: str) -> str:
    submitter = replace(TEST_SUBMITTER, **changes)
    written = write_837p(
        submitter, [subscriber_claim()], interchange_number=1, group_number=1, created_at=CREATED_AT
    )
    return written.text


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("submitter_name", "😀", "submitter name"),
        ("submitter_id", "*", "submitter id"),
        ("receiver_name", "~", "receiver name"),
        ("receiver_id", "", "receiver id"),
    ],
)
def test_empty_party_raises_write_error(field: str, value: str, name: str) -> None:
    with pytest.raises(X12WriteError, match=f"The clearinghouse {name} "):
        _write(**{field: value})


@pytest.mark.parametrize("phone", ["", "call Dana"])
def test_phone_without_digits_raises_write_error(phone: str) -> None:
    with pytest.raises(X12WriteError, match=r"contact phone .* has no digits"):
        _write(contact_phone=phone)


def test_empty_contact_name_is_valid() -> None:
    text = _write(contact_name="*")

    assert pyx12_errors(text) == []
