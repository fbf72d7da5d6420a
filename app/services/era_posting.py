"""Posting a payer's adjudication to the ledger, reversing it, and the provider account.

`post_adjudication` posts one stored adjudication (see `era_posting_plan` for what each
adjustment does). It is `plan_adjudication` followed by `apply_plans`. The 835 import
plans every claim of a remittance and applies the plans together, so the ledger rows of
a whole remittance go in with one `ledger_bulk.post_entries` call.

Applying a plan also moves the claim's status (paid, partly paid or denied) with one
claim event, sets each line's status, and for a denial sets a follow-up date and adds
an error finding that names the reason codes. When patient responsibility moved to
the next payer and the payer did not forward the claim itself (crossover), the claim
to the next payer is built.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.db.fast_insert import insert_many
from app.errors import NotFoundError, UserError
from app.gc_pause import bulk_work
from app.models.claims import Claim, ClaimFinding, ClaimLine, PayerAdjudication
from app.models.ledger import LedgerEntry
from app.models.payments import ProviderAdjustment, Remittance, RemittanceClaim
from app.money import ZERO, format_money
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import bills_lines, get_claims
from app.services.claim_cob import build_secondary_claim
from app.services.claim_status import (
    DEAD_STATUSES,
    ClaimEventKind,
    ClaimStatus,
    NewClaimEvent,
    record_claim_events,
    record_event,
    status_label,
)
from app.services.era_posting_plan import (
    SOURCE_TYPE,
    LinePlan,
    PostingPlan,
    describe,
    plan_adjudication,
)
from app.services.era_posting_sources import denied_segments, link_sources
from app.services.ledger import REVERSAL, reverse_entry
from app.services.ledger_bulk import post_entries
from app.services.posting_rules import REVIEW, denial_hint
from app.services.today import practice_today
from app.x12.codes_835 import provider_adjustment_label
from app.x12.reader_835 import read_claim_loop
from app.x12.segments import X12FormatError

log = logging.getLogger(__name__)

# The follow-up date of a denial: a week after posting, so the denial is worked while
# the remittance is fresh.
DENIAL_FOLLOW_UP_DAYS = 7
DENIAL_RULE = "era.denial"
REVIEW_RULE = "era.review"
FLAG_RULE = "era.write_off_flag"
BALANCE_RULE = "era.balance"
STATE_REVERSED = "reversed"
DENIAL_WHY = (
    "The payer refused all or part of the claim, so its balance stays with the payer "
    "until the claim is corrected and resubmitted, appealed, or written off."
)
REVIEW_WHY = (
    "Posting rules hold these adjustments for a person: nothing was written off or "
    "billed for them, and the amount stays with the payer."
)
FLAG_WHY = (
    "Posting rules write these adjustments off, because the contract does not let the "
    "practice bill the patient for them. A corrected claim may still get them paid, so "
    "a biller checks the claim before leaving the write-off."
)
BALANCE_WHY = (
    "The payment and the amounts moved to the patient or the next payer add up to more "
    "than the payer's bucket held for a line, so the ledger now shows a credit with that "
    "payer. The charge may have been billed to another bucket, or posted twice."
)


@dataclass(frozen=True, slots=True)
class PostingResult:
    """The outcome of posting one adjudication: amounts moved and counts."""

    claim_id: uuid.UUID
    paid: Decimal
    written_off: Decimal
    to_patient: Decimal
    to_next_payer: Decimal
    denied_lines: int
    secondary_claim_id: uuid.UUID | None
    ledger_rows: int
    changes: Changes


@dataclass(frozen=True, slots=True)
class ProviderAdjustmentRow:
    """One PLB adjustment with the remittance it came in."""

    adjustment_id: uuid.UUID
    remittance_id: uuid.UUID
    payer_name: str
    trace_number: str
    payment_date: date | None
    provider_identifier: str
    fiscal_period_date: date | None
    reference: str
    amount: Decimal
    claim_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ProviderAccountRow:
    """The PLB adjustments of one reason code with their total.

    A positive amount reduced the payments (a recoupment or a balance carried forward),
    a negative one increased them (interest paid to the practice).
    """

    reason_code: str
    label: str
    total: Decimal
    rows: tuple[ProviderAdjustmentRow, ...]


CHANGES = Changes.of(ChangeKind.LEDGER, ChangeKind.CLAIMS, ChangeKind.PAYMENTS)


def post_adjudication(
    session: Session, actor: Actor, adjudication_id: uuid.UUID, *, source_id: uuid.UUID
) -> PostingResult:
    """Post the money movements of a stored adjudication; rows name `source_id` as source.

    `source_id` is the RemittanceClaim the adjudication came from (an 835 claim payment
    or a typed EOB). Needs PAYMENT_POST and CLAIM_MANAGE. Raises what
    `plan_adjudication` raises and what posting to the ledger raises (a closed period).
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    plan = plan_adjudication(session, adjudication_id, source_id)
    (result,) = apply_plans(session, actor, [plan])
    return result


