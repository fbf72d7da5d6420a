"""The remittance work queues: remittances received, claims to review, money not applied.

A claim payment waits in review when a biller must approve it (the payer's posting
mode, a doubtful match, a denial, a remittance that does not balance) and in the
unapplied queue when it matched no claim. `review_detail` puts the claim as billed
beside what the payer sent. `post_reviewed` posts it, on the claim a biller chooses
for an unapplied one, and `set_aside` leaves it unapplied with a note.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.models.claims import Claim, ClaimLine, X12Response
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.payments import Remittance, RemittanceClaim
from app.money import ZERO, format_money, to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import claim_lines, get_claim, patient_coverages
from app.services.claim_cob import record_adjudication
from app.services.claim_crossover import (
    DENIED_CODE,
    adjudicating_payer,
    current_adjudications,
    reversal_wait_reason,
)
from app.services.claim_interest import interest_adjustment, payee_identifier
from app.services.era_import import (
    INFO_EXPLANATIONS,
    REMITTANCE_HELD,
    REMITTANCE_POSTED,
    REVERSAL_CODE,
    STATE_POSTED,
    STATE_REVIEW,
    STATE_UNAPPLIED,
    note_crossover,
    replaces_denial,
)
from app.services.era_matching import BY_HAND, adjudication_form, match_services
from app.services.era_posting import PostingResult, post_adjudication, reverse_posting
from app.services.patient_records import display_name
from app.services.posting_rules import ACTION_LABELS, DENIAL, load_rules
from app.services.remark_codes import describe_many
from app.services.scheduling_settings import practice_zone
from app.services.today import practice_today
from app.x12.codes_835 import CROSSOVER_STATUSES, claim_status_label, group_label
from app.x12.reader_835 import (
    Cas,
    ClaimPayment,
    ServicePayment,
    claim_balance_problems,
    interest_in_payment,
    read_claim_loop,
)
from app.x12.segments import X12FormatError

log = logging.getLogger(__name__)

OBJECT_TYPE = "remittance_claim"
# The queues `queue` lists: claim payments to review, those that matched no claim, and
# the claims of remittances held because they do not balance.
QUEUE_REVIEW = "review"
QUEUE_UNAPPLIED = "unapplied"
QUEUE_HELD = "held"
QUEUES = (QUEUE_REVIEW, QUEUE_UNAPPLIED, QUEUE_HELD)
OPEN_STATES = (STATE_REVIEW, STATE_UNAPPLIED)
REVERSE_ACTION = "reverse"
REVERSE_LABEL = "Reverse the earlier payment"


@dataclass(frozen=True, slots=True)
class RemittanceRow:
    """One remittance as the Remittances tab lists it, with its claim payments counted."""

    remittance_id: uuid.UUID
    received_at: datetime
    file_name: str
    source: str
    payer_name: str
    trace_number: str
    payment_method: str
    payment_amount: Decimal
    payment_date: date | None
    status: str
    problem: str
    claims: int
    posted: int
    review: int
    unapplied: int


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One claim payment in a work queue.

    `patient_name` is the matched claim's patient as lists show it, or the name the 835
    sent (NM1*QC) when no claim matched. `patient_control_number` is CLP01, which echoes
    the claim number ClinicDesk sent, and `payer_claim_number` is the payer's own (CLP07).
    """

    remittance_claim_id: uuid.UUID
    remittance_id: uuid.UUID
    state: str
    payer_name: str
    trace_number: str
    patient_name: str
    patient_control_number: str
    payer_claim_number: str | None
    service_date: date | None
    charge: Decimal
    paid: Decimal
    claim_id: uuid.UUID | None
    claim_number: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    """One CAS adjustment with its labels and what posting does with it."""

    group_code: str
    group_label: str
    reason_code: str
    description: str  # the imported CARC wording, "" when none was imported
    amount: Decimal
    action: str
    action_label: str


