"""Tying posted adjudications to the claim payments (RemittanceClaim) they came from.

`era_posting.apply_plans` marks each plan's claim payment posted and links it to the
adjudication, which `reverse_posting` follows later. A denial's finding names the
remark codes of the claim payment's stored X12 loop.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.by_id import objects_by_id
from app.models.payments import RemittanceClaim
from app.security.permissions import Actor
from app.services.claim_build_rows import chunks
from app.services.era_posting_plan import PostingPlan

log = logging.getLogger(__name__)

# RemittanceClaim.state of a posted claim payment.
STATE_POSTED = "posted"


def link_sources(session: Session, actor: Actor, plans: Sequence[PostingPlan]) -> None:
    """Mark each plan's claim payment posted and tie it to the adjudication, for reversal later.

    Claim payments already in the session are changed as objects. The others are first read
    as link columns only, and loaded as objects only when a column must change. The 835
    import inserts its claim payments posted and linked, so none of its thousands is
    loaded.
    """
    in_session: dict[uuid.UUID, RemittanceClaim] = {}
    stored: dict[uuid.UUID, _SourceLink] = {}
    for plan in plans:
        key = Session.identity_key(RemittanceClaim, plan.source_id)
        source = session.identity_map.get(key)
        if source is not None:
            in_session[plan.source_id] = source
    for part in chunks([plan.source_id for plan in plans if plan.source_id not in in_session]):
        query = select(*_LINK_COLUMNS).where(RemittanceClaim.id.in_(part))
        stored.update((row.id, _SourceLink(*row)) for row in session.execute(query))

    stale = [
        plan.source_id
        for plan in plans
        if plan.source_id in stored and not stored[plan.source_id].linked(plan, actor)
    ]
    in_session.update(objects_by_id(session, RemittanceClaim, stale))
    for plan in plans:
        source = in_session.get(plan.source_id)
        if source is not None:
            _link_source(source, actor, plan)
        elif plan.source_id not in stored:
            # The caller stores the claim payment itself; reverse_posting finds the rows
            # through adjudication_id, which the caller then sets.
            log.warning(
                "posted adjudication %s names no stored claim payment", plan.adjudication_id
            )


class _SourceLink(NamedTuple):
    """The columns of a stored claim payment that `_link_source` sets."""

    id: uuid.UUID
    adjudication_id: uuid.UUID | None
    claim_id: uuid.UUID | None
    state: str
    posted_at: datetime | None
    posted_by: uuid.UUID | None
    updated_by: uuid.UUID | None

    def linked(self, plan: PostingPlan, actor: Actor) -> bool:
        """True when `_link_source` would leave every column as it is."""
        return (
            self.adjudication_id == plan.adjudication_id
            and self.claim_id == plan.claim_id
            and self.state == STATE_POSTED
            and self.posted_at is not None
            and self.posted_by is not None
            and self.updated_by == actor.user_id
        )


_LINK_COLUMNS = (
    RemittanceClaim.id,
    RemittanceClaim.adjudication_id,
    RemittanceClaim.claim_id,
    RemittanceClaim.state,
    RemittanceClaim.posted_at,
    RemittanceClaim.posted_by,
    RemittanceClaim.updated_by,
)


def denied_segments(session: Session, plans: Sequence[PostingPlan]) -> dict[uuid.UUID, str]:
    """Return the stored text (RemittanceClaim.segments) of each denied plan's claim payment."""
    found: dict[uuid.UUID, str] = {}
    missing: list[uuid.UUID] = []
    for plan in plans:
        if not plan.denial_codes:
            continue
        key = Session.identity_key(RemittanceClaim, plan.source_id)
        source = session.identity_map.get(key)
        if source is not None:
            found[plan.source_id] = source.segments
        else:
            missing.append(plan.source_id)
    for part in chunks(missing):
        query = select(RemittanceClaim.id, RemittanceClaim.segments).where(
            RemittanceClaim.id.in_(part)
        )
        found.update((source_id, text) for source_id, text in session.execute(query))
    return found


def _link_source(source: RemittanceClaim, actor: Actor, plan: PostingPlan) -> None:
    """Mark the claim payment posted and tie it to the adjudication."""
    source.adjudication_id = plan.adjudication_id
    source.claim_id = plan.claim_id
    source.state = STATE_POSTED
    source.posted_at = source.posted_at or utc_now()
    source.posted_by = source.posted_by or actor.user_id
    source.updated_by = actor.user_id
