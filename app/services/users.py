"""User accounts: listing, creating, editing, archiving, password resets and unlocking.

User names are stored in lower case, so "JSmith" and "jsmith" are the same account.
Every write is audited and returns what changed.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError, ValidationError
from app.ids import UserId
from app.models.security import User
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.passwords import check_password_policy, hash_password
from app.security.permissions import Actor, Permission, Role, require, system_actor
from app.services.settings import security_settings
from app.validators import character_problems, shorten_for_message

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,40}")
DISPLAY_NAME_MAX = 80
OBJECT_TYPE = "user"


@dataclass(frozen=True)
class UserSummary:
    """The displayed facts about one user account, for screens and the command line."""

    id: UserId
    username: str
    display_name: str
    role: Role
    archived: bool
    locked: bool
    totp_enabled: bool
    must_change_password: bool
    last_sign_in_at: datetime | None


@dataclass(frozen=True)
class UserWrite:
    """The account after a write, and what the write changed."""

    user: UserSummary
    changes: Changes


def normalize_username(username: str) -> str:
    """Return the stored form of a user name: trimmed and lower case."""
    return username.strip().lower()


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Return True while the account's lockout has not yet ended."""
    moment = now or utc_now()
    return user.locked_until is not None and user.locked_until > moment


def summarize(user: User) -> UserSummary:
    """Return the displayable summary of `user`."""
    return UserSummary(
        id=UserId(user.id),
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        archived=user.archived,
        locked=is_locked(user),
        totp_enabled=user.totp_secret is not None,
        must_change_password=user.must_change_password,
        last_sign_in_at=user.last_sign_in_at,
    )


def get_user_by_username(session: Session, username: str) -> User | None:
    """Return the account named `username` (any case), archived ones included."""
    name = normalize_username(username)
    return session.scalar(select(User).where(func.lower(User.username) == name))


def get_active_user(session: Session, user_id: UserId) -> User:
    """Return the user with `user_id`, or raise NotFoundError when missing or archived."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(
            f"No user account has the id {user_id}. Refresh the user list and try again."
        )
    if user.archived:
        raise NotFoundError(
            f"The user account {user.username} is archived, so it cannot be changed. "
            "Choose an active account."
        )
    return user


def list_users(session: Session, actor: Actor, include_archived: bool = False) -> list[UserSummary]:
    """Return user accounts ordered by user name."""
    require(actor, Permission.USER_MANAGE)
    query = select(User).order_by(User.username)
    if not include_archived:
        query = query.where(User.archived.is_(False))
    return [summarize(user) for user in session.scalars(query)]


def _username_problems(session: Session, username: str) -> list[Problem]:
    name = normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        return [
            Problem(
                "username",
                f"The user name {shorten_for_message(username.strip())!r} is not valid. "
                "Use 3 to 40 characters: "
                "letters, digits, dots, hyphens or underscores, such as jsmith or j.smith.",
            )
        ]
    if get_user_by_username(session, name) is not None:
        return [
            Problem(
                "username",
                f"The user name {name} is already taken (perhaps by an archived account). "
                "Choose another, such as adding an initial.",
            )
        ]
    return []


def display_name_problems(display_name: str) -> list[Problem]:
    """Return the problems with a user's display name (empty when it is valid)."""
    name = display_name.strip()
    if not name:
        return [Problem("display_name", "Enter the person's name, such as Jane Smith.")]

    problems = character_problems(name, "display_name", "The display name")
    if len(name) > DISPLAY_NAME_MAX:
        problems.append(
            Problem(
                "display_name",
                f"The name has {len(name)} characters; shorten it to {DISPLAY_NAME_MAX} or fewer.",
            )
        )
    return problems


def _new_user_problems(
    session: Session, username: str, display_name: str, password: str
) -> list[Problem]:
    min_length = security_settings(session).password_min_length
    return [
        *_username_problems(session, username),
        *display_name_problems(display_name),
        *check_password_policy(password, min_length, normalize_username(username)),
    ]


def _insert_user(
    session: Session, actor: Actor, username: str, display_name: str, *, role: Role, password: str
) -> UserWrite:
    problems = _new_user_problems(session, username, display_name, password)
    if problems:
        raise ValidationError(problems)

    user = User(
        username=normalize_username(username),
        display_name=display_name.strip(),
        role=role.value,
        password_hash=hash_password(password),
        updated_by=actor.user_id,
    )
    session.add(user)
    session.flush()

    audit.record(session, actor, AuditAction.CREATE, OBJECT_TYPE, user.id, detail=f"role={role}")
    log.info("created user %s with role %s", user.id, role.value)
    return UserWrite(summarize(user), Changes.of(ChangeKind.USERS))


