"""Signing in and out, locking the screen, switching user and changing one's own password.

`sign_in` and `unlock_session` return a result rather than raise for a wrong user name,
password or code, and leave the failure count and the audit row flushed in the session.
The caller must commit even when the attempt fails.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import AuthenticationError, UserError, ValidationError
from app.ids import UserId
from app.models.practice import Practice
from app.models.security import User
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction, Outcome
from app.security.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.security.permissions import Actor, Role
from app.security.totp import matching_step
from app.services.settings import SecuritySettings, security_settings
from app.services.users import get_user_by_username, is_locked, normalize_username

log = logging.getLogger(__name__)

OBJECT_TYPE = "user"
USERNAME_COLUMN_LENGTH = 40

BAD_CREDENTIALS = (
    "The user name or password is not correct. Check the user name, check that Caps Lock "
    "is off, and try again. After several failed tries the account is locked for a while."
)
BAD_CODE = (
    "The two-step sign-in code is not correct. Enter the 6-digit code your authenticator "
    "app shows now (codes change every 30 seconds) and check that this computer's clock "
    "is correct."
)
REUSED_CODE = (
    "That two-step sign-in code was already used. Wait for your authenticator app to show "
    "the next code (they change every 30 seconds) and enter that one."
)
CODE_NEEDED = "Enter the 6-digit code from your authenticator app to finish signing in."


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in or unlock attempt; `message` is shown to the user."""

    ok: bool
    actor: Actor | None
    message: str
    needs_totp: bool = False
    must_change_password: bool = False


@dataclass(frozen=True)
class _Attempt:
    username: str
    password: str
    workstation: str
    totp_code: str | None
    action: AuditAction
    locked_actor: Actor | None = None


@dataclass(frozen=True)
class _Failure:
    reason: str  # for the audit detail
    message: str  # for the user


def sign_in(
    session: Session,
    username: str,
    password: str,
    workstation: str,
    totp_code: str | None = None,
) -> SignInResult:
    """Check credentials and return the signed-in actor, or why sign-in failed.

    A blank `totp_code` counts as no code: the result then requests one without
    counting a failure, because the password was right.
    """
    attempt = _Attempt(username, password, workstation, totp_code, AuditAction.SIGN_IN)
    return _authenticate(session, attempt)


def unlock_session(  # noqa: PLR0917 (a public signature other modules call positionally)
    session: Session,
    locked_actor: Actor,
    username: str,
    password: str,
    workstation: str,
    totp_code: str | None = None,
) -> SignInResult:
    """Unlock a locked screen with the same checks as sign_in.

    When a different valid user signs in, that user replaces `locked_actor` (switch user)
    and the audit row records the switch.
    """
    attempt = _Attempt(username, password, workstation, totp_code, AuditAction.UNLOCK, locked_actor)
    return _authenticate(session, attempt)


def _authenticate(session: Session, attempt: _Attempt) -> SignInResult:
    user = get_user_by_username(session, attempt.username)
    if user is None:
        return _unknown_user(session, attempt)

    actor = _actor_for(user, attempt.workstation)
    rejected = _rejection(session, user, actor, attempt)
    return rejected if rejected is not None else _succeed(session, user, actor, attempt)


def _rejection(
    session: Session, user: User, actor: Actor, attempt: _Attempt
) -> SignInResult | None:
    """Return why the attempt fails, or None when every check passes."""
    now = utc_now()
    if is_locked(user, now):
        message = _locked_message(session, user, now)
        return _deny(session, actor, attempt, Outcome.DENIED, "account locked", message)

    settings = security_settings(session)
    if not verify_password(user.password_hash, attempt.password):
        failure = _Failure("wrong password", BAD_CREDENTIALS)
        return _count_failure(session, user, actor, attempt, settings, failure)
    if user.archived:
        return _deny(session, actor, attempt, Outcome.DENIED, "account archived", _archived(user))
    return _second_factor_rejection(session, user, actor, attempt, settings)


def _second_factor_rejection(
    session: Session, user: User, actor: Actor, attempt: _Attempt, settings: SecuritySettings
) -> SignInResult | None:
    if user.totp_secret is None:
        return None
    if attempt.totp_code is None or not attempt.totp_code.strip():
        return _ask_for_code(session, actor, attempt)
    step = matching_step(user.totp_secret, attempt.totp_code)
    if step is None:
        failure = _Failure("wrong two-step code", BAD_CODE)
        return _count_failure(session, user, actor, attempt, settings, failure)
    # A code seen over a shoulder must not work a second time within its window.
    if user.totp_last_step is not None and step <= user.totp_last_step:
        failure = _Failure("two-step code reused", REUSED_CODE)
        return _count_failure(session, user, actor, attempt, settings, failure)
    user.totp_last_step = step
    return None


def _actor_for(user: User, workstation: str) -> Actor:
    return Actor(UserId(user.id), user.username, Role(user.role), workstation)


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only for equal timing")


def _unknown_user(session: Session, attempt: _Attempt) -> SignInResult:
    # Verifying against a throwaway hash makes an unknown name take as long as a wrong
    # password, so timing does not reveal which user names exist.
    verify_password(_dummy_hash(), attempt.password)

    # NOTE: Actor needs a role, so the audit row of an unknown name shows the least
    # privileged one. The detail records that the name matched no account.
    name = normalize_username(attempt.username)[:USERNAME_COLUMN_LENGTH]
    actor = Actor(None, name, Role.FRONT_DESK, attempt.workstation)
    return _deny(session, actor, attempt, Outcome.FAILURE, "unknown user name", BAD_CREDENTIALS)


