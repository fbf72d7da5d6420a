"""Booking, moving and rescheduling with hostile input."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.scheduling import Appointment, Blockout
from app.services import booking
from app.services.availability import MAX_DURATION_MINUTES
from tests.helpers.scheduling_data import SchedulingPractice, wall

# 2:30 AM does not exist on this Sunday in New York: clocks jump from 2:00 to 3:00.
SPRING_GAP = wall(2026, 3, 8, 2, 30)


def book_at(
    database: Database, practice: SchedulingPractice, starts_at: datetime, patient: int = 0
) -> uuid.UUID:
    with database.transaction() as session:
        request = practice.request(starts_at, patient=patient)
        outcome = booking.book(session, practice.front_desk, request)
    assert outcome.appointment_id is not None
    return outcome.appointment_id


def problem_fields(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in error.value.problems]


@pytest.mark.usefixtures("new_york")
def test_book_in_spring_gap_rejected(database: Database, practice: SchedulingPractice) -> None:

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.book(session, practice.front_desk, practice.request(SPRING_GAP))

    assert problem_fields(error) == ["starts_at"]
    assert "does not exist" in error.value.problems[0].message


@pytest.mark.usefixtures("new_york")
def test_move_into_spring_gap_rejected(database: Database, practice: SchedulingPractice) -> None:
    visit = book_at(database, practice, wall(2026, 3, 8, 9))

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.move(session, practice.front_desk, visit, SPRING_GAP)

    assert problem_fields(error) == ["starts_at"]


@pytest.mark.usefixtures("new_york")
def test_check_booking_reports_gap(database: Database, practice: SchedulingPractice) -> None:

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.check_booking(session, practice.front_desk, practice.request(SPRING_GAP))

    assert problem_fields(error) == ["starts_at"]


def starts_of(database: Database, appointment_id: uuid.UUID) -> datetime:
    with database.reading() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        return row.starts_at


@pytest.mark.usefixtures("phoenix")
def test_phoenix_has_no_gap(database: Database, practice: SchedulingPractice) -> None:

    visit = book_at(database, practice, SPRING_GAP)

    assert starts_of(database, visit) == SPRING_GAP


@pytest.mark.usefixtures("new_york")
def test_fall_back_repeat_bookable(database: Database, practice: SchedulingPractice) -> None:
    repeated = wall(2026, 11, 1, 1, 30)

    visit = book_at(database, practice, repeated)

    assert starts_of(database, visit) == repeated


@pytest.mark.parametrize("minutes", [0, -15, MAX_DURATION_MINUTES + 1])
def test_move_length_out_of_range(
    database: Database, practice: SchedulingPractice, minutes: int
) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.move(session, practice.front_desk, visit, wall(2026, 2, 2, 10), minutes)

    assert problem_fields(error) == ["duration_minutes"]
    assert starts_of(database, visit) == wall(2026, 2, 2, 9)


@pytest.mark.parametrize("minutes", [0, -1, MAX_DURATION_MINUTES + 1])
def test_book_length_out_of_range(
    database: Database, practice: SchedulingPractice, minutes: int
) -> None:
    with pytest.raises(ValidationError) as error, database.transaction() as session:
        booking.book(session, practice.front_desk, practice.request(wall(2026, 2, 2, 9), minutes))

    assert problem_fields(error) == ["duration_minutes"]


def test_book_full_day_allowed(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        request = practice.request(wall(2026, 2, 2, 12), MAX_DURATION_MINUTES)
        outcome = booking.book(session, practice.front_desk, request)
        clash = booking.check_booking(
            session, practice.front_desk, practice.request(wall(2026, 2, 3, 11, 45), patient=1)
        )

    assert outcome.appointment_id is not None
    assert [conflict.kind for conflict in clash] == ["provider_overlap"]


@pytest.mark.parametrize("rule", ["FREQ=BOGUS", "not a rule", "FREQ=WEEKLY;BYDAY=XX", ""])
def test_broken_blockout_rule_no_crash(
    database: Database, practice: SchedulingPractice, rule: str
) -> None:
    # A synced row can carry any rule text, and it must not stop every booking.
    with database.transaction() as session:
        session.add(
            Blockout(
                title="Staff meeting",
                kind="meeting",
                starts_at=wall(2026, 2, 2, 12),
                ends_at=wall(2026, 2, 2, 13),
                rule=rule,
            )
        )

    later = book_at(database, practice, wall(2026, 2, 9, 12))
    with database.transaction() as session:
        first_day = booking.check_booking(
            session, practice.front_desk, practice.request(wall(2026, 2, 2, 12), patient=1)
        )

    assert starts_of(database, later) == wall(2026, 2, 9, 12)
    assert [conflict.kind for conflict in first_day] == ["blockout"]


def test_reschedule_other_patient_rejected(
    database: Database, practice: SchedulingPractice
) -> None:
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    other_patient = practice.request(wall(2026, 2, 3, 9), patient=1)

    with pytest.raises(UserError, match="patient"), database.transaction() as session:
        booking.reschedule(session, practice.front_desk, visit, other_patient)

    with database.reading() as session:
        row = session.get(Appointment, visit)
        assert row is not None
        assert row.status == "scheduled"
        assert row.rescheduled_to_id is None


@pytest.mark.parametrize(
    ("hour", "minute", "minutes", "expected"),
    [
        (9, 30, 30, []),  # starts as the first visit ends
        (8, 30, 30, []),  # ends as the first visit starts
        (9, 10, 10, ["provider_overlap"]),  # inside the first visit
        (8, 0, 180, ["provider_overlap"]),  # around the first visit
        (9, 0, 30, ["provider_overlap"]),  # the same interval
        (9, 29, 1, ["provider_overlap"]),  # the first visit's last minute
    ],
)
def test_overlap_edges(  # noqa: PLR0917 (pytest passes parameters by position)
    database: Database,
    practice: SchedulingPractice,
    hour: int,
    minute: int,
    minutes: int,
    expected: list[str],
) -> None:
    book_at(database, practice, wall(2026, 2, 2, 9))
    other = practice.request(wall(2026, 2, 2, hour, minute), minutes, patient=1)

    with database.reading() as session:
        conflicts = booking.check_booking(session, practice.front_desk, other)

    assert [conflict.kind for conflict in conflicts] == expected


def test_two_desks_same_slot(database: Database, practice: SchedulingPractice) -> None:
    # Each desk books in its own transaction; the write lock makes them take turns.
    start = threading.Barrier(2)

    def desk(patient: int) -> booking.BookingOutcome:
        start.wait()
        with database.transaction() as session:
            request = practice.request(wall(2026, 2, 2, 9), patient=patient)
            return booking.book(session, practice.front_desk, request)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(desk, (0, 1)))

    booked = [outcome for outcome in outcomes if outcome.appointment_id is not None]
    blocked = [outcome for outcome in outcomes if outcome.appointment_id is None]
    assert len(booked) == 1
    assert len(blocked) == 1
    assert [conflict.kind for conflict in blocked[0].conflicts] == ["provider_overlap"]


def test_stale_move_sees_new_booking(database: Database, practice: SchedulingPractice) -> None:
    # One desk opened the calendar before another booked 10:00. Its later move is checked
    # against the rows as they are at save time.
    visit = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.reading() as stale_view:
        shown = booking.check_booking(
            stale_view, practice.front_desk, practice.request(wall(2026, 2, 2, 10))
        )
    book_at(database, practice, wall(2026, 2, 2, 10), patient=1)

    with database.transaction() as session:
        outcome = booking.move(session, practice.front_desk, visit, wall(2026, 2, 2, 10))

    assert shown == []
    assert outcome.appointment_id is None
    assert starts_of(database, visit) == wall(2026, 2, 2, 9)


@pytest.mark.parametrize("minutes", [-30, 0])
def test_synced_bad_length_no_crash(
    database: Database, practice: SchedulingPractice, minutes: int
) -> None:
    # Sync stores rows as they arrive, so a length booking rejects can still be on file.
    synced = book_at(database, practice, wall(2026, 2, 2, 9))
    with database.transaction() as session:
        row = session.get(Appointment, synced)
        assert row is not None
        row.duration_minutes = minutes

    other = book_at(database, practice, wall(2026, 2, 2, 9), patient=1)
    with database.transaction() as session:
        flagged = booking.flag_conflicts(session, [synced])
        note = session.get_one(Appointment, synced).conflict_note or ""

    assert starts_of(database, other) == wall(2026, 2, 2, 9)
    assert flagged == 1
    assert f"not {minutes}" in note
