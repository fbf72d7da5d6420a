"""The ledger rows and status changes that posting one payer adjudication makes.

`plan_adjudication` reads a stored PayerAdjudication (written by
`claim_cob.record_adjudication`) and works out, without writing anything, what posting
it means for each claim line:

- the payment leaves the bucket of the payer that adjudicated the claim: the payer it
  was billed to, or the payer a crossover moved it to (`claim_crossover`);
- each adjustment follows its posting rule (`posting_rules`): written off, moved to the
  patient or the next payer, or left with the payer as a denial or for review;
- claim-level adjustments are spread over the lines in proportion to what each line
  brought before them (its paid amount, or its charge when the remittance has no lines),
  and the last line takes the rounding remainder. Each line's payment is its paid amount
  minus its share, so the payments add up to the money received.

Write-offs are limited to what is left in the payer's bucket after the payment and the
transfers. On a secondary payer's remittance, OA 23 repeats what the primary paid and
wrote off, and that money has already left the ledger. For a primary payer that
settles a line in full, payment, write-offs and transfers add up to the line's charge,
so the bucket ends at zero.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from app.errors import NotFoundError, UserError
from app.gc_pause import bulk_work
from app.models.claims import Claim
from app.money import ZERO, format_money, to_money
from app.services.claim_build_rows import PAYER_SEQUENCES, coverages_in_force
from app.services.claim_crossover import DENIED_CODE, payer_place, place_in_order
from app.services.claim_status import ClaimStatus
from app.services.era_posting_load import (
    LEDGER_SOURCE,
    PlanItem,
    PostingRows,
    RecordedRows,
    StoredAdjudication,
    StoredAdjustment,
    StoredLine,
    load_posting_rows,
)
from app.services.ledger_bulk import NewEntry
from app.services.line_balances import PATIENT, Bucket, line_buckets
from app.services.posting_rules import (
    DENIAL,
    NEXT_PAYER,
    REVIEW,
    WRITE_OFF_ACTIONS,
    WRITE_OFF_FLAG,
    RuleBook,
    load_rules,
)
from app.services.posting_rules import PATIENT as PATIENT_ACTION

log = logging.getLogger(__name__)

SOURCE_TYPE = LEDGER_SOURCE
# The ledger's insurance buckets, in the order of the claim's SBR01 letter P, S, T.
INSURANCE_PARTIES = ("primary", "secondary", "tertiary")
LINE_PAID = "paid"
LINE_DENIED = "denied"
LINE_PARTIAL = "partial"


@dataclass(frozen=True, slots=True)
class NextPayer:
    """The payer after the claim's payer in coordination-of-benefits order."""

    payer_id: uuid.UUID
    payer_name: str
    bucket: Bucket


@dataclass(frozen=True, slots=True)
class CodedAmount:
    """One adjustment on one line, with its code, amount and posting action."""

    group_code: str
    reason_code: str
    amount: Decimal
    action: str

    @property
    def code(self) -> str:
        """The adjustment as billers write it, such as CO-45."""
        return f"{self.group_code}-{self.reason_code}"


@dataclass(slots=True)
class LinePlan:
    """The posting of one claim line: payment, adjustments, amounts moved and status.

    `denied` is True when a denial (a denied claim or an adjustment whose action is
    denial) leaves an amount with the payer. `held_for_review` is the amount of the
    adjustments whose action is review, which also stays with the payer until a biller
    acts.
    """

    claim_line_id: uuid.UUID
    charge_line_id: uuid.UUID
    line_number: int
    procedure_code: str
    payment: Decimal
    adjustments: list[CodedAmount]
    balance_before: Decimal
    status: str = LINE_PAID
    denied: bool = False
    held_for_review: Decimal = ZERO
    written_off: Decimal = ZERO
    to_patient: Decimal = ZERO
    to_next_payer: Decimal = ZERO


