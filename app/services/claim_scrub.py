"""The claim scrubber: checks claims before they are sent and puts on hold the ones payers
would reject.

`scrub_document` runs the rules that need only the claim (claim_scrub_rules.py,
claim_scrub_parties.py and the payer rule files through claim_scrub_payer.py).
`scrub_claims` adds the database edits (claim_scrub_business.py), stores the findings,
moves each claim to READY (no errors) or HOLD (errors), and records a SCRUBBED event.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.ids import new_id
from app.models.claims import Claim, ClaimFinding, ClaimLine
from app.problems import Severity
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import chunks
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
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
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


def scrub_claims(session: Session, actor: Actor, claim_ids: Sequence[uuid.UUID]) -> ScrubResult:
    """Scrub the claims, store their findings and move the movable ones to READY or HOLD.

    One claim that cannot be checked never stops the others: an unexpected error while
    scrubbing it becomes an error finding on it ("could not be checked") and is logged
    with the claim id and traceback. Raises PayerRulesError when a rule file is invalid,
    because then no claim can be checked correctly.
    """
    require(actor, Permission.CLAIM_MANAGE)
    book = load_payer_rules()
    claims = _load_claims(session, claim_ids)
    documents, failures = _documents(session, [claim.id for claim in claims])
    data = load_scrub_data(session, actor, claims, documents)

    result = ScrubResult(changes=Changes.of(ChangeKind.CLAIMS))
    _archive_old_findings(session, actor, [claim.id for claim in claims])
    rows: list[dict[str, Any]] = []
    for claim in claims:
        document = documents.get(claim.id)
        if document is None:
            reason = failures.get(claim.id, "its data could not be read")
            findings = [_unchecked(claim, reason)]
        else:
            findings = _scrub_one(session, actor, claim, document=document, book=book, data=data)
        result.findings[claim.id] = findings
        rows += _finding_rows(actor, claim, findings, data)
        _record_scrub(session, actor, claim, findings, result)

    if rows:
        session.execute(insert(ClaimFinding), rows)
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
    session: Session, claim_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, ClaimDocument], dict[uuid.UUID, str]]:
    """Load the claims' documents in bulk; after a failure, load them one by one.

    Loading one by one finds the claims whose data breaks the mapping, so only those
    are reported as not checked.
    """
    try:
        return claim_documents(session, claim_ids), {}
    except SQLAlchemyError:
        raise
    except Exception:  # one bad claim must not stop the scrub of the others
        log.exception("loading %d claim documents failed; loading them one by one", len(claim_ids))

    documents: dict[uuid.UUID, ClaimDocument] = {}
    failures: dict[uuid.UUID, str] = {}
    for claim_id in claim_ids:
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


def _record_scrub(
    session: Session, actor: Actor, claim: Claim, findings: list[Finding], result: ScrubResult
) -> None:
    """Record the SCRUBBED event and, for a movable claim, the status it moves to.

    The event is recorded without a status, which record_event would apply with one
    UPDATE per claim. The event gets the status here, and _set_statuses moves all
    claims and their lines afterwards in a few statements.
    """
    errors = sum(1 for item in findings if item.severity is Severity.ERROR)
    detail = f"{errors} errors, {len(findings) - errors} warnings"
    event = record_event(
        session, claim, ClaimEventKind.SCRUBBED, user_id=actor.user_id, detail=detail
    )
    if claim.status not in MOVABLE_STATUSES:
        return

    status = ClaimStatus.HOLD if errors else ClaimStatus.READY
    event.status = status.value
    (result.held if errors else result.ready).append(claim.id)


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
