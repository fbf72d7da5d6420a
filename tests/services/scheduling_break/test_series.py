"""Recurring series with hostile rules and edits."""

import uuid
from datetime import date, time

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.scheduling import Appointment, AppointmentSeries
from app.scheduling.recurrence import SeriesRule
from app.services import booking
from app.services.availability import MAX_DURATION_MINUTES
from app.services.booking_series import MAX_OCCURRENCES
from app.services.series_preview import preview_series
from tests.helpers.scheduling_data import SchedulingPractice, wall

FIRST = wall(2026, 2, 2, 9)  # a Monday


def series_count(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(AppointmentSeries)) or 0


def book_weekly(
    database: Database, practice: SchedulingPractice, count: int = 4
) -> list[uuid.UUID]:
    with database.transaction() as session:
        outcome = booking.book_series(
            session, practice.front_desk, practice.request(FIRST), SeriesRule("weekly", count=count)
        )
    assert len(outcome.created) == count
    return outcome.created


def row_of(database: Database, appointment_id: uuid.UUID) -> Appointment:
    with database.reading() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.mark.parametrize(
    "rule",
    [
        SeriesRule("weekly", until=date(2026, 1, 1)),
        SeriesRule("weekly", until=date(2026, 2, 1)),
        SeriesRule("monthly_by_date", until=date(2026, 2, 1)),
    ],
)
def test_until_before_start_rejected(
    database: Database, practice: SchedulingPractice, rule: SeriesRule
) -> None:
    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.book_series(session, practice.front_desk, practice.request(FIRST), rule)

    assert [problem.field for problem in error.value.problems] == ["rule"]
    assert series_count(database) == 0


def test_preview_until_before_start(database: Database, practice: SchedulingPractice) -> None:
    rule = SeriesRule("daily", until=date(2026, 1, 1))

    with pytest.raises(ValidationError), database.reading() as session:
        preview_series(session, practice.front_desk, practice.request(FIRST), rule)


@pytest.mark.parametrize(
    "rule",
    [
        SeriesRule("daily", count=MAX_OCCURRENCES + 1),
        SeriesRule("daily", count=10**9),
        SeriesRule("daily", until=date(2028, 1, 1)),
    ],
)
def test_too_many_visits_rejected(
    database: Database, practice: SchedulingPractice, rule: SeriesRule
) -> None:
    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.book_series(session, practice.front_desk, practice.request(FIRST), rule)

    assert str(MAX_OCCURRENCES) in error.value.problems[0].message
    assert series_count(database) == 0


def test_max_visits_still_booked(database: Database, practice: SchedulingPractice) -> None:
    rule = SeriesRule("daily", count=MAX_OCCURRENCES)

    with database.transaction() as session:
        outcome = booking.book_series(session, practice.front_desk, practice.request(FIRST), rule)

    assert len(outcome.created) == MAX_OCCURRENCES
    assert outcome.skipped == []


@pytest.mark.parametrize("minutes", [0, -30, MAX_DURATION_MINUTES + 1, 10**6])
def test_edit_length_out_of_range(
    database: Database, practice: SchedulingPractice, minutes: int
) -> None:
    created = book_weekly(database, practice)

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.edit_occurrences(
            session, practice.front_desk, created[0], "series", duration_minutes=minutes
        )

    assert [problem.field for problem in error.value.problems] == ["duration_minutes"]
    assert row_of(database, created[0]).duration_minutes == 30


def test_edit_moved_exception_keeps_day(database: Database, practice: SchedulingPractice) -> None:
    created = book_weekly(database, practice)
    moved_to = wall(2026, 2, 11, 9)  # the Wednesday after the second Monday
    with database.transaction() as session:
        booking.move(session, practice.front_desk, created[1], moved_to)
        booking.edit_occurrences(session, practice.front_desk, created[1], "this", time(14))

    row = row_of(database, created[1])
    assert row.starts_at == wall(2026, 2, 11, 14)
    assert row.series_date == date(2026, 2, 9)


def test_series_edit_skips_moved_exception(
    database: Database, practice: SchedulingPractice
) -> None:
    created = book_weekly(database, practice)
    with database.transaction() as session:
        booking.move(session, practice.front_desk, created[2], wall(2026, 2, 18, 9))
        booking.edit_occurrences(session, practice.front_desk, created[0], "series", time(11))

    starts = [row_of(database, appointment_id).starts_at for appointment_id in created]
    assert starts == [
        wall(2026, 2, 2, 11),
        wall(2026, 2, 9, 11),
        wall(2026, 2, 18, 9),
        wall(2026, 2, 23, 11),
    ]