@bulk_work
def apply_plans(
    session: Session,
    actor: Actor,
    plans: Sequence[PostingPlan],
    *,
    sources_linked: bool = False,
) -> list[PostingResult]:
    """Post the rows of every plan in one batch, then apply each plan's claim changes.

    Plans must be made one after another in the same unit of work and must not share a
    claim line, because each plan reads line balances without the rows of the others.
    The findings and claim events of all plans go in with a few statements. Raises
    ValueError when two plans share a line. Returns one result per plan, in order.

    Set `sources_linked` only when the caller stored each plan's claim payment already
    posted by this actor and tied to the plan's adjudication and claim, as the 835
    import inserts them. The claim payments are then not read to link them.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    _check_distinct_lines(plans)
    entries = [entry for plan in plans for entry in plan.entries]
    post_entries(session, actor, entries, detail=f"remittance posting of {len(plans)} claims")

    today = practice_today(session)
    claims = get_claims(session, [plan.claim_id for plan in plans])
    if not sources_linked:
        link_sources(session, actor, plans)
    segments = denied_segments(session, plans)
    findings: list[dict[str, object]] = []
    events: list[NewClaimEvent] = []
    for plan in plans:
        claim = claims[plan.claim_id]
        findings += _findings(claim, plan, today, segments.get(plan.source_id))
        events += _status_events(claim, plan)
    insert_many(session, cast(Table, ClaimFinding.__table__), findings)
    record_claim_events(session, events, user_id=actor.user_id)

    results = [
        _result(plan, _bill_next_payer(session, actor, claims[plan.claim_id], plan))
        for plan in plans
    ]
    session.flush()
    log.info("posted %d adjudications with %d ledger rows", len(plans), len(entries))
    return results


def _check_distinct_lines(plans: Sequence[PostingPlan]) -> None:
    seen: set[uuid.UUID] = set()
    for plan in plans:
        lines = {line.charge_line_id for line in plan.lines}
        if seen & lines:
            raise ValueError(
                f"adjudication {plan.adjudication_id} settles a line another plan in the "
                "batch settles; post them in separate batches"
            )
        seen |= lines


def _result(plan: PostingPlan, secondary_id: uuid.UUID | None) -> PostingResult:
    return PostingResult(
        claim_id=plan.claim_id,
        paid=plan.paid,
        written_off=plan.written_off,
        to_patient=plan.to_patient,
        to_next_payer=plan.to_next_payer,
        denied_lines=plan.denied_lines,
        secondary_claim_id=secondary_id,
        ledger_rows=len(plan.entries),
        changes=CHANGES,
    )


def _status_events(claim: Claim, plan: PostingPlan) -> list[NewClaimEvent]:
    """Return the claim's event with its new status, then one per line of a partial payment."""
    status = plan.claim_status
    if status is ClaimStatus.PAID and plan.crossed_over:
        # The payer sent the claim on to the next payer itself. "Forwarded" shows the
        # biller to wait for that payer's remittance.
        status = ClaimStatus.FORWARDED
    kind = ClaimEventKind.DENIED if status is ClaimStatus.DENIED else ClaimEventKind.PAID
    detail = describe(plan)
    if (plan.denial_codes or plan.held_lines) and claim.follow_up_on is not None:
        detail += f" Follow up by {claim.follow_up_on:%m/%d/%Y}."
    if ClaimStatus(claim.status) in DEAD_STATUSES:
        detail += f" The claim stays {status_label(claim.status).lower()}."
        return [NewClaimEvent(claim, kind, detail=detail)]

    events = [NewClaimEvent(claim, kind, status=status, detail=detail)]
    if status in (ClaimStatus.PAID, ClaimStatus.FORWARDED, ClaimStatus.DENIED):
        # Every line took the claim's status with the event.
        return events
    for line in plan.lines:
        line_kind = ClaimEventKind.DENIED if line.denied else ClaimEventKind.PAID
        detail = f"Line posted: payment {format_money(line.payment)}"
        if line.held_for_review != ZERO:
            detail += f", {format_money(line.held_for_review)} held for review"
        events.append(
            NewClaimEvent(
                claim,
                line_kind,
                status=ClaimStatus(line.status),
                detail=detail,
                line_id=line.claim_line_id,
            )
        )
    return events


