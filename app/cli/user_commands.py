"""The `user` commands: list, add, reset a password and unlock user accounts."""

import argparse
from typing import Any

from app.cli.common import NEW_PASSWORD_VAR, Outcome, _opened, _secret, _sign_in
from app.errors import NotFoundError
from app.validators import shorten_for_message


def _user(session: Any, username: str) -> Any:
    from app.services.users import get_user_by_username

    user = get_user_by_username(session, username)
    if user is None:
        shown = shorten_for_message(username)
        raise NotFoundError(f"There is no user named {shown!r}. Run 'user list' to see them.")
    return user


def _user_id(session: Any, username: str) -> Any:
    return _user(session, username).id


def cmd_user_list(args: argparse.Namespace) -> Outcome:
    """List the user accounts."""
    from app.services.users import list_users

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            users = list_users(session, actor, include_archived=args.all)
    rows = [
        {
            "username": user.username,
            "name": user.display_name,
            "role": user.role.value,
            "archived": user.archived,
            "locked": user.locked,
        }
        for user in users
    ]
    text = [
        f"{row['username']:<20} {row['role']:<14} {row['name']}"
        + (" (archived)" if row["archived"] else "")
        + (" (locked)" if row["locked"] else "")
        for row in rows
    ]
    return Outcome({"users": rows}, text)


def cmd_user_add(args: argparse.Namespace) -> Outcome:
    """Create a user account."""
    from app.services.users import create_user

    with _opened(args) as database:
        actor = _sign_in(database, args)
        password = _secret(NEW_PASSWORD_VAR, f"Password for the new user {args.username}: ", True)
        with database.transaction() as session:
            written = create_user(session, actor, args.username, args.name, args.role, password)
    username = written.user.username
    text = [f"Created the user {username} ({written.user.role.label})."]
    return Outcome({"username": username, "role": written.user.role.value}, text)


def cmd_user_reset_password(args: argparse.Namespace) -> Outcome:
    """Give a user a temporary password to change at the next sign-in."""
    from app.services.users import reset_password

    with _opened(args) as database:
        actor = _sign_in(database, args)
        password = _secret(NEW_PASSWORD_VAR, f"Temporary password for {args.username}: ", True)
        with database.transaction() as session:
            reset_password(session, actor, _user_id(session, args.username), password)
    text = [f"{args.username} must choose a new password at the next sign-in."]
    return Outcome({"username": args.username, "reset": True}, text)


def cmd_user_unlock(args: argparse.Namespace) -> Outcome:
    """End a user's sign-in lockout."""
    from app.services.users import is_locked, unlock_user

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            user = _user(session, args.username)
            was_locked = is_locked(user)
            unlock_user(session, actor, user.id)
    data = {"username": args.username, "unlocked": was_locked, "was_locked": was_locked}
    if not was_locked:
        text = f"{args.username} was not locked, so there was nothing to unlock."
        return Outcome(data, [text])
    return Outcome(data, [f"Unlocked {args.username}."])
