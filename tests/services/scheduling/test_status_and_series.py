"""The status machine, no-show fees, late cancels, rescheduling and recurring series."""

import uuid
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.ledger import LedgerEntry
from app.models.scheduling import Appointment, AppointmentSeries, AppointmentStatusEvent
from app.scheduling.recurrence import SeriesRule
from app.services import booking
from app.services.appointment_status import StatusChangeError, status_history
from app.services.scheduling_settings import (
    SchedulingSettings,
    practice_now,
    save_scheduling_settings,
)
from tests.helpers.scheduling_data import SchedulingPractice, build_scheduling_practice, wall


@pytest.fixture
def practice(database: Database) -> SchedulingPractice:
    return build_scheduling_practice(database)


def booked(database: Database, practice: SchedulingPractice, hour: int = 9) -> uuid.UUID:
    with database.transaction() as session:
        outcome = booking.book(
            session, practice.front_desk, practice.request(wall(2026, 2, 2, hour))
        )
    assert outcome.appointment_id is not None
    return outcome.appointment_id


def status_of(database: Database, appointment_id: uuid.UUID) -> str:
    with database.session() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        return row.status


def test_visit_flow_history(database: Database, practice: SchedulingPractice) -> None:
    visit = booked(database, practice)
    with database.transaction() as session:
        for status in ("confirmed", "arrived", "in_room"):
            booking.set_status(session, practice.front_desk, visit, status)
        booking.checkout(session, practice.front_desk, visit)
        history = status_history(session, practice.front_desk, visit)

    assert [event.status for event in history] == [
        "scheduled",
        "confirmed",
        "arrived",
        "in_room",
        "checked_out",
    ]
    assert all(event.changed_by == practice.admin.user_id for event in history)
    assert status_of(database, visit) == "checked_out"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), "in_room"),
        ((), "checked_out"),
        (("arrived",), "confirmed"),
        (("arrived",), "no_show"),
        (("arrived", "checked_out"), "arrived"),
        (("no_show",), "arrived"),
    ],
)
def test_illegal_moves_refused(
    database: Database, practice: SchedulingPractice, path: tuple[str, ...], refused: str
) -> None:
    visit = booked(database, practice)
    with database.transaction() as session:
        for status in path:
            booking.set_status(session, practice.front_desk, visit, status)

    with pytest.raises(StatusChangeError, match="cannot become"), database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, refused)


def test_unknown_status_refused(database: Database, practice: SchedulingPractice) -> None:
    visit = booked(database, practice)

    expected = pytest.raises(StatusChangeError, match="not an appointment status")
    with expected, database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "lost")


def set_fee(database: Database, practice: SchedulingPractice, fee: str | None) -> None:
    settings = SchedulingSettings(no_show_fee=None if fee is None else Decimal(fee))
    with database.transaction() as session:
        save_scheduling_settings(session, practice.admin, settings)


def no_show_entries(database: Database, visit: uuid.UUID) -> list[LedgerEntry]:
    with database.session() as session:
        query = select(LedgerEntry).where(LedgerEntry.source_id == visit)
        return list(session.scalars(query.order_by(LedgerEntry.posted_at)))


def test_no_show_fee_posted(database: Database, practice: SchedulingPractice) -> None:
    set_fee(database, practice, "35.00")
    visit = booked(database, practice)
    with database.transaction() as session:
        changes = booking.set_status(session, practice.front_desk, visit, "no_show")

    entries = no_show_entries(database, visit)
    assert changes.touches(ChangeKind.LEDGER)
    assert len(entries) == 1
    assert entries[0].entry_type == "charge"
    assert entries[0].amount == Decimal("35.00")
    assert entries[0].source_type == "no_show"
    assert entries[0].memo == "No-show fee"
    assert entries[0].responsible_party == "patient"
    assert entries[0].service_date == date(2026, 2, 2)


def test_no_fee_when_unset(database: Database, practice: SchedulingPractice) -> None:
    visit = booked(database, practice)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "no_show")

    assert no_show_entries(database, visit) == []


