"""Dates of birth typed in US forms, whole or in part."""

from datetime import date

import pytest

from app.search.dates import DobKey, dob_keys, full_year, month_keys, stored_key

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    "typed", ["3/4/81", "03/04/1981", "1981-03-04", "03041981", "030481", "3-4-1981", "3.4.81"]
)
def test_whole_date_forms(typed: str) -> None:
    assert dob_keys(typed, TODAY) == [DobKey("03041981", complete=True)]


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [("3/", "03"), ("3/4", "0304"), ("3/4/", "0304"), ("3/4/1", "03041"), ("3/4/198", "0304198")],
)
def test_partial_date_prefix(typed: str, prefix: str) -> None:
    assert dob_keys(typed, TODAY) == [DobKey(prefix, complete=False)]


def test_single_year_digit_open() -> None:
    # "8" may become 81 or 88, so only the month and day narrow the search yet.
    assert dob_keys("3/4/8", TODAY) == [DobKey("0304", complete=False)]


def test_two_digit_year_ambiguous() -> None:
    keys = dob_keys("3/4/19", TODAY)
    assert DobKey("03042019", complete=True) in keys
    assert DobKey("030419", complete=False) in keys


@pytest.mark.parametrize("typed", ["13/4", "2/30/1981", "0/1", "1981-02-30", "3/4/812", "12345678"])
def test_invalid_dates_rejected(typed: str) -> None:
    assert dob_keys(typed, TODAY) == []


@pytest.mark.parametrize("typed", ["smith", "1981", "a/b"])
def test_non_dates_rejected(typed: str) -> None:
    assert dob_keys(typed, TODAY) == []


def test_full_year_never_future() -> None:
    assert full_year(26, TODAY) == 2026
    assert full_year(27, TODAY) == 1927
    assert full_year(81, TODAY) == 1981


def test_stored_key_month_first() -> None:
    assert stored_key(date(1981, 3, 4)) == "03041981"


@pytest.mark.parametrize(
    ("typed", "first", "count"),
    [
        ("1981-03", "03011981", 31),
        ("1981-3", "03011981", 31),
        ("1981-03-", "03011981", 31),
        ("1981-02", "02011981", 28),
        ("2000-02", "02012000", 29),
        ("1981-03-1", "03101981", 10),
        ("1981-03-3", "03301981", 2),
        ("1981-03-0", "03011981", 9),
    ],
)
def test_month_keys_days(typed: str, first: str, count: int) -> None:
    keys = month_keys(typed)
    assert keys[0] == first
    assert len(keys) == count


@pytest.mark.parametrize(
    "typed", ["1981", "1981-", "1981-13", "1981-00", "1981-03-4", "3/4", "81-03"]
)
def test_month_keys_rejects(typed: str) -> None:
    assert month_keys(typed) == []
