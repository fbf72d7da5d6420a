"""The calendar read service and saved views, over a small demo practice."""

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import UserError
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage
from app.models.practice import Provider
from app.models.scheduling import Appointment, Blockout, ProviderHours
from app.models.security import User
from app.security.permissions import Actor, Role, system_actor
from app.services.calendar_view import (
    NO_ROOM,
    Block,
    day_view,
    delete_view,
    month_summary,
    save_view,
    saved_views,
    week_view,
)
from app.services.demo import create_demo_database
from app.services.onboarding import checklist_summary_for_patients
from tests.conftest import PASSPHRASE

DAY = date(2025, 3, 12)  # a Wednesday, so the demo week has appointments on it
ACTOR = system_actor("TST")


def _wall(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Database]:
    database, _admin, _summary = create_demo_database(
        tmp_path / "d.db", PASSPHRASE, "admin", "Lakeside-desk-2024!", 30, 3, DAY
    )
    yield database
    database.close()


def _user_actor(database: Database) -> Actor:
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.username == "admin")).one()
        return Actor(user.id, user.username, Role.ADMINISTRATOR, "TST")


def test_day_view_one_column_per_provider(demo: Database) -> None:
    with demo.transaction() as session:
        provider_count = len(session.scalars(select(Provider)).all())
        grid = day_view(session, ACTOR, DAY)
        booked = session.scalars(
            select(Appointment).where(
                Appointment.starts_at >= datetime.combine(DAY, time.min),
                Appointment.starts_at < datetime.combine(date(2025, 3, 13), time.min),
            )
        ).all()

    assert len(grid.columns) == provider_count
    assert grid.blocks
    assert len(grid.blocks) == len(booked)
    keys = {column.key for column in grid.columns}
    assert all(block.column in keys for block in grid.blocks)
    assert all(block.starts_at.date() == DAY for block in grid.blocks)
    assert all(", " in block.patient_name for block in grid.blocks)


def test_day_view_picks_columns(demo: Database) -> None:
    with demo.transaction() as session:
        first = day_view(session, ACTOR, DAY).columns[0]
        grid = day_view(session, ACTOR, DAY, "providers", [first.id])

    assert [column.id for column in grid.columns] == [first.id]
    assert all(block.provider_id == first.id for block in grid.blocks)


def test_day_view_hides_cancelled(demo: Database) -> None:
    with demo.transaction() as session:
        block = day_view(session, ACTOR, DAY).blocks[0]
        session.get_one(Appointment, block.appointment_id).status = "cancelled"
        session.flush()
        grid = day_view(session, ACTOR, DAY)

    assert block.appointment_id not in {shown.appointment_id for shown in grid.blocks}


def test_rooms_view_no_room_column(demo: Database) -> None:
    with demo.transaction() as session:
        block = day_view(session, ACTOR, DAY, "rooms").blocks[0]
        session.get_one(Appointment, block.appointment_id).room_id = None
        session.flush()
        grid = day_view(session, ACTOR, DAY, "rooms")

    moved = next(shown for shown in grid.blocks if shown.appointment_id == block.appointment_id)
    assert moved.column == (NO_ROOM, DAY)
    assert grid.columns[-1].label == "No room"


def test_flags_balance_and_new_patient(demo: Database) -> None:
    with demo.transaction() as session:
        block = day_view(session, ACTOR, DAY).blocks[0]
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        session.add(
            LedgerEntry(
                posted_by=admin.id,
                entry_type="charge",
                amount=Decimal("40.00"),
                patient_id=block.patient_id,
                responsible_party="patient",
            )
        )
        session.flush()
        flagged = next(
            shown
            for shown in day_view(session, ACTOR, DAY).blocks
            if shown.appointment_id == block.appointment_id
        )

    assert flagged.flags.balance_due


def test_flags_new_patient(demo: Database) -> None:
    with demo.transaction() as session:
        block = day_view(session, ACTOR, DAY).blocks[0]
        earlier = Appointment(
            patient_id=block.patient_id,
            provider_id=block.provider_id,
            location_id=block.location_id,
            starts_at=_wall(date(2025, 3, 1), 9),
            duration_minutes=15,
            appointment_type="follow_up",
            status="checked_out",
        )
        session.add(earlier)
        session.flush()
        established = _shown(day_view(session, ACTOR, DAY).blocks, block.appointment_id)
        earlier.status = "no_show"
        session.flush()
        other_earlier = session.scalars(
            select(Appointment).where(
                Appointment.patient_id == block.patient_id,
                Appointment.starts_at < datetime.combine(DAY, time.min),
                Appointment.status != "no_show",
            )
        ).all()
        for row in other_earlier:
            row.archived = True
        session.flush()
        new = _shown(day_view(session, ACTOR, DAY).blocks, block.appointment_id)

    assert not established.flags.new_patient
    assert new.flags.new_patient


def _shown(blocks: list[Block], appointment_id: uuid.UUID) -> Block:
    return next(block for block in blocks if block.appointment_id == appointment_id)