def _findings(
    claim: Claim, plan: PostingPlan, today: date, segments: str | None
) -> list[dict[str, object]]:
    """Return the claim's finding rows; a denial also sets the claim's follow-up date.

    `segments` is the stored text of the plan's claim payment, None when it is not stored.
    """
    findings = []
    if plan.denial_codes or plan.held_lines:
        # An amount left with the payer is worked like a denial, so the claim comes back
        # on the worklist on this date.
        claim.follow_up_on = today + timedelta(days=DENIAL_FOLLOW_UP_DAYS)
    if plan.denial_codes:
        remarks = _remark_codes(plan.source_id, segments)
        findings.append(_finding(claim, DENIAL_RULE, "error", _denial_message(plan, remarks)))
    if plan.flagged_codes:
        findings.append(_finding(claim, FLAG_RULE, "warning", _flag_message(plan), why=FLAG_WHY))
    for line in plan.held_lines:
        message = _held_message(plan, line)
        line_id = line.claim_line_id
        findings.append(_finding(claim, REVIEW_RULE, "warning", message, line_id=line_id))
    if plan.forwarded_to_unknown:
        message = (
            f"{plan.payer_name} forwarded the claim to another payer, but the patient has no "
            "coverage after it on the date of service, so the patient's share was moved to "
            "the patient. Add the other coverage, then move the amount to that payer."
        )
        findings.append(_finding(claim, REVIEW_RULE, "warning", message))
    if plan.short_lines:
        message = (
            f"{plan.short_lines} line(s) were settled for more than {plan.payer_name} was "
            "owed on them. Open the patient's ledger and check which bucket holds the charge."
        )
        findings.append(_finding(claim, BALANCE_RULE, "warning", message, why=BALANCE_WHY))
    return findings


def _denial_message(plan: PostingPlan, remarks: tuple[str, ...]) -> str:
    codes = ", ".join(plan.denial_codes)
    text = f"{plan.payer_name} denied {codes}"
    if remarks:
        text += f" (remark codes {', '.join(remarks)})"
    text += "."
    hints = _code_hints(plan.denial_codes)
    if hints:
        text += " " + hints
    else:
        text += " Look up the codes, then correct and resubmit, appeal, or write off."
    return text


def _held_message(plan: PostingPlan, line: LinePlan) -> str:
    """Return a message naming the line, its adjustments held for review and what to do."""
    codes = list(dict.fromkeys(item.code for item in line.adjustments if item.action == REVIEW))
    amount = format_money(line.held_for_review)
    text = (
        f"Line {line.line_number} ({line.procedure_code}): {', '.join(codes)} of {amount} was "
        f"held for review by the posting rules, so it stays with {plan.payer_name}."
    )
    hints = _code_hints(codes)
    if hints:
        text += f" {hints}"
    return (
        f"{text} Read the remittance, then write the amount off, bill it to the patient or "
        "the next payer, or correct and resubmit the claim."
    )


def _flag_message(plan: PostingPlan) -> str:
    codes = ", ".join(plan.flagged_codes)
    text = f"{plan.payer_name}'s adjustments {codes} were written off."
    hints = _code_hints(plan.flagged_codes)
    if hints:
        return f"{text} {hints}"
    return f"{text} Check the claim, and correct and resubmit it if the payer should pay."


