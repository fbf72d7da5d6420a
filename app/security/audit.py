"""The append-only, hash-chained audit log.

Each workstation writes its own chain: rows numbered 1, 2, 3 … with each row's hash
covering the previous row's hash and its own fields. Editing a row changes its hash,
removing one leaves a gap in the numbering, and either breaks every later link, which
`verify_chain` reports. Triggers in the database reject UPDATE and DELETE outright, and
the audit_head table records each chain's newest link, so deleting the newest rows is
found too.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.ids import new_id
from app.models.security import AuditEvent, AuditHead
from app.security.permissions import Actor, Denial

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64


class AuditAction(StrEnum):
    """Kind of audited event, stored as text so later versions can add kinds."""

    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    LOCK = "lock"
    UNLOCK = "unlock"
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    PRINT = "print"
    EXPORT = "export"
    EMERGENCY_ACCESS = "emergency_access"
    PERMISSION_DENIED = "permission_denied"
    BACKUP = "backup"
    RESTORE = "restore"
    KEY_ROTATE = "key_rotate"
    KEY_RECOVER = "key_recover"
    SUBMIT = "submit"
    POST = "post"
    IMPORT = "import"


class Outcome(StrEnum):
    """Whether the audited action went through."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


def _row_hash(previous_hash: str, event: AuditEvent) -> str:
    fields = {
        "id": str(event.id),
        "workstation": event.workstation,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "user_id": str(event.user_id) if event.user_id else None,
        "username": event.username,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": str(event.patient_id) if event.patient_id else None,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode("utf-8")).hexdigest()


def _last_link(session: Session, workstation: str) -> tuple[int, str]:
    head = session.get(AuditHead, workstation)
    return (0, GENESIS_HASH) if head is None else (head.sequence, head.row_hash)


def _advance_head(session: Session, event: AuditEvent) -> None:
    head = session.get(AuditHead, event.workstation)
    if head is None:
        session.add(AuditHead(workstation=event.workstation, sequence=1, row_hash=event.row_hash))
    else:
        head.sequence = event.sequence
        head.row_hash = event.row_hash


def record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: uuid.UUID | str | None = None,
    *,
    outcome: Outcome = Outcome.SUCCESS,
    patient_id: uuid.UUID | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one audit row to this workstation's chain (flushed, not committed).

    `detail` must hold no PHI: ids, counts and reasons only.
    """
    sequence, previous_hash = _last_link(session, actor.workstation)
    event = AuditEvent(
        id=new_id(),
        workstation=actor.workstation,
        sequence=sequence + 1,
        occurred_at=utc_now(),
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role.value,
        action=action.value,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        patient_id=patient_id,
        outcome=outcome.value,
        detail=detail,
        previous_hash=previous_hash,
        row_hash="",
    )
    event.row_hash = _row_hash(previous_hash, event)
    session.add(event)
    _advance_head(session, event)
    session.flush()
    return event


def record_denial(session: Session, denial: object) -> AuditEvent:
    """Append the audit row for an attempt that PermissionDeniedError refused."""
    if not isinstance(denial, Denial):
        raise TypeError(f"expected a Denial, got {type(denial).__name__}")
    return record(
        session,
        denial.actor,
        AuditAction.PERMISSION_DENIED,
        "permission",
        denial.permission.value,
        outcome=Outcome.DENIED,
        patient_id=denial.patient_id,
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first place a workstation's chain stops being intact."""

    workstation: str
    sequence: int
    reason: str


def verify_chain(session: Session) -> list[ChainBreak]:
    """Check every workstation's chain; return the first break of each (empty when intact).

    NOTE: someone holding the database key who also drops the audit_head triggers and
    rewinds that row can remove the newest rows unseen; the copy on the office server is
    the outside reference against that.
    """
    workstations = set(session.scalars(select(AuditEvent.workstation).distinct()))
    workstations.update(session.scalars(select(AuditHead.workstation)))
    breaks = [found for ws in sorted(workstations) if (found := _verify_one(session, ws))]
    return breaks


def _verify_one(session: Session, workstation: str) -> ChainBreak | None:
    found = _walk_rows(session, workstation)
    if isinstance(found, ChainBreak):
        return found
    last_sequence, last_hash = found
    head = session.get(AuditHead, workstation)
    if head is None and last_sequence == 0:
        return None
    if head is None or (head.sequence, head.row_hash) != (last_sequence, last_hash):
        expected = head.sequence if head is not None else last_sequence
        return ChainBreak(
            workstation,
            last_sequence + 1,
            f"the newest rows are missing or altered: the chain ends at row {last_sequence} "
            f"but row {expected} was written",
        )
    return None


def _walk_rows(session: Session, workstation: str) -> "ChainBreak | tuple[int, str]":
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    rows: Iterable[AuditEvent] = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.workstation == workstation)
        .order_by(AuditEvent.sequence)
        .execution_options(yield_per=1000)
    )
    for event in rows:
        if event.sequence != expected_sequence:
            return ChainBreak(workstation, expected_sequence, f"row {expected_sequence} is missing")
        if event.previous_hash != previous_hash:
            return ChainBreak(workstation, event.sequence, "link to the previous row is broken")
        if _row_hash(previous_hash, event) != event.row_hash:
            return ChainBreak(workstation, event.sequence, "row content was changed")
        previous_hash = event.row_hash
        expected_sequence += 1
    return expected_sequence - 1, previous_hash


def count_events(session: Session) -> int:
    """Return how many audit rows exist."""
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
