"""Two-step sign-in: code checks, enrollment, turning it off."""

import pyotp
import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import AuthenticationError, PermissionDeniedError
from app.models.security import AuditEvent, User
from app.security import totp
from app.security.permissions import Actor
from tests.security.conftest import MakeUser

SECRET = pyotp.random_base32()


def test_verify_code_current() -> None:
    assert totp.verify_code(SECRET, pyotp.TOTP(SECRET).now())


def test_verify_code_with_spaces() -> None:
    code = pyotp.TOTP(SECRET).now()
    assert totp.verify_code(SECRET, f" {code[:3]} {code[3:]} ")


def test_verify_code_wrong() -> None:
    code = pyotp.TOTP(SECRET).now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not totp.verify_code(SECRET, wrong)


def test_verify_code_not_digits() -> None:
    assert not totp.verify_code(SECRET, "12345a")


def test_verify_code_bad_secret() -> None:
    assert not totp.verify_code("not-base32!", "123456")


def test_begin_enrollment_uri(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        enrollment = totp.begin_enrollment(session, admin)
    assert enrollment.provisioning_uri.startswith("otpauth://totp/ClinicDesk:admin?")
    assert f"secret={enrollment.secret}" in enrollment.provisioning_uri
    assert "issuer=ClinicDesk" in enrollment.provisioning_uri


def test_begin_enrollment_stores_nothing(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        totp.begin_enrollment(session, admin)
    with database.session() as session:
        user = session.get(User, admin.user_id)
        assert user is not None
        assert user.totp_secret is None


def test_confirm_wrong_code_rejected(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        enrollment = totp.begin_enrollment(session, admin)
    with database.transaction() as session, pytest.raises(AuthenticationError):
        totp.confirm_enrollment(session, admin, enrollment.secret, "000000x")
    with database.session() as session:
        user = session.get(User, admin.user_id)
        assert user is not None
        assert user.totp_secret is None


def test_confirm_stores_secret(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        enrollment = totp.begin_enrollment(session, admin)
    code = pyotp.TOTP(enrollment.secret).now()
    with database.transaction() as session:
        changes = totp.confirm_enrollment(session, admin, enrollment.secret, code)
    with database.session() as session:
        user = session.get(User, admin.user_id)
        assert user is not None
        assert user.totp_secret == enrollment.secret
    assert changes.kinds


def _enroll(database: Database, actor: Actor) -> None:
    with database.transaction() as session:
        totp.confirm_enrollment(session, actor, SECRET, pyotp.TOTP(SECRET).now())


def test_disable_own(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    _enroll(database, clerk)
    with database.transaction() as session:
        totp.disable_totp(session, clerk, clerk.user_id)
    with database.session() as session:
        user = session.get(User, clerk.user_id)
        assert user is not None
        assert user.totp_secret is None


def test_disable_other_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    other = make_user("other")
    assert other.user_id is not None
    _enroll(database, other)
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        totp.disable_totp(session, clerk, other.user_id)


def test_disable_admin_reset_audited(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    _enroll(database, clerk)
    with database.transaction() as session:
        totp.disable_totp(session, admin, clerk.user_id)
    with database.session() as session:
        event = session.scalars(
            select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
        ).one()
    assert event.username == "admin"
    assert event.object_id == str(clerk.user_id)
    assert event.detail == "two-step sign-in turned off by an administrator"