def _deny(  # noqa: PLR0917 (every denial passes the same five facts)
    session: Session,
    actor: Actor,
    attempt: _Attempt,
    outcome: Outcome,
    detail: str,
    message: str,
    *,
    needs_totp: bool = False,
) -> SignInResult:
    audit.record(
        session, actor, attempt.action, OBJECT_TYPE, actor.user_id, outcome=outcome, detail=detail
    )
    log.info("%s attempt %s on %s: %s", attempt.action, outcome, attempt.workstation, detail)
    return SignInResult(ok=False, actor=None, message=message, needs_totp=needs_totp)


def _ask_for_code(session: Session, actor: Actor, attempt: _Attempt) -> SignInResult:
    detail = "password accepted, two-step code required"
    return _deny(session, actor, attempt, Outcome.FAILURE, detail, CODE_NEEDED, needs_totp=True)


def _count_failure(  # noqa: PLR0917 (a private step of _rejection)
    session: Session,
    user: User,
    actor: Actor,
    attempt: _Attempt,
    settings: SecuritySettings,
    failure: _Failure,
) -> SignInResult:
    user.failed_sign_ins += 1
    message = failure.message
    detail = f"{failure.reason}; failure {user.failed_sign_ins} of {settings.lockout_attempts}"

    if user.failed_sign_ins >= settings.lockout_attempts:
        now = utc_now()
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        # The count restarts so the next lockout again needs the full number of failures.
        user.failed_sign_ins = 0
        message = _locked_message(session, user, now)
        detail += f"; account locked for {settings.lockout_minutes} minutes"
        log.warning("user %s locked after failed sign-ins on %s", user.id, attempt.workstation)

    session.flush()
    return _deny(session, actor, attempt, Outcome.FAILURE, detail, message)


def _succeed(session: Session, user: User, actor: Actor, attempt: _Attempt) -> SignInResult:
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = utc_now()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(attempt.password)
    session.flush()

    locked = attempt.locked_actor
    detail = ""
    if locked is not None and locked.user_id != user.id:
        detail = f"switched user from {locked.username}"
    audit.record(session, actor, attempt.action, OBJECT_TYPE, user.id, detail=detail)
    log.info("user %s: %s succeeded on %s", user.id, attempt.action, attempt.workstation)

    message = f"Signed in as {user.display_name}."
    if user.must_change_password:
        message = (
            "Your password was set by an administrator. Choose a new password now; "
            "only you should know it."
        )
    return SignInResult(
        ok=True, actor=actor, message=message, must_change_password=user.must_change_password
    )


def _archived(user: User) -> str:
    return (
        f"The account {user.username} is archived, so it cannot sign in. "
        "Ask an administrator if you need access again."
    )


def _practice_zone(session: Session) -> ZoneInfo:
    name = session.scalar(select(Practice.time_zone).limit(1))
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _locked_message(session: Session, user: User, now: datetime) -> str:
    assert user.locked_until is not None
    zone = _practice_zone(session)
    ends = user.locked_until.astimezone(zone)
    minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
    # The zone abbreviation (CST, CDT, UTC) makes the time unambiguous to a reader elsewhere.
    clock = f"{ends:%I:%M %p %Z}".lstrip("0")
    return (
        f"The account {user.username} is locked after too many failed sign-ins. It unlocks "
        f"at {clock} (in about {minutes} minute{'s' if minutes != 1 else ''}). Try "
        "again then, or ask an administrator to unlock it now under Admin > Users."
    )


def refresh_actor(session: Session, actor: Actor) -> Actor | None:
    """Re-read `actor`'s account and return it with its current role.

    Return None when the account no longer exists or is archived, so the caller signs
    the session out. The system actor has no account and is returned unchanged.
    """
    if actor.user_id is None:
        return actor
    user = session.get(User, actor.user_id)
    if user is None or user.archived:
        log.info("user %s is archived or missing, so the session ends", actor.user_id)
        return None
    return _actor_for(user, actor.workstation)


def sign_out(session: Session, actor: Actor) -> None:
    """Record that `actor` signed out."""
    audit.record(session, actor, AuditAction.SIGN_OUT, OBJECT_TYPE, actor.user_id)
    log.info("user %s signed out on %s", actor.user_id, actor.workstation)


def record_lock(session: Session, actor: Actor) -> None:
    """Record that `actor`'s screen was locked (idle timeout or Ctrl+L)."""
    audit.record(session, actor, AuditAction.LOCK, OBJECT_TYPE, actor.user_id)


def change_password(
    session: Session, actor: Actor, old_password: str, new_password: str
) -> Changes:
    """Replace the signed-in user's password after checking the current one.

    Raise AuthenticationError when `old_password` is wrong and ValidationError when the
    new password breaks the policy or equals the old one.
    """
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.archived:
        raise UserError("Only a signed-in user can change their own password. Sign in first.")
    if not verify_password(user.password_hash, old_password):
        raise AuthenticationError(
            "The current password is not correct, so the password was not changed. "
            "Type the password you signed in with."
        )

    problems = _new_password_problems(session, user, old_password, new_password)
    if problems:
        raise ValidationError(problems)

    user.password_hash = hash_password(new_password)
    user.password_changed_at = utc_now()
    user.must_change_password = False
    user.updated_by = actor.user_id
    session.flush()

    audit.record(
        session, actor, AuditAction.UPDATE, OBJECT_TYPE, user.id, detail="password changed"
    )
    log.info("user %s changed their password", user.id)
    return Changes.of(ChangeKind.USERS)


def _new_password_problems(
    session: Session, user: User, old_password: str, new_password: str
) -> list[Problem]:
    min_length = security_settings(session).password_min_length
    problems = [
        Problem("new_password", problem.message, problem.severity)
        for problem in check_password_policy(new_password, min_length, user.username)
    ]
    if new_password == old_password:
        problems.append(
            Problem("new_password", "Choose a password different from the current one.")
        )
    return problems
