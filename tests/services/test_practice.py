"""Practice set-up, the one-step database creation and practice updates."""

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, ValidationError
from app.models.practice import Location, Practice, Provider, Room
from app.models.security import AuditEvent, User
from app.models.system import Workstation
from app.security.audit import verify_chain
from app.security.permissions import Actor, Role
from app.services import practice as practice_service
from app.services.practice import (
    LocationInput,
    PracticeExistsError,
    initialize_practice,
    update_practice,
    validate_setup,
)
from app.setup import create_practice_database
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import PRACTICE, sample_setup


def _fields(problems: list[practice_service.Problem]) -> set[str]:
    return {problem.field for problem in problems}


def test_validate_sample_setup_clean() -> None:
    assert validate_setup(sample_setup()) == []


def test_validate_lists_every_problem() -> None:
    setup = sample_setup()
    bad_practice = replace(
        setup.practice,
        billing_npi="1234567890",
        ein="07-1234567",
        zip_code="60201",
        address_line1="PO Box 12",
        phone="555-0140",
        time_zone="Central",
    )
    bad_location = replace(setup.locations[0], name="", zip_code="602")
    bad_provider = replace(setup.providers[1], npi="1245319590", taxonomy_code="363LF")
    setup = replace(
        setup,
        practice=bad_practice,
        locations=(setup.locations[0], bad_location),
        providers=(setup.providers[0], bad_provider),
    )

    fields = _fields(validate_setup(setup))

    assert "practice.billing_npi" in fields
    assert "practice.ein" in fields
    assert "practice.zip_code" in fields
    assert "practice.address_line1" in fields
    assert "practice.phone" in fields
    assert "practice.time_zone" in fields
    assert "locations[1].name" in fields
    assert "locations[1].zip_code" in fields
    assert "providers[1].npi" in fields
    assert "providers[1].taxonomy_code" in fields
    assert "locations[0].name" not in fields


def test_validate_needs_location_and_provider() -> None:
    setup = replace(sample_setup(), locations=(), providers=())
    fields = _fields(validate_setup(setup))
    assert "locations" in fields
    assert "providers" in fields


def test_validate_duplicate_provider_npi() -> None:
    setup = sample_setup()
    twin = replace(setup.providers[1], npi=setup.providers[0].npi)
    fields = _fields(validate_setup(replace(setup, providers=(setup.providers[0], twin))))
    assert fields == {"providers[1].npi"}


def test_validate_duplicate_room_names() -> None:
    setup = sample_setup()
    location = replace(setup.locations[0], rooms=("Exam 1", "exam 1 "))
    fields = _fields(validate_setup(replace(setup, locations=(location,))))
    assert fields == {"locations[0].rooms[1]"}


def test_validate_admin_account() -> None:
    setup = sample_setup()
    admin = replace(setup.admin, username="a b", display_name="", password="short")
    fields = _fields(validate_setup(replace(setup, admin=admin)))
    assert fields == {"admin.username", "admin.display_name", "admin.password"}


def test_initialize_creates_everything(database: Database) -> None:
    with database.transaction() as session:
        result = initialize_practice(session, sample_setup())

    with database.session() as session:
        practice = session.scalars(select(Practice)).one()
        workstation = session.scalars(select(Workstation)).one()
        admin = session.scalars(select(User)).one()
        assert practice.ein == "36-4567890"
        assert practice.phone == "(847) 555-0140"
        assert workstation.is_local
        assert workstation.code == result.workstation_code
        assert admin.role == Role.ADMINISTRATOR.value
        assert result.admin.user_id == admin.id
        assert result.admin.role is Role.ADMINISTRATOR
        assert len(session.scalars(select(Provider)).all()) == 2
        assert len(session.scalars(select(Location)).all()) == 1
        assert sorted(room.name for room in session.scalars(select(Room))) == ["Exam 1", "Exam 2"]
        assert verify_chain(session) == []


def test_initialize_audits_as_system(database: Database) -> None:
    with database.transaction() as session:
        initialize_practice(session, sample_setup())

    with database.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)).all()
        created = {event.object_type for event in events}
        assert {"practice", "location", "provider", "user"} <= created
        assert {event.username for event in events} == {"system"}


def test_initialize_twice_rejected(database: Database) -> None:
    with database.transaction() as session:
        initialize_practice(session, sample_setup())

    with (
        pytest.raises(PracticeExistsError, match="already has a practice"),
        database.transaction() as session,
    ):
        initialize_practice(session, sample_setup())


