"""Visit types, resources and the starter scheduling set-up: rules, permissions, audit."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models.scheduling import AppointmentTypeCode, Blockout, ProviderHours
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import admin_records
from app.services import schedule_setup as setup
from app.services.practice import initialize_practice
from app.services.schedule_defaults import default_setup
from app.services.schedule_hours import list_provider_hours
from app.services.schedule_setup import AppointmentTypeInput, ResourceInput
from app.services.users import create_user
from tests.helpers.practice_data import ADMIN_PASSWORD, sample_setup

FOLLOW_UP = AppointmentTypeInput("Follow-up", 15, "#1565c0", False, ("99213", "g0438"))


@dataclass(frozen=True)
class Practice:
    database: Database
    admin: Actor
    front_desk: Actor
    manager: Actor


@pytest.fixture
def practice(database: Database) -> Iterator[Practice]:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        made = {}
        for username, role in (("frontdesk1", Role.FRONT_DESK), ("manager1", Role.MANAGER)):
            written = create_user(session, admin, username, username, role, ADMIN_PASSWORD)
            made[username] = Actor(written.user.id, username, role, admin.workstation)
    yield Practice(database, admin, made["frontdesk1"], made["manager1"])


def _problem_fields(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in error.value.problems]


def _save_type_problems(practice: Practice, data: AppointmentTypeInput) -> list[str]:
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        setup.save_appointment_type(session, practice.admin, None, data)
    return _problem_fields(error)


def test_type_create_and_list(practice: Practice) -> None:
    with practice.database.transaction() as session:
        write = setup.save_appointment_type(session, practice.admin, None, FOLLOW_UP)
    with practice.database.session() as session:
        listed = setup.list_appointment_types(session, practice.front_desk)

    assert write.created
    assert write.changes.touches(setup.ChangeKind.SCHEDULE_SETUP)
    assert [row.name for row in listed] == ["Follow-up"]
    assert listed[0].color == "#1565C0"
    assert listed[0].codes == ("99213", "G0438")


@pytest.mark.parametrize("minutes", [0, 4, 7, 485, 500])
def test_type_minutes_rejected(practice: Practice, minutes: int) -> None:
    fields = _save_type_problems(practice, replace(FOLLOW_UP, default_minutes=minutes))
    assert fields == ["appointment_type.default_minutes"]


@pytest.mark.parametrize("minutes", [5, 15, 480])
def test_type_minutes_accepted(practice: Practice, minutes: int) -> None:
    with practice.database.transaction() as session:
        data = replace(FOLLOW_UP, default_minutes=minutes)
        assert setup.save_appointment_type(session, practice.admin, None, data).created


@pytest.mark.parametrize("color", ["blue", "#12345", "#1234567", "#GGGGGG", ""])
def test_type_color_rejected(practice: Practice, color: str) -> None:
    assert _save_type_problems(practice, replace(FOLLOW_UP, color=color)) == [
        "appointment_type.color"
    ]


def test_type_reports_every_problem(practice: Practice) -> None:
    data = AppointmentTypeInput("", 7, "red", False, ("9921", "99213", "99213"))
    fields = _save_type_problems(practice, data)

    assert fields.count("appointment_type.name") == 1
    assert fields.count("appointment_type.default_minutes") == 1
    assert fields.count("appointment_type.color") == 1
    assert fields.count("appointment_type.codes") == 2


def test_type_name_unique_without_case(practice: Practice) -> None:
    with practice.database.transaction() as session:
        setup.save_appointment_type(session, practice.admin, None, FOLLOW_UP)
    fields = _save_type_problems(practice, replace(FOLLOW_UP, name="FOLLOW-UP"))
    assert fields == ["appointment_type.name"]


def test_type_codes_removed_and_restored(practice: Practice) -> None:
    with practice.database.transaction() as session:
        type_id = setup.save_appointment_type(session, practice.admin, None, FOLLOW_UP).record_id
    with practice.database.transaction() as session:
        data = replace(FOLLOW_UP, codes=("99214",))
        setup.save_appointment_type(session, practice.admin, type_id, data)
    with practice.database.transaction() as session:
        data = replace(FOLLOW_UP, codes=("G0438", "99213"))
        setup.save_appointment_type(session, practice.admin, type_id, data)

    with practice.database.session() as session:
        listed = setup.list_appointment_types(session, practice.admin)
        rows = session.scalars(select(AppointmentTypeCode)).all()
    assert listed[0].codes == ("G0438", "99213")
    assert len(rows) == 3  # 99214 archived; 99213 and G0438 restored, not inserted again


def test_type_archive_hides_it(practice: Practice) -> None:
    with practice.database.transaction() as session:
        type_id = setup.save_appointment_type(session, practice.admin, None, FOLLOW_UP).record_id
    with practice.database.transaction() as session:
        setup.archive_appointment_type(session, practice.admin, type_id)
    with practice.database.session() as session:
        active = setup.list_appointment_types(session, practice.admin)
        every = setup.list_appointment_types(session, practice.admin, include_archived=True)

    assert active == []
    assert [row.archived for row in every] == [True]
    with practice.database.transaction() as session, pytest.raises(NotFoundError):
        setup.save_appointment_type(session, practice.admin, type_id, FOLLOW_UP)


def test_type_save_needs_practice_setup(practice: Practice) -> None:
    for actor in (practice.front_desk, practice.manager):
        with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
            setup.save_appointment_type(session, actor, None, FOLLOW_UP)


def test_type_writes_are_audited(practice: Practice) -> None:
    with practice.database.transaction() as session:
        type_id = setup.save_appointment_type(session, practice.admin, None, FOLLOW_UP).record_id
        setup.archive_appointment_type(session, practice.admin, type_id)
    with practice.database.session() as session:
        query = select(AuditEvent.action).where(AuditEvent.object_type == "appointment_type")
        actions = list(session.scalars(query.order_by(AuditEvent.sequence)))
    assert actions == ["create", "archive"]


def _location_id(practice: Practice) -> object:
    with practice.database.session() as session:
        return admin_records.list_locations(session, practice.admin)[0].id


def test_resource_create_and_list(practice: Practice) -> None:
    location_id = _location_id(practice)
    with practice.database.transaction() as session:
        data = ResourceInput(location_id, " Ultrasound ")  # type: ignore[arg-type]
        setup.save_resource(session, practice.admin, None, data)
    with practice.database.session() as session:
        listed = setup.list_resources(session, practice.front_desk)

    assert [(row.location_name, row.name) for row in listed] == [("Main Office", "Ultrasound")]


def test_resource_name_unique_per_location(practice: Practice) -> None:
    location_id = _location_id(practice)
    data = ResourceInput(location_id, "ECG cart")  # type: ignore[arg-type]
    with practice.database.transaction() as session:
        setup.save_resource(session, practice.admin, None, data)
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        setup.save_resource(session, practice.admin, None, replace(data, name="ecg CART"))
    assert _problem_fields(error) == ["resource.name"]


def test_resource_needs_active_location(practice: Practice) -> None:
    location_id = _location_id(practice)
    with practice.database.transaction() as session:
        admin_records.archive_location(session, practice.admin, location_id)  # type: ignore[arg-type]
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        data = ResourceInput(location_id, "")  # type: ignore[arg-type]
        setup.save_resource(session, practice.admin, None, data)
    assert _problem_fields(error) == ["resource.name", "resource.location_id"]


def test_default_setup_seeds_once(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = default_setup(session, practice.admin, date(2026, 3, 4))
    with practice.database.transaction() as session:
        second = default_setup(session, practice.admin, date(2026, 3, 4))

    assert (first.appointment_types, first.providers_with_hours, first.lunch_blockouts) == (4, 2, 1)
    assert (second.appointment_types, second.providers_with_hours, second.lunch_blockouts) == (
        0,
        0,
        0,
    )
    with practice.database.session() as session:
        types = setup.list_appointment_types(session, practice.admin)
        lunch = session.scalars(select(Blockout)).one()
        provider_id = admin_records.list_providers(session, practice.admin)[0].id
        hours = list_provider_hours(session, practice.admin, provider_id)
        hours_rows = session.scalars(select(ProviderHours)).all()

    by_name = {row.name: row.default_minutes for row in types}
    assert by_name == {"New patient": 30, "Follow-up": 15, "Annual physical": 30, "Procedure": 45}
    assert [row.weekday for row in hours] == [0, 1, 2, 3, 4]
    assert {(row.starts.hour, row.ends.hour) for row in hours} == {(8, 17)}
    assert len(hours_rows) == 10
    assert lunch.rule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert lunch.starts_at.isoformat() == "2026-03-02T12:00:00"  # the Monday of that week
    assert lunch.ends_at.isoformat() == "2026-03-02T13:00:00"
    assert lunch.provider_id is None and lunch.location_id is None


def test_default_setup_needs_practice_setup(practice: Practice) -> None:
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        default_setup(session, practice.manager)
