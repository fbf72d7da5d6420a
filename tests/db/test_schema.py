"""Column types, the append-only triggers and the migration chain."""

import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.db.base import Base
from app.db.database import Database
from app.db.migrate import SCHEMA_HEAD, current_revision, head_revision
from app.errors import DatabaseOpenError
from app.models import LedgerEntry, Patient, User
from tests.conftest import PASSPHRASE


def _user(database: Database) -> User:
    with database.transaction() as session:
        user = User(username="ledger", display_name="Ledger", role="biller", password_hash="x")
        session.add(user)
    return user


def _patient(database: Database) -> Patient:
    with database.transaction() as session:
        patient = Patient(
            chart_number="TST-000001",
            first_name="Ada",
            last_name="Quill",
            date_of_birth=date(1980, 2, 29),
            sex="F",
        )
        session.add(patient)
    return patient


def _post(database: Database, amount: str) -> LedgerEntry:
    user, patient = _user(database), _patient(database)
    with database.transaction() as session:
        entry = LedgerEntry(
            posted_by=user.id,
            entry_type="charge",
            amount=Decimal(amount),
            patient_id=patient.id,
            responsible_party="patient",
        )
        session.add(entry)
    return entry


def test_schema_at_head(database: Database) -> None:
    assert current_revision(database.engine) == head_revision()


def test_every_model_table_exists(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_money_stored_as_integer_cents(database: Database) -> None:
    entry = _post(database, "123.45")
    with database.transaction() as session:
        raw = session.execute(
            text("SELECT amount, typeof(amount) FROM ledger_entry WHERE id = :id"),
            {"id": entry.id.bytes},
        ).one()
        loaded = session.get(LedgerEntry, entry.id)
    assert raw == (12345, "integer")
    assert loaded is not None
    assert loaded.amount == Decimal("123.45")


def test_ledger_rejects_update(database: Database) -> None:
    entry = _post(database, "10.00")
    with pytest.raises(IntegrityError, match="append-only"), database.transaction() as session:
        session.execute(
            text("UPDATE ledger_entry SET amount = 1 WHERE id = :id"), {"id": entry.id.bytes}
        )


def test_ledger_rejects_delete(database: Database) -> None:
    entry = _post(database, "10.00")
    with pytest.raises(IntegrityError, match="append-only"), database.transaction() as session:
        session.execute(text("DELETE FROM ledger_entry WHERE id = :id"), {"id": entry.id.bytes})
    with database.transaction() as session:
        assert session.get(LedgerEntry, entry.id) is not None


def test_instants_round_trip_as_utc(database: Database) -> None:
    eastern = timezone(timedelta(hours=-5))
    user = _user(database)
    with database.transaction() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.last_sign_in_at = datetime(2026, 3, 8, 1, 30, tzinfo=eastern)
    with database.transaction() as session:
        loaded = session.scalar(select(User.last_sign_in_at).where(User.id == user.id))
    assert loaded == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    assert loaded is not None
    assert loaded.tzinfo is UTC


def test_naive_instant_rejected(database: Database) -> None:
    user = _user(database)
    with pytest.raises(StatementError, match="timezone-aware"), database.transaction() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.last_sign_in_at = datetime(2026, 1, 1, 9, 0)  # noqa: DTZ001 (the case under test)


def test_uuid_keys_are_16_byte_blobs(database: Database) -> None:
    user = _user(database)
    with database.transaction() as session:
        kind, length = session.execute(
            text("SELECT typeof(id), length(id) FROM users WHERE username = 'ledger'")
        ).one()
    assert kind == "blob"
    assert length == 16
    assert user.id.version == 7


def test_foreign_keys_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO room (id, location_id, name, created_at, updated_at, archived) "
                "VALUES (randomblob(16), randomblob(16), 'Exam 1', '2026-01-01', '2026-01-01', 0)"
            )
        )


def test_concurrent_writers_wait_their_turn(database: Database) -> None:
    # Each unit of work reads, then writes: with deferred transactions the second writer
    # failed at once with "database is locked" instead of waiting.
    errors: list[BaseException] = []

    def work(prefix: str) -> None:
        for number in range(40):
            try:
                with database.transaction() as session:
                    session.execute(text("SELECT count(*) FROM users")).scalar()
                    session.add(
                        User(
                            username=f"{prefix}{number}",
                            display_name="Writer",
                            role="biller",
                            password_hash="x",
                        )
                    )
            except BaseException as exc:  # noqa: BLE001 (collected and asserted below)
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(prefix,)) for prefix in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with database.transaction() as session:
        count = session.scalar(text("SELECT count(*) FROM users"))
    assert errors == []
    assert count == 120


def test_migrations_match_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_schema_head_constant_matches_alembic() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_open_refuses_newer_schema(database: Database) -> None:
    with database.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    path = database.path
    database.close()

    with pytest.raises(DatabaseOpenError, match="newer version"):
        Database.open(path, lambda _path: PASSPHRASE)


def test_close_truncates_wal(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    database = Database.create(db_path, PASSPHRASE)
    with database.transaction() as session:
        session.add(User(username="wal", display_name="W", role="biller", password_hash="x"))
    database.close()

    wal = db_path.with_name(db_path.name + "-wal")
    assert "checkpoint failed" not in caplog.text
    assert not wal.exists() or wal.stat().st_size == 0


def test_reading_waits_for_no_writer(database: Database) -> None:
    # A writer holds the write lock; a read-only unit of work still runs at once.
    with database.transaction() as writer:
        writer.add(User(username="holder", display_name="H", role="biller", password_hash="x"))
        writer.flush()
        started = time.perf_counter()
        with database.reading() as reader:
            count = reader.execute(text("SELECT count(*) FROM users")).scalar()
        waited = time.perf_counter() - started
    assert count == 0
    assert waited < 1.0