def series_rows(database: Database) -> list[AppointmentSeries]:
    with database.reading() as session:
        rows = list(
            session.scalars(select(AppointmentSeries).order_by(AppointmentSeries.created_at))
        )
        session.expunge_all()
        return rows


def rule_dates(series: AppointmentSeries) -> list[date]:
    """Expand the stored rule text from the series' first start with dateutil."""
    starts = rrulestr(series.rule, dtstart=series.first_starts_at)
    return [start.date() for start in starts]


def test_split_rewrites_rule_end(database: Database, practice: SchedulingPractice) -> None:
    created = book_weekly(database, practice)
    with database.transaction() as session:
        booking.edit_occurrences(session, practice.front_desk, created[2], "following", time(11))

    old, new = series_rows(database)
    assert rule_dates(old) == [date(2026, 2, 2), date(2026, 2, 9)]
    assert rule_dates(new) == [date(2026, 2, 16), date(2026, 2, 23)]
    assert old.count is None
    assert old.until == date(2026, 2, 15)
    assert new.count == 2


def test_split_last_occurrence(database: Database, practice: SchedulingPractice) -> None:
    created = book_weekly(database, practice)
    with database.transaction() as session:
        booking.edit_occurrences(session, practice.front_desk, created[3], "following", time(11))

    old, new = series_rows(database)
    assert len(rule_dates(old)) == 3
    assert rule_dates(new) == [date(2026, 2, 23)]
    assert row_of(database, created[3]).series_id == new.id


def test_following_from_first_no_split(database: Database, practice: SchedulingPractice) -> None:
    created = book_weekly(database, practice)
    with database.transaction() as session:
        booking.edit_occurrences(session, practice.front_desk, created[0], "following", time(11))

    (series,) = series_rows(database)
    assert series.first_starts_at == wall(2026, 2, 2, 11)
    assert len(rule_dates(series)) == 4
    assert {row_of(database, appointment_id).series_id for appointment_id in created} == {series.id}


@pytest.mark.parametrize(
    "rule",
    [
        SeriesRule("weekly", count=0),
        SeriesRule("weekly", count=-3),
        SeriesRule("weekly", interval=0, count=3),
        SeriesRule("weekly", weekdays=(7,), count=3),
        SeriesRule("monthly_by_weekday", week_of_month=5, count=3),
        SeriesRule("weekly"),
    ],
)
def test_invalid_rule_books_nothing(
    database: Database, practice: SchedulingPractice, rule: SeriesRule
) -> None:
    with pytest.raises(ValidationError), database.transaction() as session:
        booking.book_series(session, practice.front_desk, practice.request(FIRST), rule)

    assert series_count(database) == 0


def test_fifth_monday_means_last(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 3, 30, 9)),  # the fifth Monday of March
            SeriesRule("monthly_by_weekday", count=3),
        )

    dates = [row_of(database, appointment_id).series_date for appointment_id in outcome.created]
    assert dates == [date(2026, 3, 30), date(2026, 4, 27), date(2026, 5, 25)]


def test_monthly_31st_skips_short_months(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 1, 31, 9)),
            SeriesRule("monthly_by_date", until=date(2026, 6, 30)),
        )

    dates = [row_of(database, appointment_id).series_date for appointment_id in outcome.created]
    assert dates == [date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31)]
    assert outcome.skipped == []


def test_cancel_following_from_last(database: Database, practice: SchedulingPractice) -> None:
    created = book_weekly(database, practice)
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, created[3], "Moving", "patient", "following")

    statuses = [row_of(database, appointment_id).status for appointment_id in created]
    assert statuses == ["scheduled", "scheduled", "scheduled", "cancelled"]


@pytest.mark.usefixtures("new_york")
def test_edit_into_spring_gap_rejected(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 3, 1, 9)),
            SeriesRule("weekly", count=3),
        )

    with pytest.raises(UserError, match="2026-03-08"), database.transaction() as session:
        booking.edit_occurrences(
            session, practice.front_desk, outcome.created[0], "series", time(2, 30)
        )

    starts = [
        row_of(database, appointment_id).starts_at.time() for appointment_id in outcome.created
    ]
    assert starts == [time(9), time(9), time(9)]
