"""The claim scrubber: checks claims before they are sent and puts on hold the ones payers
would reject.

`scrub_document` runs the rules that need only the claim (claim_scrub_rules.py,
claim_scrub_parties.py and the payer rule files through claim_scrub_payer.py).
`scrub_claims` adds the database edits (claim_scrub_business.py), stores the findings,
moves each claim to READY (no errors) or HOLD (errors), and records a SCRUBBED event.
"""

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.gc_pause import bulk_work
from app.ids import new_id
from app.models.claims import Claim, ClaimEvent, ClaimFinding, ClaimLine
from app.problems import Severity
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import chunks, insert_rows
from app.services.claim_documents import claim_documents
from app.services.claim_scrub_business import (
    ScrubData,
    business_findings,
    facts_for,
    load_scrub_data,
)
from app.services.claim_scrub_parties import (
    all_npi_findings,
    billing_provider_findings,
    facility_findings,
    frequency_findings,
    other_payer_findings,
    person_findings,
)
from app.services.claim_scrub_payer import payer_findings
from app.services.claim_scrub_rules import (
    CLAIM_NUMBER_FIELD,
    ClaimFacts,
    Finding,
    claim_number_findings,
    diagnosis_code_findings,
    diagnosis_count_findings,
    duplicate_diagnosis_findings,
    finding,
    line_count_findings,
    line_findings,
    total_findings,
)
from app.services.claim_status import ClaimEventKind, ClaimStatus
from app.services.payer_rules import PayerRuleBook, PayerRules, load_payer_rules
from app.x12.claim_data import ClaimDocument

log = logging.getLogger(__name__)

__all__ = ["ClaimFacts", "Finding", "ScrubResult", "scrub_claims", "scrub_document"]

# Only claims the payer has not accepted move between HOLD and READY; the scrub of a
# claim in any other status stores its findings and leaves the status alone.
MOVABLE_STATUSES = frozenset({ClaimStatus.HOLD, ClaimStatus.READY, ClaimStatus.REJECTED})

# Claim columns the bulk UPDATEs write; loaded Claim objects expire them afterwards.
EXPIRED_COLUMNS = ("status", "last_scrubbed_at", "updated_by", "updated_at")

WHY_UNCHECKED = (
    "ClinicDesk could not run its checks on this claim, so it is held until a scrub succeeds."
)


@dataclass
class ScrubResult:
    """Findings per claim, the claims moved to READY and HOLD, and what changed."""

    findings: dict[uuid.UUID, list[Finding]] = field(default_factory=dict)
    ready: list[uuid.UUID] = field(default_factory=list)
    held: list[uuid.UUID] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


def scrub_document(document: ClaimDocument, facts: ClaimFacts, rules: PayerRules) -> list[Finding]:
    """Run every rule that needs only the claim, its facts and its payer's rules."""
    return [
        *claim_number_findings(document, facts),
        *total_findings(document, facts),
        *line_count_findings(document, facts),
        *diagnosis_count_findings(document, facts),
        *duplicate_diagnosis_findings(document, facts),
        *diagnosis_code_findings(document, facts),
        *line_findings(document, facts),
        *all_npi_findings(document, facts),
        *billing_provider_findings(document, facts),
        *facility_findings(document, facts),
        *person_findings(document, facts),
        *frequency_findings(document, facts),
        *other_payer_findings(document, facts),
        *payer_findings(document, rules, facts),
    ]


