"""Checking that the ledger is what the application posted.

Six checks, each finding named by its `check`:
- "row_hash": every row's stored hash matches its fields, so no field changed.
- "audit": every row has an audit POST event carrying the same hash, and every POST
  event of a ledger row still has its row, so no row was added or removed outside
  ClinicDesk.
- "reversal": a reversal cancels an existing row of the same patient and bucket with
  the opposite amount, and no row is reversed twice.
- "balance": for every patient, the sum of the rows equals patient_balance, the bucket
  sums equal balances_by_bucket, and the ledger view's running balance ends there too.
- "audit_chain": the audit log's hash chain is intact (app.security.audit.verify_chain).
- "charge_line": every charge row's service line exists, belongs to a posted encounter
  and still carries the charged amount as units times unit fee. Claims are built from
  the lines, so a line changed after posting would bill what the ledger does not show.
  NOTE: a changed procedure code, modifier or pointer on a posted line is not found,
  because lines carry no hash of their own.
"""

import logging
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.models.practice import Payer
from app.models.security import AuditEvent
from app.money import ZERO, format_money
from app.security import audit
from app.security.audit import AuditAction, Outcome
from app.security.permissions import Actor, Permission, require
from app.services.encounter_forms import STATUS_POSTED
from app.services.encounter_records import CHARGE_ENTRY_TYPE
from app.services.ledger import (
    CHARGE_LINE_SOURCE,
    HASH_PATTERN,
    REVERSAL,
    balances_by_bucket,
    bucket_key,
    entry_hash,
    patient_balance,
)
from app.services.ledger_bulk import BATCH_OBJECT_TYPE, PAIR_PATTERN
from app.services.ledger_view import running_balances

log = logging.getLogger(__name__)

# Rows read from the database per batch while the ledger is streamed.
BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class LedgerFinding:
    """One problem `ledger_check` found: which check, which row or patient, and what is wrong."""

    check: str
    message: str
    entry_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None


def ledger_check(session: Session, actor: Actor) -> list[LedgerFinding]:
    """Run every ledger check and return the findings (empty when the ledger is intact).

    Managers and administrators only (AUDIT_VIEW). The run is audited with the counts.
    NOTE: the audit hashes of every ledger row are held in memory while the ledger is
    streamed, about a hundred bytes per row.
    """
    require(actor, Permission.AUDIT_VIEW)
    audited = _audited_hashes(session)
    findings: list[LedgerFinding] = []
    row_count = 0
    payer_names = {row.id: row.name for row in session.execute(select(Payer.id, Payer.name))}
    for patient_id, rows in _rows_by_patient(session):
        row_count += len(rows)
        for row in rows:
            findings.extend(_row_findings(row, audited.pop(str(row.id), None)))
        findings.extend(_balance_findings(session, patient_id, rows, payer_names))
    findings.extend(_removed_row_findings(audited))
    findings.extend(_reversal_findings(session))
    changed = {finding.entry_id for finding in findings if finding.check == "row_hash"}
    findings.extend(_charge_line_findings(session, changed))
    findings.extend(
        LedgerFinding(
            "audit_chain",
            f"The audit log of workstation {found.workstation} breaks at row "
            f"{found.sequence}: {found.reason}. Restore the database from a backup made "
            "before the change, or report it to your administrator.",
        )
        for found in audit.verify_chain(session)
    )
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "ledger",
        detail=f"ledger verify: {row_count} rows, {len(findings)} findings",
    )
    by_check = Counter(finding.check for finding in findings)
    if findings:
        log.warning("ledger verify found problems in %d rows: %s", row_count, dict(by_check))
    else:
        log.info("ledger verify read %d rows and found no problems", row_count)
    return findings


def _audited_hashes(session: Session) -> dict[str, list[str | None]]:
    """Map each ledger row id named by an audit POST event to the hashes those events carry.

    None stands for an event without a hash: rows posted before hashes were recorded.
    """
    events = session.execute(
        select(AuditEvent.object_id, AuditEvent.detail)
        .where(
            AuditEvent.action == AuditAction.POST.value,
            AuditEvent.object_type == "ledger_entry",
            AuditEvent.outcome == Outcome.SUCCESS.value,
        )
        .execution_options(yield_per=BATCH_ROWS)
    )
    hashes: dict[str, list[str | None]] = {}
    for object_id, detail in events:
        found = HASH_PATTERN.search(detail or "")
        hashes.setdefault(object_id or "", []).append(found.group(1) if found else None)
    _add_batch_hashes(session, hashes)
    return hashes


