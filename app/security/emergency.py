"""Emergency ("break the glass") access: a short, audited grant beyond one's role.

A user whose role lacks a permission can grant it to themselves for a limited time by
giving a reason, when a patient's care cannot wait for an administrator. Every grant is
audited, and an administrator reviews each one afterwards.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.models.patients import Patient
from app.models.security import EmergencyAccess, User
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Denial, Permission, require
from app.services.settings import security_settings

log = logging.getLogger(__name__)

MIN_REASON_LENGTH = 15
OBJECT_TYPE = "emergency_access"

# Breaking the glass opens a patient's record or schedule outside one's role. It never
# grants administration (users, set-up, backups, audit, reviewing grants), because an
# administrator can always be asked for those and no patient's care waits on them.
EMERGENCY_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.PATIENT_VIEW,
        Permission.PATIENT_EDIT,
        Permission.PATIENT_VIEW_SSN,
        Permission.SCHEDULE_VIEW,
        Permission.SCHEDULE_EDIT,
    }
)


@dataclass(frozen=True)
class EmergencyAccessSummary:
    """One grant as the review screen shows it. A `patient_id` of None covers every patient."""

    id: uuid.UUID
    user_id: uuid.UUID
    username: str
    permission: str
    patient_id: uuid.UUID | None
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    review_note: str | None


def _summarize(grant: EmergencyAccess, username: str) -> EmergencyAccessSummary:
    return EmergencyAccessSummary(
        id=grant.id,
        user_id=grant.user_id,
        username=username,
        permission=grant.permission,
        patient_id=grant.patient_id,
        reason=grant.reason,
        granted_at=grant.granted_at,
        expires_at=grant.expires_at,
        reviewed_by=grant.reviewed_by,
        reviewed_at=grant.reviewed_at,
        review_note=grant.review_note,
    )


def _permission_problems(permission: Permission) -> list[Problem]:
    if permission in EMERGENCY_PERMISSIONS:
        return []
    allowed = ", ".join(sorted(item.value for item in EMERGENCY_PERMISSIONS))
    return [
        Problem(
            "permission",
            f"Emergency access covers patient records only ({allowed}), so it cannot grant "
            f"{permission.value}. Ask an administrator to do this or to change your role.",
        )
    ]


def _reason_problems(reason: str) -> list[Problem]:
    if len(reason.strip()) >= MIN_REASON_LENGTH:
        return []
    return [
        Problem(
            "reason",
            f"Describe why access is needed in at least {MIN_REASON_LENGTH} characters, such "
            "as 'patient in clinic, provider needs insurance details now'.",
        )
    ]


def grant_emergency_access(
    session: Session,
    actor: Actor,
    permission: Permission,
    reason: str,
    patient_id: uuid.UUID | None = None,
) -> EmergencyAccessSummary:
    """Grant `actor` the `permission` for the configured number of minutes.

    With `patient_id` the grant covers that patient only. Raise ValidationError when the
    permission is not in EMERGENCY_PERMISSIONS or the reason is too short, and
    NotFoundError when the patient does not exist.
    """
    if actor.user_id is None:
        raise UserError("Emergency access is granted to a signed-in person. Sign in first.")
    problems = [*_permission_problems(permission), *_reason_problems(reason)]
    if problems:
        raise ValidationError(problems)
    if patient_id is not None and session.get(Patient, patient_id) is None:
        raise NotFoundError(
            f"No patient has the id {patient_id}, so no emergency access was granted. "
            "Open the patient's record again and retry."
        )

    now = utc_now()
    minutes = security_settings(session).emergency_access_minutes
    grant = EmergencyAccess(
        user_id=actor.user_id,
        patient_id=patient_id,
        permission=permission.value,
        reason=reason.strip(),
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
        updated_by=actor.user_id,
    )
    session.add(grant)
    session.flush()

    # The reason text stays in the grant row only, because it may name the patient.
    detail = f"granted {permission.value} for {minutes} minutes"
    audit.record(
        session,
        actor,
        AuditAction.EMERGENCY_ACCESS,
        OBJECT_TYPE,
        grant.id,
        patient_id=patient_id,
        detail=detail,
    )
    log.warning("user %s took emergency access %s (grant %s)", actor.user_id, permission, grant.id)
    return _summarize(grant, actor.username)


def _has_grant(
    session: Session, actor: Actor, permission: Permission, patient_id: uuid.UUID | None
) -> bool:
    # Grants written before EMERGENCY_PERMISSIONS existed may name any permission.
    if actor.user_id is None or permission not in EMERGENCY_PERMISSIONS:
        return False
    covers_patient: ColumnElement[bool] = EmergencyAccess.patient_id.is_(None)
    if patient_id is not None:
        covers_patient = or_(covers_patient, EmergencyAccess.patient_id == patient_id)
    query = select(EmergencyAccess.id).where(
        EmergencyAccess.user_id == actor.user_id,
        EmergencyAccess.permission == permission.value,
        EmergencyAccess.expires_at > utc_now(),
        EmergencyAccess.archived.is_(False),
        covers_patient,
    )
    return session.scalar(query.limit(1)) is not None


def require_or_emergency(
    session: Session, actor: Actor, permission: Permission, patient_id: uuid.UUID | None = None
) -> None:
    """Return when the role or an unexpired grant allows `permission`, otherwise raise.

    Only grants for EMERGENCY_PERMISSIONS count. The PermissionDeniedError carries a
    Denial, which the unit of work writes to the audit log after rolling back (see
    Database.transaction).
    """
    if actor.can(permission) or _has_grant(session, actor, permission, patient_id):
        return

    log.info("user %s denied %s", actor.user_id, permission)
    raise PermissionDeniedError(
        _denial_message(actor, permission), Denial(actor, permission, patient_id)
    )


def _denial_message(actor: Actor, permission: Permission) -> str:
    refused = f"Your role ({actor.role.label}) does not allow this action ({permission.value})"
    if permission not in EMERGENCY_PERMISSIONS:
        return (
            f"{refused}, and emergency access covers patient records only. Ask an "
            "administrator to do this or to change your role."
        )
    return (
        f"{refused}. If a patient's care depends on it now, choose Emergency access, give the "
        "reason, and try again; an administrator reviews every emergency access. Otherwise "
        "ask an administrator to change your role."
    )


def list_grants(
    session: Session, actor: Actor, only_unreviewed: bool = True
) -> list[EmergencyAccessSummary]:
    """Return emergency grants, newest first, for an administrator to review."""
    require(actor, Permission.EMERGENCY_REVIEW)
    query = (
        select(EmergencyAccess, User.username)
        .join(User, User.id == EmergencyAccess.user_id)
        .where(EmergencyAccess.archived.is_(False))
        .order_by(EmergencyAccess.granted_at.desc())
    )
    if only_unreviewed:
        query = query.where(EmergencyAccess.reviewed_at.is_(None))
    return [_summarize(grant, username) for grant, username in session.execute(query)]


def review_grant(session: Session, actor: Actor, grant_id: uuid.UUID, note: str) -> Changes:
    """Mark a grant reviewed with the reviewer's note. Reviewers cannot review their own grants."""
    require(actor, Permission.EMERGENCY_REVIEW)
    grant = session.get(EmergencyAccess, grant_id)
    if grant is None or grant.archived:
        raise NotFoundError(f"No emergency access grant has the id {grant_id}. Refresh the list.")
    if grant.reviewed_at is not None:
        raise UserError("This emergency access was already reviewed. Refresh the list.")
    if grant.user_id == actor.user_id:
        raise UserError(
            "You cannot review your own emergency access. Ask another administrator to review it."
        )
    if not note.strip():
        raise ValidationError(
            [Problem("note", "Write what you checked, such as 'care need confirmed'.")]
        )

    grant.reviewed_by = actor.user_id
    grant.reviewed_at = utc_now()
    grant.review_note = note.strip()
    grant.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        grant.id,
        patient_id=grant.patient_id,
        detail="reviewed",
    )
    return Changes.of(ChangeKind.AUDIT)