@dataclass(frozen=True, slots=True)
class RemarkRow:
    """A remark code (RARC) with its imported wording, "" when none was imported."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class BilledLine:
    """A line of the claim as it was billed."""

    claim_line_id: uuid.UUID
    line_number: int
    service_date: date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    line_control_number: str


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """A service line of the remittance and the claim line it matched."""

    position: int
    procedure_code: str
    modifiers: tuple[str, ...]
    submitted_code: str | None
    service_date: date | None
    charge: Decimal
    paid: Decimal
    allowed: Decimal | None
    units_paid: Decimal | None
    line_control_number: str | None
    matched_line_number: int | None
    adjustments: tuple[AdjustmentRow, ...]
    remarks: tuple[RemarkRow, ...]


@dataclass(frozen=True, slots=True)
class ReviewDetail:
    """The claim as billed beside the payer's claim payment, for a biller's decision."""

    remittance_claim_id: uuid.UUID
    remittance_id: uuid.UUID
    state: str
    reason: str
    match_method: str | None
    payer_name: str
    trace_number: str
    payment_date: date | None
    remittance_held: bool
    # The patient's name as the 835 spells it (NM1*QC).
    patient_name: str
    # The matched claim's patient as lists show it; None when no claim matched.
    claim_patient_name: str | None
    member_id: str
    patient_control_number: str
    payer_claim_number: str | None
    status_code: str
    status_label: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    # The claim interest (AMT*I) that `paid` includes, which posts to the provider
    # account instead of the lines; zero when there is none.
    interest: Decimal
    service_date: date | None
    claim_id: uuid.UUID | None
    claim_number: str | None
    claim_status: str | None
    claim_charge: Decimal | None
    billed_lines: tuple[BilledLine, ...]
    adjustments: tuple[AdjustmentRow, ...]
    services: tuple[ServiceRow, ...]
    remarks: tuple[RemarkRow, ...]
    balance_problems: tuple[str, ...]


# ---- lists -----------------------------------------------------------------------------------


def remittance_list(
    session: Session, actor: Actor, *, status: str | None = None
) -> list[RemittanceRow]:
    """Return the remittances, newest first, optionally only those with `status`.

    `received_at` is given in the practice's zone, so an evening import shows its own day.
    """
    require(actor, Permission.PAYMENT_POST)
    zone = practice_zone(session)
    counts = (
        select(
            RemittanceClaim.remittance_id.label("remittance_id"),
            func.count().label("claims"),
            _count_state(STATE_POSTED).label("posted"),
            _count_state(STATE_REVIEW).label("review"),
            _count_state(STATE_UNAPPLIED).label("unapplied"),
        )
        .group_by(RemittanceClaim.remittance_id)
        .subquery()
    )
    query = (
        select(Remittance, X12Response.file_name, counts)
        .outerjoin(X12Response, X12Response.id == Remittance.response_id)
        .outerjoin(counts, counts.c.remittance_id == Remittance.id)
        .where(Remittance.archived.is_(False))
        .order_by(Remittance.received_at.desc(), Remittance.id)
    )
    if status is not None:
        query = query.where(Remittance.status == status)
    return [
        RemittanceRow(
            remittance_id=row.Remittance.id,
            received_at=row.Remittance.received_at.astimezone(zone),
            file_name=row.file_name or "",
            source=row.Remittance.source,
            payer_name=row.Remittance.payer_name,
            trace_number=row.Remittance.trace_number,
            payment_method=row.Remittance.payment_method,
            payment_amount=row.Remittance.payment_amount,
            payment_date=row.Remittance.payment_date,
            status=row.Remittance.status,
            problem=row.Remittance.problem or "",
            claims=row.claims or 0,
            posted=row.posted or 0,
            review=row.review or 0,
            unapplied=row.unapplied or 0,
        )
        for row in session.execute(query)
    ]


def _count_state(state: str) -> ColumnElement[int]:
    return func.sum(case((RemittanceClaim.state == state, 1), else_=0))


def queue(session: Session, actor: Actor, state: str) -> list[QueueRow]:
    """Return the claim payments of one queue ("review", "unapplied" or "held"), oldest first.

    The review queue leaves out the claims of held remittances, which "held" lists.
    """
    require(actor, Permission.PAYMENT_POST)
    if state not in QUEUES:
        raise ValueError(f"queue {state!r} is not one of {', '.join(QUEUES)}")
    query = (
        select(RemittanceClaim, Remittance, Claim.claim_number, Patient)
        .join(Remittance, Remittance.id == RemittanceClaim.remittance_id)
        .outerjoin(Claim, Claim.id == RemittanceClaim.claim_id)
        .outerjoin(Patient, Patient.id == Claim.patient_id)
        .where(RemittanceClaim.archived.is_(False), Remittance.archived.is_(False))
        .order_by(Remittance.received_at, Remittance.id, RemittanceClaim.position)
    )
    if state == QUEUE_HELD:
        query = query.where(
            Remittance.status == REMITTANCE_HELD, RemittanceClaim.state.in_(OPEN_STATES)
        )
    elif state == QUEUE_REVIEW:
        query = query.where(
            RemittanceClaim.state == STATE_REVIEW, Remittance.status != REMITTANCE_HELD
        )
    else:
        query = query.where(RemittanceClaim.state == STATE_UNAPPLIED)
    return [
        QueueRow(
            remittance_claim_id=claim_row.id,
            remittance_id=remittance.id,
            state=claim_row.state,
            payer_name=remittance.payer_name,
            trace_number=remittance.trace_number,
            patient_name=display_name(patient) if patient is not None else claim_row.patient_name,
            patient_control_number=claim_row.patient_control_number,
            payer_claim_number=claim_row.payer_claim_number,
            service_date=claim_row.service_date,
            charge=claim_row.charge_amount,
            paid=claim_row.paid_amount,
            claim_id=claim_row.claim_id,
            claim_number=claim_number,
            reason=claim_row.review_reason or "",
        )
        for claim_row, remittance, claim_number, patient in session.execute(query)
    ]


# ---- the review detail ----------------------------------------------------------------------


def review_detail(session: Session, actor: Actor, remittance_claim_id: uuid.UUID) -> ReviewDetail:
    """Return the claim as billed and the payer's claim payment side by side."""
    require(actor, Permission.PAYMENT_POST)
    claim_row = _get_claim_row(session, remittance_claim_id)
    remittance = _get_remittance(session, claim_row)
    payment = _read_payment(claim_row)
    claim = session.get(Claim, claim_row.claim_id) if claim_row.claim_id else None
    payer_id = claim.payer_id if claim is not None else remittance.payer_id
    patient = session.get(Patient, claim.patient_id) if claim is not None else None

    describer = _Describer(session, payer_id, payment)
    lines = claim_lines(session, claim.id) if claim is not None else []
    matched = match_services(lines, payment).lines if claim is not None else None
    line_numbers = {index: line.line_number for index, line in (matched or {}).items()}
    code = claim_row.status_code
    return ReviewDetail(
        remittance_claim_id=claim_row.id,
        remittance_id=remittance.id,
        state=claim_row.state,
        reason=claim_row.review_reason or "",
        match_method=claim_row.match_method,
        payer_name=remittance.payer_name,
        trace_number=remittance.trace_number,
        payment_date=remittance.payment_date,
        remittance_held=remittance.status == REMITTANCE_HELD,
        patient_name=claim_row.patient_name,
        claim_patient_name=display_name(patient) if patient is not None else None,
        member_id=claim_row.member_id,
        patient_control_number=claim_row.patient_control_number,
        payer_claim_number=claim_row.payer_claim_number,
        status_code=code,
        status_label=claim_status_label(code),
        charge=claim_row.charge_amount,
        paid=claim_row.paid_amount,
        patient_responsibility=claim_row.patient_responsibility,
        interest=interest_in_payment(payment),
        service_date=claim_row.service_date,
        claim_id=claim.id if claim is not None else None,
        claim_number=claim.claim_number if claim is not None else None,
        claim_status=claim.status if claim is not None else None,
        claim_charge=claim.total_charge if claim is not None else None,
        billed_lines=tuple(_billed_line(line) for line in lines),
        adjustments=describer.adjustments(payment.adjustments, code),
        services=tuple(
            _service_row(describer, index, service, line_numbers.get(index), code)
            for index, service in enumerate(payment.services)
        ),
        remarks=describer.remarks(payment.remarks),
        balance_problems=tuple(claim_balance_problems(payment)),
    )