def _add_batch_hashes(session: Session, hashes: dict[str, list[str | None]]) -> None:
    """Add the rows that bulk posting audited together, each event listing `id=hash` pairs."""
    events = session.scalars(
        select(AuditEvent.detail)
        .where(
            AuditEvent.action == AuditAction.POST.value,
            AuditEvent.object_type == BATCH_OBJECT_TYPE,
            AuditEvent.outcome == Outcome.SUCCESS.value,
        )
        .execution_options(yield_per=BATCH_ROWS)
    )
    for detail in events:
        for entry_id, row_hash in PAIR_PATTERN.findall(detail or ""):
            hashes.setdefault(entry_id, []).append(row_hash)


def _rows_by_patient(session: Session) -> Iterator[tuple[uuid.UUID, list[Row[Any]]]]:
    table = LedgerEntry.__table__
    rows = session.execute(
        select(table)
        .order_by(table.c.patient_id, table.c.posted_at, table.c.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    current: uuid.UUID | None = None
    group: list[Row[Any]] = []
    for row in rows:
        if row.patient_id != current and group:
            assert current is not None
            yield current, group
            group = []
        current = row.patient_id
        group.append(row)
    if group and current is not None:
        yield current, group


def _row_findings(row: Row[Any], audited: list[str | None] | None) -> list[LedgerFinding]:
    found: list[LedgerFinding] = []

    def add(check: str, message: str) -> None:
        found.append(LedgerFinding(check, message, row.id, row.patient_id))

    expected = entry_hash(row)
    if row.row_hash is None:
        add("row_hash", f"Ledger row {row.id} has no hash, so it was not posted by ClinicDesk.")
    elif row.row_hash != expected:
        add(
            "row_hash",
            f"Ledger row {row.id} does not match its hash: a field was changed after posting.",
        )
    if audited is None:
        add(
            "audit",
            f"Ledger row {row.id} has no audit POST event: it was added outside ClinicDesk.",
        )
    elif row.row_hash not in audited and any(value is not None for value in audited):
        add(
            "audit",
            f"Ledger row {row.id} has a hash other than the one its audit POST event "
            "recorded: the row or its hash was changed after posting.",
        )
    return found


def _removed_row_findings(audited: dict[str, list[str | None]]) -> list[LedgerFinding]:
    # Rows found in the ledger were popped from `audited`, so what is left has no row.
    return [
        LedgerFinding(
            "audit",
            f"Ledger row {object_id} was posted (audit POST event) but is missing from "
            "the ledger: it was deleted outside ClinicDesk.",
            entry_id=_uuid_or_none(object_id),
        )
        for object_id in sorted(audited)
    ]


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _balance_findings(
    session: Session,
    patient_id: uuid.UUID,
    rows: Sequence[Row[Any]],
    payer_names: dict[uuid.UUID, str],
) -> list[LedgerFinding]:
    messages: list[str] = []
    total = sum((row.amount for row in rows), ZERO)
    balance = patient_balance(session, patient_id)
    if total != balance:
        messages.append(
            f"the rows sum to {format_money(total)} but the balance reads {format_money(balance)}"
        )

    running = running_balances(row.amount for row in rows)
    if running and running[-1] != balance:
        messages.append(
            f"the ledger view ends at {format_money(running[-1])} but the balance reads "
            f"{format_money(balance)}"
        )

    buckets: dict[str, Decimal] = {}
    for row in rows:
        key = bucket_key(row.responsible_party, payer_names.get(row.payer_id))
        buckets[key] = buckets.get(key, ZERO) + row.amount
    summed = {key: amount for key, amount in buckets.items() if amount != ZERO}
    by_bucket = balances_by_bucket(session, patient_id)
    if summed != by_bucket:
        messages.append(
            f"the bucket sums {_buckets_text(summed)} differ from the bucket balances "
            f"{_buckets_text(by_bucket)}"
        )
    return [
        LedgerFinding("balance", f"Patient {patient_id}: {message}.", patient_id=patient_id)
        for message in messages
    ]


def _buckets_text(buckets: dict[str, Decimal]) -> str:
    parts = [f"{key} {format_money(amount)}" for key, amount in sorted(buckets.items())]
    return "(" + (", ".join(parts) or "none") + ")"


def _reversal_findings(session: Session) -> list[LedgerFinding]:
    reversal = aliased(LedgerEntry)
    target = aliased(LedgerEntry)
    found: list[LedgerFinding] = []

    unlinked = session.execute(
        select(LedgerEntry.id, LedgerEntry.patient_id).where(
            LedgerEntry.entry_type == REVERSAL, LedgerEntry.reverses_id.is_(None)
        )
    )
    found.extend(
        LedgerFinding(
            "reversal",
            f"Reversal row {entry_id} does not name the row it reverses.",
            entry_id,
            patient_id,
        )
        for entry_id, patient_id in unlinked
    )

    pairs = session.execute(
        select(reversal.id, reversal.patient_id, reversal.reverses_id, target.id.is_(None))
        .outerjoin(target, target.id == reversal.reverses_id)
        .where(
            reversal.reverses_id.is_not(None),
            or_(
                target.id.is_(None),
                reversal.amount != -target.amount,
                reversal.patient_id != target.patient_id,
                reversal.responsible_party != target.responsible_party,
                and_(reversal.payer_id.is_(None), target.payer_id.is_not(None)),
                and_(reversal.payer_id.is_not(None), target.payer_id.is_(None)),
                reversal.payer_id != target.payer_id,
            ),
        )
    )
    for entry_id, patient_id, reverses_id, target_missing in pairs:
        if target_missing:
            message = f"Reversal row {entry_id} reverses row {reverses_id}, which does not exist."
        else:
            message = (
                f"Reversal row {entry_id} does not cancel row {reverses_id}: the amount is "
                "not the opposite, or the patient or bucket differs."
            )
        found.append(LedgerFinding("reversal", message, entry_id, patient_id))

    twice = session.execute(
        select(LedgerEntry.reverses_id, func.count())
        .where(LedgerEntry.reverses_id.is_not(None))
        .group_by(LedgerEntry.reverses_id)
        .having(func.count() > 1)
    )
    found.extend(
        LedgerFinding(
            "reversal",
            f"Ledger row {reverses_id} is reversed {count} times; only one reversal may cancel it.",
            reverses_id,
        )
        for reverses_id, count in twice
    )
    return found


def _charge_line_findings(session: Session, changed: set[uuid.UUID | None]) -> list[LedgerFinding]:
    """Compare each charge row with its service line; rows in `changed` are left out.

    A charge row whose own hash fails is reported by the row_hash check already.
    """
    rows = session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.patient_id,
            LedgerEntry.amount,
            LedgerEntry.source_id,
            ChargeLine.id.label("line_id"),
            ChargeLine.units,
            ChargeLine.unit_fee,
            ChargeLine.charge_amount,
            Encounter.status,
        )
        .outerjoin(ChargeLine, ChargeLine.id == LedgerEntry.source_id)
        .outerjoin(Encounter, Encounter.id == ChargeLine.encounter_id)
        .where(
            LedgerEntry.source_type == CHARGE_LINE_SOURCE,
            LedgerEntry.entry_type == CHARGE_ENTRY_TYPE,
        )
        .execution_options(yield_per=BATCH_ROWS)
    )
    found: list[LedgerFinding] = []
    for row in rows:
        if row.id in changed:
            continue
        if row.line_id is None:
            message = (
                f"Ledger charge {row.id} bills service line {row.source_id}, which does not "
                "exist: the line was deleted outside ClinicDesk."
            )
        elif row.status != STATUS_POSTED:
            message = (
                f"Service line {row.line_id} has ledger charge {row.id} but its encounter is a "
                "draft: the encounter's status was changed outside ClinicDesk."
            )
        elif row.charge_amount != row.amount or row.unit_fee * row.units != row.amount:
            message = (
                f"Service line {row.line_id} differs from its ledger charge {row.id}: its "
                "units, fee or charge amount was changed after posting."
            )
        else:
            continue
        found.append(LedgerFinding("charge_line", message, row.id, row.patient_id))
    return found
