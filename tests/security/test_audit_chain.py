"""The audit chain's head: removing the newest rows, or all of them, is found."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.db.database import Database
from app.models.security import AuditEvent, AuditHead
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Role

ACTOR = Actor(None, "admin", Role.ADMINISTRATOR, "TST")


def _write(database: Database, count: int) -> None:
    with database.transaction() as session:
        for number in range(count):
            audit.record(session, ACTOR, AuditAction.VIEW, "patient", f"row-{number}")


def _delete(database: Database, where: str) -> None:
    with database.transaction() as session:
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
        session.execute(text(f"DELETE FROM audit_event WHERE {where}"))


def _breaks(database: Database) -> list[tuple[int, str]]:
    with database.transaction() as session:
        return [(found.sequence, found.reason) for found in audit.verify_chain(session)]


def test_intact_chain_matches_head(database: Database) -> None:
    _write(database, 4)
    with database.transaction() as session:
        head = session.get(AuditHead, "TST")
        last = session.scalar(select(func.max(AuditEvent.sequence)))
    assert head is not None
    assert head.sequence == last == 4
    assert _breaks(database) == []


def test_removed_newest_rows_found(database: Database) -> None:
    _write(database, 5)
    _delete(database, "sequence >= 4")

    breaks = _breaks(database)

    assert len(breaks) == 1
    assert breaks[0][0] == 4
    assert "newest rows are missing" in breaks[0][1]


def test_removed_all_rows_found(database: Database) -> None:
    _write(database, 3)
    _delete(database, "1 = 1")

    assert [sequence for sequence, _reason in _breaks(database)] == [1]


def test_writing_after_removal_leaves_gap(database: Database) -> None:
    _write(database, 3)
    _delete(database, "sequence = 3")
    _write(database, 1)

    assert _breaks(database) == [(3, "row 3 is missing")]


def test_head_cannot_be_rewound(database: Database) -> None:
    _write(database, 3)
    with pytest.raises(IntegrityError, match="forward"), database.transaction() as session:
        session.execute(text("UPDATE audit_head SET sequence = 1"))


def test_head_cannot_be_deleted(database: Database) -> None:
    _write(database, 1)
    with pytest.raises(IntegrityError, match="cannot be deleted"), database.transaction() as s:
        s.execute(text("DELETE FROM audit_head"))
