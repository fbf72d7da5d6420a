"""Backups: writing, verifying, recording, pruning and restoring them."""

import os
import re
import shutil
import signal
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from sqlalchemy import select

from app.clock import utc_now
from app.db.database import Database
from app.errors import (
    BackupError,
    DatabaseLockedError,
    KeyFileError,
    KeyringUnavailableError,
    PermissionDeniedError,
    WrongPassphraseError,
)
from app.models import AuditEvent, BackupRecord, Coverage, Patient, Payer
from app.paths import key_file_path, pending_key_file_path
from app.security import keys
from app.security.audit import AuditAction, record, verify_chain
from app.security.permissions import Actor, Role, system_actor
from app.services.backup import (
    BackupResult,
    backup_database,
    backup_due,
    last_verified_backup,
    list_backups,
)
from app.services.restore import restore_backup
from app.services.settings import save_setting
from tests.conftest import PASSPHRASE

NAME_PATTERN = re.compile(r"clinicdesk-\d{8}-\d{6}(-\d+)?\.db")
ACTOR = system_actor("T01")


def _ask(passphrase: str | None) -> Any:
    return lambda _path: passphrase


def _fill(database: Database, patients: int = 5) -> None:
    with database.transaction() as session:
        payer = Payer(name="Acme Health", payer_code="ACME1", claim_filing_indicator="CI")
        session.add(payer)
        for number in range(patients):
            patient = Patient(
                chart_number=f"T01-{number:06d}",
                first_name=f"First{number}",
                last_name=f"Last{number}",
                date_of_birth=date(1970 + number, 1, 2),
                sex="F",
            )
            session.add(patient)
            session.flush()
            session.add(
                Coverage(
                    patient_id=patient.id, payer_id=payer.id, priority=1, member_id=f"M{number}"
                )
            )
            record(session, ACTOR, AuditAction.CREATE, "patient", patient.id)