@bulk_work
def scrub_claims(
    session: Session,
    actor: Actor,
    claim_ids: Sequence[uuid.UUID],
    documents: Mapping[uuid.UUID, ClaimDocument] | None = None,
) -> ScrubResult:
    """Scrub the claims, store their findings and move the movable ones to READY or HOLD.

    `documents` are claim documents the caller already loaded with `claim_documents` in
    this unit of work, so build, scrub and write read them once. Claims without one
    are loaded here. A document loaded before a change to its claim or the records it
    reads would be scrubbed as it was.

    One claim that cannot be checked never stops the others: an unexpected error while
    scrubbing it becomes an error finding on it ("could not be checked") and is logged
    with the claim id and traceback. Raises PayerRulesError when a rule file is invalid,
    because then no claim can be checked correctly.
    """
    require(actor, Permission.CLAIM_MANAGE)
    book = load_payer_rules()
    claims = _load_claims(session, claim_ids)
    loaded, failures = _documents(session, [claim.id for claim in claims], documents or {})
    data = load_scrub_data(session, actor, claims, loaded)

    result = ScrubResult(changes=Changes.of(ChangeKind.CLAIMS))
    _archive_old_findings(session, actor, [claim.id for claim in claims])
    rows: list[dict[str, Any]] = []
    events: list[dict[str, object]] = []
    for claim in claims:
        document = loaded.get(claim.id)
        if document is None:
            reason = failures.get(claim.id, "its data could not be read")
            findings = [_unchecked(claim, reason)]
        else:
            findings = _scrub_one(session, actor, claim, document=document, book=book, data=data)
        result.findings[claim.id] = findings
        rows += _finding_rows(actor, claim, findings, data)
        events.append(_scrub_event(actor, claim, findings, result))

    insert_rows(session, ClaimFinding, rows)
    insert_rows(session, ClaimEvent, events)
    _mark_scrubbed(session, actor, [claim.id for claim in claims])
    _set_statuses(session, actor, ClaimStatus.READY, result.ready)
    _set_statuses(session, actor, ClaimStatus.HOLD, result.held)
    session.flush()
    # The bulk UPDATEs skip the session, so loaded claims read their new values again.
    for claim in claims:
        session.expire(claim, list(EXPIRED_COLUMNS))

    log.info(
        "scrubbed %d claims: %d ready, %d held", len(claims), len(result.ready), len(result.held)
    )
    return result


def _load_claims(session: Session, claim_ids: Sequence[uuid.UUID]) -> list[Claim]:
    wanted = list(dict.fromkeys(claim_ids))
    found: dict[uuid.UUID, Claim] = {}
    for chunk in chunks(wanted):
        query = select(Claim).where(Claim.id.in_(chunk), Claim.archived.is_(False))
        found.update((claim.id, claim) for claim in session.scalars(query))
    missing = len(wanted) - len(found)
    if missing:
        log.warning("scrub skipped %d claims that are missing or archived", missing)
    return [found[claim_id] for claim_id in wanted if claim_id in found]


def _documents(
    session: Session, claim_ids: list[uuid.UUID], given: Mapping[uuid.UUID, ClaimDocument]
) -> tuple[dict[uuid.UUID, ClaimDocument], dict[uuid.UUID, str]]:
    """Return the claims' documents, loading in bulk those not `given`.

    After a failure of the bulk load, the documents are loaded one by one. That finds
    the claims whose data breaks the mapping, so only those are reported as not checked.
    """
    documents = {claim_id: given[claim_id] for claim_id in claim_ids if claim_id in given}
    missing = [claim_id for claim_id in claim_ids if claim_id not in given]
    if not missing:
        return documents, {}
    try:
        documents.update(claim_documents(session, missing))
        return documents, {}
    except SQLAlchemyError:
        raise
    except Exception:  # one bad claim must not stop the scrub of the others
        log.exception("loading %d claim documents failed; loading them one by one", len(missing))

    failures: dict[uuid.UUID, str] = {}
    for claim_id in missing:
        try:
            documents.update(claim_documents(session, [claim_id]))
        except SQLAlchemyError:
            raise
        except Exception as error:  # reported on the claim, logged with its traceback
            log.exception("loading the document of claim %s failed", claim_id)
            failures[claim_id] = type(error).__name__
    return documents, failures


def _scrub_one(
    session: Session,
    actor: Actor,
    claim: Claim,
    *,
    document: ClaimDocument,
    book: PayerRuleBook,
    data: ScrubData,
) -> list[Finding]:
    try:
        rules = book.rules_for(document.payer.payer_code, document.claim_filing_indicator)
        facts = facts_for(claim, data)
        return [
            *scrub_document(document, facts, rules),
            *business_findings(session, actor, claim, rules, data),
        ]
    except SQLAlchemyError:
        # A database failure affects every claim, so it ends the whole scrub.
        raise
    except Exception as error:  # one bad claim must not stop the others
        log.exception("scrubbing claim %s failed", claim.id)
        return [_unchecked(claim, type(error).__name__)]


