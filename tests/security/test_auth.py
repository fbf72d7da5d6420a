"""Sign-in, lockout, two-step codes, screen unlock and password changes."""

import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.database import Database
from app.errors import AuthenticationError, ValidationError
from app.ids import UserId
from app.models.practice import Practice
from app.models.security import AuditEvent, User
from app.security import auth, totp
from app.security.auth import SignInResult
from app.security.permissions import Actor, Role
from app.services import users
from app.services.practice import apply_practice_info
from app.services.settings import save_setting
from tests.helpers.practice_data import PRACTICE
from tests.security.conftest import ADMIN_PASSWORD, USER_PASSWORD, WORKSTATION, MakeUser

SECRET = pyotp.random_base32()


def _sign_in(
    database: Database, username: str, password: str, code: str | None = None
) -> SignInResult:
    # Committed even on failure, as the GUI and the command line do.
    with database.transaction() as session:
        return auth.sign_in(session, username, password, WORKSTATION, code)


def _last_event(database: Database) -> AuditEvent:
    with database.session() as session:
        return session.scalars(
            select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
        ).one()


def _user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    assert user is not None
    return user


def _set_lockout_attempts(database: Database, admin: Actor, attempts: int) -> None:
    with database.transaction() as session:
        save_setting(session, admin, "security.lockout_attempts", attempts)


def test_sign_in_success(database: Database, admin: Actor) -> None:
    result = _sign_in(database, "Admin", ADMIN_PASSWORD)
    assert result.ok
    assert result.actor == admin
    assert result.must_change_password is False