@dataclass(slots=True)
class PostingPlan:
    """Everything posting one adjudication writes, worked out before anything is written.

    `entries` are the ledger rows for `ledger_bulk.post_entries`. `claim_status` is
    the status the claim moves to, and each line's own status is in `lines`.
    `denial_codes` name the adjustments (such as CO-16) that made the claim a denial
    work item, and `flagged_codes` those written off with a warning for a biller (such
    as CO-97). `bill_next_payer` is True when a claim to the next payer must be built,
    also after a crossover payer moved an amount on (from the claim that payer paid).
    `forwarded_to_unknown` is True when the payer forwarded the claim (crossover) but
    the patient has no next coverage on file.
    """

    adjudication_id: uuid.UUID
    claim_id: uuid.UUID
    source_id: uuid.UUID
    payer_name: str
    claim_status: ClaimStatus
    lines: list[LinePlan]
    entries: list[NewEntry] = field(default_factory=list)
    next_payer: NextPayer | None = None
    crossed_over: bool = False
    bill_next_payer: bool = False
    denial_codes: tuple[str, ...] = ()
    flagged_codes: tuple[str, ...] = ()
    short_lines: int = 0
    forwarded_to_unknown: bool = False

    @property
    def paid(self) -> Decimal:
        """The money the payer paid on the claim."""
        return sum((line.payment for line in self.lines), ZERO)

    @property
    def written_off(self) -> Decimal:
        """The amount written off."""
        return sum((line.written_off for line in self.lines), ZERO)

    @property
    def to_patient(self) -> Decimal:
        """The amount moved to the patient's bucket."""
        return sum((line.to_patient for line in self.lines), ZERO)

    @property
    def to_next_payer(self) -> Decimal:
        """The amount moved to the next payer's bucket."""
        return sum((line.to_next_payer for line in self.lines), ZERO)

    @property
    def denied_lines(self) -> int:
        """The number of lines with a denied amount (denied or partly paid)."""
        return sum(1 for line in self.lines if line.denied)

    @property
    def held_lines(self) -> list[LinePlan]:
        """The lines with an amount held for review, which stays with the payer."""
        return [line for line in self.lines if line.held_for_review != ZERO]


def plan_adjudication(
    session: Session,
    adjudication_id: uuid.UUID,
    source_id: uuid.UUID,
    *,
    rules: RuleBook | None = None,
) -> PostingPlan:
    """Work out the ledger rows and statuses of posting one adjudication; write nothing.

    `source_id` is the RemittanceClaim the rows name as their source. `rules` lets a
    caller planning many claims load the posting rules once. Raises NotFoundError for an
    unknown adjudication and UserError when it is voided, when this source already
    posted rows that are not reversed, or when the claim's payer has no ledger bucket.
    This is `plan_adjudications` for one adjudication.
    """
    (plan,) = plan_adjudications(session, [PlanItem(adjudication_id, source_id)], rules)
    return plan


@bulk_work
def plan_adjudications(
    session: Session,
    items: Sequence[PlanItem],
    rules: RuleBook | None = None,
    *,
    recorded: RecordedRows | None = None,
) -> list[PostingPlan]:
    """Work out the postings of many adjudications, in order; write nothing.

    Each plan is the one `plan_adjudication` makes, but the stored rows of the whole
    batch are read with one query per table and 500 claims. `recorded` contains
    adjudications `record_adjudications` stored in this unit of work, which are then
    not read again. Raises what `plan_adjudication` raises for the first item in order
    that fails. Raises ValueError when two items settle the same charge line, because
    each plan starts from the line balances before any of the batch is posted
    (`apply_plans` rejects such a batch too).
    """
    book = rules if rules is not None else load_rules(session)
    rows = load_posting_rows(session, items, recorded)
    for item in items:
        _check_item(rows, item)
    _check_distinct_lines(rows, items)

    charge_lines = [
        line.charge_line_id
        for item in items
        for line in rows.lines[rows.adjudications[item.adjudication_id].claim_id]
    ]
    balances = line_buckets(session, charge_lines)
    plans = [_plan(rows, item, book, balances) for item in items]
    log.debug("planned %d adjudications", len(plans))
    return plans


def _check_item(rows: PostingRows, item: PlanItem) -> None:
    """Raise what planning the item alone raises: not found, voided, posted or no bucket."""
    adjudication = rows.adjudications.get(item.adjudication_id)
    if adjudication is None:
        raise NotFoundError(
            f"Payer adjudication {item.adjudication_id} was not found; refresh and open the "
            "remittance again."
        )
    claim = rows.claims.get(adjudication.claim_id)
    if claim is None or claim.archived:
        raise NotFoundError(
            f"Claim {adjudication.claim_id} was not found or was rebuilt; refresh the claims "
            "list and open it again."
        )
    if adjudication.voided:
        raise UserError(
            f"The payer's adjudication of claim {claim.claim_number} was replaced or "
            "reversed, so it cannot be posted; post the current one."
        )
    if any((item.source_id, line) in rows.posted for line in rows.charge_lines[claim.id]):
        raise UserError(
            f"This remittance's payment of claim {claim.claim_number} is already posted; "
            "reverse that posting first if the payer corrected it."
        )
    _payer_bucket(rows, claim, adjudication.payer_id)


