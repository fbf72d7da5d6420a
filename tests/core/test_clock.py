"""The one format for a time of day on screens and in messages."""

from datetime import date, datetime, time

import pytest

from app.clock import format_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(0, 0), "12:00 AM"),
        (time(0, 30), "12:30 AM"),
        (time(9, 5), "9:05 AM"),
        (time(11, 59), "11:59 AM"),
        (time(12, 0), "12:00 PM"),
        (time(13, 15), "1:15 PM"),
        (time(23, 45), "11:45 PM"),
        (datetime.combine(date(2026, 3, 5), time(14, 5)), "2:05 PM"),
    ],
)
def test_format_time_twelve_hour(value: time | datetime, expected: str) -> None:
    assert format_time(value) == expected
