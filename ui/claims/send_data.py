"""Loaders for the send dialog: ready claims per clearinghouse, chosen claims and batches.

These run on an operation-runner worker with the session it opens and return plain
values, so ORM rows never leave the session that loaded them.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.models.claims import Claim, ClaimBatch, Clearinghouse
from app.models.practice import Payer
from app.security.permissions import Actor, Permission, require
from app.services.claim_status import ClaimStatus, status_label
from app.services.clearinghouses import clearinghouse_for_payer
from ui.admin.common import load_zone

log = logging.getLogger(__name__)

# How far back "Show files from the last 30 days" reaches. Older files are rarely resent.
RECENT_BATCH_DAYS = 30
NO_CLEARINGHOUSE = "No clearinghouse (set one on the payer)"


@dataclass(frozen=True, slots=True)
class ReadyGroup:
    """The ready claims that go to one clearinghouse (None: their payer names none)."""

    clearinghouse_id: uuid.UUID | None
    name: str
    claim_count: int
    total: Decimal


@dataclass(frozen=True, slots=True)
class ChosenClaim:
    """A claim the user selected before opening the dialog."""

    claim_id: uuid.UUID
    claim_number: str
    payer_name: str
    service_date: date
    amount: Decimal
    status: str
    status_label: str


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One claim file as the batch table shows it."""

    batch_id: uuid.UUID
    batch_number: str
    clearinghouse_name: str
    claim_count: int
    total: Decimal
    file_name: str
    status: str
    sent_at: datetime | None
    sent_to: str | None
    send_count: int
    has_sftp: bool
    has_outbox: bool

    @property
    def sent(self) -> bool:
        """True once the file was saved to an outbox or uploaded at least once."""
        return self.send_count > 0 or self.sent_at is not None


@dataclass(frozen=True, slots=True)
class SendOverview:
    """Everything the send dialog shows when it opens."""

    groups: list[ReadyGroup]
    chosen: list[ChosenClaim]
    recent_batches: list[BatchRow]
    zone: ZoneInfo | None  # the practice's time zone, for showing when files were sent


def load_overview(
    session: Session, actor: Actor, claim_ids: Sequence[uuid.UUID] | None
) -> SendOverview:
    """Load the ready claims per clearinghouse, the chosen claims and recent batches.

    With `claim_ids` the groups count only those claims, and without it every ready claim.
    """
    require(actor, Permission.CLAIM_MANAGE)
    query = select(Claim).where(Claim.archived.is_(False))
    if claim_ids is not None:
        query = query.where(Claim.id.in_(list(claim_ids)))
    else:
        query = query.where(Claim.status == ClaimStatus.READY)
    claims = list(session.scalars(query.order_by(Claim.claim_number)))
    payer_names: dict[uuid.UUID, str] = dict(session.execute(select(Payer.id, Payer.name)).all())
    ready = [claim for claim in claims if claim.status == ClaimStatus.READY]
    groups = _group_by_clearinghouse(session, ready)
    chosen = [] if claim_ids is None else [_chosen(claim, payer_names) for claim in claims]
    since = utc_now() - timedelta(days=RECENT_BATCH_DAYS)
    recent = _batch_rows(session, ClaimBatch.created_at >= since)
    log.info("send overview loaded: %d ready claims in %d groups", len(ready), len(groups))
    return SendOverview(groups, chosen, recent, load_zone(session))


def load_batches(session: Session, actor: Actor, batch_ids: Sequence[uuid.UUID]) -> list[BatchRow]:
    """Load the batch table rows of `batch_ids`, newest first."""
    require(actor, Permission.CLAIM_MANAGE)
    return _batch_rows(session, ClaimBatch.id.in_(list(batch_ids)))


def _group_by_clearinghouse(session: Session, claims: list[Claim]) -> list[ReadyGroup]:
    targets: dict[uuid.UUID, Clearinghouse | None] = {}
    counts: dict[uuid.UUID | None, tuple[str, int, Decimal]] = {}
    for claim in claims:
        if claim.payer_id not in targets:
            targets[claim.payer_id] = clearinghouse_for_payer(session, claim.payer_id)
        target = targets[claim.payer_id]
        key = target.id if target is not None else None
        name = target.name if target is not None else NO_CLEARINGHOUSE
        _name, count, total = counts.get(key, (name, 0, Decimal("0.00")))
        counts[key] = (name, count + 1, total + claim.total_charge)
    groups = [ReadyGroup(key, *values) for key, values in counts.items()]
    # The group that cannot be sent goes last, below the ones that can.
    return sorted(groups, key=lambda group: (group.clearinghouse_id is None, group.name))


def _chosen(claim: Claim, payer_names: dict[uuid.UUID, str]) -> ChosenClaim:
    return ChosenClaim(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        payer_name=payer_names.get(claim.payer_id, ""),
        service_date=claim.service_date_from,
        amount=claim.total_charge,
        status=claim.status,
        status_label=status_label(claim.status),
    )


def _batch_rows(session: Session, condition: ColumnElement[bool]) -> list[BatchRow]:
    query = select(ClaimBatch).where(condition).order_by(ClaimBatch.created_at.desc())
    batches = list(session.scalars(query))
    clearinghouses = {row.id: row for row in session.scalars(select(Clearinghouse))}
    rows = []
    for batch in batches:
        target = clearinghouses.get(batch.clearinghouse_id)
        rows.append(
            BatchRow(
                batch_id=batch.id,
                batch_number=batch.batch_number,
                clearinghouse_name=target.name if target is not None else "",
                claim_count=batch.claim_count,
                total=batch.total_charge,
                file_name=batch.file_name,
                status=batch.status,
                sent_at=batch.sent_at,
                sent_to=batch.sent_to,
                send_count=batch.send_count,
                has_sftp=bool(target is not None and target.sftp_host),
                has_outbox=bool(target is not None and target.outbox_folder),
            )
        )
    return rows
