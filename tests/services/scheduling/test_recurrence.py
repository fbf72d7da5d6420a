"""Recurrence rules on wall-clock time around the 2026 daylight-saving changes, and intervals."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.intervals import Interval, covered_by, merge, subtract
from app.scheduling.recurrence import SeriesRule, occurrences, rule_text
from tests.helpers.scheduling_data import wall

NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")


@pytest.mark.parametrize("zone", [NEW_YORK, PHOENIX])
@pytest.mark.parametrize("first", [wall(2026, 3, 2, 9), wall(2026, 10, 26, 9)])
def test_weekly_keeps_wall_time(zone: ZoneInfo, first: datetime) -> None:
    found = occurrences(first, SeriesRule("weekly", count=3), zone)

    assert [item.starts_at.time() for item in found] == [time(9)] * 3
    assert [item.problem for item in found] == [None] * 3
    assert (found[1].starts_at - found[0].starts_at).days == 7


def test_daily_gap_reported_new_york() -> None:
    found = occurrences(wall(2026, 3, 7, 2, 30), SeriesRule("daily", count=3), NEW_YORK)

    problems = {item.series_date: item.problem for item in found}
    assert problems[date(2026, 3, 7)] is None
    assert problems[date(2026, 3, 9)] is None
    gap = problems[date(2026, 3, 8)]
    assert gap is not None
    assert "does not exist on 2026-03-08" in gap
    # Reported, not moved: the occurrence keeps the rule's wall time.
    assert found[1].starts_at == wall(2026, 3, 8, 2, 30)


def test_daily_no_gap_phoenix() -> None:
    found = occurrences(wall(2026, 3, 7, 2, 30), SeriesRule("daily", count=3), PHOENIX)

    assert [item.problem for item in found] == [None, None, None]


def test_fall_back_time_fine() -> None:
    # 01:30 happens twice on November 1, 2026 in New York; wall clock is what counts.
    found = occurrences(wall(2026, 10, 31, 1, 30), SeriesRule("daily", count=3), NEW_YORK)

    assert [item.problem for item in found] == [None, None, None]


def test_monthly_by_date_skips_short_months() -> None:
    rule = SeriesRule("monthly_by_date", until=date(2026, 8, 31))
    found = occurrences(wall(2026, 1, 31, 10), rule, NEW_YORK)

    assert [item.series_date for item in found] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
        date(2026, 8, 31),
    ]


def test_monthly_second_tuesday() -> None:
    found = occurrences(wall(2026, 3, 10, 9), SeriesRule("monthly_by_weekday", count=3), NEW_YORK)

    assert [item.series_date for item in found] == [
        date(2026, 3, 10),
        date(2026, 4, 14),
        date(2026, 5, 12),
    ]


def test_monthly_last_friday() -> None:
    rule = SeriesRule("monthly_by_weekday", weekdays=(4,), week_of_month=-1, count=3)
    found = occurrences(wall(2026, 1, 30, 9), rule, NEW_YORK)

    assert [item.series_date for item in found] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_weekly_two_days_interval() -> None:
    rule = SeriesRule("weekly", interval=2, weekdays=(0, 3), count=4)
    found = occurrences(wall(2026, 2, 2, 8), rule, NEW_YORK)

    assert [item.series_date for item in found] == [
        date(2026, 2, 2),
        date(2026, 2, 5),
        date(2026, 2, 16),
        date(2026, 2, 19),
    ]


def test_rule_text_rfc5545() -> None:
    first = wall(2026, 3, 10, 9)

    assert rule_text(first, SeriesRule("weekly", count=4)) == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert rule_text(first, SeriesRule("monthly_by_weekday", count=2)) == (
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=2"
    )
    assert rule_text(first, SeriesRule("daily", interval=2, until=date(2026, 4, 1))) == (
        "FREQ=DAILY;INTERVAL=2;UNTIL=20260401T235959"
    )


def test_invalid_rule_rejected() -> None:
    with pytest.raises(ValueError, match="interval must be 1 or more"):
        occurrences(wall(2026, 3, 10, 9), SeriesRule("daily", interval=0, count=2), NEW_YORK)


def at(hour: int, minute: int = 0) -> datetime:
    return wall(2026, 2, 2, hour, minute)


def test_interval_adjacent_not_overlapping() -> None:
    first = Interval(at(9), at(9, 30))

    assert not first.overlaps(Interval(at(9, 30), at(10)))
    assert not first.overlaps(Interval(at(8, 30), at(9)))
    assert first.overlaps(Interval(at(9, 15), at(9, 45)))
    assert first.overlaps(Interval(at(9, 29), at(9, 31)))


def test_interval_merge_and_subtract() -> None:
    merged = merge([Interval(at(10), at(11)), Interval(at(8), at(9)), Interval(at(9), at(9, 30))])

    assert merged == [Interval(at(8), at(9, 30)), Interval(at(10), at(11))]
    assert subtract(
        [Interval(at(8), at(12))], [Interval(at(9), at(10)), Interval(at(11), at(13))]
    ) == [
        Interval(at(8), at(9)),
        Interval(at(10), at(11)),
    ]
    assert covered_by(Interval(at(8, 30), at(9, 15)), merged)
    assert not covered_by(Interval(at(9), at(10)), merged)


def test_interval_rejects_reversed() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Interval(at(10), at(9))