def test_sign_in_sets_last_sign_in(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    with database.session() as session:
        assert _user(session, admin).last_sign_in_at is not None


def test_sign_in_success_audited(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", ADMIN_PASSWORD)
    event = _last_event(database)
    assert event.action == "sign_in"
    assert event.outcome == "success"
    assert event.user_id == admin.user_id


def test_wrong_password_same_message(database: Database, admin: Actor) -> None:
    wrong = _sign_in(database, "admin", "Not-The-Password-1")
    unknown = _sign_in(database, "nobody", "Not-The-Password-1")
    assert not wrong.ok
    assert not unknown.ok
    assert wrong.message == unknown.message
    assert wrong.message.startswith("The user name or password is not correct.")


def test_wrong_password_audited(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", "Not-The-Password-1")
    event = _last_event(database)
    assert event.action == "sign_in"
    assert event.outcome == "failure"
    assert event.user_id == admin.user_id
    assert "Not-The-Password-1" not in event.detail


def test_unknown_user_audited(database: Database, admin: Actor) -> None:
    _sign_in(database, "Nobody", "Secret-Typed-Here-1")
    event = _last_event(database)
    assert event.outcome == "failure"
    assert event.username == "nobody"
    assert event.user_id is None
    assert event.detail == "unknown user name"


def test_wrong_password_counts(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", "Not-The-Password-1")
    with database.session() as session:
        assert _user(session, admin).failed_sign_ins == 1


def test_lockout_after_attempts(database: Database, admin: Actor) -> None:
    _set_lockout_attempts(database, admin, 3)
    results = [_sign_in(database, "admin", "Not-The-Password-1") for _ in range(3)]
    assert results[1].message.startswith("The user name or password")
    assert "is locked" in results[2].message
    assert "administrator to unlock" in results[2].message


def test_locked_rejects_right_password(database: Database, admin: Actor) -> None:
    _set_lockout_attempts(database, admin, 2)
    for _ in range(2):
        _sign_in(database, "admin", "Not-The-Password-1")
    result = _sign_in(database, "admin", ADMIN_PASSWORD)
    assert not result.ok
    assert "is locked" in result.message
    assert _last_event(database).outcome == "denied"


def test_lockout_ends_after_time(database: Database, admin: Actor) -> None:
    _set_lockout_attempts(database, admin, 2)
    for _ in range(2):
        _sign_in(database, "admin", "Not-The-Password-1")
    with database.transaction() as session:
        _user(session, admin).locked_until = utc_now() - timedelta(seconds=1)
    assert _sign_in(database, "admin", ADMIN_PASSWORD).ok


def test_lockout_minutes_setting(database: Database, admin: Actor) -> None:
    _set_lockout_attempts(database, admin, 1)
    with database.transaction() as session:
        save_setting(session, admin, "security.lockout_minutes", 30)
    before = utc_now()
    _sign_in(database, "admin", "Not-The-Password-1")
    with database.session() as session:
        locked_until = _user(session, admin).locked_until
    assert locked_until is not None
    assert locked_until >= before + timedelta(minutes=30)


def test_unlock_by_admin_allows_sign_in(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    _set_lockout_attempts(database, admin, 1)
    _sign_in(database, "clerk", "Not-The-Password-1")
    assert not _sign_in(database, "clerk", USER_PASSWORD).ok
    with database.transaction() as session:
        users.unlock_user(session, admin, clerk.user_id)
    assert _sign_in(database, "clerk", USER_PASSWORD).ok


def test_success_resets_count(database: Database, admin: Actor) -> None:
    _sign_in(database, "admin", "Not-The-Password-1")
    _sign_in(database, "admin", ADMIN_PASSWORD)
    with database.session() as session:
        assert _user(session, admin).failed_sign_ins == 0


def test_archived_user_denied(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        users.archive_user(session, admin, clerk.user_id)
    right = _sign_in(database, "clerk", USER_PASSWORD)
    wrong = _sign_in(database, "clerk", "Not-The-Password-1")
    assert not right.ok
    assert "archived" in right.message
    assert wrong.message.startswith("The user name or password")


def test_reset_password_flags_change(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        users.reset_password(session, admin, clerk.user_id, "Temporary-Pass-991")
    result = _sign_in(database, "clerk", "Temporary-Pass-991")
    assert result.ok
    assert result.must_change_password is True


def test_sign_in_rehashes_old_hash(database: Database, admin: Actor) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(ADMIN_PASSWORD)
    with database.transaction() as session:
        _user(session, admin).password_hash = cheap
    assert _sign_in(database, "admin", ADMIN_PASSWORD).ok
    with database.session() as session:
        assert _user(session, admin).password_hash != cheap


def _enroll(database: Database, actor: Actor) -> None:
    with database.transaction() as session:
        totp.confirm_enrollment(session, actor, SECRET, pyotp.TOTP(SECRET).at(time.time() - 30))


def test_totp_needed_not_counted(database: Database, admin: Actor) -> None:
    _enroll(database, admin)
    result = _sign_in(database, "admin", ADMIN_PASSWORD)
    with database.session() as session:
        failures = _user(session, admin).failed_sign_ins
    assert not result.ok
    assert result.needs_totp
    assert failures == 0


def test_totp_wrong_code_counts(database: Database, admin: Actor) -> None:
    _enroll(database, admin)
    code = pyotp.TOTP(SECRET).now()
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    result = _sign_in(database, "admin", ADMIN_PASSWORD, wrong)
    with database.session() as session:
        failures = _user(session, admin).failed_sign_ins
    assert not result.ok
    assert not result.needs_totp
    assert "code is not correct" in result.message
    assert failures == 1


def test_totp_right_code_signs_in(database: Database, admin: Actor) -> None:
    _enroll(database, admin)
    result = _sign_in(database, "admin", ADMIN_PASSWORD, pyotp.TOTP(SECRET).now())
    assert result.ok


def test_totp_wrong_password_no_hint(database: Database, admin: Actor) -> None:
    _enroll(database, admin)
    result = _sign_in(database, "admin", "Not-The-Password-1")
    assert not result.needs_totp


def test_unlock_same_user(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        result = auth.unlock_session(session, admin, "admin", ADMIN_PASSWORD, WORKSTATION)
    event = _last_event(database)
    assert result.actor == admin
    assert event.action == "unlock"
    assert event.detail == ""


def test_unlock_switch_user(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        result = auth.unlock_session(session, admin, "clerk", USER_PASSWORD, WORKSTATION)
    event = _last_event(database)
    assert result.actor == clerk
    assert event.user_id == clerk.user_id
    assert event.detail.startswith("switched user")


def test_unlock_wrong_password(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        result = auth.unlock_session(session, admin, "admin", "Not-The-Password-1", WORKSTATION)
    assert not result.ok
    assert result.actor is None
    assert _last_event(database).outcome == "failure"


def test_sign_out_and_lock_audited(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        auth.record_lock(session, admin)
        auth.sign_out(session, admin)
    with database.session() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.sequence)).all()
    assert actions[-2:] == ["lock", "sign_out"]


def test_change_password_wrong_old(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(AuthenticationError):
        auth.change_password(session, admin, "Not-The-Password-1", "Brand-New-Pass-55")


def test_change_password_same_as_old(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        auth.change_password(session, admin, ADMIN_PASSWORD, ADMIN_PASSWORD)
    assert raised.value.problems[0].field == "new_password"


def test_change_password_policy(database: Database, admin: Actor) -> None:
    with database.transaction() as session, pytest.raises(ValidationError):
        auth.change_password(session, admin, ADMIN_PASSWORD, "short")


def test_change_password_clears_flag(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        users.reset_password(session, admin, clerk.user_id, "Temporary-Pass-991")
    with database.transaction() as session:
        auth.change_password(session, clerk, "Temporary-Pass-991", "Brand-New-Pass-55")
    result = _sign_in(database, "clerk", "Brand-New-Pass-55")
    assert result.ok
    assert result.must_change_password is False


def test_front_desk_actor_role(database: Database, make_user: MakeUser) -> None:
    make_user("clerk", Role.BILLER)
    result = _sign_in(database, "clerk", USER_PASSWORD)
    assert result.actor is not None
    assert result.actor.role is Role.BILLER


def test_totp_code_cannot_be_reused(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("coder")
    with database.transaction() as session:
        enrollment = totp.begin_enrollment(session, clerk)
        totp.confirm_enrollment(
            session, clerk, enrollment.secret, pyotp.TOTP(enrollment.secret).now()
        )
    # The confirming code is spent, so sign in with the next step's code.
    code = pyotp.TOTP(enrollment.secret).at(time.time() + 30)

    with database.transaction() as session:
        first = auth.sign_in(session, "coder", USER_PASSWORD, WORKSTATION, code)
    with database.transaction() as session:
        second = auth.sign_in(session, "coder", USER_PASSWORD, WORKSTATION, code)
    assert first.ok
    assert not second.ok
    assert "already used" in second.message


def test_refresh_actor_unchanged(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        refreshed = auth.refresh_actor(session, clerk)
    assert refreshed == clerk


def test_refresh_actor_new_role(database: Database, admin: Actor, make_user: MakeUser) -> None:
    boss = make_user("boss", Role.MANAGER)
    assert boss.user_id is not None
    with database.transaction() as session:
        users.update_user(session, admin, boss.user_id, "Test Person", Role.FRONT_DESK)

    with database.transaction() as session:
        refreshed = auth.refresh_actor(session, boss)
    assert refreshed is not None
    assert refreshed.role == Role.FRONT_DESK
    assert refreshed.user_id == boss.user_id
    assert refreshed.workstation == boss.workstation


def test_refresh_actor_archived(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    with database.transaction() as session:
        users.archive_user(session, admin, clerk.user_id)

    with database.transaction() as session:
        refreshed = auth.refresh_actor(session, clerk)
    assert refreshed is None


def test_refresh_actor_unknown_user(database: Database, admin: Actor) -> None:
    ghost = Actor(UserId(uuid.UUID(int=5)), "ghost", Role.ADMINISTRATOR, WORKSTATION)
    with database.transaction() as session:
        refreshed = auth.refresh_actor(session, ghost)
    assert refreshed is None


def _lock_out(database: Database, admin: Actor) -> tuple[str, datetime]:
    _set_lockout_attempts(database, admin, 1)
    result = _sign_in(database, "admin", "Not-The-Password-1")
    with database.session() as session:
        locked_until = _user(session, admin).locked_until
    assert locked_until is not None
    return result.message, locked_until


def test_lockout_time_names_zone(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        practice = Practice()
        apply_practice_info(practice, PRACTICE)
        session.add(practice)

    message, locked_until = _lock_out(database, admin)
    ends = locked_until.astimezone(ZoneInfo("America/Chicago"))

    clock = f"{ends:%I:%M %p %Z}".lstrip("0")
    assert ends.strftime("%Z") in {"CST", "CDT"}
    assert f"unlocks at {clock} (in about" in message


def test_lockout_time_utc_label(database: Database, admin: Actor) -> None:
    message, locked_until = _lock_out(database, admin)

    assert f"{locked_until:%M %p} UTC (in about" in message
