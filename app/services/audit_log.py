"""Reading the audit log: filtered queries, CSV export and chain verification."""

import csv
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.security import AuditEvent
from app.security import audit
from app.security.audit import AuditAction, ChainBreak
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for selecting audit rows. A field left None matches every row.

    `date_from` and `date_to` are inclusive and count whole UTC days, so late-evening
    events in US time zones fall on the next UTC date.
    """

    username: str | None = None
    patient_id: uuid.UUID | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One audit event as screens and exports show it (the hash columns left out)."""

    occurred_at: datetime
    workstation: str
    sequence: int
    username: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    patient_id: uuid.UUID | None
    outcome: str
    detail: str
    user_id: uuid.UUID | None
    id: uuid.UUID


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        occurred_at=event.occurred_at,
        workstation=event.workstation,
        sequence=event.sequence,
        username=event.username,
        role=event.role,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        patient_id=event.patient_id,
        outcome=event.outcome,
        detail=event.detail,
        user_id=event.user_id,
        id=event.id,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(audit_filter: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if audit_filter.username:
        query = query.where(AuditEvent.username == audit_filter.username.strip().lower())
    if audit_filter.patient_id is not None:
        query = query.where(AuditEvent.patient_id == audit_filter.patient_id)
    if audit_filter.action:
        query = query.where(AuditEvent.action == audit_filter.action.strip())
    if audit_filter.date_from is not None:
        query = query.where(AuditEvent.occurred_at >= _day_start(audit_filter.date_from))
    if audit_filter.date_to is not None:
        next_day = audit_filter.date_to + timedelta(days=1)
        query = query.where(AuditEvent.occurred_at < _day_start(next_day))
    return query.order_by(
        AuditEvent.occurred_at.desc(), AuditEvent.workstation, AuditEvent.sequence.desc()
    )


def query_events(
    session: Session, actor: Actor, audit_filter: AuditFilter, limit: int = 1000, offset: int = 0
) -> list[AuditRow]:
    """Return matching audit rows, newest first, one page of `limit` rows."""
    require(actor, Permission.AUDIT_VIEW)
    query = _filtered(audit_filter).limit(limit).offset(offset)
    return [_row(event) for event in session.scalars(query)]


def _iter_rows(session: Session, audit_filter: AuditFilter) -> Iterator[AuditRow]:
    query = _filtered(audit_filter).execution_options(yield_per=1000)
    for event in session.scalars(query):
        yield _row(event)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _write_csv(handle: Any, rows: Iterator[AuditRow]) -> int:
    writer = csv.writer(handle)
    writer.writerow([field.name for field in fields(AuditRow)])
    count = 0
    for row in rows:
        writer.writerow([_cell(getattr(row, field.name)) for field in fields(AuditRow)])
        count += 1
    return count


def export_csv(session: Session, actor: Actor, audit_filter: AuditFilter, path: Path) -> int:
    """Write every matching row to `path` as CSV (times in UTC) and return the row count.

    The file appears complete or not at all. The export itself is audited.
    """
    require(actor, Permission.AUDIT_VIEW)
    temporary = path.with_name(path.name + ".part")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            count = _write_csv(handle, _iter_rows(session, audit_filter))
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(
            f"Could not write the audit export to {path}: {exc.strerror}. Choose a folder you "
            "can save to, such as Documents, and check that the disk is not full."
        ) from exc

    detail = f"{count} audit rows to CSV"
    audit.record(session, actor, AuditAction.EXPORT, "audit_event", None, detail=detail)
    log.info("user %s exported %d audit rows", actor.user_id, count)
    return count


def verify(session: Session, actor: Actor) -> list[ChainBreak]:
    """Check every workstation's audit chain and return the first break of each, if any."""
    require(actor, Permission.AUDIT_VIEW)
    breaks = audit.verify_chain(session)
    for found in breaks:
        log.warning(
            "audit chain of workstation %s breaks at row %d: %s",
            found.workstation,
            found.sequence,
            found.reason,
        )
    return breaks
