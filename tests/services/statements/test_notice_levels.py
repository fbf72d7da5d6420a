"""Notice levels: defaults, saving with validation, permission and audit."""

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.security import AuditEvent
from app.models.statements import NoticeLevel
from app.security.permissions import Actor, Role
from app.services.notice_levels import (
    DEFAULT_LEVELS,
    LEVEL_CODES,
    ensure_default_levels,
    list_levels,
    save_level,
)

ADMIN = Actor(None, "admin", Role.ADMINISTRATOR, "TST")
BILLER = Actor(None, "biller", Role.BILLER, "TST")

FINAL_MESSAGE = "Pay now or this account goes to a collection agency in 30 days."


def fields_of(outcome_problems: tuple[object, ...]) -> list[str]:
    return [problem.field for problem in outcome_problems]  # type: ignore[attr-defined]


def test_defaults_listed_without_rows(database: Database) -> None:
    with database.transaction() as session:
        levels = list_levels(session)
        stored = session.scalars(select(NoticeLevel)).all()

    assert stored == []
    assert [level.code for level in levels] == list(LEVEL_CODES)
    assert [level.position for level in levels] == [1, 2, 3, 4, 5]
    assert [level.days_after_previous for level in levels] == [0, 30, 30, 30, 30]
    assert levels[0].message == "Thank you. Please pay the amount due by the date shown."
    assert "collection agency in 30 days" in levels[3].message
    assert all(level.active for level in levels)
    assert all(level.level_id is None for level in levels)


def test_stored_message_kept(database: Database) -> None:
    # A practice that stored the earlier default keeps it, because a new default changes no row.
    earlier = "Thank you. Your balance is due on receipt."
    with database.transaction() as session:
        ensure_default_levels(session, ADMIN)
        first = session.scalars(select(NoticeLevel).where(NoticeLevel.code == "statement")).one()
        first.message = earlier
    with database.transaction() as session:
        ensure_default_levels(session, ADMIN)
        levels = list_levels(session)

    assert levels[0].message == earlier
    assert levels[0].level_id is not None


def test_ensure_defaults_stores_each_once(database: Database) -> None:
    with database.transaction() as session:
        first = ensure_default_levels(session, ADMIN)
        second = ensure_default_levels(session, ADMIN)
        rows = session.scalars(select(NoticeLevel).order_by(NoticeLevel.position)).all()
        events = session.scalars(select(AuditEvent)).all()

    assert first.kinds
    assert not second.kinds
    assert [row.code for row in rows] == list(LEVEL_CODES)
    assert [row.label for row in rows] == [level.label for level in DEFAULT_LEVELS]
    assert len(events) == 1
    assert events[0].detail == "default levels: statement second third final collections"


def test_save_level_read_back(database: Database) -> None:
    with database.transaction() as session:
        outcome = save_level(session, ADMIN, "final", " Last notice ", 45, FINAL_MESSAGE, True)
    with database.transaction() as session:
        levels = {level.code: level for level in list_levels(session)}

    assert outcome.saved
    assert levels["final"].label == "Last notice"
    assert levels["final"].days_after_previous == 45
    assert levels["final"].message == FINAL_MESSAGE
    assert levels["final"].position == 4
    assert levels["final"].level_id == outcome.record_id
    assert levels["second"].label == "2nd notice"


def test_save_level_audits_change(database: Database) -> None:
    with database.transaction() as session:
        save_level(session, ADMIN, "second", "2nd notice", 21, DEFAULT_LEVELS[1].message, True)
    with database.transaction() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)).all()

    assert events[-1].object_type == "notice_level"
    assert events[-1].detail == (
        "level second: changed days; days 30, active True -> days 21, active True"
    )


def test_unchanged_save_writes_nothing(database: Database) -> None:
    default = DEFAULT_LEVELS[2]
    with database.transaction() as session:
        ensure_default_levels(session, ADMIN)
        count = len(session.scalars(select(AuditEvent)).all())
        outcome = save_level(
            session,
            ADMIN,
            "third",
            default.label,
            default.days_after_previous,
            default.message,
            True,
        )
        after = len(session.scalars(select(AuditEvent)).all())

    assert outcome.saved
    assert not outcome.changes.kinds
    assert after == count


def test_level_turned_off(database: Database) -> None:
    default = DEFAULT_LEVELS[2]
    with database.transaction() as session:
        outcome = save_level(session, ADMIN, "third", default.label, 30, default.message, False)
        levels = {level.code: level for level in list_levels(session)}

    assert outcome.saved
    assert not levels["third"].active


@pytest.mark.parametrize(
    ("code", "label", "days", "message", "active", "field", "words"),
    [
        ("fourth", "4th", 30, "Pay", True, "code", "'fourth' is not one of"),
        ("second", "", 30, "Pay", True, "label", "label is missing"),
        ("second", "x" * 41, 30, "Pay", True, "label", "more than 40"),
        ("second", "final notice", 30, "Pay", True, "label", "already used by the final level"),
        ("second", "Payment plan reminder", 30, "Pay", True, "label", "plan reminders print"),
        ("second", "2nd", -1, "Pay", True, "days_after_previous", "-1 days is outside 0 to 365"),
        ("second", "2nd", 366, "Pay", True, "days_after_previous", "366 days is outside"),
        ("second", "2nd", 30, "  ", True, "message", "message is missing"),
        ("second", "2nd", 30, "x" * 601, True, "message", "601 characters, more than the 600"),
        ("statement", "Statement", 0, "Pay", False, "active", "cannot be turned off"),
    ],
)
def test_invalid_level_rejected(  # noqa: PLR0917 (pytest passes parameters by position)
    database: Database,
    code: str,
    label: str,
    days: int,
    message: str,
    active: bool,
    field: str,
    words: str,
) -> None:
    with database.transaction() as session:
        outcome = save_level(session, ADMIN, code, label, days, message, active)
        stored = session.scalars(select(NoticeLevel)).all()

    assert not outcome.saved
    assert fields_of(outcome.problems) == [field]
    assert words in outcome.problems[0].message
    assert stored == []


def test_limits_themselves_accepted(database: Database) -> None:
    with database.transaction() as session:
        outcome = save_level(session, ADMIN, "second", "x" * 40, 365, "m" * 600, True)

    assert outcome.saved


def test_label_may_stay_its_own(database: Database) -> None:
    with database.transaction() as session:
        outcome = save_level(session, ADMIN, "final", "FINAL NOTICE", 30, FINAL_MESSAGE, True)

    assert outcome.saved


def test_biller_cannot_change_levels(database: Database) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        save_level(session, BILLER, "second", "2nd notice", 10, "Pay", True)
    with database.transaction() as session:
        assert list_levels(session)[1].days_after_previous == 30