def _dump(path: Path, key: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table, plus the schema and user_version, from a file."""
    import sqlcipher3

    connection = sqlcipher3.connect(str(path))
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    try:
        schema = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall()
        dump: dict[str, list[tuple[Any, ...]]] = {"<schema>": schema}
        dump["<user_version>"] = connection.execute("PRAGMA user_version").fetchall()
        for (table,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall():
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            # Sorted here because a WITHOUT ROWID table has no rowid to order by.
            dump[table] = sorted(rows, key=repr)
    finally:
        connection.close()
    return dump


@pytest.fixture
def filled(database: Database) -> Database:
    _fill(database)
    return database


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def test_backup_writes_verified_copy(filled: Database, backups: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)

    assert result.verified
    assert NAME_PATTERN.fullmatch(result.path.name)
    assert result.key_path == key_file_path(result.path)
    assert result.key_path.read_text() == key_file_path(filled.path).read_text()
    assert result.table_counts["patient"] == 5
    assert result.size_bytes == result.path.stat().st_size
    assert sorted(p.name for p in backups.iterdir()) == [result.path.name, result.key_path.name]


def test_backup_records_and_audits(filled: Database, backups: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)

    with filled.transaction() as session:
        last = last_verified_backup(session)
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.BACKUP.value)
        ).all()
    assert last is not None
    assert last.file_name == result.path.name
    assert last.row_count == sum(result.table_counts.values())
    assert last.size_bytes == result.size_bytes
    assert [event.outcome for event in audit] == ["success"]


def test_backup_default_folder(filled: Database) -> None:
    result = backup_database(filled, ACTOR)

    assert result.path.parent == filled.path.parent / "backups"


def test_backup_settings_folder(filled: Database, tmp_path: Path) -> None:
    with filled.transaction() as session:
        save_setting(session, ACTOR, "backup.folder", str(tmp_path / "configured"))

    result = backup_database(filled, ACTOR)

    assert result.path.parent == tmp_path / "configured"


def test_backup_needs_permission(filled: Database, backups: Path) -> None:
    front_desk = Actor(user_id=None, username="fd", role=Role.FRONT_DESK, workstation="T01")

    with pytest.raises(PermissionDeniedError):
        backup_database(filled, front_desk, folder=backups)


def test_backup_unwritable_folder(filled: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    folder = blocker / "backups"

    with pytest.raises(BackupError) as raised:
        backup_database(filled, ACTOR, folder=folder)

    assert str(folder) in str(raised.value)
    with filled.transaction() as session:
        attempts = list_backups(session)
    assert [attempt.verified for attempt in attempts] == [False]


@pytest.fixture
def small_file_limit() -> Iterator[None]:
    """Let this process write files of at most 64 KiB, as if the disk filled up."""
    resource = pytest.importorskip("resource")  # POSIX only
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    yield
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, previous_handler)


def test_backup_disk_full_leaves_nothing(
    database: Database, backups: Path, request: pytest.FixtureRequest
) -> None:
    _fill(database, patients=400)
    backups.mkdir()
    # Empty the WAL so recording the failure writes only a few pages under the limit. The
    # driver connection runs the checkpoint outside any transaction, as SQLite requires.
    raw = database.engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()

    request.getfixturevalue("small_file_limit")
    with pytest.raises(BackupError) as raised:
        backup_database(database, ACTOR, folder=backups)

    assert str(backups) in str(raised.value)
    assert list(backups.iterdir()) == []


def test_backup_prunes_oldest(filled: Database, backups: Path) -> None:
    made = [backup_database(filled, ACTOR, folder=backups, keep_last=2).path for _ in range(3)]

    remaining = sorted(p.name for p in backups.glob("*.db"))

    assert remaining == sorted(p.name for p in made[1:])
    assert not key_file_path(made[0]).exists()


def test_prune_skips_other_databases(filled: Database, backups: Path, tmp_path: Path) -> None:
    other = Database.create(tmp_path / "other" / "clinicdesk.db", PASSPHRASE)
    foreign = backup_database(other, ACTOR, folder=backups).path
    other.close()

    backup_database(filled, ACTOR, folder=backups, keep_last=1)
    backup_database(filled, ACTOR, folder=backups, keep_last=1)

    assert foreign.exists()
    assert len(list(backups.glob("*.db"))) == 2


def _rename_backup(path: Path, name: str) -> Path:
    renamed = path.with_name(name)
    os.replace(key_file_path(path), key_file_path(renamed))
    os.replace(path, renamed)
    return renamed


def _age(path: Path, seconds: int) -> None:
    """Set the modification time of `path` `seconds` into the past."""
    when = utc_now().timestamp() - seconds
    os.utime(path, (when, when))


def test_prune_future_name_keeps_new(filled: Database, backups: Path) -> None:
    made = backup_database(filled, ACTOR, folder=backups).path
    future = _rename_backup(made, "clinicdesk-20991231-235959.db")
    _age(future, 3600)

    result = backup_database(filled, ACTOR, folder=backups, keep_last=1)

    assert result.path.exists()
    assert not future.exists()
    assert not key_file_path(future).exists()
    with filled.transaction() as session:
        last = last_verified_backup(session)
    assert last is not None
    assert last.file_name == result.path.name


def test_prune_orders_by_mtime(filled: Database, backups: Path) -> None:
    first = backup_database(filled, ACTOR, folder=backups).path
    second = backup_database(filled, ACTOR, folder=backups).path
    _age(first, 60)
    _age(second, 3600)

    result = backup_database(filled, ACTOR, folder=backups, keep_last=2)

    assert result.path.exists()
    assert first.exists()
    assert not second.exists()


def test_prune_skips_other_names(filled: Database, backups: Path) -> None:
    made = backup_database(filled, ACTOR, folder=backups).path
    copy = backups / "clinicdesk-20200101-000000-before-upgrade.db"
    shutil.copyfile(made, copy)
    shutil.copyfile(key_file_path(made), key_file_path(copy))
    _age(copy, 3600)

    backup_database(filled, ACTOR, folder=backups, keep_last=1)

    assert copy.exists()
    assert key_file_path(copy).exists()
    assert not made.exists()


@pytest.mark.parametrize("keep_last", [0, -3])
def test_backup_keep_below_one(filled: Database, backups: Path, keep_last: int) -> None:
    with pytest.raises(BackupError) as raised:
        backup_database(filled, ACTOR, folder=backups, keep_last=keep_last)

    assert "at least 1" in str(raised.value)
    assert str(keep_last) in str(raised.value)
    assert not backups.exists()


def _damage_late_page(database: Database) -> None:
    """Close `database`, move its WAL into the file and overwrite part of a late data page.

    Late pages hold the rows the test filled; the schema, which grows with every
    migration, sits in the early pages that opening the database reads.
    """
    import sqlcipher3

    key = database.raw_key()
    database.close()
    connection = sqlcipher3.connect(str(database.path))
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    connection.close()

    pages = database.path.stat().st_size // 4096
    with open(database.path, "r+b") as handle:
        handle.seek(4096 * (pages * 3 // 4) + 100)
        handle.write(b"\xff" * 64)


def test_backup_damaged_database(database: Database, backups: Path) -> None:
    _fill(database, patients=400)
    _damage_late_page(database)
    damaged = Database.open(database.path)

    try:
        with pytest.raises(BackupError) as raised:
            backup_database(damaged, ACTOR, folder=backups)
    finally:
        damaged.close()

    message = str(raised.value)
    assert f"The database {database.path} is damaged" in message
    assert "restore the newest verified backup" in message
    assert "free space" not in message
    assert list(backups.iterdir()) == []


def test_backup_due_after_a_day(filled: Database, backups: Path) -> None:
    now = utc_now()
    with filled.transaction() as session:
        due_before = backup_due(session, now)

    backup_database(filled, ACTOR, folder=backups)
    with filled.transaction() as session:
        due_now = backup_due(session, utc_now())
        due_tomorrow = backup_due(session, utc_now() + timedelta(hours=25))

    assert due_before
    assert not due_now
    assert due_tomorrow


def test_failed_backup_is_not_last_verified(filled: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BackupError):
        backup_database(filled, ACTOR, folder=blocker / "sub")

    with filled.transaction() as session:
        assert last_verified_backup(session) is None
        assert backup_due(session, utc_now())


def test_restore_matches_every_row(filled: Database, backups: Path, tmp_path: Path) -> None:
    filled.close()
    expected = _dump(filled.path, filled.raw_key())
    source = Database.open(filled.path)
    result = backup_database(source, ACTOR, folder=backups)
    source.close()
    target = tmp_path / "restored" / "clinicdesk.db"

    restored = restore_backup(result.path, target, _ask(None))
    actual = _dump(restored.path, filled.raw_key())

    assert restored.verified
    assert actual.keys() == expected.keys()
    for table, rows in expected.items():
        assert actual[table] == rows, table
    assert expected["patient"] != []


def test_restored_database_opens(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)
    target = tmp_path / "restored.db"

    restore_backup(result.path, target, _ask(None))
    reopened = Database.open(target)
    with reopened.transaction() as session:
        patients = session.scalars(select(Patient)).all()
    reopened.close()

    assert len(patients) == 5


def test_restore_without_keyring(
    filled: Database, backups: Path, tmp_path: Path, no_keyring: None
) -> None:
    result = backup_database(filled, ACTOR, folder=backups)

    restored = restore_backup(result.path, tmp_path / "r.db", _ask(PASSPHRASE))

    assert restored.table_counts == result.table_counts


def test_restore_without_key_source(
    filled: Database, backups: Path, tmp_path: Path, no_keyring: None
) -> None:
    result = backup_database(filled, ACTOR, folder=backups)

    with pytest.raises(KeyringUnavailableError):
        restore_backup(result.path, tmp_path / "r.db", _ask(None))
    assert not (tmp_path / "r.db").exists()


def test_restore_wrong_passphrase(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]

    with pytest.raises(WrongPassphraseError):
        restore_backup(result.path, tmp_path / "r.db", _ask("wrong passphrase here"))


def test_restore_missing_backup(tmp_path: Path) -> None:
    missing = tmp_path / "clinicdesk-20260101-000000.db"

    with pytest.raises(BackupError) as raised:
        restore_backup(missing, tmp_path / "r.db", _ask(PASSPHRASE))

    assert str(missing) in str(raised.value)


def test_restore_existing_needs_replace(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)
    target = tmp_path / "r.db"
    target.write_bytes(b"an existing file")

    with pytest.raises(BackupError) as raised:
        restore_backup(result.path, target, _ask(None))

    assert "--replace" in str(raised.value)
    assert target.read_bytes() == b"an existing file"


def test_restore_replace_keeps_old(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)
    old = Database.create(tmp_path / "r.db", PASSPHRASE)
    old_id = old.database_id
    old.close()

    restored = restore_backup(result.path, old.path, _ask(None), replace=True)

    assert restored.replaced_path is not None
    assert restored.replaced_path.name.startswith("r.db.replaced-")
    moved = Database.open(restored.replaced_path)
    moved.close()
    assert moved.database_id == old_id
    reopened = Database.open(old.path)
    reopened.close()
    assert reopened.database_id == filled.database_id


def _backup_and_old_database(
    filled: Database, backups: Path, tmp_path: Path
) -> tuple[BackupResult, Database]:
    result = backup_database(filled, ACTOR, folder=backups)
    old = Database.create(tmp_path / "r.db", PASSPHRASE)
    old.close()
    return result, old


def test_restore_replace_moves_pending_key(filled: Database, backups: Path, tmp_path: Path) -> None:
    result, old = _backup_and_old_database(filled, backups, tmp_path)
    pending = pending_key_file_path(old.path)
    pending.write_text("the new key of an unfinished key rotation")

    restored = restore_backup(result.path, old.path, _ask(None), replace=True)

    assert restored.replaced_path is not None
    moved = pending_key_file_path(restored.replaced_path)
    assert moved.read_text() == "the new key of an unfinished key rotation"
    assert not pending.exists()


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal", ".key", ".key.new"])
def test_restore_replace_moves_sidecar(
    filled: Database, backups: Path, tmp_path: Path, suffix: str
) -> None:
    result, old = _backup_and_old_database(filled, backups, tmp_path)
    sidecar = old.path.with_name(old.path.name + suffix)
    if suffix != ".key":
        sidecar.write_bytes(b"sidecar of the old database")
    before = sidecar.read_bytes()

    restored = restore_backup(result.path, old.path, _ask(None), replace=True)

    assert restored.replaced_path is not None
    moved = restored.replaced_path.with_name(restored.replaced_path.name + suffix)
    assert moved.read_bytes() == before
    if suffix != ".key":
        assert not sidecar.exists()


def test_restore_file_without_key(tmp_path: Path) -> None:
    stray = tmp_path / "passwd"
    stray.write_text("root:x:0:0:root:/root:/bin/bash\n")

    with pytest.raises(KeyFileError) as raised:
        restore_backup(stray, tmp_path / "r.db", _ask(PASSPHRASE))

    message = str(raised.value)
    assert str(stray) in message
    assert "clinicdesk-YYYYMMDD-HHMMSS.db" in message
    assert "Copy it back from the newest backup folder" not in message
    assert not (tmp_path / "r.db").exists()


def test_restore_refuses_open_target(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)
    busy = Database.create(tmp_path / "busy.db", PASSPHRASE)

    try:
        with pytest.raises(DatabaseLockedError):
            restore_backup(result.path, busy.path, _ask(None), replace=True)
        assert list(tmp_path.glob("busy.db.replaced-*")) == []
    finally:
        busy.close()


def test_list_backups_newest_first(filled: Database, backups: Path) -> None:
    first = backup_database(filled, ACTOR, folder=backups)
    second = backup_database(filled, ACTOR, folder=backups)

    with filled.transaction() as session:
        names = [row.file_name for row in list_backups(session)]
        count = len(session.scalars(select(BackupRecord)).all())

    assert names == [second.path.name, first.path.name]
    assert count == 2


def _audit_rows(path: Path) -> list[AuditEvent]:
    database = Database.open(path)
    try:
        with database.transaction() as session:
            rows = session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at)).all()
            problems = verify_chain(session)
    finally:
        database.close()
    assert problems == []
    return list(rows)


def test_restore_replace_audits(filled: Database, backups: Path, tmp_path: Path) -> None:
    result, old = _backup_and_old_database(filled, backups, tmp_path)
    backed_up = len(_dump(result.path, filled.raw_key())["audit_event"])

    restored = restore_backup(result.path, old.path, _ask(None), replace=True)
    rows = _audit_rows(old.path)

    assert restored.replaced_path is not None
    assert restored.audit_recorded
    assert len(rows) == backed_up + 1
    assert rows[-1].action == "restore"
    assert rows[-1].username == "system"
    assert result.path.name in rows[-1].detail
    assert restored.replaced_path.name in rows[-1].detail


def test_restore_replace_keeps_other_rows(filled: Database, backups: Path, tmp_path: Path) -> None:
    result, old = _backup_and_old_database(filled, backups, tmp_path)
    expected = _dump(result.path, filled.raw_key())

    restore_backup(result.path, old.path, _ask(None), replace=True)
    actual = _dump(old.path, filled.raw_key())

    # The restore appends one audit row and advances the chain head; every other table
    # must match the backup exactly.
    for table in expected.keys() - {"audit_event", "audit_head"}:
        assert actual[table] == expected[table], table
    assert set(expected["audit_event"]) < set(actual["audit_event"])
    assert len(actual["audit_event"]) == len(expected["audit_event"]) + 1


def test_restore_new_path_not_audited(filled: Database, backups: Path, tmp_path: Path) -> None:
    result = backup_database(filled, ACTOR, folder=backups)

    restored = restore_backup(result.path, tmp_path / "new.db", _ask(None), replace=True)

    assert restored.replaced_path is None
    assert not restored.audit_recorded