def _check_distinct_lines(rows: PostingRows, items: Sequence[PlanItem]) -> None:
    seen: set[uuid.UUID] = set()
    for item in items:
        claim_id = rows.adjudications[item.adjudication_id].claim_id
        lines = {line.charge_line_id for line in rows.lines[claim_id]}
        if seen & lines:
            raise ValueError(
                f"adjudication {item.adjudication_id} settles a line another item in the "
                "batch settles; plan and post them in separate batches"
            )
        seen |= lines


def _plan(
    rows: PostingRows,
    item: PlanItem,
    book: RuleBook,
    balances: dict[uuid.UUID, dict[Bucket, Decimal]],
) -> PostingPlan:
    adjudication = rows.adjudications[item.adjudication_id]
    claim = rows.claims[adjudication.claim_id]
    payer_id = adjudication.payer_id
    payer_bucket = _payer_bucket(rows, claim, payer_id)
    denied_claim = adjudication.claim_status_code == DENIED_CODE
    lines = _plan_lines(rows, adjudication, claim, book)
    remaining = {
        line.charge_line_id: balances[line.charge_line_id].get(payer_bucket, ZERO) for line in lines
    }

    next_payer = _next_payer(rows, claim, payer_id)
    plan = PostingPlan(
        adjudication_id=adjudication.id,
        claim_id=claim.id,
        source_id=item.source_id,
        payer_name=_payer_name(rows, payer_id),
        claim_status=ClaimStatus.PAID,
        lines=lines,
        next_payer=next_payer,
        crossed_over=adjudication.crossed_over,
    )
    context = _ClaimContext(
        claim=claim,
        source_id=item.source_id,
        payer_bucket=payer_bucket,
        next_payer=next_payer,
        denied_claim=denied_claim,
        memo=f"Claim {claim.claim_number}, {plan.payer_name}",
    )
    for line in lines:
        # A payer may split one billed line into several service lines, so each one
        # starts from what the ones before it left in the bucket.
        line.balance_before = remaining[line.charge_line_id]
        plan.entries += _line_entries(line, context)
        moved = line.payment + line.to_patient + line.to_next_payer + line.written_off
        remaining[line.charge_line_id] -= moved
    moves_to_next = (
        next_payer is not None and plan.to_next_payer != ZERO and not adjudication.crossed_over
    )
    plan.bill_next_payer = moves_to_next
    plan.claim_status = _claim_status(lines, denied_claim)
    plan.denial_codes = _codes(lines, DENIAL, every=denied_claim)
    if not denied_claim:
        # A denied claim writes nothing off, so there is nothing written off to check.
        plan.flagged_codes = _codes(lines, WRITE_OFF_FLAG, every=False)
    plan.short_lines = sum(1 for line in lines if _settles_more_than_owed(line))
    # The payer forwarded the claim, but ClinicDesk has no next coverage on file, so the
    # patient's share went to the patient and a biller should check the coverage.
    plan.forwarded_to_unknown = (
        adjudication.crossed_over and next_payer is None and plan.to_patient != ZERO
    )
    return plan


def _claim_bucket(claim: Claim) -> Bucket:
    if claim.payer_sequence not in PAYER_SEQUENCES:
        raise UserError(
            f"Claim {claim.claim_number} is billed to a payer after the third, and the "
            "ledger keeps primary, secondary and tertiary insurance only; post this "
            "payment by hand on the patient's account."
        )
    party = INSURANCE_PARTIES[PAYER_SEQUENCES.index(claim.payer_sequence)]
    return Bucket(party, claim.payer_id)


def _payer_bucket(rows: PostingRows, claim: Claim, payer_id: uuid.UUID) -> Bucket:
    """Return the ledger bucket of the payer that adjudicated the claim."""
    if payer_id == claim.payer_id:
        return _claim_bucket(claim)
    place = _crossover_place(rows, claim, payer_id)
    return Bucket(INSURANCE_PARTIES[place], payer_id)


def _crossover_place(rows: PostingRows, claim: Claim, payer_id: uuid.UUID) -> int:
    """Return the place in the payment order of a payer a crossover moved the claim to."""
    in_force = coverages_in_force(rows.coverages[claim.patient_id], claim.service_date_from)
    place = payer_place(claim, in_force, payer_id)
    if place is None or place >= len(INSURANCE_PARTIES):
        raise UserError(
            f"{_payer_name(rows, payer_id)} paid claim {claim.claim_number} after a crossover, "
            "but it is not the patient's secondary or tertiary coverage in force on "
            f"{claim.service_date_from:%m/%d/%Y}, so its ledger bucket is unknown. Correct "
            "the patient's coverages, then post the payment again."
        )
    return place


