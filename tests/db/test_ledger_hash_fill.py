"""Migration 0006 fills the hash of ledger rows posted before the column existed."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from app.db import database as database_module
from app.db.database import Database
from app.db.migrate import _config
from app.ids import new_id
from app.models.ledger import LedgerEntry
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services.ledger import entry_hash
from app.services.ledger_verify import ledger_check
from app.services.practice import initialize_practice
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import sample_setup
from tests.helpers.referral_data import add_patient


def _upgrade_to_0005(engine: Engine) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")


def _database_at_0005(path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    with monkeypatch.context() as patch:
        patch.setattr(database_module, "upgrade", _upgrade_to_0005)
        return Database.create(path, PASSPHRASE)


def _post_old_row(database: Database) -> tuple[Actor, uuid.UUID]:
    """Post a no-show fee the way the version before hashes did: a row and a POST event."""
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        assert admin.user_id is not None
        patient_id = add_patient(session, "T-000001", "Rivera")
        entry_id = new_id()
        session.execute(
            text(
                "INSERT INTO ledger_entry (id, posted_at, posted_by, entry_type, amount, "
                "patient_id, responsible_party, service_date, source_type, memo) VALUES "
                "(:id, '2026-01-05 15:04:05.123456', :user, 'charge', 3500, :patient, "
                "'patient', '2026-01-05', 'no_show', 'No-show fee')"
            ),
            {"id": entry_id.bytes, "user": admin.user_id.bytes, "patient": patient_id.bytes},
        )
        audit.record(
            session,
            admin,
            AuditAction.POST,
            "ledger_entry",
            entry_id,
            patient_id=patient_id,
            detail="no-show fee 35.00",
        )
    return admin, entry_id


@pytest.fixture
def upgraded(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, Actor, uuid.UUID]]:
    """A database made at revision 0005 with one ledger row, then opened (and so upgraded)."""
    old = _database_at_0005(db_path, monkeypatch)
    admin, entry_id = _post_old_row(old)
    old.close()
    database = Database.open(db_path, lambda _path: PASSPHRASE)
    yield database, admin, entry_id
    database.close()


def test_upgrade_fills_row_hash(upgraded: tuple[Database, Actor, uuid.UUID]) -> None:
    database, _admin, entry_id = upgraded
    with database.session() as session:
        stored = session.get(LedgerEntry, entry_id)
        assert stored is not None
        assert stored.row_hash is not None
        assert stored.row_hash == entry_hash(stored)


def test_upgraded_ledger_verifies(upgraded: tuple[Database, Actor, uuid.UUID]) -> None:
    database, admin, _entry_id = upgraded
    with database.transaction() as session:
        assert ledger_check(session, admin) == []


def test_upgrade_keeps_update_trigger(upgraded: tuple[Database, Actor, uuid.UUID]) -> None:
    database, _admin, entry_id = upgraded
    update = text("UPDATE ledger_entry SET memo = 'edited' WHERE id = :id")
    with pytest.raises(IntegrityError, match="append-only"), database.transaction() as session:
        session.execute(update, {"id": entry_id.bytes})
