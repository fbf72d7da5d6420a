"""Two-step sign-in with time-based one-time passwords (TOTP, RFC 6238).

A user enrolls by scanning the provisioning URI into an authenticator app and typing one
code back. Only then is the secret stored. Codes are 6 digits, 30 seconds each, and one
step either side is accepted so a slightly wrong clock still works.
"""

import logging
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import AuthenticationError, NotFoundError, UserError
from app.ids import UserId
from app.models.security import User
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

ISSUER = "ClinicDesk"
CODE_DIGITS = 6


@dataclass(frozen=True)
class TotpEnrollment:
    """A new secret and the otpauth:// URI an authenticator app scans as a QR code."""

    secret: str
    provisioning_uri: str


def _normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the 30-second time step `code` belongs to (now, or one step either side).

    Returns None for a wrong or malformed code. Sign-in stores the step it accepted, so
    the same code cannot be used twice.
    """
    digits = _normalize_code(code)
    if len(digits) != CODE_DIGITS or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    try:
        for step in (current, current - 1, current + 1):
            if totp.at(step * totp.interval) == digits:
                return step
    except ValueError:
        log.warning("TOTP secret could not be decoded; treating the code as wrong")
    return None


def verify_code(secret: str, code: str) -> bool:
    """Return True when `code` (spaces allowed) is valid for `secret` now, give or take 30 s."""
    digits = _normalize_code(code)
    if len(digits) != CODE_DIGITS or not digits.isdigit():
        return False
    try:
        return pyotp.TOTP(secret).verify(digits, valid_window=1)
    except ValueError:
        # pyotp raises ValueError (binascii.Error included) for a malformed or short secret.
        log.warning("TOTP secret could not be decoded; treating the code as wrong")
        return False


def _signed_in_user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.archived:
        raise UserError(
            "Two-step sign-in is set up by a signed-in person for their own account. "
            "Sign in with your own user name and try again."
        )
    return user


def begin_enrollment(session: Session, actor: Actor) -> TotpEnrollment:
    """Create a secret for the signed-in user. Nothing is stored until confirm_enrollment."""
    user = _signed_in_user(session, actor)
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return TotpEnrollment(secret=secret, provisioning_uri=uri)


def confirm_enrollment(session: Session, actor: Actor, secret: str, code: str) -> Changes:
    """Store `secret` for the signed-in user once `code` proves the app was set up."""
    user = _signed_in_user(session, actor)
    step = matching_step(secret, code)
    if step is None:
        raise AuthenticationError(
            "The code does not match, so two-step sign-in was not turned on. Check that the "
            "authenticator app shows ClinicDesk with your user name, enter the 6-digit code it "
            "shows now, and check that this computer's clock is correct."
        )

    user.totp_secret = secret
    # The confirming code counts as used, so it cannot also serve for a sign-in.
    user.totp_last_step = step
    user.updated_by = actor.user_id
    session.flush()

    audit.record(
        session, actor, AuditAction.UPDATE, "user", user.id, detail="two-step sign-in turned on"
    )
    log.info("user %s turned on two-step sign-in", user.id)
    return Changes.of(ChangeKind.USERS)


def disable_totp(session: Session, actor: Actor, user_id: UserId) -> Changes:
    """Turn off two-step sign-in: a user for themselves, an administrator for anyone."""
    if actor.user_id != user_id:
        require(actor, Permission.USER_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user account has the id {user_id}. Refresh the user list.")
    if user.totp_secret is None:
        return Changes()

    user.totp_secret = None
    user.updated_by = actor.user_id
    session.flush()

    detail = "two-step sign-in turned off"
    if actor.user_id != user_id:
        detail += " by an administrator"
    audit.record(session, actor, AuditAction.UPDATE, "user", user.id, detail=detail)
    log.info("two-step sign-in turned off for user %s", user.id)
    return Changes.of(ChangeKind.USERS)
