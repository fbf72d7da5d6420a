"""Dates at the edges of what an 837P carries.

A year before 1000 was written with fewer than 8 digits, and pyx12 rejects every date
before 1800, so such a date made the whole file invalid.
"""

from dataclasses import replace
from datetime import date

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from app.x12.text import format_date
from tests.x12.claim_samples import SUBSCRIBER, dependent_claim, secondary_claim, subscriber_claim

from .writing import write_text, write_valid


def _service_date(claim: ClaimDocument, day: date) -> ClaimDocument:
    return replace(claim, lines=tuple(replace(line, service_date=day) for line in claim.lines))


def test_format_date_pads_year() -> None:
    assert format_date(date(999, 1, 2)) == "09990102"
    assert format_date(date(1, 1, 1)) == "00010101"


@pytest.mark.parametrize(
    ("claim", "name"),
    [
        (_service_date(subscriber_claim(), date(1, 1, 1)), "line 1 service date"),
        (
            replace(
                subscriber_claim(), subscriber=replace(SUBSCRIBER, date_of_birth=date(999, 1, 1))
            ),
            "subscriber's birth date",
        ),
        (
            replace(
                dependent_claim(), patient=replace(SUBSCRIBER, date_of_birth=date(1799, 12, 31))
            ),
            "patient's birth date",
        ),
        (replace(subscriber_claim(), onset_date=date(1700, 5, 5)), "onset date"),
        (
            replace(
                secondary_claim(),
                other_payers=(
                    replace(secondary_claim().other_payers[0], adjudicated_on=date(1066, 1, 1)),
                ),
            ),
            "other payer's adjudication date",
        ),
    ],
)
def test_date_before_1800_raises_write_error(claim: ClaimDocument, name: str) -> None:
    with pytest.raises(X12WriteError, match=f"the {name} is before 1800"):
        write_text(claim)


@pytest.mark.parametrize("day", [date(1800, 1, 1), date(1899, 12, 31), date(9999, 12, 31)])
def test_edge_dates_round_trip(day: date) -> None:
    claim = _service_date(subscriber_claim(), day)

    read = write_valid(claim)

    assert [line.service_date for line in read.lines] == [day, day]


def test_leap_day_round_trips() -> None:
    read = write_valid(_service_date(subscriber_claim(), date(2028, 2, 29)))

    assert read.lines[0].service_date == date(2028, 2, 29)
