"""Find-available at the edges: hours ending at 24:00, daylight-saving gaps, freed time."""

from datetime import date, datetime, time

import pytest

from app.db.database import Database
from app.models.scheduling import Appointment, Blockout, ProviderHours
from app.services import booking
from app.services.find_available import find_slots
from tests.helpers.scheduling_data import SchedulingPractice, wall

EVERY_DAY = tuple(range(7))


def add_hours(database: Database, practice: SchedulingPractice, starts: time, ends: time) -> None:
    """Give the first provider the same hours every day of the week."""
    with database.transaction() as session:
        for weekday in EVERY_DAY:
            session.add(
                ProviderHours(
                    provider_id=practice.provider_ids[0],
                    location_id=practice.location_id,
                    weekday=weekday,
                    starts=starts,
                    ends=ends,
                )
            )


def starts_on(
    database: Database, practice: SchedulingPractice, first: date, days: int = 1, **search: object
) -> list[datetime]:
    with database.transaction() as session:
        slots = find_slots(
            session,
            practice.front_desk,
            [practice.provider_ids[0]],
            30,
            first,
            days=days,
            weekdays=EVERY_DAY,
            limit=1000,
            grid_minutes=30,
            **search,  # type: ignore[arg-type]
        )
    return [slot.starts_at for slot in slots]


def test_hours_to_midnight_last_slot(database: Database, practice: SchedulingPractice) -> None:
    add_hours(database, practice, time(22), time.max)

    starts = starts_on(database, practice, date(2026, 2, 2))

    assert starts == [
        wall(2026, 2, 2, 22),
        wall(2026, 2, 2, 22, 30),
        wall(2026, 2, 2, 23),
        wall(2026, 2, 2, 23, 30),
    ]


@pytest.mark.usefixtures("new_york")
def test_spring_gap_not_offered(database: Database, practice: SchedulingPractice) -> None:
    add_hours(database, practice, time(1), time(4))

    starts = starts_on(database, practice, date(2026, 3, 8))

    assert starts == [
        wall(2026, 3, 8, 1),
        wall(2026, 3, 8, 1, 30),
        wall(2026, 3, 8, 3),
        wall(2026, 3, 8, 3, 30),
    ]


@pytest.mark.usefixtures("new_york")
def test_sixty_days_across_dst(database: Database, practice: SchedulingPractice) -> None:
    add_hours(database, practice, time(9), time(10))

    starts = starts_on(database, practice, date(2026, 2, 15), days=60)

    assert len(starts) == 120
    assert {start.time() for start in starts} == {time(9), time(9, 30)}
    assert starts[-1] == wall(2026, 4, 15, 9, 30)


@pytest.mark.usefixtures("phoenix")
def test_phoenix_night_all_offered(database: Database, practice: SchedulingPractice) -> None:
    add_hours(database, practice, time(1), time(4))

    starts = starts_on(database, practice, date(2026, 3, 8))

    assert len(starts) == 6


@pytest.mark.parametrize(
    ("status", "free"), [("no_show", True), ("cancelled", True), ("arrived", False)]
)
def test_missed_visit_frees_time(
    database: Database, practice: SchedulingPractice, status: str, free: bool
) -> None:
    add_hours(database, practice, time(14), time(15))
    with database.transaction() as session:
        visit = booking.book(
            session, practice.front_desk, practice.request(wall(2026, 2, 2, 14), 60)
        )
        row = session.get(Appointment, visit.appointment_id)
        assert row is not None
        row.status = status

    starts = starts_on(database, practice, date(2026, 2, 2))

    expected = [wall(2026, 2, 2, 14), wall(2026, 2, 2, 14, 30)] if free else []
    assert starts == expected


def test_no_hours_nothing_offered(database: Database, practice: SchedulingPractice) -> None:
    starts = starts_on(database, practice, date(2026, 2, 2), days=60)

    assert starts == []


def test_all_blocked_nothing_offered(database: Database, practice: SchedulingPractice) -> None:
    add_hours(database, practice, time(8), time(17))
    with database.transaction() as session:
        # One all-day blockout repeating every day, from the weekly rule set-up writes.
        session.add(
            Blockout(
                title="Closed for renovation",
                kind="other",
                starts_at=wall(2026, 2, 2, 0),
                ends_at=wall(2026, 2, 3, 0),
                rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
            )
        )

    starts = starts_on(database, practice, date(2026, 2, 2), days=60)

    assert starts == []