def test_undo_no_show_reverses_fee(database: Database, practice: SchedulingPractice) -> None:
    set_fee(database, practice, "25")
    visit = booked(database, practice)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "no_show")

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "scheduled")
    with database.transaction() as session:
        booking.set_status(session, practice.manager, visit, "scheduled")

    entries = no_show_entries(database, visit)
    assert status_of(database, visit) == "scheduled"
    assert [entry.entry_type for entry in entries] == ["charge", "reversal"]
    assert entries[1].amount == Decimal("-25")
    assert entries[1].reverses_id == entries[0].id


def test_no_show_counts_and_report(database: Database, practice: SchedulingPractice) -> None:
    first = booked(database, practice, 9)
    second = booked(database, practice, 10)
    booked(database, practice, 11)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, first, "no_show")
        booking.set_status(session, practice.front_desk, second, "no_show")
        counts = booking.no_show_counts(session, practice.patient_ids)
        rows = booking.no_show_report(
            session, practice.front_desk, date(2026, 2, 1), date(2026, 2, 2)
        )
        empty = booking.no_show_report(
            session, practice.front_desk, date(2026, 2, 3), date(2026, 2, 9)
        )

    assert counts == {practice.patient_ids[0]: 2}
    assert [row.appointment_id for row in rows] == [first, second]
    assert rows[0].patient_no_shows == 2
    assert rows[0].chart_number == "T-000001"
    assert empty == []


def cancel_at(
    database: Database, practice: SchedulingPractice, hours_ahead: int, by: str
) -> Appointment:
    with database.session() as session:
        now = practice_now(session).replace(second=0, microsecond=0)
    starts = now + timedelta(hours=hours_ahead)
    with database.transaction() as session:
        outcome = booking.book(session, practice.front_desk, practice.request(starts))
        assert outcome.appointment_id is not None
        booking.cancel(session, practice.front_desk, outcome.appointment_id, "Car trouble", by)  # type: ignore[arg-type]
        row = session.get(Appointment, outcome.appointment_id)
        assert row is not None
        session.expunge(row)
        return row


def test_late_cancel_by_patient(database: Database, practice: SchedulingPractice) -> None:
    late = cancel_at(database, practice, 3, "patient")
    early = cancel_at(database, practice, 72, "patient")
    practice_side = cancel_at(database, practice, 5, "practice")

    assert late.status == "cancelled"
    assert late.late_cancel is True
    assert late.cancel_reason == "Car trouble"
    assert late.cancelled_by == "patient"
    assert early.late_cancel is False
    assert practice_side.late_cancel is False


def test_reschedule_links_rows(database: Database, practice: SchedulingPractice) -> None:
    old = booked(database, practice)
    with database.transaction() as session:
        # Fifteen minutes later overlaps the old visit, which gives its time up.
        outcome = booking.reschedule(
            session, practice.front_desk, old, practice.request(wall(2026, 2, 2, 9, 15))
        )

    assert outcome.appointment_id is not None
    assert outcome.conflicts == []
    with database.session() as session:
        row = session.get(Appointment, old)
        assert row is not None
        assert row.status == "rescheduled"
        assert row.rescheduled_to_id == outcome.appointment_id


def weekly_series(
    database: Database, practice: SchedulingPractice, count: int = 4
) -> list[uuid.UUID]:
    with database.transaction() as session:
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 2, 3, 10)),
            SeriesRule("weekly", count=count),
        )
    assert outcome.skipped == []
    return outcome.created


def rows_of(database: Database, ids: list[uuid.UUID]) -> list[Appointment]:
    with database.session() as session:
        rows = [session.get(Appointment, row_id) for row_id in ids]
        for row in rows:
            assert row is not None
            session.expunge(row)
        return rows  # type: ignore[return-value]


def test_series_rows_and_dates(database: Database, practice: SchedulingPractice) -> None:
    created = weekly_series(database, practice)
    rows = rows_of(database, created)

    assert [row.series_date for row in rows] == [
        date(2026, 2, 3) + timedelta(weeks=n) for n in range(4)
    ]
    assert {row.starts_at.time() for row in rows} == {time(10)}
    assert len({row.series_id for row in rows}) == 1


