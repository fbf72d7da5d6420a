"""Booking conflicts: each kind, interval edges, policies, overrides and rows arriving by sync."""

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.scheduling import (
    Appointment,
    AppointmentType,
    AppointmentTypeCode,
    Blockout,
    Resource,
)
from app.models.security import AuditEvent
from app.services import booking
from app.services.authorizations import AuthorizationForm, save_authorization
from app.services.booking import BookingOutcome, BookingRequest
from app.services.scheduling_settings import (
    SchedulingSettings,
    save_scheduling_settings,
    scheduling_settings,
)
from tests.helpers.scheduling_data import (
    SchedulingPractice,
    add_weekday_hours,
    build_scheduling_practice,
    wall,
)


@pytest.fixture
def practice(database: Database) -> SchedulingPractice:
    return build_scheduling_practice(database)


def book(
    database: Database,
    practice: SchedulingPractice,
    request: BookingRequest,
    override_reason: str | None = None,
) -> BookingOutcome:
    with database.transaction() as session:
        return booking.book(session, practice.front_desk, request, override_reason)


def kinds(outcome: BookingOutcome) -> list[str]:
    return [conflict.kind for conflict in outcome.conflicts]


def nine(minute: int = 0) -> datetime:
    return wall(2026, 2, 2, 9, minute)


def test_provider_overlap_blocks(database: Database, practice: SchedulingPractice) -> None:
    first = book(database, practice, practice.request(nine()))
    clash = book(database, practice, practice.request(nine(15), patient=1))

    assert first.appointment_id is not None
    assert clash.appointment_id is None
    assert kinds(clash) == ["provider_overlap"]
    assert clash.conflicts[0].severity == "block"
    assert clash.conflicts[0].appointment_id == first.appointment_id
    assert "at 9:00 AM (30 min)" in clash.conflicts[0].message
    assert not clash.changes.kinds


def test_adjacent_visits_fine(database: Database, practice: SchedulingPractice) -> None:
    book(database, practice, practice.request(nine(30)))
    before = book(database, practice, practice.request(nine(), patient=1))
    after = book(database, practice, practice.request(wall(2026, 2, 2, 10), patient=2))

    assert before.appointment_id is not None
    assert before.conflicts == []
    assert after.appointment_id is not None
    assert after.conflicts == []


def test_cancelled_frees_time(database: Database, practice: SchedulingPractice) -> None:
    first = book(database, practice, practice.request(nine()))
    assert first.appointment_id is not None
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, first.appointment_id, "Better", "patient")

    again = book(database, practice, practice.request(nine(), patient=1))

    assert again.appointment_id is not None
    assert again.conflicts == []


def test_room_overlap_blocks(database: Database, practice: SchedulingPractice) -> None:
    room = practice.room_ids[0]
    book(database, practice, practice.request(nine(), room_id=room))
    clash = book(database, practice, practice.request(nine(), patient=1, provider=1, room_id=room))
    other_room = book(
        database,
        practice,
        practice.request(nine(), patient=1, provider=1, room_id=practice.room_ids[1]),
    )

    assert kinds(clash) == ["room_overlap"]
    assert clash.appointment_id is None
    assert other_room.appointment_id is not None


