"""Status changes that must be rejected: early no-shows, double check-ins, unsafe undos."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.scheduling import Appointment, AppointmentStatusEvent
from app.services import booking
from app.services.appointment_status import StatusChangeError
from app.services.scheduling_settings import practice_now
from tests.helpers.scheduling_data import SchedulingPractice, wall


def book_at(
    database: Database, practice: SchedulingPractice, starts_at: datetime, patient: int = 0
) -> uuid.UUID:
    with database.transaction() as session:
        request = practice.request(starts_at, patient=patient)
        outcome = booking.book(session, practice.front_desk, request)
    assert outcome.appointment_id is not None
    return outcome.appointment_id


def status_of(database: Database, appointment_id: uuid.UUID) -> str:
    with database.reading() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        return row.status


def event_count(database: Database, appointment_id: uuid.UUID) -> int:
    with database.reading() as session:
        query = select(func.count()).where(AppointmentStatusEvent.appointment_id == appointment_id)
        return session.scalar(query) or 0


def days_from_now(database: Database, days: int) -> datetime:
    with database.reading() as session:
        now = practice_now(session)
    return datetime.combine(now.date() + timedelta(days=days), wall(2026, 1, 1, 10).time())


def test_no_show_next_week_rejected(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, days_from_now(database, 7))

    with pytest.raises(StatusChangeError, match="no-show"), database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "no_show")

    assert status_of(database, visit) == "scheduled"
    assert event_count(database, visit) == 1


def test_no_show_yesterday_allowed(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, days_from_now(database, -1))

    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "no_show")

    assert status_of(database, visit) == "no_show"


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_undo_into_taken_time_rejected(
    database: Database, practice: SchedulingPractice, status: str
) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        if status == "cancelled":
            booking.cancel(session, practice.front_desk, visit, "Sick", "patient")
        else:
            booking.set_status(session, practice.front_desk, visit, status)
    other = book_at(database, practice, wall(2026, 2, 2, 9, 15), patient=1)

    with (
        pytest.raises(StatusChangeError, match="already booked"),
        database.transaction() as session,
    ):
        booking.set_status(session, practice.manager, visit, "scheduled")

    assert status_of(database, visit) == status
    assert status_of(database, other) == "scheduled"


def test_undo_cancel_free_time(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, visit, "Sick", "patient")
        booking.set_status(session, practice.manager, visit, "scheduled")

    assert status_of(database, visit) == "scheduled"


def test_double_check_in_rejected(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "arrived")

    with pytest.raises(StatusChangeError, match="allowed next"), database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "arrived")

    assert event_count(database, visit) == 2


def test_undo_checkout_needs_override(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "arrived")
        booking.checkout(session, practice.front_desk, visit)

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "scheduled")

    assert status_of(database, visit) == "checked_out"


def test_second_cancel_rejected(database: Database, practice: SchedulingPractice) -> None:
    # Two desks had the same visit open, and the second cancel arrives after the first.
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, visit, "Sick", "patient")

    with pytest.raises(StatusChangeError), database.transaction() as session:
        booking.cancel(session, practice.front_desk, visit, "Travel", "practice")

    with database.reading() as session:
        row = session.get(Appointment, visit)
        assert row is not None
        assert row.cancel_reason == "Sick"
