"""Migration 0004 indexes the registration data written before it, and undoes cleanly."""

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import select, text

from app.db.database import Database
from app.db.migrate import _config
from app.models import Patient, PatientPhone, PatientPreviousName, PatientSearchKey
from app.security.permissions import Actor, Role
from app.services.patient_search import search_patients

NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
MANAGER = Actor(user_id=None, username="manager", role=Role.MANAGER, workstation="TST")


def _migrate(database: Database, revision: str) -> None:
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if revision == "head":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)


def _names(database: Database, query: str) -> list[str]:
    with database.transaction() as session:
        return [match.display_name for match in search_patients(session, MANAGER, query, now=NOW)]


def _add_registration(database: Database) -> None:
    with database.transaction() as session:
        survivor = Patient(
            chart_number="TST-000001", first_name="Ana", last_name="García",
            preferred_name="Anita", date_of_birth=date(1981, 3, 4), sex="F",
            ssn="123456789", phone="+13125550111",
        )  # fmt: skip
        merged = Patient(
            chart_number="TST-000002", first_name="Ana", last_name="Garcia",
            date_of_birth=date(1981, 3, 4), sex="F",
        )  # fmt: skip
        session.add_all([survivor, merged])
        session.flush()
        session.add_all(
            [
                PatientPhone(patient_id=survivor.id, kind="mobile", number="+13125550111"),
                PatientPhone(patient_id=survivor.id, kind="home", number="+17735550112"),
                PatientPreviousName(patient_id=survivor.id, first_name="Ana", last_name="Delgado"),
            ]
        )
        merged.merged_into_id = survivor.id
        merged.archived = True


def test_upgrade_indexes_registration(database: Database) -> None:
    _migrate(database, "0003")
    _add_registration(database)
    # Before 0004 only the patient row is indexed.
    assert _names(database, "anita") == []
    assert _names(database, "7735550112") == []

    _migrate(database, "head")

    for query in ("anita", "delgado", "7735550112", "6789", "TST-000002", "ana 1981-03"):
        assert _names(database, query) == ["García, Ana"], query


def test_rebuild_matches_triggers(database: Database) -> None:
    _add_registration(database)
    with database.transaction() as session:
        before = set(session.execute(select(PatientSearchKey.key, PatientSearchKey.patient_id)))

    _migrate(database, "0003")
    _migrate(database, "head")

    with database.transaction() as session:
        after = set(session.execute(select(PatientSearchKey.key, PatientSearchKey.patient_id)))
    assert after == before


def test_downgrade_drops_new_keys(database: Database) -> None:
    _add_registration(database)
    _migrate(database, "0003")
    with database.transaction() as session:
        keys = set(session.scalars(select(PatientSearchKey.key)))
        triggers = set(
            session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
    assert "s:6789" not in keys
    assert "r:tst000002" not in keys
    assert "n:garcia" in keys
    assert not any(name.startswith("patient_phone_search") for name in triggers)
    assert {"patient_search_insert", "patient_search_update"} <= triggers
