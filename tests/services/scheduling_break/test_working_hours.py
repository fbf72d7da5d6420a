"""Working hours at the edges of the day: stretches that end at 24:00, visits across midnight."""

from datetime import time

from app.db.database import Database
from app.models.scheduling import ProviderHours
from app.services import booking
from app.services.booking import BookingOutcome
from tests.helpers.scheduling_data import SchedulingPractice, wall


def add_night_hours(database: Database, practice: SchedulingPractice) -> None:
    """Give the first provider 20:00-24:00 and 00:00-04:00 every day, as typed in set-up."""
    with database.transaction() as session:
        for weekday in range(7):
            for starts, ends in ((time(20), time.max), (time(0), time(4))):
                session.add(
                    ProviderHours(
                        provider_id=practice.provider_ids[0],
                        location_id=practice.location_id,
                        weekday=weekday,
                        starts=starts,
                        ends=ends,
                    )
                )


def book(
    database: Database, practice: SchedulingPractice, hour: int, minutes: int
) -> BookingOutcome:
    with database.transaction() as session:
        request = practice.request(wall(2026, 2, 2, hour, 30), minutes)
        return booking.book(session, practice.front_desk, request)


def kinds(outcome: BookingOutcome) -> list[str]:
    return [conflict.kind for conflict in outcome.conflicts]


def test_visit_ending_at_midnight_inside(database: Database, practice: SchedulingPractice) -> None:
    add_night_hours(database, practice)

    outcome = book(database, practice, 23, 30)

    assert outcome.appointment_id is not None
    assert kinds(outcome) == []


def test_visit_across_midnight_inside(database: Database, practice: SchedulingPractice) -> None:
    add_night_hours(database, practice)

    outcome = book(database, practice, 23, 60)

    assert kinds(outcome) == []


def test_visit_past_night_hours_warns(database: Database, practice: SchedulingPractice) -> None:
    add_night_hours(database, practice)

    outcome = book(database, practice, 3, 60)

    assert kinds(outcome) == ["outside_hours"]