def _next_payer(rows: PostingRows, claim: Claim, payer_id: uuid.UUID) -> NextPayer | None:
    """Return the payer after `payer_id` in order on the date of service, or None."""
    in_force = coverages_in_force(rows.coverages[claim.patient_id], claim.service_date_from)
    if payer_id == claim.payer_id:
        place = place_in_order(claim, [coverage.id for coverage in in_force])
    else:
        place = _crossover_place(rows, claim, payer_id)
    after = place + 1
    # A fourth payer has no ledger bucket, so what it would owe goes to the patient.
    if after >= len(in_force) or after >= len(INSURANCE_PARTIES):
        return None
    coverage = in_force[after]
    return NextPayer(
        payer_id=coverage.payer_id,
        payer_name=_payer_name(rows, coverage.payer_id),
        bucket=Bucket(INSURANCE_PARTIES[after], coverage.payer_id),
    )


def _payer_name(rows: PostingRows, payer_id: uuid.UUID) -> str:
    return rows.payer_names.get(payer_id, "the payer")


# --- lines and the claim-level spread -------------------------------------------------


def _plan_lines(
    rows: PostingRows, adjudication: StoredAdjudication, claim: Claim, book: RuleBook
) -> list[LinePlan]:
    """Return one LinePlan per settled line, with claim-level adjustments spread over them."""
    lines_by_id = {line.id: line for line in rows.lines[claim.id]}
    settled = rows.settled[adjudication.id]
    by_line: dict[uuid.UUID | None, list[StoredAdjustment]] = {}
    for adjustment in rows.adjustments[adjudication.id]:
        by_line.setdefault(adjustment.line_adjudication_id, []).append(adjustment)

    def coded(item: StoredAdjustment) -> CodedAmount:
        action = book.action(adjudication.payer_id, item.group_code, item.reason_code)
        return CodedAmount(item.group_code, item.reason_code, item.amount, action)

    plans: list[LinePlan] = []
    if settled:
        for row in settled:
            line = lines_by_id[row.claim_line_id]
            items = [coded(item) for item in by_line.get(row.id, [])]
            plans.append(_line_plan(line, row.paid_amount, items))
    else:
        # A claim-level remittance: each line brings its whole charge, and the claim
        # adjustments take the rest.
        plans = [_line_plan(line, line.charge_amount, []) for line in lines_by_id.values()]

    claim_items = [coded(item) for item in by_line.get(None, [])]
    _spread(plans, claim_items)
    return plans


def _line_plan(line: StoredLine, paid: Decimal, items: list[CodedAmount]) -> LinePlan:
    return LinePlan(
        claim_line_id=line.id,
        charge_line_id=line.charge_line_id,
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        payment=paid,
        adjustments=items,
        balance_before=ZERO,
    )


def _spread(lines: list[LinePlan], claim_items: list[CodedAmount]) -> None:
    """Share each claim-level adjustment over the lines and take it off their payments.

    The weights are the lines' amounts before claim-level adjustments, so no line's
    share is more than it brought. When they are all zero, the lines share equally.
    """
    if not lines or not claim_items:
        return
    weights = [max(line.payment, ZERO) for line in lines]
    if sum(weights, ZERO) == ZERO:
        weights = [Decimal(1)] * len(lines)
    for item in claim_items:
        for line, share in zip(lines, _shares(item.amount, weights), strict=True):
            if share == ZERO:
                continue
            line.payment -= share
            line.adjustments.append(
                CodedAmount(item.group_code, item.reason_code, share, item.action)
            )


