"""Providers, locations, rooms and payers: listing, saving, archiving, permissions."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models.claims import Clearinghouse
from app.models.practice import Payer, Provider, Room
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import admin_records as records
from app.services.admin_records import PayerInput, RoomInput
from app.services.practice import ProviderInput, initialize_practice
from app.services.users import create_user
from tests.helpers.practice_data import ADMIN_PASSWORD, LOCATION, sample_setup

NEW_PROVIDER = ProviderInput("Cora", "Nguyen", "DO", "1487654323", "207R00000X")
PAYER = PayerInput(
    name="Aetna",
    payer_code="60054",
    claim_filing_indicator="CI",
    timely_filing_days=180,
    address_line1="PO Box 981106",
    city="El Paso",
    state="tx",
    zip_code="79998",
)


@dataclass(frozen=True)
class Practice:
    database: Database
    admin: Actor
    front_desk: Actor


@pytest.fixture
def practice(database: Database) -> Iterator[Practice]:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        written = create_user(
            session, admin, "frontdesk1", "Front Desk", Role.FRONT_DESK, ADMIN_PASSWORD
        )
    front_desk = Actor(written.user.id, "frontdesk1", Role.FRONT_DESK, admin.workstation)
    yield Practice(database, admin, front_desk)


def _audit_actions(database: Database, object_type: str) -> list[str]:
    with database.session() as session:
        query = (
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type)
            .order_by(AuditEvent.sequence)
        )
        return list(session.scalars(query))


def test_provider_create_and_list(practice: Practice) -> None:
    with practice.database.transaction() as session:
        write = records.save_provider(session, practice.admin, None, NEW_PROVIDER)
        listed = records.list_providers(session, practice.front_desk)

    assert write.created
    assert [p.last_name for p in listed] == ["Lopez", "Nguyen", "Okafor"]
    assert listed[1].display_name == "Cora Nguyen, DO"
    assert write.changes.touches(records.ChangeKind.PROVIDERS)


def test_provider_update(practice: Practice) -> None:
    with practice.database.transaction() as session:
        provider_id = records.save_provider(session, practice.admin, None, NEW_PROVIDER).record_id
    with practice.database.transaction() as session:
        write = records.save_provider(
            session, practice.admin, provider_id, replace(NEW_PROVIDER, credentials="MD")
        )

    with practice.database.session() as session:
        provider = session.get(Provider, provider_id)
        assert provider is not None
        assert provider.credentials == "MD"
        assert provider.updated_by == practice.admin.user_id
    assert not write.created
    assert _audit_actions(practice.database, "provider")[-2:] == ["create", "update"]


def test_provider_invalid_lists_problems(practice: Practice) -> None:
    bad = replace(NEW_PROVIDER, last_name="", npi="1487654324")
    with pytest.raises(ValidationError) as caught, practice.database.transaction() as session:
        records.save_provider(session, practice.admin, None, bad)
    assert {p.field for p in caught.value.problems} == {"provider.last_name", "provider.npi"}


def test_provider_duplicate_npi(practice: Practice) -> None:
    twin = replace(NEW_PROVIDER, npi=sample_setup().providers[0].npi)
    with (
        pytest.raises(ValidationError, match="already belongs"),
        practice.database.transaction() as session,
    ):
        records.save_provider(session, practice.admin, None, twin)


def test_provider_archive_hides(practice: Practice) -> None:
    with practice.database.transaction() as session:
        provider_id = records.save_provider(session, practice.admin, None, NEW_PROVIDER).record_id
        records.archive_provider(session, practice.admin, provider_id)

    with practice.database.session() as session:
        active = records.list_providers(session, practice.admin)
        everyone = records.list_providers(session, practice.admin, include_archived=True)
    assert provider_id not in {p.id for p in active}
    assert provider_id in {p.id for p in everyone}
    assert _audit_actions(practice.database, "provider")[-1] == "archive"


def test_provider_archive_twice_not_found(practice: Practice) -> None:
    with practice.database.transaction() as session:
        provider_id = records.save_provider(session, practice.admin, None, NEW_PROVIDER).record_id
        records.archive_provider(session, practice.admin, provider_id)
    with pytest.raises(NotFoundError), practice.database.transaction() as session:
        records.archive_provider(session, practice.admin, provider_id)


def test_front_desk_denied_writes(practice: Practice) -> None:
    desk = practice.front_desk
    with practice.database.transaction() as session:
        provider_id = records.list_providers(session, desk)[0].id
        location_id = records.list_locations(session, desk)[0].id

    attempts = [
        lambda s: records.save_provider(s, desk, None, NEW_PROVIDER),
        lambda s: records.archive_provider(s, desk, provider_id),
        lambda s: records.save_location(s, desk, None, LOCATION),
        lambda s: records.archive_location(s, desk, location_id),
        lambda s: records.save_room(s, desk, None, RoomInput(location_id, "Lab")),
        lambda s: records.save_payer(s, desk, None, PAYER),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError), practice.database.transaction() as session:
            attempt(session)


def test_location_create_with_rooms(practice: Practice) -> None:
    annex = replace(LOCATION, name="Annex", rooms=("Room A", "Room B"))
    with practice.database.transaction() as session:
        records.save_location(session, practice.admin, None, annex)
        listed = records.list_locations(session, practice.front_desk)

    assert [location.name for location in listed] == ["Annex", "Main Office"]
    assert [room.name for room in listed[0].rooms] == ["Room A", "Room B"]


def test_location_rooms_synced(practice: Practice) -> None:
    with practice.database.transaction() as session:
        location = records.list_locations(session, practice.admin)[0]
        changed = replace(LOCATION, rooms=("Exam 2", "Procedure"))
        records.save_location(session, practice.admin, location.id, changed)
        after = records.list_locations(session, practice.admin)[0]
        with_archived = records.list_locations(session, practice.admin, include_archived=True)[0]

    assert [room.name for room in after.rooms] == ["Exam 2", "Procedure"]
    assert [room.name for room in with_archived.rooms] == ["Exam 1", "Exam 2", "Procedure"]


def test_location_room_restored(practice: Practice) -> None:
    with practice.database.transaction() as session:
        location_id = records.list_locations(session, practice.admin)[0].id
        records.save_location(session, practice.admin, location_id, replace(LOCATION, rooms=()))
        records.save_location(session, practice.admin, location_id, LOCATION)

    with practice.database.session() as session:
        rooms = session.scalars(select(Room).where(Room.location_id == location_id)).all()
        assert sorted(room.name for room in rooms) == ["Exam 1", "Exam 2"]
        assert all(not room.archived for room in rooms)


def test_location_invalid_zip(practice: Practice) -> None:
    bad = replace(LOCATION, zip_code="60201", address_line1="P.O. Box 4")
    with pytest.raises(ValidationError) as caught, practice.database.transaction() as session:
        records.save_location(session, practice.admin, None, bad)
    assert {p.field for p in caught.value.problems} == {
        "location.zip_code",
        "location.address_line1",
    }


def test_location_archive_archives_rooms(practice: Practice) -> None:
    with practice.database.transaction() as session:
        location_id = records.list_locations(session, practice.admin)[0].id
        records.archive_location(session, practice.admin, location_id)
        active_locations = records.list_locations(session, practice.admin)
        active_rooms = records.list_rooms(session, practice.admin)

    assert active_locations == []
    assert active_rooms == []


def test_room_save_and_duplicate(practice: Practice) -> None:
    with practice.database.transaction() as session:
        location_id = records.list_locations(session, practice.admin)[0].id
        records.save_room(session, practice.admin, None, RoomInput(location_id, "Lab"))
        names = [room.name for room in records.list_rooms(session, practice.admin, location_id)]
    assert names == ["Exam 1", "Exam 2", "Lab"]

    with (
        pytest.raises(ValidationError, match="already has a room"),
        practice.database.transaction() as session,
    ):
        records.save_room(session, practice.admin, None, RoomInput(location_id, "exam 1"))


def test_room_rename_and_archive(practice: Practice) -> None:
    with practice.database.transaction() as session:
        room = records.list_rooms(session, practice.admin)[0]
        records.save_room(session, practice.admin, room.id, RoomInput(room.location_id, "Exam 9"))
        records.archive_room(session, practice.admin, room.id)
        names = [r.name for r in records.list_rooms(session, practice.admin)]
        archived = [r.name for r in records.list_rooms(session, practice.admin, None, True)]
    assert names == ["Exam 2"]
    assert archived == ["Exam 2", "Exam 9"]


def test_payer_create_normalizes(practice: Practice) -> None:
    with practice.database.transaction() as session:
        payer_id = records.save_payer(session, practice.admin, None, PAYER).record_id

    with practice.database.session() as session:
        payer = session.get(Payer, payer_id)
        assert payer is not None
        assert payer.state == "TX"
        assert payer.timely_filing_days == 180
        listed = records.list_payers(session, practice.front_desk)
    assert listed[0].claim_filing_label == "Commercial Insurance Co."


def test_payer_invalid_lists_problems(practice: Practice) -> None:
    bad = PayerInput(
        name="",
        payer_code="60 054",
        claim_filing_indicator="XX",
        timely_filing_days=0,
        city="El Paso",
    )
    with pytest.raises(ValidationError) as caught, practice.database.transaction() as session:
        records.save_payer(session, practice.admin, None, bad)
    assert {p.field for p in caught.value.problems} == {
        "payer.name",
        "payer.payer_code",
        "payer.claim_filing_indicator",
        "payer.timely_filing_days",
        "payer.address_line1",
        "payer.state",
        "payer.zip_code",
    }


@pytest.mark.parametrize(("days", "valid"), [(1, True), (3650, True), (3651, False), (-5, False)])
def test_payer_timely_filing_range(days: int, valid: bool) -> None:
    problems = records.payer_problems(replace(PAYER, timely_filing_days=days))
    assert (problems == []) is valid


def test_payer_archive_hides(practice: Practice) -> None:
    with practice.database.transaction() as session:
        payer_id = records.save_payer(session, practice.admin, None, PAYER).record_id
        records.archive_payer(session, practice.admin, payer_id)
        assert records.list_payers(session, practice.admin) == []
        assert len(records.list_payers(session, practice.admin, include_archived=True)) == 1


def test_save_unknown_record_not_found(practice: Practice) -> None:
    unknown = records.uuid.uuid4()
    with pytest.raises(NotFoundError, match="not found"), practice.database.transaction() as s:
        records.save_payer(s, practice.admin, unknown, PAYER)


def test_payer_hidden_characters_rejected(practice: Practice) -> None:
    bad = replace(PAYER, name="Aetna\u202e", city="El\x1bPaso")
    with pytest.raises(ValidationError) as caught, practice.database.transaction() as session:
        records.save_payer(session, practice.admin, None, bad)

    problems = caught.value.problems
    assert {problem.field for problem in problems} == {"payer.name", "payer.city"}
    assert all("not allowed" in problem.message for problem in problems)


def test_payer_code_echo_shortened() -> None:
    problems = records.payer_problems(replace(PAYER, payer_code="6\x1b" * 2_000))

    messages = [problem.message for problem in problems if problem.field == "payer.payer_code"]
    assert any(message.startswith("Payer id 6\\u001B6") for message in messages)
    assert all(len(message) < 300 for message in messages)
    assert all("\x1b" not in message for message in messages)


def _add_clearinghouse(session: Session, name: str) -> uuid.UUID:
    clearinghouse = Clearinghouse(
        name=name,
        submitter_id="SUB01",
        submitter_name="Clinic",
        submitter_contact="Billing",
        submitter_phone="5555550100",
        receiver_id="CH01",
        receiver_name="Clearinghouse",
        isa_sender_id="SUB01",
        isa_receiver_id="CH01",
        gs_sender_code="SUB01",
        gs_receiver_code="CH01",
    )
    session.add(clearinghouse)
    session.flush()
    return clearinghouse.id


def test_payer_clearinghouse_saved_and_listed(practice: Practice) -> None:
    with practice.database.transaction() as session:
        clearinghouse_id = _add_clearinghouse(session, "Loopback Exchange")
        routed = replace(PAYER, clearinghouse_id=clearinghouse_id)
        records.save_payer(session, practice.admin, None, routed)

    with practice.database.session() as session:
        listed = records.list_payers(session, practice.admin)
        choices = records.clearinghouse_choices(session, practice.admin)
    assert listed[0].clearinghouse_id == clearinghouse_id
    assert listed[0].clearinghouse_name == "Loopback Exchange"
    assert choices == [(clearinghouse_id, "Loopback Exchange")]


def test_payer_archived_clearinghouse_rejected(practice: Practice) -> None:
    with practice.database.transaction() as session:
        clearinghouse_id = _add_clearinghouse(session, "Old Exchange")
        clearinghouse = session.get(Clearinghouse, clearinghouse_id)
        assert clearinghouse is not None
        clearinghouse.archived = True

    routed = replace(PAYER, clearinghouse_id=clearinghouse_id)
    with pytest.raises(ValidationError) as caught, practice.database.transaction() as session:
        records.save_payer(session, practice.admin, None, routed)
    assert [p.field for p in caught.value.problems] == ["payer.clearinghouse_id"]