def create_user(  # noqa: PLR0917 (a public signature other modules call positionally)
    session: Session, actor: Actor, username: str, display_name: str, role: Role, password: str
) -> UserWrite:
    """Create an account, or raise ValidationError listing every problem with the input."""
    require(actor, Permission.USER_MANAGE)
    return _insert_user(session, actor, username, display_name, role=role, password=password)


def create_first_administrator(
    session: Session, username: str, display_name: str, password: str, workstation: str
) -> UserWrite:
    """Create the practice's first administrator during set-up (audited as the system).

    `workstation` is this workstation's code. Raise UserError once any account exists,
    because later accounts are added by an administrator.
    """
    existing = session.scalar(select(func.count()).select_from(User)) or 0
    if existing:
        raise UserError(
            "This practice already has user accounts, so no first administrator was created. "
            "Sign in as an administrator and add the account under Admin > Users."
        )
    actor = system_actor(workstation)
    return _insert_user(
        session, actor, username, display_name, role=Role.ADMINISTRATOR, password=password
    )


def _active_administrator_count(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMINISTRATOR.value, User.archived.is_(False))
    )
    return session.scalar(query) or 0


def _is_last_administrator(session: Session, user: User) -> bool:
    if user.role != Role.ADMINISTRATOR.value or user.archived:
        return False
    return _active_administrator_count(session) <= 1


def update_user(
    session: Session, actor: Actor, user_id: UserId, display_name: str, role: Role
) -> UserWrite:
    """Change a user's display name and role, keeping at least one active administrator."""
    require(actor, Permission.USER_MANAGE)
    user = get_active_user(session, user_id)

    problems = display_name_problems(display_name)
    if role != Role.ADMINISTRATOR and _is_last_administrator(session, user):
        problems.append(
            Problem(
                "role",
                f"{user.username} is the only active administrator, so the role must stay "
                "Administrator. Make another user an administrator first.",
            )
        )
    if problems:
        raise ValidationError(problems)

    changed = _apply_profile(user, display_name.strip(), role)
    if not changed:
        return UserWrite(summarize(user), Changes())
    user.updated_by = actor.user_id
    session.flush()

    audit.record(
        session, actor, AuditAction.UPDATE, OBJECT_TYPE, user.id, detail="; ".join(changed)
    )
    return UserWrite(summarize(user), Changes.of(ChangeKind.USERS))


def _apply_profile(user: User, display_name: str, role: Role) -> list[str]:
    """Set the new values and return audit notes naming what changed (no values for names)."""
    changed = []
    if user.display_name != display_name:
        user.display_name = display_name
        changed.append("display name changed")
    if user.role != role.value:
        changed.append(f"role {user.role} to {role.value}")
        user.role = role.value
    return changed


def archive_user(session: Session, actor: Actor, user_id: UserId) -> UserWrite:
    """Archive an account so it can no longer sign in. Its audit history stays."""
    require(actor, Permission.USER_MANAGE)
    user = get_active_user(session, user_id)

    if actor.user_id == user.id:
        raise UserError(
            "You cannot archive your own account while signed in with it. "
            "Ask another administrator to archive it."
        )
    if _is_last_administrator(session, user):
        raise UserError(
            f"{user.username} is the only active administrator, so it cannot be archived. "
            "Make another user an administrator first."
        )

    user.archived = True
    user.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, OBJECT_TYPE, user.id)
    log.info("archived user %s", user.id)
    return UserWrite(summarize(user), Changes.of(ChangeKind.USERS))


def reset_password(session: Session, actor: Actor, user_id: UserId, new_password: str) -> UserWrite:
    """Set a temporary password that the user must change at the next sign-in."""
    require(actor, Permission.USER_MANAGE)
    user = get_active_user(session, user_id)

    min_length = security_settings(session).password_min_length
    problems = check_password_policy(new_password, min_length, user.username)
    if problems:
        raise ValidationError(problems)

    user.password_hash = hash_password(new_password)
    user.password_changed_at = utc_now()
    user.must_change_password = True
    _clear_lockout(user)
    user.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.UPDATE, OBJECT_TYPE, user.id, detail="password reset")
    return UserWrite(summarize(user), Changes.of(ChangeKind.USERS))


def _clear_lockout(user: User) -> None:
    user.failed_sign_ins = 0
    user.locked_until = None


def unlock_user(session: Session, actor: Actor, user_id: UserId) -> UserWrite:
    """End a lockout now and reset the failed sign-in count.

    An account that is not locked and has no failed sign-ins is left as it is: the
    result then has no changes and nothing is audited.
    """
    require(actor, Permission.USER_MANAGE)
    user = get_active_user(session, user_id)
    if not is_locked(user) and user.failed_sign_ins == 0:
        return UserWrite(summarize(user), Changes())

    _clear_lockout(user)
    user.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.UPDATE, OBJECT_TYPE, user.id, detail="unlocked")
    return UserWrite(summarize(user), Changes.of(ChangeKind.USERS))
