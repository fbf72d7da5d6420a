"""Emergency access: grants, expiry, patient scope, denial audit and review."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.models.patients import Patient
from app.models.security import AuditEvent, EmergencyAccess
from app.models.system import Workstation
from app.security import emergency
from app.security.permissions import Actor, Permission, Role
from app.services import users
from app.services.settings import save_setting
from tests.security.conftest import MakeUser

REASON = "Patient at the desk, provider needs the SSN for a referral now"
NEEDED = Permission.PATIENT_VIEW_SSN


def _patient(session: Session, chart: str) -> uuid.UUID:
    patient = Patient(
        chart_number=chart,
        first_name="Test",
        last_name="Patient",
        date_of_birth=date(1980, 1, 1),
        sex="U",
    )
    session.add(patient)
    session.flush()
    return patient.id


def _allowed(database: Database, actor: Actor, patient_id: uuid.UUID | None = None) -> bool:
    with database.transaction() as session:
        try:
            emergency.require_or_emergency(session, actor, NEEDED, patient_id)
        except PermissionDeniedError:
            return False
    return True


def test_role_allows_without_grant(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        emergency.require_or_emergency(session, clerk, Permission.PATIENT_VIEW)


def test_denied_without_grant(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(PermissionDeniedError) as raised:
        emergency.require_or_emergency(session, clerk, NEEDED)
    assert "Emergency access" in str(raised.value)


def test_denial_audited_after_rollback(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        session.add(Workstation(code="ZZZ", name="rolled back", is_local=False))
        emergency.require_or_emergency(session, clerk, NEEDED)

    with database.transaction() as session:
        event = session.scalars(
            select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
        ).one()
        rolled_back = session.scalar(select(Workstation).where(Workstation.code == "ZZZ"))
    assert event.action == "permission_denied"
    assert event.outcome == "denied"
    assert event.object_id == NEEDED.value
    assert event.username == "clerk"
    assert rolled_back is None


def test_short_reason_rejected(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        emergency.grant_emergency_access(session, clerk, NEEDED, "  need it now  ")
    assert raised.value.problems[0].field == "reason"


def test_unknown_patient_rejected(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(NotFoundError):
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON, uuid.UUID(int=7))


def test_grant_allows(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    assert _allowed(database, clerk)


def test_grant_covers_any_patient(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        patient_id = _patient(session, "TST-000001")
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    assert _allowed(database, clerk, patient_id)


def test_grant_audited(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        patient_id = _patient(session, "TST-000001")
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON, patient_id)
    with database.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "emergency_access")
        ).one()
    assert event.object_id == str(grant.id)
    assert event.patient_id == patient_id
    assert REASON not in event.detail


def test_patient_grant_scoped(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        first = _patient(session, "TST-000001")
        second = _patient(session, "TST-000002")
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON, first)
    assert _allowed(database, clerk, first)
    assert not _allowed(database, clerk, second)
    assert not _allowed(database, clerk, None)


def test_grant_other_permission_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        emergency.require_or_emergency(session, clerk, Permission.PAYMENT_VOID)


def test_grant_other_user_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    other = make_user("other")
    with database.transaction() as session:
        emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    assert not _allowed(database, other)


def test_grant_expires(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    with database.transaction() as session:
        row = session.get(EmergencyAccess, grant.id)
        assert row is not None
        row.expires_at = utc_now() - timedelta(seconds=1)
    assert not _allowed(database, clerk)


def test_grant_minutes_setting(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        save_setting(session, admin, "security.emergency_access_minutes", 15)
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    assert grant.expires_at - grant.granted_at == timedelta(minutes=15)


def test_list_grants_front_desk_denied(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        emergency.list_grants(session, clerk)


def test_review_hides_from_unreviewed(
    database: Database, admin: Actor, make_user: MakeUser
) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    with database.session() as session:
        before = emergency.list_grants(session, admin)
    with database.transaction() as session:
        emergency.review_grant(session, admin, grant.id, "Confirmed with the provider")
    with database.session() as session:
        unreviewed = emergency.list_grants(session, admin)
        everything = emergency.list_grants(session, admin, only_unreviewed=False)
    assert [(row.id, row.username) for row in before] == [(grant.id, "clerk")]
    assert unreviewed == []
    assert everything[0].review_note == "Confirmed with the provider"
    assert everything[0].reviewed_by == admin.user_id


def test_review_twice_rejected(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
        emergency.review_grant(session, admin, grant.id, "Confirmed")
    with database.transaction() as session, pytest.raises(UserError):
        emergency.review_grant(session, admin, grant.id, "Again")


def test_review_own_rejected(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, admin, NEEDED, REASON)
    with database.transaction() as session, pytest.raises(UserError) as raised:
        emergency.review_grant(session, admin, grant.id, "Fine")
    assert "your own" in str(raised.value)


def test_review_needs_note(database: Database, admin: Actor, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session:
        grant = emergency.grant_emergency_access(session, clerk, NEEDED, REASON)
    with database.transaction() as session, pytest.raises(ValidationError):
        emergency.review_grant(session, admin, grant.id, "   ")


def test_require_denial_audited(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        users.list_users(session, clerk)

    with database.transaction() as session:
        event = session.scalars(
            select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
        ).one()
    assert event.action == "permission_denied"
    assert event.object_id == Permission.USER_MANAGE.value


@pytest.mark.parametrize(
    "permission",
    [
        Permission.USER_MANAGE,
        Permission.PRACTICE_SETUP,
        Permission.BACKUP_RUN,
        Permission.EMERGENCY_REVIEW,
        Permission.PAYMENT_VOID,
    ],
)
def test_grant_admin_permission_rejected(
    database: Database, make_user: MakeUser, permission: Permission
) -> None:
    clerk = make_user("clerk")
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        emergency.grant_emergency_access(session, clerk, permission, REASON)

    problems = raised.value.problems
    assert [problem.field for problem in problems] == ["permission"]
    assert "patient records only" in problems[0].message
    assert "administrator" in problems[0].message
    assert permission.value in problems[0].message


def test_grant_rejected_nothing_written(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    with pytest.raises(ValidationError), database.transaction() as session:
        emergency.grant_emergency_access(session, clerk, Permission.USER_MANAGE, REASON)

    with database.transaction() as session:
        grants = session.scalars(select(EmergencyAccess)).all()
    assert grants == []


@pytest.mark.parametrize("permission", sorted(emergency.EMERGENCY_PERMISSIONS))
def test_grant_patient_permission_allowed(
    database: Database, make_user: MakeUser, permission: Permission
) -> None:
    provider = make_user("doc", Role.PROVIDER)
    with database.transaction() as session:
        emergency.grant_emergency_access(session, provider, permission, REASON)

    with database.transaction() as session:
        emergency.require_or_emergency(session, provider, permission)


def test_stored_admin_grant_ignored(database: Database, make_user: MakeUser) -> None:
    clerk = make_user("clerk")
    assert clerk.user_id is not None
    now = utc_now()
    with database.transaction() as session:
        session.add(
            EmergencyAccess(
                user_id=clerk.user_id,
                permission=Permission.USER_MANAGE.value,
                reason=REASON,
                granted_at=now,
                expires_at=now + timedelta(minutes=30),
                updated_by=clerk.user_id,
            )
        )

    with database.transaction() as session, pytest.raises(PermissionDeniedError) as raised:
        emergency.require_or_emergency(session, clerk, Permission.USER_MANAGE)
    assert "patient records only" in str(raised.value)