def _shares(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` in proportion to `weights`, in cents; the last share takes the rest."""
    total = sum(weights, ZERO)
    shares = [to_money(amount * weight / total) for weight in weights[:-1]]
    shares.append(amount - sum(shares, ZERO))
    return shares


# --- ledger rows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClaimContext:
    """The values every line of one claim posts with."""

    claim: Claim
    source_id: uuid.UUID
    payer_bucket: Bucket
    next_payer: NextPayer | None
    denied_claim: bool
    memo: str


def _line_entries(line: LinePlan, context: _ClaimContext) -> list[NewEntry]:
    """Return the line's rows: payment, transfers, then write-offs limited to the balance."""
    rows: list[NewEntry] = []

    def row(entry_type: str, amount: Decimal, bucket: Bucket, text: str) -> None:
        rows.append(
            NewEntry(
                entry_type=entry_type,
                amount=amount,
                patient_id=context.claim.patient_id,
                responsible_party=bucket.responsible_party,
                payer_id=bucket.payer_id,
                source_type=SOURCE_TYPE,
                source_id=context.source_id,
                memo=text,
                charge_line_id=line.charge_line_id,
            )
        )

    if line.payment != ZERO:
        row("payment", -line.payment, context.payer_bucket, f"{context.memo}: payment")

    line.denied = context.denied_claim or any(item.action == DENIAL for item in line.adjustments)
    if context.denied_claim:
        # A denied claim leaves every amount with the payer until a biller acts.
        line.status = _line_status(line)
        return rows

    line.held_for_review = _total([item for item in line.adjustments if item.action == REVIEW])
    line.status = _line_status(line)

    to_patient = [item for item in line.adjustments if item.action == PATIENT_ACTION]
    to_next = [item for item in line.adjustments if item.action == NEXT_PAYER]
    if context.next_payer is None:
        to_patient += to_next
        to_next = []
    line.to_patient = _total(to_patient)
    line.to_next_payer = _total(to_next)
    if line.to_patient != ZERO:
        text = f"{context.memo}: {_code_list(to_patient)} to the patient"
        row("transfer", -line.to_patient, context.payer_bucket, text)
        row("transfer", line.to_patient, PATIENT, text)
    if context.next_payer is not None and line.to_next_payer != ZERO:
        text = f"{context.memo}: {_code_list(to_next)} to {context.next_payer.payer_name}"
        row("transfer", -line.to_next_payer, context.payer_bucket, text)
        row("transfer", line.to_next_payer, context.next_payer.bucket, text)

    write_offs = [item for item in line.adjustments if item.action in WRITE_OFF_ACTIONS]
    line.written_off = _write_off_amount(line, _total(write_offs))
    if line.written_off != ZERO:
        row(
            "adjustment",
            -line.written_off,
            context.payer_bucket,
            f"{context.memo}: {_code_list(write_offs)}",
        )
    return rows


def _write_off_amount(line: LinePlan, requested: Decimal) -> Decimal:
    """Return the write-off, limited to what the payer's bucket contains after the other rows."""
    if requested <= ZERO:
        # A negative adjustment gives back an earlier reduction; it posts as it is.
        return requested
    left = line.balance_before - line.payment - line.to_patient - line.to_next_payer
    return min(requested, max(left, ZERO))


def _settles_more_than_owed(line: LinePlan) -> bool:
    """Return True when payment and transfers take more than the payer's bucket held."""
    moved = line.payment + line.to_patient + line.to_next_payer
    return moved > ZERO and moved > line.balance_before


def _line_status(line: LinePlan) -> str:
    """Return the line's status, which is paid only when no amount stays with the payer.

    A line with an amount held for review is partly paid even when the payer paid
    nothing on it, because the payer did not deny it and a biller decides where it goes.
    """
    if line.denied:
        return LINE_PARTIAL if line.payment > ZERO else LINE_DENIED
    return LINE_PARTIAL if line.held_for_review != ZERO else LINE_PAID


def _claim_status(lines: list[LinePlan], denied_claim: bool) -> ClaimStatus:
    if denied_claim or (lines and all(line.status == LINE_DENIED for line in lines)):
        return ClaimStatus.DENIED
    if any(line.status != LINE_PAID for line in lines):
        return ClaimStatus.PARTIAL
    return ClaimStatus.PAID


def _codes(lines: list[LinePlan], action: str, *, every: bool) -> tuple[str, ...]:
    """Return the distinct codes of the lines' adjustments with `action` (all with `every`)."""
    found: dict[str, None] = {}
    for line in lines:
        for item in line.adjustments:
            if every or item.action == action:
                found[item.code] = None
    return tuple(found)


def _total(items: list[CodedAmount]) -> Decimal:
    return sum((item.amount for item in items), ZERO)


def _code_list(items: list[CodedAmount]) -> str:
    return ", ".join(dict.fromkeys(item.code for item in items))


def describe(plan: PostingPlan) -> str:
    """Return the plan's amounts in a sentence for the claim's history (no patient details)."""
    parts = [f"Posted {plan.payer_name}'s payment of {format_money(plan.paid)}"]
    parts.append(f"wrote off {format_money(plan.written_off)}")
    parts.append(f"moved {format_money(plan.to_patient)} to the patient")
    if plan.next_payer is not None and plan.to_next_payer != ZERO:
        parts.append(f"moved {format_money(plan.to_next_payer)} to {plan.next_payer.payer_name}")
    text = ", ".join(parts)
    if plan.denied_lines:
        text += f"; {plan.denied_lines} of {len(plan.lines)} lines denied"
    if plan.held_lines:
        held_total = sum((line.held_for_review for line in plan.held_lines), ZERO)
        text += f"; {format_money(held_total)} held for review"
    return text + "."