def _code_hints(codes: Sequence[str]) -> str:
    """Return what a biller does about each code (such as CO-97) that has a hint, or ""."""
    hints = []
    for code in codes:
        hint = denial_hint(code.split("-", 1)[1])
        if hint is not None:
            hints.append(f"{code}: {hint}.")
    return " ".join(hints)


def _finding(
    claim: Claim,
    rule: str,
    severity: str,
    message: str,
    *,
    why: str | None = None,
    line_id: uuid.UUID | None = None,
) -> dict[str, object]:
    """Return a ClaimFinding row on the claim, or on one of its lines with `line_id`."""
    if why is None:
        why = DENIAL_WHY if rule == DENIAL_RULE else REVIEW_WHY
    return {
        "claim_id": claim.id,
        "claim_line_id": line_id,
        "rule": rule,
        "severity": severity,
        "message": message,
        "why": why,
        "field": "claim",
        "record_id": claim.id,
    }


def _remark_codes(source_id: uuid.UUID, segments: str | None) -> tuple[str, ...]:
    """Return the remark codes (RARC) of the stored claim loop, claim level then lines."""
    if segments is None or not segments.startswith("CLP"):
        # A typed EOB is stored as JSON and carries no remark codes.
        return ()
    try:
        payment = read_claim_loop(segments)
    except X12FormatError as error:
        log.warning("claim payment %s: stored loop unreadable: %s", source_id, error)
        return ()
    codes = list(payment.remarks)
    for service in payment.services:
        codes += service.remarks
    return tuple(dict.fromkeys(codes))


def _bill_next_payer(
    session: Session, actor: Actor, claim: Claim, plan: PostingPlan
) -> uuid.UUID | None:
    """Build the claim to the next payer, or return the live one that already bills it."""
    if not plan.bill_next_payer or plan.next_payer is None:
        return None
    if ClaimStatus(claim.status) in DEAD_STATUSES:
        return None
    existing = _next_payer_claim(session, claim, plan.next_payer.payer_id)
    if existing is not None:
        # A corrected payment after a reversal: the next payer's claim was built already.
        return existing
    return build_secondary_claim(session, actor, claim.id)


def _next_payer_claim(session: Session, claim: Claim, payer_id: uuid.UUID) -> uuid.UUID | None:
    charge_lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim.id)
    query = (
        select(Claim.id)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(
            ClaimLine.charge_line_id.in_(charge_lines), Claim.payer_id == payer_id, bills_lines()
        )
    )
    return session.scalars(query).first()


# --- reversal -----------------------------------------------------------------------


def reverse_posting(
    session: Session, actor: Actor, adjudication_id: uuid.UUID, memo: str
) -> Changes:
    """Reverse every ledger row posted from the adjudication's claim payments.

    Each row gets its reversal through `ledger.reverse_entry`. The adjudication is marked
    voided and its claim payments "reversed". The claim goes back to pending, because
    the payer's corrected adjudication is still to come. A claim to the next payer built from the
    payment is left alone. Needs PAYMENT_POST and CLAIM_MANAGE. Raises NotFoundError for
    an unknown adjudication and UserError without a memo or when nothing is left to
    reverse.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    if not memo.strip():
        raise UserError("Give the reason for the reversal; it is shown on the ledger.")
    adjudication = session.get(PayerAdjudication, adjudication_id)
    if adjudication is None:
        raise NotFoundError(
            f"Payer adjudication {adjudication_id} was not found; refresh and try again."
        )
    claim = session.get(Claim, adjudication.claim_id)
    assert claim is not None, "payer_adjudication.claim_id is a foreign key"
    sources = list(
        session.scalars(
            select(RemittanceClaim).where(RemittanceClaim.adjudication_id == adjudication_id)
        )
    )
    live = [source for source in sources if source.state != STATE_REVERSED]
    if not live and adjudication.voided:
        raise UserError(
            f"The payment of claim {claim.claim_number} is already reversed; refresh the claim."
        )

    rows = _rows_to_reverse(session, claim, [source.id for source in live])
    for row_id in rows:
        reverse_entry(session, actor, row_id, memo)
    adjudication.voided = True
    adjudication.updated_by = actor.user_id
    for source in live:
        source.state = STATE_REVERSED
        source.updated_by = actor.user_id
    _archive_findings(session, claim)
    _record_reversal(session, actor, claim, memo, len(rows))
    session.flush()
    log.info("reversed adjudication %s: %d ledger rows", adjudication_id, len(rows))
    return CHANGES


def _rows_to_reverse(
    session: Session, claim: Claim, source_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Return the rows posted from the sources that are not reversed yet, oldest first.

    Posting puts every row on one of the claim's lines, and the line column is indexed
    while source_id is not, so the lines narrow the search.
    """
    if not source_ids:
        return []
    lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim.id)
    already = select(LedgerEntry.reverses_id).where(
        LedgerEntry.charge_line_id.in_(lines),
        LedgerEntry.source_type == SOURCE_TYPE,
        LedgerEntry.source_id.in_(source_ids),
        LedgerEntry.reverses_id.is_not(None),
    )
    query = (
        select(LedgerEntry.id)
        .where(
            LedgerEntry.charge_line_id.in_(lines),
            LedgerEntry.source_type == SOURCE_TYPE,
            LedgerEntry.source_id.in_(source_ids),
            LedgerEntry.entry_type != REVERSAL,
            LedgerEntry.id.not_in(already),
        )
        .order_by(LedgerEntry.posted_at, LedgerEntry.id)
    )
    return list(session.scalars(query))