def test_series_skips_conflicts(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        booking.book(
            session, practice.front_desk, practice.request(wall(2026, 2, 10, 10), patient=1)
        )
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 2, 3, 10)),
            SeriesRule("weekly", count=3),
        )

    assert len(outcome.created) == 2
    assert [skipped_date for skipped_date, _ in outcome.skipped] == [date(2026, 2, 10)]
    assert "already booked" in outcome.skipped[0][1]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("this", ["scheduled", "cancelled", "scheduled", "scheduled"]),
        ("following", ["scheduled", "cancelled", "cancelled", "cancelled"]),
        ("series", ["cancelled", "cancelled", "cancelled", "cancelled"]),
    ],
)
def test_cancel_scopes(
    database: Database, practice: SchedulingPractice, scope: str, expected: list[str]
) -> None:
    created = weekly_series(database, practice)
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, created[1], "Moving away", "patient", scope)  # type: ignore[arg-type]

    assert [row.status for row in rows_of(database, created)] == expected


def test_series_cancel_keeps_history(database: Database, practice: SchedulingPractice) -> None:
    created = weekly_series(database, practice)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, created[0], "arrived")
        booking.checkout(session, practice.front_desk, created[0])
        booking.cancel(session, practice.front_desk, created[1], "Moving away", "patient", "series")

    assert [row.status for row in rows_of(database, created)] == [
        "checked_out",
        "cancelled",
        "cancelled",
        "cancelled",
    ]


def test_series_edit_keeps_exceptions(database: Database, practice: SchedulingPractice) -> None:
    created = weekly_series(database, practice, count=5)
    with database.transaction() as session:
        # Occurrence 2 moves to the afternoon on its own; occurrence 4 is cancelled.
        booking.edit_occurrences(session, practice.front_desk, created[2], "this", time(15))
        booking.cancel(session, practice.front_desk, created[4], "Holiday", "practice")
        booking.edit_occurrences(
            session, practice.front_desk, created[0], "series", time(11), duration_minutes=45
        )

    rows = rows_of(database, created)
    assert [row.starts_at.time() for row in rows] == [
        time(11),
        time(11),
        time(15),
        time(11),
        time(10),
    ]
    assert [row.duration_minutes for row in rows] == [45, 45, 30, 45, 30]
    assert rows[4].status == "cancelled"
    with database.session() as session:
        series = session.get(AppointmentSeries, rows[0].series_id)
        assert series is not None
        assert series.first_starts_at.time() == time(11)
        assert series.duration_minutes == 45


def test_edit_following_splits_series(database: Database, practice: SchedulingPractice) -> None:
    created = weekly_series(database, practice)
    with database.transaction() as session:
        booking.edit_occurrences(session, practice.front_desk, created[2], "following", time(8))

    rows = rows_of(database, created)
    assert [row.starts_at.time() for row in rows] == [time(10), time(10), time(8), time(8)]
    assert rows[0].series_id == rows[1].series_id
    assert rows[2].series_id == rows[3].series_id
    assert rows[1].series_id != rows[2].series_id
    with database.session() as session:
        old = session.get(AppointmentSeries, rows[0].series_id)
        assert old is not None
        assert old.until == date(2026, 2, 16)


def test_edit_refuses_blocking(database: Database, practice: SchedulingPractice) -> None:
    created = weekly_series(database, practice)
    with database.transaction() as session:
        booking.book(
            session, practice.front_desk, practice.request(wall(2026, 2, 17, 8), patient=1)
        )

    with pytest.raises(UserError, match="2026-02-17"), database.transaction() as session:
        booking.edit_occurrences(session, practice.front_desk, created[0], "series", time(8))

    assert {row.starts_at.time() for row in rows_of(database, created)} == {time(10)}


def test_series_gap_day_skipped(database: Database, practice: SchedulingPractice) -> None:
    # The sample practice is in Chicago, which springs forward on March 8, 2026 at 02:00.
    with database.transaction() as session:
        outcome = booking.book_series(
            session,
            practice.front_desk,
            practice.request(wall(2026, 3, 7, 2, 30)),
            SeriesRule("daily", count=3),
        )
        events = session.scalars(select(AppointmentStatusEvent)).all()

    assert len(outcome.created) == 2
    assert [skipped_date for skipped_date, _ in outcome.skipped] == [date(2026, 3, 8)]
    assert "daylight saving" in outcome.skipped[0][1]
    assert len(events) == 2
