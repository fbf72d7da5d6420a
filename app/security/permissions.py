"""Roles, permissions, and the check every service runs before it acts.

The check lives here, in the service layer, so the GUI and the CLI obey the same rules;
the GUI only hides or disables what the check would reject anyway.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.errors import PermissionDeniedError
from app.ids import UserId


class Role(StrEnum):
    """Job of a user at the practice; each role grants a fixed set of permissions."""

    FRONT_DESK = "front_desk"
    BILLER = "biller"
    PROVIDER = "provider"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        """Name shown on screens, such as "Front desk"."""
        return self.value.replace("_", " ").capitalize()


class Permission(StrEnum):
    """One thing a role may do."""

    PATIENT_VIEW = "patient.view"
    PATIENT_EDIT = "patient.edit"
    PATIENT_VIEW_SSN = "patient.view_ssn"
    PATIENT_MERGE = "patient.merge"
    PATIENT_IMPORT = "patient.import"
    SCHEDULE_VIEW = "schedule.view"
    SCHEDULE_EDIT = "schedule.edit"
    SCHEDULE_OVERRIDE = "schedule.override"
    CHARGE_POST = "charge.post"
    CHARGE_CHANGE_FEE = "charge.change_fee"
    CODE_SET_EDIT = "code_set.edit"
    FEE_SCHEDULE_EDIT = "fee_schedule.edit"
    CLAIM_MANAGE = "claim.manage"
    PAYMENT_POST = "payment.post"
    PAYMENT_VOID = "payment.void"
    STATEMENT_RUN = "statement.run"
    REPORT_VIEW = "report.view"
    PRACTICE_SETUP = "practice.setup"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"
    BACKUP_RUN = "backup.run"
    EMERGENCY_REVIEW = "emergency.review"


_FRONT_DESK = {
    Permission.PATIENT_VIEW,
    Permission.PATIENT_EDIT,
    Permission.SCHEDULE_VIEW,
    Permission.SCHEDULE_EDIT,
    Permission.PAYMENT_POST,
}
_BILLER = _FRONT_DESK | {
    Permission.CHARGE_POST,
    Permission.CLAIM_MANAGE,
    Permission.STATEMENT_RUN,
    Permission.REPORT_VIEW,
}
_PROVIDER = {
    Permission.PATIENT_VIEW,
    Permission.SCHEDULE_VIEW,
    Permission.CHARGE_POST,
}
_MANAGER = _BILLER | {
    Permission.PATIENT_VIEW_SSN,
    Permission.PATIENT_MERGE,
    Permission.PATIENT_IMPORT,
    Permission.SCHEDULE_OVERRIDE,
    Permission.CHARGE_CHANGE_FEE,
    Permission.CODE_SET_EDIT,
    Permission.FEE_SCHEDULE_EDIT,
    Permission.PAYMENT_VOID,
    Permission.AUDIT_VIEW,
    Permission.BACKUP_RUN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.FRONT_DESK: frozenset(_FRONT_DESK),
    Role.BILLER: frozenset(_BILLER),
    Role.PROVIDER: frozenset(_PROVIDER),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMINISTRATOR: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Acting party: the signed-in user, their role and this workstation's code."""

    user_id: UserId | None
    username: str
    role: Role
    workstation: str

    def can(self, permission: Permission) -> bool:
        """Return True when the actor's role grants `permission`."""
        return permission in ROLE_PERMISSIONS[self.role]


def system_actor(workstation: str) -> Actor:
    """Return the actor for work no person started (set-up, migrations, scheduled backups)."""
    return Actor(user_id=None, username="system", role=Role.ADMINISTRATOR, workstation=workstation)


@dataclass(frozen=True, slots=True)
class Denial:
    """An attempt the role did not allow, to be written to the audit log."""

    actor: Actor
    permission: Permission
    patient_id: uuid.UUID | None = None


def require(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDeniedError unless `actor` may do `permission`."""
    if not actor.can(permission):
        raise PermissionDeniedError(
            f"Your role ({actor.role.label}) does not allow this action ({permission.value}). "
            "Ask an administrator to change your role, or use emergency access if a "
            "patient's care depends on it.",
            Denial(actor, permission),
        )
