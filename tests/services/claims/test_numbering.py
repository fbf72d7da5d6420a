"""Issuing many human-facing numbers with one counter update."""

import pytest

from app.services.numbering import next_number, next_numbers
from tests.helpers.claim_data import ClaimPractice


def test_next_numbers_continue_counter(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        first = next_number(session, "sample")
        many = next_numbers(session, "sample", 3)
        after = next_number(session, "sample")

    code = first.split("-")[0]
    assert first == f"{code}-000001"
    assert many == [f"{code}-000002", f"{code}-000003", f"{code}-000004"]
    assert after == f"{code}-000005"


def test_next_numbers_width(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        numbers = next_numbers(session, "wide", 2, width=9)

    assert [number.split("-")[1] for number in numbers] == ["000000001", "000000002"]


def test_next_numbers_zero_leaves_counter(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        assert next_numbers(session, "empty", 0) == []
        first = next_number(session, "empty")

    assert first.endswith("-000001")


def test_next_numbers_negative_count_raises(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session, pytest.raises(ValueError, match="-1"):
        next_numbers(session, "negative", -1)