def test_initialize_invalid_raises(database: Database) -> None:
    setup = replace(sample_setup(), providers=())
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        initialize_practice(session, setup)
    assert _fields(caught.value.problems) == {"providers"}


def test_create_database_returns_admin(db_path: Path) -> None:
    database, admin = create_practice_database(db_path, sample_setup(), PASSPHRASE)
    try:
        assert admin.username == "admin"
        assert admin.role is Role.ADMINISTRATOR
        with database.session() as session:
            assert practice_service.get_practice(session) is not None
    finally:
        database.close()


def test_create_database_invalid_leaves_no_files(tmp_path: Path) -> None:
    path = tmp_path / "new" / "clinicdesk.db"
    setup = replace(sample_setup(), practice=replace(PRACTICE, billing_npi="1234567890"))

    with pytest.raises(ValidationError):
        create_practice_database(path, setup, PASSPHRASE)

    assert not path.parent.exists() or list(path.parent.iterdir()) == []


def test_create_database_failure_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No valid input makes set-up fail once the file exists, so inject a crash after
    # the real set-up has written its rows.
    def crash_after_writes(
        session: practice_service.Session, setup: practice_service.PracticeSetup
    ) -> practice_service.InitResult:
        initialize_practice(session, setup)
        raise RuntimeError("simulated crash during set-up")

    monkeypatch.setattr("app.setup.initialize_practice", crash_after_writes)
    path = tmp_path / "clinicdesk.db"

    with pytest.raises(RuntimeError, match="simulated crash"):
        create_practice_database(path, sample_setup(), PASSPHRASE)

    assert list(tmp_path.iterdir()) == []


def test_create_database_retry_after_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(session: practice_service.Session, setup: practice_service.PracticeSetup) -> None:
        raise RuntimeError("simulated crash during set-up")

    path = tmp_path / "clinicdesk.db"
    with monkeypatch.context() as patch:
        patch.setattr("app.setup.initialize_practice", crash)
        with pytest.raises(RuntimeError):
            create_practice_database(path, sample_setup(), PASSPHRASE)

    database, _ = create_practice_database(path, sample_setup(), PASSPHRASE)
    database.close()
    assert path.exists()


def test_update_practice_saves(database: Database) -> None:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin

    info = replace(PRACTICE, legal_name="Lakeside Family Medicine PC", phone="8475550199")
    with database.transaction() as session:
        changes = update_practice(session, admin, info)

    with database.session() as session:
        practice = practice_service.get_practice(session)
        assert practice is not None
        assert practice.legal_name == "Lakeside Family Medicine PC"
        assert practice.phone == "(847) 555-0199"
        assert practice.updated_by == admin.user_id
    assert changes.touches(practice_service.ChangeKind.PRACTICE)


def test_update_practice_invalid(database: Database) -> None:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin

    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        update_practice(session, admin, replace(PRACTICE, state="ZZ", ein="12"))
    assert _fields(caught.value.problems) == {"practice.state", "practice.ein"}


def test_update_practice_denied_front_desk(database: Database) -> None:
    with database.transaction() as session:
        result = initialize_practice(session, sample_setup())

    front_desk = Actor(None, "desk", Role.FRONT_DESK, result.workstation_code)
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        update_practice(session, front_desk, PRACTICE)


def test_location_input_defaults() -> None:
    location = LocationInput("Annex", "1 Main St", "", "Evanston", "IL", "60201-1111", "")
    assert location.place_of_service == "11"
    assert location.rooms == ()


def test_validate_hidden_characters() -> None:
    setup = sample_setup()
    bad_practice = replace(setup.practice, legal_name="Lakeside\u202e Clinic")
    admin = replace(setup.admin, display_name="Ada\x1b[31m Admin")
    problems = validate_setup(replace(setup, practice=bad_practice, admin=admin))

    assert _fields(problems) == {"practice.legal_name", "admin.display_name"}


def test_validate_long_admin_username_shortened() -> None:
    setup = sample_setup()
    admin = replace(setup.admin, username="a b" * 2_000)
    problems = validate_setup(replace(setup, admin=admin))

    messages = [problem.message for problem in problems if problem.field == "admin.username"]
    assert len(messages) == 1
    assert "\u2026" in messages[0]
    assert len(messages[0]) < 250