class _Describer:
    """Labels, imported wording and posting actions for the codes of one claim payment."""

    def __init__(self, session: Session, payer_id: uuid.UUID | None, payment: ClaimPayment):
        every = list(payment.adjustments) + [
            cas for service in payment.services for cas in service.adjustments
        ]
        remarks = set(payment.remarks) | {
            code for service in payment.services for code in service.remarks
        }
        self._rules = load_rules(session)
        self._payer_id = payer_id
        self._reasons = describe_many(session, "carc", {cas.reason_code for cas in every})
        self._remarks = describe_many(session, "rarc", remarks)

    def adjustments(self, items: tuple[Cas, ...], status_code: str) -> tuple[AdjustmentRow, ...]:
        return tuple(self._adjustment(cas, status_code) for cas in items)

    def remarks(self, codes: tuple[str, ...]) -> tuple[RemarkRow, ...]:
        return tuple(RemarkRow(code, self._remarks.get(code.strip().upper(), "")) for code in codes)

    def _adjustment(self, cas: Cas, status_code: str) -> AdjustmentRow:
        if status_code == REVERSAL_CODE:
            action, label = REVERSE_ACTION, REVERSE_LABEL
        elif status_code == DENIED_CODE:
            # A denied claim leaves every amount with the payer until a biller acts.
            action, label = DENIAL, ACTION_LABELS[DENIAL]
        else:
            action = self._rules.action(self._payer_id, cas.group_code, cas.reason_code)
            label = ACTION_LABELS.get(action, action)
        return AdjustmentRow(
            group_code=cas.group_code,
            group_label=group_label(cas.group_code),
            reason_code=cas.reason_code,
            description=self._reasons.get(cas.reason_code.strip().upper(), ""),
            amount=to_money(cas.amount),
            action=action,
            action_label=label,
        )


