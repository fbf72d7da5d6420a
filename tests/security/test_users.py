"""User accounts: validation, permissions, last-administrator protection."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utc_now
from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.ids import UserId
from app.models.security import AuditEvent, User
from app.security.passwords import verify_password
from app.security.permissions import Actor, Role, system_actor
from app.services import users
from tests.security.conftest import USER_PASSWORD, MakeUser


def test_create_user_summary(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        written = users.create_user(
            session, admin, "  J.Smith ", " Jane Smith ", Role.BILLER, USER_PASSWORD
        )
    assert written.user.username == "j.smith"
    assert written.user.display_name == "Jane Smith"
    assert written.user.role is Role.BILLER
    assert written.user.totp_enabled is False
    assert written.user.locked is False


def test_create_user_audited(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        written = users.create_user(session, admin, "jsmith", "Jane", Role.BILLER, USER_PASSWORD)
    with database.session() as session:
        event = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "create")
            .where(AuditEvent.object_id == str(written.user.id))
        )
    assert event is not None
    assert event.username == "admin"


def test_create_user_lists_every_problem(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, "a b", "  ", Role.BILLER, "short")
    fields = {problem.field for problem in raised.value.problems}
    assert fields == {"username", "display_name", "password"}


def test_create_user_duplicate_any_case(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, "ADMIN", "Other", Role.BILLER, USER_PASSWORD)
    assert raised.value.problems[0].field == "username"
    assert "already taken" in raised.value.problems[0].message


def test_create_user_password_contains_username(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, "harbor", "H", Role.BILLER, "Quiet-Harbor-7781")
    assert [problem.field for problem in raised.value.problems] == ["password"]


def test_create_user_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        users.create_user(session, clerk, "other", "Other", Role.BILLER, USER_PASSWORD)


def test_list_users_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        users.list_users(session, clerk)


def test_first_administrator_only_once(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(UserError) as raised:
        users.create_first_administrator(session, "second", "Second", USER_PASSWORD, "TST")
    assert "already has user accounts" in str(raised.value)


def test_first_administrator_audited_as_system(database: Database, admin: Actor) -> None:
    with database.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "create"))
    assert event is not None
    assert event.username == "system"
    assert event.object_id == str(admin.user_id)


def test_update_user_changes_role(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        written = users.update_user(session, admin, clerk.user_id, "Carla Clerk", Role.MANAGER)
    assert written.user.role is Role.MANAGER
    assert written.user.display_name == "Carla Clerk"
    assert written.changes.kinds


def test_update_user_unchanged_no_changes(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        written = users.update_user(session, admin, clerk.user_id, "Test Person", Role.FRONT_DESK)
    assert not written.changes.kinds


def test_update_last_admin_role_rejected(database: Database, admin: Actor) -> None:
    assert admin.user_id is not None
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.update_user(session, admin, admin.user_id, "Ada Admin", Role.MANAGER)
    assert raised.value.problems[0].field == "role"
    assert "only active administrator" in raised.value.problems[0].message


def test_update_admin_role_with_second_admin(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    make_user("second", Role.ADMINISTRATOR)
    assert admin.user_id is not None
    with database.transaction() as session:
        written = users.update_user(session, admin, admin.user_id, "Ada Admin", Role.MANAGER)
    assert written.user.role is Role.MANAGER


def test_archive_self_rejected(database: Database, admin: Actor, make_user: MakeUser) -> None:
    make_user("second", Role.ADMINISTRATOR)
    assert admin.user_id is not None
    with database.transaction() as session, pytest.raises(UserError) as raised:
        users.archive_user(session, admin, admin.user_id)
    assert "your own account" in str(raised.value)


def test_archive_last_admin_rejected(database: Database, admin: Actor) -> None:
    assert admin.user_id is not None
    with database.transaction() as session, pytest.raises(UserError) as raised:
        users.archive_user(session, system_actor("TST"), admin.user_id)
    assert "only active administrator" in str(raised.value)


def test_archive_user_hides_from_list(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        written = users.archive_user(session, admin, clerk.user_id)
    with database.session() as session:
        active = [user.username for user in users.list_users(session, admin)]
        everyone = [user.username for user in users.list_users(session, admin, True)]
    assert written.user.archived is True
    assert active == ["admin"]
    assert everyone == ["admin", "clerk"]


def test_archived_user_cannot_be_edited(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        users.archive_user(session, admin, clerk.user_id)
    with database.transaction() as session, pytest.raises(NotFoundError):
        users.update_user(session, admin, clerk.user_id, "New", Role.BILLER)


def test_reset_password_forces_change(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        user = session.get(User, clerk.user_id)
        assert user is not None
        user.failed_sign_ins = 3
        user.locked_until = utc_now() + timedelta(minutes=5)
    with database.transaction() as session:
        written = users.reset_password(session, admin, clerk.user_id, "Temporary-Pass-991")
    with database.session() as session:
        user = session.get(User, clerk.user_id)
        assert user is not None
        assert verify_password(user.password_hash, "Temporary-Pass-991")
        assert user.failed_sign_ins == 0
    assert written.user.must_change_password is True
    assert written.user.locked is False


def test_reset_password_policy(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session, pytest.raises(ValidationError):
        users.reset_password(session, admin, clerk.user_id, "abc")


def test_unlock_user_clears_lock(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        user = session.get(User, clerk.user_id)
        assert user is not None
        user.locked_until = utc_now() + timedelta(minutes=5)
    with database.transaction() as session:
        written = users.unlock_user(session, admin, clerk.user_id)
    assert written.user.locked is False


def test_unknown_user_id_not_found(database: Database, admin: Actor) -> None:
    missing = UserId(uuid.UUID(int=1))
    with database.transaction() as session, pytest.raises(NotFoundError):
        users.unlock_user(session, admin, missing)


def test_get_user_by_username_any_case(database: Database, admin: Actor) -> None:
    with database.session() as session:
        found = users.get_user_by_username(session, " ADMIN ")
    assert found is not None
    assert found.id == admin.user_id


@pytest.mark.parametrize(
    ("display_name", "kind"),
    [
        ("a\x1b[31mred\x07", "control character"),
        ("Ada\u202eNimda", "formatting character"),
    ],
)
def test_display_name_hidden_characters_rejected(
    database: Database, admin: Actor, display_name: str, kind: str
) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, "ctrl", display_name, Role.BILLER, USER_PASSWORD)

    problems = raised.value.problems
    assert [problem.field for problem in problems] == ["display_name"]
    assert "display name" in problems[0].message
    assert kind in problems[0].message


def test_update_display_name_hidden_rejected(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.update_user(session, admin, clerk.user_id, "Clerk\x00", Role.FRONT_DESK)

    assert raised.value.problems[0].field == "display_name"


@pytest.mark.parametrize("username", ["a\x1bred", "jsmith\u202e", "j\u200bsmith", "j\tsmith"])
def test_username_hidden_characters_rejected(
    database: Database, admin: Actor, username: str
) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, username, "Jane Smith", Role.BILLER, USER_PASSWORD)

    assert [problem.field for problem in raised.value.problems] == ["username"]


def test_long_username_shortened_in_message(database: Database, admin: Actor) -> None:
    username = "x" * 4_990 + "!" * 10
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        users.create_user(session, admin, username, "Jane Smith", Role.BILLER, USER_PASSWORD)

    message = raised.value.problems[0].message
    assert "x" * 59 + "\u2026" in message
    assert "x" * 60 not in message
    assert "!" not in message
    assert len(message) < 250


def test_unlock_not_locked_no_change(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None

    with database.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
        written = users.unlock_user(session, admin, clerk.user_id)
        after = session.scalar(select(func.count()).select_from(AuditEvent))

    assert not written.changes.kinds
    assert after == before