def _archive_findings(session: Session, claim: Claim) -> None:
    session.execute(
        update(ClaimFinding)
        .where(
            ClaimFinding.claim_id == claim.id,
            ClaimFinding.rule.in_([DENIAL_RULE, REVIEW_RULE, FLAG_RULE, BALANCE_RULE]),
            ClaimFinding.archived.is_(False),
        )
        .values(archived=True)
        .execution_options(synchronize_session="fetch")
    )


def _record_reversal(
    session: Session, actor: Actor, claim: Claim, memo: str, row_count: int
) -> None:
    detail = f"The payer's payment was reversed ({row_count} ledger rows): {memo.strip()}"
    if ClaimStatus(claim.status) in DEAD_STATUSES:
        record_event(session, claim, ClaimEventKind.NOTE, user_id=actor.user_id, detail=detail)
        return
    record_event(
        session,
        claim,
        ClaimEventKind.NOTE,
        user_id=actor.user_id,
        status=ClaimStatus.PENDING,
        detail=detail,
    )


# --- the provider account -----------------------------------------------------------


def provider_account(
    session: Session, actor: Actor, since: date | None = None
) -> list[ProviderAccountRow]:
    """Return PLB adjustments grouped by reason code, with totals, largest total first.

    `since` keeps remittances paid (or, without a payment date, received) on or after
    that day. Reversed remittances are left out. Needs PAYMENT_POST.
    """
    require(actor, Permission.PAYMENT_POST)
    query = (
        select(ProviderAdjustment, Remittance)
        .join(Remittance, Remittance.id == ProviderAdjustment.remittance_id)
        .where(ProviderAdjustment.archived.is_(False), Remittance.status != STATE_REVERSED)
        .order_by(Remittance.received_at, ProviderAdjustment.id)
    )
    grouped: dict[str, list[ProviderAdjustmentRow]] = {}
    for adjustment, remittance in session.execute(query):
        day = remittance.payment_date or remittance.received_at.date()
        if since is not None and day < since:
            continue
        grouped.setdefault(adjustment.reason_code, []).append(
            ProviderAdjustmentRow(
                adjustment_id=adjustment.id,
                remittance_id=remittance.id,
                payer_name=remittance.payer_name,
                trace_number=remittance.trace_number,
                payment_date=remittance.payment_date,
                provider_identifier=adjustment.provider_identifier,
                fiscal_period_date=adjustment.fiscal_period_date,
                reference=adjustment.reference,
                amount=adjustment.amount,
                claim_id=adjustment.claim_id,
            )
        )
    accounts = [
        ProviderAccountRow(
            reason_code=code,
            label=provider_adjustment_label(code),
            total=sum((row.amount for row in rows), ZERO),
            rows=tuple(rows),
        )
        for code, rows in grouped.items()
    ]
    accounts.sort(key=lambda account: (-abs(account.total), account.reason_code))
    return accounts