def _unchecked(claim: Claim, reason: str) -> Finding:
    message = (
        f"Claim {claim.claim_number} could not be checked ({reason}); scrub it again, and if "
        "this repeats, send the ClinicDesk log to support."
    )
    return finding("scrub.failed", message, WHY_UNCHECKED, CLAIM_NUMBER_FIELD, claim.id)


def _archive_old_findings(session: Session, actor: Actor, claim_ids: list[uuid.UUID]) -> None:
    # Synced rows are archived, never deleted, so other workstations learn of the change.
    for chunk in chunks(claim_ids):
        session.execute(
            update(ClaimFinding)
            .where(ClaimFinding.claim_id.in_(chunk), ClaimFinding.archived.is_(False))
            .values(archived=True, updated_by=actor.user_id, updated_at=utc_now())
        )


def _finding_rows(
    actor: Actor, claim: Claim, findings: list[Finding], data: ScrubData
) -> list[dict[str, Any]]:
    """Return ClaimFinding rows for a bulk insert, with each line finding's claim line id."""
    line_ids = {line.line_number: line.id for line in data.lines.get(claim.id, [])}
    now = utc_now()
    return [
        {
            "id": new_id(),
            "created_at": now,
            "updated_at": now,
            "updated_by": actor.user_id,
            "claim_id": claim.id,
            "claim_line_id": line_ids.get(item.line_number) if item.line_number else None,
            "rule": item.rule,
            "severity": item.severity.value,
            "message": item.message,
            "why": item.why,
            "field": item.field,
            "record_id": item.record_id,
        }
        for item in findings
    ]


def _scrub_event(
    actor: Actor, claim: Claim, findings: list[Finding], result: ScrubResult
) -> dict[str, object]:
    """Return the SCRUBBED event row and add a movable claim to `result.ready` or `held`.

    The event carries the status the claim moves to. _set_statuses then moves all
    claims and their lines in a few statements, where record_event would run one
    UPDATE per claim.
    """
    errors = sum(1 for item in findings if item.severity is Severity.ERROR)
    status: ClaimStatus | None = None
    if claim.status in MOVABLE_STATUSES:
        status = ClaimStatus.HOLD if errors else ClaimStatus.READY
        (result.held if errors else result.ready).append(claim.id)

    return {
        "id": new_id(),
        "claim_id": claim.id,
        "claim_line_id": None,
        "occurred_at": utc_now(),
        "user_id": actor.user_id,
        "event": ClaimEventKind.SCRUBBED.value,
        "status": status.value if status is not None else None,
        "detail": f"{_count(errors, 'error')}, {_count(len(findings) - errors, 'warning')}",
        "batch_id": None,
        "response_id": None,
        "updated_by": actor.user_id,
    }


def _mark_scrubbed(session: Session, actor: Actor, claim_ids: list[uuid.UUID]) -> None:
    now = utc_now()
    for chunk in chunks(claim_ids):
        session.execute(
            update(Claim)
            .where(Claim.id.in_(chunk))
            .values(last_scrubbed_at=now, updated_by=actor.user_id, updated_at=now),
            execution_options={"synchronize_session": False},
        )


def _set_statuses(
    session: Session, actor: Actor, status: ClaimStatus, claim_ids: list[uuid.UUID]
) -> None:
    """Move the claims and every line of them to `status`, as record_event does one by one."""
    now = utc_now()
    values = {"status": status.value, "updated_by": actor.user_id, "updated_at": now}
    for chunk in chunks(claim_ids):
        session.execute(
            update(Claim).where(Claim.id.in_(chunk)).values(**values),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            update(ClaimLine).where(ClaimLine.claim_id.in_(chunk)).values(**values),
            execution_options={"synchronize_session": False},
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