def test_working_hours_and_blockout(demo: Database) -> None:
    with demo.transaction() as session:
        column = day_view(session, ACTOR, DAY).columns[0]
        provider = session.get_one(Provider, column.id)
        location_id = session.scalars(select(Appointment.location_id)).first()
        assert location_id is not None
        # Start from no hours and no blockouts, whatever the demo set up.
        for row in [*session.scalars(select(ProviderHours)), *session.scalars(select(Blockout))]:
            row.archived = True
        session.add(
            ProviderHours(
                provider_id=provider.id,
                location_id=location_id,
                weekday=DAY.weekday(),
                starts=time(8),
                ends=time(12),
            )
        )
        session.add(
            Blockout(
                title="Lunch",
                kind="lunch",
                starts_at=_wall(date(2025, 3, 3), 12),
                ends_at=_wall(date(2025, 3, 3), 13),
                rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            )
        )
        session.flush()
        grid = day_view(session, ACTOR, DAY)

    hours = grid.working[column.key]
    assert [(span.start.hour, span.end.hour) for span in hours] == [(8, 12)]
    for other in grid.columns:
        lunch = grid.blockouts[other.key]
        assert [(span.start, span.title) for span in lunch] == [
            (_wall(date(2025, 3, 12), 12), "Lunch")
        ]


def test_blockout_repeat_until_ends(demo: Database) -> None:
    with demo.transaction() as session:
        for existing in session.scalars(select(Blockout)):
            existing.archived = True
        session.add(
            Blockout(
                title="Meeting",
                kind="meeting",
                starts_at=_wall(date(2025, 3, 3), 7),
                ends_at=_wall(date(2025, 3, 3), 8),
                rule="FREQ=DAILY",
                repeat_until=date(2025, 3, 11),
            )
        )
        session.flush()
        grid = day_view(session, ACTOR, DAY)

    assert grid.blockouts == {}


def test_week_view_seven_columns(demo: Database) -> None:
    monday = date(2025, 3, 10)
    with demo.transaction() as session:
        provider_id = day_view(session, ACTOR, DAY).columns[0].id
        grid = week_view(session, ACTOR, monday, "providers", provider_id)

    assert [column.day for column in grid.columns] == [date(2025, 3, day) for day in range(10, 17)]
    assert grid.blocks
    assert all(block.provider_id == provider_id for block in grid.blocks)
    assert {block.column[1] for block in grid.blocks} <= {column.day for column in grid.columns}


def test_month_summary_counts(demo: Database) -> None:
    with demo.transaction() as session:
        counts = month_summary(session, ACTOR, 2025, 3)
        shown = len(day_view(session, ACTOR, DAY).blocks)

    assert counts[DAY] == shown
    assert all(day.month == 3 for day in counts)


def test_saved_views_round_trip(demo: Database) -> None:
    actor = _user_actor(demo)
    with demo.transaction() as session:
        ids = [column.id for column in day_view(session, actor, DAY).columns]
        save_view(
            session, actor, "Two doctors", mode="day_providers", grid_minutes=10, column_ids=ids
        )
        save_view(session, actor, "Two doctors", mode="day_rooms", grid_minutes=5, column_ids=[])
        views = saved_views(session, actor)

    assert [(view.name, view.mode, view.grid_minutes) for view in views] == [
        ("Two doctors", "day_rooms", 5)
    ]

    with demo.transaction() as session:
        delete_view(session, actor, views[0].id)
        assert saved_views(session, actor) == []


@pytest.mark.parametrize(
    ("name", "mode", "minutes"),
    [("", "month", 15), ("x" * 61, "month", 15), ("Mine", "year", 15), ("Mine", "month", 20)],
)
def test_save_view_rejects(demo: Database, name: str, mode: str, minutes: int) -> None:
    actor = _user_actor(demo)
    with demo.transaction() as session, pytest.raises(UserError):
        save_view(session, actor, name, mode=mode, grid_minutes=minutes, column_ids=[])


def test_flags_eligibility_follows_coverage(demo: Database) -> None:
    with demo.transaction() as session:
        blocks = day_view(session, ACTOR, DAY).blocks
        covered = next(
            block
            for block in blocks
            if session.scalar(select(Coverage.id).where(Coverage.patient_id == block.patient_id))
        )
        # The demo records checks on most coverages; this patient's are cleared.
        for coverage in session.scalars(
            select(Coverage).where(Coverage.patient_id == covered.patient_id)
        ):
            coverage.eligibility_checked_on = None
        session.flush()
        before = _shown(day_view(session, ACTOR, DAY).blocks, covered.appointment_id)
        for coverage in session.scalars(
            select(Coverage).where(Coverage.patient_id == covered.patient_id)
        ):
            coverage.termination_date = date(2025, 3, 11)
        session.flush()
        after = _shown(day_view(session, ACTOR, DAY).blocks, covered.appointment_id)

    assert before.flags.eligibility_unverified
    assert not after.flags.eligibility_unverified


def test_flags_intake_matches_checklist(demo: Database) -> None:
    with demo.transaction() as session:
        blocks = day_view(session, ACTOR, DAY).blocks
        patient_ids = [block.patient_id for block in blocks]
        summary = checklist_summary_for_patients(session, patient_ids, DAY)

    assert blocks
    for block in blocks:
        done, total = summary[block.patient_id]
        assert block.flags.missing_intake == (done < total), block.patient_id