def _billed_line(line: ClaimLine) -> BilledLine:
    slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return BilledLine(
        claim_line_id=line.id,
        line_number=line.line_number,
        service_date=line.service_date,
        procedure_code=line.procedure_code,
        modifiers=tuple(modifier for modifier in slots if modifier),
        units=line.units,
        charge=line.charge_amount,
        line_control_number=line.line_control_number,
    )


def _service_row(
    describer: _Describer,
    index: int,
    service: ServicePayment,
    line_number: int | None,
    status_code: str,
) -> ServiceRow:
    return ServiceRow(
        position=index + 1,
        procedure_code=service.procedure_code,
        modifiers=service.modifiers,
        submitted_code=service.submitted_code,
        service_date=service.service_date,
        charge=to_money(service.charge),
        paid=to_money(service.paid),
        allowed=to_money(service.allowed) if service.allowed is not None else None,
        units_paid=service.units_paid,
        line_control_number=service.line_control_number,
        matched_line_number=line_number,
        adjustments=describer.adjustments(service.adjustments, status_code),
        remarks=describer.remarks(service.remarks),
    )


# ---- decisions ------------------------------------------------------------------------------


def post_reviewed(
    session: Session,
    actor: Actor,
    remittance_claim_id: uuid.UUID,
    claim_id: uuid.UUID | None = None,
) -> PostingResult:
    """Post a claim payment a biller approved, on `claim_id` when one is chosen.

    Choosing a claim matches the payment by hand ("manual"); without one, the claim it
    matched is used. A reversal (CLP02 22) reverses the claim's posted payment. Needs
    PAYMENT_POST and CLAIM_MANAGE. Raises UserError naming the problem when the claim
    payment is not waiting, no claim is chosen for an unapplied one, a service line
    matches no claim line, the claim already has a posted payment, or the amounts do
    not balance; nothing is written then.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    claim_row = _get_claim_row(session, remittance_claim_id)
    _check_open(claim_row)
    remittance = _get_remittance(session, claim_row)
    payment = _read_payment(claim_row)
    claim = _chosen_claim(session, claim_row, claim_id)
    _check_postable(claim_row, remittance, payment)

    if claim_id is not None:
        claim_row.claim_id = claim.id
        claim_row.match_method = BY_HAND
    if claim_row.status_code == REVERSAL_CODE:
        result = _post_reversal(session, actor, claim_row, remittance, claim=claim, payment=payment)
    else:
        result = _post_payment(session, actor, claim_row, remittance, claim=claim, payment=payment)

    claim_row.review_reason = None
    claim_row.updated_by = actor.user_id
    _settle_remittance(session, remittance)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.POST,
        OBJECT_TYPE,
        claim_row.id,
        detail=f"posted after review on claim {claim.id}",
    )
    log.info("posted reviewed claim payment %s on claim %s", claim_row.id, claim.id)
    return result


def set_aside(session: Session, actor: Actor, remittance_claim_id: uuid.UUID, note: str) -> Changes:
    """Leave a claim payment unapplied with a note saying why, so it leaves the review queue."""
    require(actor, Permission.PAYMENT_POST)
    claim_row = _get_claim_row(session, remittance_claim_id)
    _check_open(claim_row)
    text = note.strip()
    if not text:
        raise UserError(
            "Write why the claim payment is set aside, such as the payer's phone reference; "
            "the note stays with it in the unapplied queue."
        )
    claim_row.state = STATE_UNAPPLIED
    claim_row.review_reason = f"Set aside: {text}"
    claim_row.updated_by = actor.user_id
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, OBJECT_TYPE, claim_row.id, detail="set aside")
    log.info("set aside claim payment %s", claim_row.id)
    return Changes.of(ChangeKind.PAYMENTS)


def _get_claim_row(session: Session, remittance_claim_id: uuid.UUID) -> RemittanceClaim:
    claim_row = session.get(RemittanceClaim, remittance_claim_id)
    if claim_row is None or claim_row.archived:
        raise NotFoundError(
            f"Claim payment {remittance_claim_id} was not found; refresh the remittance queue."
        )
    return claim_row


def _get_remittance(session: Session, claim_row: RemittanceClaim) -> Remittance:
    remittance = session.get(Remittance, claim_row.remittance_id)
    assert remittance is not None, "remittance_claim.remittance_id is a foreign key"
    return remittance


def _read_payment(claim_row: RemittanceClaim) -> ClaimPayment:
    try:
        return read_claim_loop(claim_row.segments)
    except X12FormatError as error:
        # Only a paper EOB (stored as JSON) or a row changed outside ClinicDesk gets here.
        raise UserError(
            f"Claim payment {claim_row.patient_control_number} has no remittance text to "
            f"read ({error}); post it from the paper EOB screen instead."
        ) from error


def _check_open(claim_row: RemittanceClaim) -> None:
    if claim_row.state not in OPEN_STATES:
        raise UserError(
            f"Claim payment {claim_row.patient_control_number} is {claim_row.state}, not "
            "waiting for review; refresh the queue."
        )


def _chosen_claim(
    session: Session, claim_row: RemittanceClaim, claim_id: uuid.UUID | None
) -> Claim:
    chosen = claim_id or claim_row.claim_id
    if chosen is None:
        raise UserError(
            f"Claim payment {claim_row.patient_control_number} matched no claim; choose the "
            "claim it pays, then post it."
        )
    return get_claim(session, chosen)


def _check_postable(
    claim_row: RemittanceClaim, remittance: Remittance, payment: ClaimPayment
) -> None:
    code = claim_row.status_code
    if code in INFO_EXPLANATIONS:
        raise UserError(INFO_EXPLANATIONS[code])
    if remittance.status == REMITTANCE_HELD:
        # The remittance as a whole does not balance; a claim whose own amounts balance
        # may still be posted once a biller has checked it against the EOB.
        problems = claim_balance_problems(payment)
        if problems:
            raise UserError(
                "This claim payment does not balance, so it cannot be posted: "
                + " ".join(problems)
                + " Ask the payer for a corrected remittance, or post the EOB by hand."
            )


def _post_payment(
    session: Session,
    actor: Actor,
    claim_row: RemittanceClaim,
    remittance: Remittance,
    *,
    claim: Claim,
    payment: ClaimPayment,
) -> PostingResult:
    payer_id = _adjudicating_payer(session, claim, remittance)
    current = current_adjudications(session, claim).get(payer_id)
    if current is not None and replaces_denial(current, claim_row.status_code):
        # A payer that reprocesses a denied claim sends the payment without reversing
        # the denial. The denial is reversed first, so the ledger counts the claim once.
        reverse_posting(
            session,
            actor,
            current.id,
            f"Denial replaced by the payer's payment of claim {claim.claim_number}",
        )
        current = None
    if current is not None:
        raise UserError(
            f"Claim {claim.claim_number} already has a posted {current.source} payment of "
            f"{format_money(current.paid_amount)} from {current.adjudicated_on:%m/%d/%Y}; "
            "posting this one too would count the claim twice. Post the payer's reversal of "
            "it first, or set this claim payment aside."
        )
    matched = match_services(claim_lines(session, claim.id), payment)
    if matched.lines is None:
        numbers = ", ".join(str(index + 1) for index in matched.unmatched)
        raise UserError(
            f"Service lines {numbers} of this claim payment match no line of claim "
            f"{claim.claim_number} by code, date and charge; choose the claim that has "
            "these services."
        )
    form = adjudication_form(
        claim,
        payment,
        matched.lines,
        adjudicated_on=remittance.payment_date or practice_today(session),
        response_id=remittance.response_id,
    )
    form.payer_id = payer_id
    outcome = record_adjudication(session, actor, form)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    result = post_adjudication(session, actor, outcome.record_id, source_id=claim_row.id)
    _store_interest(session, actor, remittance, claim, payment)
    if claim_row.status_code in CROSSOVER_STATUSES:
        note_crossover(
            session, claim, remittance.payer_name, payment.crossover_payer, remittance.response_id
        )
    return result


def _post_reversal(
    session: Session,
    actor: Actor,
    claim_row: RemittanceClaim,
    remittance: Remittance,
    *,
    claim: Claim,
    payment: ClaimPayment,
) -> PostingResult:
    payer_id = _adjudicating_payer(session, claim, remittance)
    adjudications = current_adjudications(session, claim)
    current = adjudications.get(payer_id)
    if current is None:
        raise UserError(
            f"Claim {claim.claim_number} has no posted payment for this reversal to take "
            "back; set the claim payment aside."
        )
    waits = reversal_wait_reason(
        session,
        claim,
        payer_id,
        adjudications,
        lambda: patient_coverages(session, claim.patient_id),
    )
    if waits is not None:
        # Nothing is written, so the claim payment stays in review with this message.
        raise UserError(waits)
    before = _ledger_rows(session)
    memo = f"Reversed by payment {remittance.trace_number} (claim status 22)"
    changes = reverse_posting(session, actor, current.id, memo)
    _store_interest(session, actor, remittance, claim, payment)
    claim_row.state = STATE_POSTED
    claim_row.adjudication_id = current.id
    claim_row.posted_at = utc_now()
    claim_row.posted_by = actor.user_id
    return PostingResult(
        claim_id=claim.id,
        paid=to_money(payment.paid),
        written_off=ZERO,
        to_patient=ZERO,
        to_next_payer=ZERO,
        denied_lines=0,
        secondary_claim_id=None,
        ledger_rows=_ledger_rows(session) - before,
        changes=changes,
    )


def _adjudicating_payer(session: Session, claim: Claim, remittance: Remittance) -> uuid.UUID:
    """Return the payer whose adjudication an approved claim payment is.

    That is the remittance's payer when a crossover moved the claim to it, else the
    claim's payer, because a biller who approves a payment from another payer decides
    that it settles the claim as billed.
    """
    if remittance.payer_id is None:
        return claim.payer_id
    found = adjudicating_payer(
        claim,
        remittance.payer_id,
        current_adjudications(session, claim),
        lambda: patient_coverages(session, claim.patient_id),
    )
    return found or claim.payer_id


def _store_interest(
    session: Session, actor: Actor, remittance: Remittance, claim: Claim, payment: ClaimPayment
) -> None:
    """Store the claim interest (AMT*I) of a posted claim payment on the provider account."""
    if payment.interest is None:
        return
    row = interest_adjustment(actor, remittance, claim.id, payment, payee_identifier(session))
    if row is not None:
        session.add(row)


def _ledger_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def _settle_remittance(session: Session, remittance: Remittance) -> None:
    """Mark the remittance posted once none of its claim payments waits any more."""
    waiting = session.scalar(
        select(func.count())
        .select_from(RemittanceClaim)
        .where(
            RemittanceClaim.remittance_id == remittance.id,
            RemittanceClaim.state.in_(OPEN_STATES),
        )
    )
    if not waiting:
        remittance.status = REMITTANCE_POSTED
        remittance.posted_at = utc_now()
