"""Finding open times: working hours less blockouts and bookings."""

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.security.permissions import system_actor
from app.services.find_available import find_slots, grid_starts, subtract
from tests.helpers.schedule_rows import (
    MONDAY,
    add_blockout,
    add_visit,
    add_week_hours,
    clear_schedule_setup,
    demo_practice,
    first_location,
    patients,
    providers,
)

ACTOR = system_actor("TST")


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Database]:
    database = demo_practice(tmp_path)
    with database.transaction() as session:
        clear_schedule_setup(session)
        for provider_id in providers(session)[:2]:
            add_week_hours(session, provider_id)
    yield database
    database.close()


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=days), time(hour, minute))


def test_first_slots_start_of_hours(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=3, grid_minutes=15)

    assert [slot.starts_at for slot in slots] == [at(9), at(9, 15), at(9, 30)]
    assert {slot.provider_id for slot in slots} == {first}


def test_booking_and_blockout_skipped(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        patient = patients(session)[0]
        add_visit(session, first, patient.id, at(9), minutes=60)
        add_blockout(session, at(10), 60, provider_id=first)
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=20, grid_minutes=30)

    starts = [slot.starts_at for slot in slots]
    assert starts[:3] == [at(11), at(11, 30), at(9, days=1)]
    assert at(9) not in starts
    assert at(10, 30) not in starts


def test_cancelled_visit_frees_time(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        add_visit(session, first, patients(session)[0].id, at(9), minutes=180, status="cancelled")
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=1)

    assert slots[0].starts_at == at(9)


def test_weekly_practice_blockout(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        # A practice-wide morning meeting every weekday, set up weeks earlier.
        add_blockout(session, at(9, days=-28), 60, rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=1)

    assert slots[0].starts_at == at(10)


def test_location_blockout_closes_day(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        add_blockout(session, at(0), 24 * 60, location_id=first_location(session))
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=1)

    assert slots[0].starts_at == at(9, days=1)


def test_two_providers_time_order(practice: Database) -> None:
    with practice.transaction() as session:
        first, second = providers(session)[:2]
        add_visit(session, first, patients(session)[0].id, at(9), minutes=30)
        slots = find_slots(session, ACTOR, [first, second], 30, MONDAY, limit=3, grid_minutes=30)

    assert [(slot.starts_at, slot.provider_id) for slot in slots] == [
        (at(9), second),
        (at(9, 30), first),
        (at(9, 30), second),
    ]


def test_window_and_weekdays(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        slots = find_slots(
            session,
            ACTOR,
            [first],
            30,
            MONDAY,
            weekdays=(2,),
            earliest=time(10),
            latest=time(11),
            grid_minutes=15,
        )

    assert [slot.starts_at for slot in slots[:3]] == [
        at(10, days=2),
        at(10, 15, days=2),
        at(10, 30, days=2),
    ]
    assert all(slot.starts_at.weekday() == 2 for slot in slots)
    assert all(slot.starts_at.time() <= time(10, 30) for slot in slots)


def test_not_before_skips_past(practice: Database) -> None:
    with practice.transaction() as session:
        first = providers(session)[0]
        slots = find_slots(session, ACTOR, [first], 30, MONDAY, limit=1, not_before=at(11, 40))

    assert slots[0].starts_at == at(9, days=1)


def test_no_hours_no_slots(practice: Database) -> None:
    with practice.transaction() as session:
        third = providers(session)[2]
        slots = find_slots(session, ACTOR, [third], 30, MONDAY)

    assert slots == []


def test_invalid_search_lists_problems(practice: Database) -> None:
    with practice.transaction() as session, pytest.raises(ValidationError) as raised:
        find_slots(session, ACTOR, [], 2, MONDAY, weekdays=(), grid_minutes=7)

    fields = {problem.field for problem in raised.value.problems}
    assert fields == {"provider", "duration", "weekdays", "grid"}


def test_subtract_and_grid() -> None:
    assert subtract([(0, 100)], [(10, 20), (50, 60)]) == [(0, 10), (20, 50), (60, 100)]
    assert subtract([(0, 100)], [(0, 100)]) == []
    assert grid_starts([(7, 40)], 15, 5) == [10, 15, 20, 25]