def test_resource_overlap_blocks(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        resource = Resource(location_id=practice.location_id, name="Ultrasound")
        session.add(resource)
        session.flush()
        resource_id = resource.id
    book(database, practice, practice.request(nine(), resource_id=resource_id))
    clash = book(
        database,
        practice,
        practice.request(nine(10), patient=1, provider=1, resource_id=resource_id),
    )

    assert kinds(clash) == ["resource_overlap"]
    assert clash.appointment_id is None


def test_patient_overlap_warns(database: Database, practice: SchedulingPractice) -> None:
    book(database, practice, practice.request(nine()))
    second = book(database, practice, practice.request(nine(), provider=1))

    assert kinds(second) == ["patient_overlap"]
    assert second.conflicts[0].severity == "warning"
    assert second.appointment_id is not None


def test_outside_hours_warns(database: Database, practice: SchedulingPractice) -> None:
    add_weekday_hours(database, practice)
    inside = book(database, practice, practice.request(wall(2026, 2, 2, 16, 30)))
    late = book(
        database, practice, practice.request(wall(2026, 2, 2, 16, 45), patient=1, provider=1)
    )
    weekend = book(database, practice, practice.request(wall(2026, 2, 7, 10), patient=2))

    assert inside.conflicts == []
    assert kinds(late) == ["outside_hours"]
    assert late.appointment_id is not None
    assert kinds(weekend) == ["outside_hours"]
    assert "hours: none" in weekend.conflicts[0].message


def test_no_hours_set_up_no_conflict(database: Database, practice: SchedulingPractice) -> None:
    outcome = book(database, practice, practice.request(wall(2026, 2, 7, 22)))

    assert outcome.conflicts == []


def add_blockout(database: Database, **fields: object) -> None:
    with database.transaction() as session:
        session.add(Blockout(**fields))


def test_repeating_blockout_warns(database: Database, practice: SchedulingPractice) -> None:
    add_blockout(
        database,
        title="Lunch",
        kind="lunch",
        starts_at=wall(2026, 1, 5, 12),
        ends_at=wall(2026, 1, 5, 13),
        rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    )
    lunch = book(database, practice, practice.request(wall(2026, 2, 2, 12, 30)))
    after = book(database, practice, practice.request(wall(2026, 2, 2, 13), patient=1))
    saturday = book(database, practice, practice.request(wall(2026, 2, 7, 12), patient=2))

    assert kinds(lunch) == ["blockout"]
    assert "Lunch" in lunch.conflicts[0].message
    assert lunch.appointment_id is not None
    assert after.conflicts == []
    assert saturday.conflicts == []


def test_provider_blockout_other_free(database: Database, practice: SchedulingPractice) -> None:
    add_blockout(
        database,
        title="Hospital rounds",
        kind="other",
        provider_id=practice.provider_ids[0],
        starts_at=wall(2026, 2, 2, 8),
        ends_at=wall(2026, 2, 2, 10),
    )
    blocked = book(database, practice, practice.request(nine()))
    other = book(database, practice, practice.request(nine(), patient=1, provider=1))

    assert kinds(blocked) == ["blockout"]
    assert other.conflicts == []


def add_visit_type(database: Database, code: str) -> uuid.UUID:
    with database.transaction() as session:
        visit_type = AppointmentType(name="Therapy", default_minutes=45)
        session.add(visit_type)
        session.flush()
        session.add(AppointmentTypeCode(appointment_type_id=visit_type.id, code=code))
        return visit_type.id


def add_march_authorization(database: Database, practice: SchedulingPractice) -> None:
    form = AuthorizationForm(
        patient_id=practice.patient_ids[0],
        payer_id=practice.base.aetna_id,
        authorization_number="A12345",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        authorized=10,
        codes=["97110"],
    )
    with database.transaction() as session:
        assert save_authorization(session, practice.admin, form).record_id is not None


def test_authorization_warns_outside(database: Database, practice: SchedulingPractice) -> None:
    type_id = add_visit_type(database, "97110")
    add_march_authorization(database, practice)
    covered = book(
        database, practice, practice.request(wall(2026, 3, 10, 9), appointment_type_id=type_id)
    )
    april = book(
        database, practice, practice.request(wall(2026, 4, 7, 9), appointment_type_id=type_id)
    )

    assert covered.conflicts == []
    assert kinds(april) == ["authorization"]
    assert april.conflicts[0].severity == "warning"
    assert "97110" in april.conflicts[0].message
    assert april.appointment_id is not None


def test_authorization_none_on_file(database: Database, practice: SchedulingPractice) -> None:
    type_id = add_visit_type(database, "97110")
    add_march_authorization(database, practice)

    # The second patient has no authorization on file, so none is taken to be required.
    outcome = book(
        database,
        practice,
        practice.request(wall(2026, 4, 7, 9), patient=1, appointment_type_id=type_id),
    )

    assert outcome.conflicts == []


def test_type_name_on_row(database: Database, practice: SchedulingPractice) -> None:
    type_id = add_visit_type(database, "97110")
    outcome = book(database, practice, practice.request(nine(), appointment_type_id=type_id))

    with database.session() as session:
        row = session.get(Appointment, outcome.appointment_id)
        assert row is not None
        assert row.appointment_type == "Therapy"


def test_policy_setting_blocks_patient(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        policy = {**scheduling_settings(session).conflict_policy, "patient_overlap": "block"}
        save_scheduling_settings(
            session,
            practice.admin,
            SchedulingSettings(conflict_policy=policy),  # type: ignore[arg-type]
        )
    book(database, practice, practice.request(nine()))
    second = book(database, practice, practice.request(nine(), provider=1))

    assert second.appointment_id is None
    assert second.conflicts[0].severity == "block"


def test_override_needs_permission(database: Database, practice: SchedulingPractice) -> None:
    book(database, practice, practice.request(nine()))

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        booking.book(
            session, practice.front_desk, practice.request(nine(), patient=1), "Doctor asked"
        )

    with database.session() as session:
        count = len(list(session.scalars(select(Appointment))))
    assert count == 1


def test_override_books_and_audits(database: Database, practice: SchedulingPractice) -> None:
    book(database, practice, practice.request(nine()))
    with database.transaction() as session:
        outcome = booking.book(
            session,
            practice.manager,
            practice.request(nine(), patient=1),
            "Double-booked by request",
        )

    assert outcome.appointment_id is not None
    assert kinds(outcome) == ["provider_overlap"]
    with database.session() as session:
        rows = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.object_type == "appointment_override")
            )
        )
    assert len(rows) == 1
    assert "provider_overlap" in rows[0].detail
    assert "Double-booked by request" in rows[0].detail
    assert rows[0].username == "manager"


