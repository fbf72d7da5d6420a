"""Audit log queries, CSV export, and tamper detection through the chain and triggers."""

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.clock import utc_now
from app.db.database import Database
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models.security import AuditEvent
from app.paths import key_file_path, pending_key_file_path
from app.security import auth
from app.security.permissions import Actor
from app.services import audit_log
from app.services.audit_log import AuditFilter
from tests.security.conftest import ADMIN_PASSWORD, WORKSTATION, MakeUser


def _sign_in(database: Database, username: str, password: str) -> None:
    with database.transaction() as session:
        auth.sign_in(session, username, password, WORKSTATION)


def _query(database: Database, actor: Actor, audit_filter: AuditFilter) -> list[audit_log.AuditRow]:
    with database.session() as session:
        return audit_log.query_events(session, actor, audit_filter)


def test_query_newest_first(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    rows = _query(database, admin, AuditFilter())
    assert [row.action for row in rows] == ["sign_in", "create"]


def test_query_by_action(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    rows = _query(database, admin, AuditFilter(action="sign_in"))
    assert [row.outcome for row in rows] == ["success"]


def test_query_by_username(database: Database, admin: Actor) -> None:
    _sign_in(database, "nobody", ADMIN_PASSWORD)
    _sign_in(database, "admin", ADMIN_PASSWORD)
    rows = _query(database, admin, AuditFilter(username="NoBody"))
    assert [row.username for row in rows] == ["nobody"]


def test_query_by_dates(database: Database, admin: Actor) -> None:
    today = utc_now().date()
    tomorrow = today + timedelta(days=1)
    assert len(_query(database, admin, AuditFilter(date_from=today, date_to=today))) == 1
    assert _query(database, admin, AuditFilter(date_from=tomorrow)) == []
    assert _query(database, admin, AuditFilter(date_to=today - timedelta(days=1))) == []


def test_query_until_last_day(database: Database, admin: Actor) -> None:
    rows = _query(database, admin, AuditFilter(date_to=date.max))
    assert len(rows) == 1


def test_query_reversed_dates(database: Database, admin: Actor) -> None:
    today = utc_now().date()
    reversed_filter = AuditFilter(date_from=today, date_to=today - timedelta(days=1))
    with pytest.raises(ValidationError) as raised:
        _query(database, admin, reversed_filter)
    assert raised.value.problems[0].field == "date_from"


def test_query_paging(database: Database, admin: Actor) -> None:
    for _ in range(3):
        _sign_in(database, "admin", ADMIN_PASSWORD)
    with database.session() as session:
        page = audit_log.query_events(session, admin, AuditFilter(), limit=2, offset=1)
    assert [row.sequence for row in page] == [3, 2]


def test_query_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.session() as session, pytest.raises(PermissionDeniedError):
        audit_log.query_events(session, clerk, AuditFilter())


def test_export_writes_rows(database: Database, admin: Actor, tmp_path: Path) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    target = tmp_path / "audit.csv"
    with database.transaction() as session:
        count = audit_log.export_csv(session, admin, AuditFilter(), target)
    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert count == 2
    assert [row["action"] for row in rows] == ["sign_in", "create"]


def test_export_audited(database: Database, admin: Actor, tmp_path: Path) -> None:
    with database.transaction() as session:
        audit_log.export_csv(session, admin, AuditFilter(), tmp_path / "audit.csv")
    rows = _query(database, admin, AuditFilter(action="export"))
    assert [row.detail for row in rows] == ["1 audit rows to CSV"]


def test_export_neutralizes_formulas(database: Database, admin: Actor, tmp_path: Path) -> None:
    _sign_in(database, "=SUM(A1)", "whatever-typed")
    target = tmp_path / "audit.csv"
    with database.transaction() as session:
        audit_log.export_csv(session, admin, AuditFilter(action="sign_in"), target)
    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["username"] == "'=sum(a1)"


def test_export_bad_folder(database: Database, admin: Actor, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "audit.csv"
    with database.transaction() as session, pytest.raises(UserError) as raised:
        audit_log.export_csv(session, admin, AuditFilter(), target)
    assert str(target) in str(raised.value)


def _export(database: Database, admin: Actor, target: Path, overwrite: bool = False) -> int:
    with database.transaction() as session:
        return audit_log.export_csv(session, admin, AuditFilter(), target, overwrite=overwrite)


def test_export_keeps_existing_file(database: Database, admin: Actor, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    target.write_text("someone's spreadsheet")
    with pytest.raises(UserError) as raised:
        _export(database, admin, target)
    assert str(target) in str(raised.value)
    assert "--overwrite" in str(raised.value)
    assert target.read_text() == "someone's spreadsheet"


def test_export_overwrite_replaces(database: Database, admin: Actor, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    target.write_text("last month's export")
    count = _export(database, admin, target, overwrite=True)
    assert count == 1
    assert target.read_text().startswith("occurred_at,")
    assert [p.name for p in tmp_path.glob("audit.csv*")] == ["audit.csv"]


def _database_files(database: Database) -> list[Path]:
    path = database.path
    sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", ".lock")]
    return [path, key_file_path(path), pending_key_file_path(path), *sidecars]


def test_export_never_replaces_database(database: Database, admin: Actor) -> None:
    for target in _database_files(database):
        existed = target.exists()
        before = target.read_bytes() if existed else b""
        with pytest.raises(UserError) as raised:
            _export(database, admin, target, overwrite=True)
        assert str(target.resolve()) in str(raised.value), target.name
        assert target.exists() == existed, target.name
        assert (target.read_bytes() if existed else b"") == before, target.name


def test_export_never_into_backups(database: Database, admin: Actor) -> None:
    backups = database.path.parent / "backups"
    backups.mkdir()
    for name in ("clinicdesk-20260101-000000.db", "clinicdesk-20260101-000000.db.key"):
        with pytest.raises(UserError) as raised:
            _export(database, admin, backups / name, overwrite=True)
        assert "backup folder" in str(raised.value), name
        assert not (backups / name).exists(), name


def test_export_csv_into_backups(database: Database, admin: Actor) -> None:
    backups = database.path.parent / "backups"
    backups.mkdir()
    assert _export(database, admin, backups / "audit.csv") == 1


def test_export_through_symlink_refused(database: Database, admin: Actor, tmp_path: Path) -> None:
    link = tmp_path / "innocent.csv"
    link.symlink_to(key_file_path(database.path))
    with pytest.raises(UserError):
        _export(database, admin, link, overwrite=True)
    assert key_file_path(database.path).read_text().startswith("{")


def test_verify_intact(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    with database.session() as session:
        assert audit_log.verify(session, admin) == []


def test_verify_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.session() as session, pytest.raises(PermissionDeniedError):
        audit_log.verify(session, clerk)


def test_trigger_rejects_update(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_event SET detail = 'x'"))


def test_trigger_rejects_delete(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_event"))


def _add_events(database: Database) -> None:
    for _ in range(3):
        _sign_in(database, "admin", ADMIN_PASSWORD)


def test_verify_detects_edit(database: Database, admin: Actor) -> None:
    _add_events(database)
    with database.transaction() as session:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("UPDATE audit_event SET detail = 'edited' WHERE sequence = 2"))
    with database.session() as session:
        breaks = audit_log.verify(session, admin)
    assert [(found.sequence, found.reason) for found in breaks] == [(2, "row content was changed")]


def test_verify_detects_removal(database: Database, admin: Actor) -> None:
    _add_events(database)
    with database.transaction() as session:
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
        session.execute(text("DELETE FROM audit_event WHERE sequence = 3"))
    with database.session() as session:
        breaks = audit_log.verify(session, admin)
        remaining = session.scalars(select(AuditEvent.sequence)).all()
    assert sorted(remaining) == [1, 2, 4]
    assert [(found.sequence, found.reason) for found in breaks] == [(3, "row 3 is missing")]
