"""The waitlist: entries, validation and who fits a freed time."""

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.scheduling import WaitlistEntry
from app.security.permissions import system_actor
from app.services.waitlist import (
    WaitlistInput,
    add_entry,
    describe_weekdays,
    edit_entry,
    list_waitlist,
    offers_for,
    remove_entry,
)
from tests.helpers.schedule_rows import MONDAY, demo_practice, patients, providers

ACTOR = system_actor("TST")
TUESDAY_10 = datetime.combine(MONDAY + timedelta(days=1), time(10))


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Database]:
    database = demo_practice(tmp_path)
    yield database
    database.close()


def test_add_and_list_entry(practice: Database) -> None:
    with practice.transaction() as session:
        patient = patients(session)[0]
        saved = add_entry(session, ACTOR, WaitlistInput(patient.id, 30, notes=" mornings "))
        rows = list_waitlist(session, ACTOR)

    assert [row.entry_id for row in rows] == [saved.entry_id]
    assert rows[0].provider_name == "Any provider"
    assert rows[0].weekdays == (0, 1, 2, 3, 4)
    assert rows[0].notes == "mornings"
    assert rows[0].status == "waiting"


def test_added_on_is_practice_date(practice: Database) -> None:
    # 02:30 UTC on March 10 is 9:30 PM on March 9 in Chicago, the demo practice's zone.
    evening = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    with practice.transaction() as session:
        patient = patients(session)[0]
        saved = add_entry(session, ACTOR, WaitlistInput(patient.id, 30))
        session.get_one(WaitlistEntry, saved.entry_id).created_at = evening
        session.flush()
        (row,) = list_waitlist(session, ACTOR)

    assert row.added_at == evening
    assert row.added_on == date(2026, 3, 9)


def test_invalid_entry_lists_problems(practice: Database) -> None:
    values = WaitlistInput(
        uuid.uuid4(),
        2,
        weekdays=(),
        earliest=time(12),
        latest=time(9),
        available_from=date(2025, 6, 9),
        available_until=date(2025, 6, 1),
    )
    with practice.transaction() as session, pytest.raises(ValidationError) as raised:
        add_entry(session, ACTOR, values)

    fields = {problem.field for problem in raised.value.problems}
    assert fields == {"duration", "weekdays", "latest", "available_until", "patient"}


def test_edit_and_remove_entry(practice: Database) -> None:
    with practice.transaction() as session:
        patient = patients(session)[0]
        first = providers(session)[0]
        saved = add_entry(session, ACTOR, WaitlistInput(patient.id, 30))
        edit_entry(
            session, ACTOR, saved.entry_id, WaitlistInput(patient.id, 45, first, weekdays=(1, 3))
        )
        edited = list_waitlist(session, ACTOR)[0]
        remove_entry(session, ACTOR, saved.entry_id)
        waiting = list_waitlist(session, ACTOR)
        everything = list_waitlist(session, ACTOR, waiting_only=False)

    assert edited.duration_minutes == 45
    assert edited.provider_id == first
    assert edited.weekdays == (1, 3)
    assert waiting == []
    assert [row.status for row in everything] == ["removed"]


def test_edit_keeps_the_patient(practice: Database) -> None:
    with practice.transaction() as session:
        first, second = patients(session)[:2]
        saved = add_entry(session, ACTOR, WaitlistInput(first.id, 30))
        with pytest.raises(UserError, match="keeps its patient"):
            edit_entry(session, ACTOR, saved.entry_id, WaitlistInput(second.id, 30))


def test_removed_entry_not_edited(practice: Database) -> None:
    with practice.transaction() as session:
        patient = patients(session)[0]
        saved = add_entry(session, ACTOR, WaitlistInput(patient.id, 30))
        remove_entry(session, ACTOR, saved.entry_id)
        with pytest.raises(UserError, match="already removed"):
            remove_entry(session, ACTOR, saved.entry_id)


def test_offers_match_preferences(practice: Database) -> None:
    with practice.transaction() as session:
        first, second = providers(session)[:2]
        people = patients(session)
        fits_any = add_entry(session, ACTOR, WaitlistInput(people[0].id, 30))
        fits_first = add_entry(
            session,
            ACTOR,
            WaitlistInput(people[1].id, 20, first, earliest=time(9), latest=time(11)),
        )
        add_entry(session, ACTOR, WaitlistInput(people[2].id, 30, second))  # other provider
        add_entry(session, ACTOR, WaitlistInput(people[3].id, 60))  # too long
        add_entry(session, ACTOR, WaitlistInput(people[4].id, 30, weekdays=(0,)))  # Mondays
        add_entry(session, ACTOR, WaitlistInput(people[5].id, 30, earliest=time(14)))  # afternoons
        add_entry(session, ACTOR, WaitlistInput(people[6].id, 30, available_from=date(2025, 7, 1)))
        offers = offers_for(session, ACTOR, first, TUESDAY_10, 30)

    assert [offer.entry_id for offer in offers] == [fits_any.entry_id, fits_first.entry_id]
    assert offers[0].why == "30 min, Mon-Fri any time, any provider"
    assert offers[1].why == "20 min, Mon-Fri 9:00 AM to 11:00 AM"
    assert offers[0].patient_name == f"{people[0].last_name}, {people[0].first_name}"


def test_offers_window_overlap(practice: Database) -> None:
    # The patient can come until 10:20, so a 30-minute visit no longer fits from 10:00.
    with practice.transaction() as session:
        first = providers(session)[0]
        patient = patients(session)[0]
        add_entry(session, ACTOR, WaitlistInput(patient.id, 30, latest=time(10, 20)))
        offers = offers_for(session, ACTOR, first, TUESDAY_10, 60)

    assert offers == []


def test_describe_weekdays() -> None:
    assert describe_weekdays((0, 1, 2, 3, 4)) == "Mon-Fri"
    assert describe_weekdays((1, 3)) == "Tue, Thu"
    assert describe_weekdays(tuple(range(7))) == "Any day"