def test_blank_override_reason_blocks(database: Database, practice: SchedulingPractice) -> None:
    book(database, practice, practice.request(nine()))
    with database.transaction() as session:
        outcome = booking.book(session, practice.manager, practice.request(nine(), patient=1), "  ")

    assert outcome.appointment_id is None


def test_move_ignores_itself(database: Database, practice: SchedulingPractice) -> None:
    first = book(database, practice, practice.request(nine()))
    assert first.appointment_id is not None
    book(database, practice, practice.request(wall(2026, 2, 2, 10), patient=1))

    with database.transaction() as session:
        shifted = booking.move(session, practice.front_desk, first.appointment_id, nine(15))
        blocked = booking.move(session, practice.front_desk, first.appointment_id, nine(45))

    assert shifted.appointment_id == first.appointment_id
    assert shifted.conflicts == []
    assert blocked.appointment_id is None
    assert kinds(blocked) == ["provider_overlap"]
    with database.session() as session:
        row = session.get(Appointment, first.appointment_id)
        assert row is not None
        assert row.starts_at == nine(15)


def test_flag_conflicts_synced_rows(database: Database, practice: SchedulingPractice) -> None:
    # Rows written straight to the table, as sync does, skip the booking checks.
    with database.transaction() as session:
        rows = [
            Appointment(
                patient_id=practice.patient_ids[index],
                provider_id=practice.provider_ids[0],
                location_id=practice.location_id,
                starts_at=nine(15 * index),
                duration_minutes=30,
                appointment_type="Office visit",
            )
            for index in range(3)
        ]
        rows.append(
            Appointment(
                patient_id=practice.patient_ids[0],
                provider_id=practice.provider_ids[1],
                location_id=practice.location_id,
                starts_at=wall(2026, 2, 3, 9),
                duration_minutes=30,
                appointment_type="Office visit",
            )
        )
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]

    with database.transaction() as session:
        flagged = booking.flag_conflicts(session, ids)

    assert flagged == 3
    with database.session() as session:
        notes = [session.get(Appointment, row_id).conflict_note for row_id in ids]  # type: ignore[union-attr]
        count = len(list(session.scalars(select(Appointment))))
    assert count == 4
    assert notes[0] is not None
    assert "block: The provider is already booked at 9:15 AM" in notes[0]
    assert notes[1] is not None
    assert notes[1].count("block:") == 2
    assert notes[3] is None
