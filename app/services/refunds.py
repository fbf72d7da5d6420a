"""Refunds of credit balances: requested, approved by a second person, then issued.

A credit balance is money the practice holds that nobody owes it: a patient paid more
than their share, or a payer paid more than it should. Whose money it is follows the
ledger bucket the credit sits in. A patient refund draws on the patient bucket. A payer
refund draws on that payer's bucket for the claim it overpaid, and its reason names the
claim.

Anyone who takes payments may request a refund. A manager other than the requester
approves it (PAYMENT_VOID), which keeps one person from both asking for and releasing
money. Issuing posts the ledger row: entry type "refund", a positive amount, because
it undoes the credit.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError, ValidationError
from app.models.charges import ChargeLine
from app.models.claims import Claim
from app.models.patients import Patient
from app.models.payments import Refund
from app.models.practice import Payer
from app.models.security import User
from app.money import ZERO, format_money, to_money
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.account_balances import bucket_totals, patient_line_ids
from app.services.claim_build_rows import chunks
from app.services.ledger import PeriodLockedError, _check_period_open
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.line_balances import PATIENT, Bucket, line_buckets
from app.services.outcomes import SaveOutcome
from app.services.patient_records import display_name, get_patient
from app.services.payment_checks import CARD_NUMBER_MESSAGE, is_cents, looks_like_card_number
from app.services.today import practice_today

log = logging.getLogger(__name__)

OBJECT_TYPE = "refund"
SOURCE_TYPE = "refund"
ENTRY_TYPE = "refund"
REFUND_METHODS = ("check", "card", "eft")
REQUESTED = "requested"
APPROVED = "approved"
ISSUED = "issued"
CANCELLED = "cancelled"
# Refunds that still reserve part of a credit: asked for or approved, not yet paid out.
PENDING_STATUSES = (REQUESTED, APPROVED)
# Claim.payer_sequence letter → the ledger's responsible party for that payer.
SEQUENCE_PARTIES = {"P": "primary", "S": "secondary", "T": "tertiary"}
# The start of a payer refund's reason, as request_refund writes it.
CLAIM_IN_REASON = re.compile(r"Claim (\S+) overpayment: ")


@dataclass(slots=True)
class RefundForm:
    """A refund request. `amount` is positive.

    With `payer_id` the refund returns a payer's overpayment, and `claim_id` names the
    claim it overpaid (required then). Without it the refund returns patient money.
    """

    patient_id: uuid.UUID
    amount: Decimal
    reason: str
    payer_id: uuid.UUID | None = None
    claim_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class PayerCredit:
    """Money a payer paid beyond what it owed on one patient's account (positive)."""

    payer_id: uuid.UUID
    payer_name: str
    responsible_party: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CreditRow:
    """A patient whose account has a credit, and whose money the credit is.

    `balance` is the account total. It is above zero when insurance or the patient
    still owes more than the credits. `patient_credit` and each payer credit are
    positive amounts held in that bucket. `insurance_pending` is what the payers'
    buckets still owe (positive).
    `pending_refunds` are requested or approved refunds to the patient and to payers, and
    `pending_patient_refunds` is the part of them that returns the patient's money.
    """

    patient_id: uuid.UUID
    chart_number: str
    patient_name: str
    balance: Decimal
    patient_credit: Decimal
    payer_credits: tuple[PayerCredit, ...]
    pending_refunds: Decimal
    insurance_pending: Decimal
    pending_patient_refunds: Decimal

    @property
    def credit_total(self) -> Decimal:
        """The patient credit and every payer credit together."""
        return self.patient_credit + sum((credit.amount for credit in self.payer_credits), ZERO)

    @property
    def refundable_after_insurance(self) -> Decimal:
        """The patient credit that stays a credit even if insurance pays nothing more.

        When a payer pays less than it owes, the rest moves to the patient, and the
        patient credit may be needed to cover it. Pending refunds of the patient's money
        are taken off first. A pending payer refund draws on that payer's credit instead.
        """
        remaining = self.patient_credit - self.pending_patient_refunds - self.insurance_pending
        return max(remaining, ZERO)


@dataclass(frozen=True, slots=True)
class RefundRow:
    """One refund as the refund list shows it."""

    refund_id: uuid.UUID
    patient_id: uuid.UUID
    chart_number: str
    patient_name: str
    payer_name: str
    amount: Decimal
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    approved_by: str
    method: str | None
    check_number: str | None
    issued_on: date | None


# --- requesting ---------------------------------------------------------------------


def request_refund(session: Session, actor: Actor, form: RefundForm) -> SaveOutcome:
    """Check and store a refund request (PAYMENT_POST); nothing moves in the ledger yet.

    The credit in the bucket the refund draws on, less the refunds already pending from
    it, must cover the amount. A payer refund must name the claim the payer overpaid,
    and its stored reason starts with the claim number. Nothing is written when a
    problem is found.
    """
    require(actor, Permission.PAYMENT_POST)
    patient = get_patient(session, form.patient_id)
    problems = _amount_problems(form.amount)
    if not form.reason.strip():
        problems.append(Problem("reason", "Give the reason for the refund; the approver reads it."))
    if looks_like_card_number(form.reason):
        problems.append(Problem("reason", CARD_NUMBER_MESSAGE))
    bucket, claim, claim_problems = _refund_bucket(session, form)
    problems.extend(claim_problems)
    if not has_errors(problems) and bucket is not None:
        problems.extend(_credit_problems(session, patient.id, bucket, form.amount, None))
    if has_errors(problems) or bucket is None:
        log.info(
            "refund request for patient %s rejected with %d problems", patient.id, len(problems)
        )
        return SaveOutcome.rejected(problems)

    assert actor.user_id is not None, "PAYMENT_POST is granted only to signed-in users"
    reason = form.reason.strip()
    if claim is not None:
        reason = f"Claim {claim.claim_number} overpayment: {reason}"
    refund = Refund(
        patient_id=patient.id,
        payer_id=form.payer_id,
        amount=to_money(form.amount),
        reason=reason,
        status=REQUESTED,
        requested_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(refund)
    session.flush()
    _audit(session, actor, refund, "requested")
    log.info("refund %s requested", refund.id)
    return SaveOutcome(refund.id, True, tuple(problems), Changes.of(ChangeKind.PAYMENTS))


def _amount_problems(amount: Decimal) -> list[Problem]:
    if is_cents(amount) and amount > ZERO:
        return []
    return [
        Problem(
            "amount",
            f"The refund amount {amount} is not a positive amount in dollars and cents; "
            "type it such as 25.00.",
        )
    ]


def _refund_bucket(
    session: Session, form: RefundForm
) -> tuple[Bucket | None, Claim | None, list[Problem]]:
    """Return the bucket a refund draws on, the claim a payer refund names, and problems."""
    if form.payer_id is None:
        if form.claim_id is None:
            return PATIENT, None, []
        problem = Problem(
            "payer_id",
            "A claim is named but no payer; choose the payer that overpaid the claim, or "
            "leave the claim out for a refund of patient money.",
        )
        return None, None, [problem]

    payer = session.get(Payer, form.payer_id)
    if payer is None:
        problem = Problem(
            "payer_id", f"Payer {form.payer_id} was not found; choose the payer again."
        )
        return None, None, [problem]
    claim, problems = _overpaid_claim(session, form, payer)
    if claim is None or problems:
        return None, claim, problems
    return Bucket(SEQUENCE_PARTIES[claim.payer_sequence], payer.id), claim, []


def _overpaid_claim(
    session: Session, form: RefundForm, payer: Payer
) -> tuple[Claim | None, list[Problem]]:
    if form.claim_id is None:
        problem = Problem(
            "claim_id",
            f"Name the claim {payer.name} overpaid, so the refund can be matched to the "
            "payer's recoupment or refund request.",
        )
        return None, [problem]
    claim = session.get(Claim, form.claim_id)
    if claim is None or claim.patient_id != form.patient_id or claim.payer_id != payer.id:
        problem = Problem(
            "claim_id",
            f"The claim is not one of this patient's claims to {payer.name}; choose the "
            "claim the payer overpaid.",
        )
        return None, [problem]
    if claim.payer_sequence not in SEQUENCE_PARTIES:
        problem = Problem(
            "claim_id",
            f"Claim {claim.claim_number} bills {payer.name} after the third payer, and the "
            "ledger keeps no bucket for that; refund it by hand and post an adjustment.",
        )
        return claim, [problem]
    return claim, []


def available_credit(
    session: Session, patient_id: uuid.UUID, bucket: Bucket, leave_out: uuid.UUID | None
) -> tuple[Decimal, Decimal]:
    """Return the credit held in `bucket` and the pending refunds that draw on it.

    `leave_out` is a refund not to count as pending (the one being approved or issued).
    """
    balance = bucket_totals(session, [patient_id]).get(patient_id, {}).get(bucket, ZERO)
    credit = max(-balance, ZERO)
    pending = ZERO
    query = select(Refund).where(
        Refund.patient_id == patient_id,
        Refund.status.in_(PENDING_STATUSES),
        Refund.archived.is_(False),
    )
    for refund in session.scalars(query):
        if refund.id == leave_out or refund.payer_id != bucket.payer_id:
            continue
        # A payer can be primary on one visit and secondary on another, and each place
        # has a bucket of its own. A refund whose claim cannot be read counts against each.
        party = _claim_party(session, refund)
        if party is not None and party != bucket.responsible_party:
            continue
        pending += refund.amount
    return credit, pending


def _credit_problems(
    session: Session,
    patient_id: uuid.UUID,
    bucket: Bucket,
    amount: Decimal,
    leave_out: uuid.UUID | None,
) -> list[Problem]:
    credit, pending = available_credit(session, patient_id, bucket, leave_out)
    if amount <= credit - pending:
        return []
    whose = "the patient's" if bucket == PATIENT else "the payer's"
    held = f"The account holds {format_money(credit)} of {whose} money"
    if pending:
        held += f", and {format_money(pending)} of it is already in pending refunds"
    return [
        Problem(
            "amount",
            f"{held}, so a refund of {format_money(amount)} is more than the credit; "
            "lower the amount.",
        )
    ]


# --- approving, issuing, cancelling -------------------------------------------------


def get_refund(session: Session, refund_id: uuid.UUID) -> Refund:
    """Return the refund, or raise NotFoundError."""
    refund = session.get(Refund, refund_id)
    if refund is None or refund.archived:
        raise NotFoundError(f"Refund {refund_id} was not found; refresh the list of refunds.")
    return refund


def approve_refund(session: Session, actor: Actor, refund_id: uuid.UUID) -> Changes:
    """Approve a requested refund (PAYMENT_VOID), by someone other than the requester.

    Raises UserError when the refund is not waiting for approval, when the approver
    requested it, or when the credit no longer covers it.
    """
    require(actor, Permission.PAYMENT_VOID)
    refund = get_refund(session, refund_id)
    _check_status(refund, REQUESTED, "approved")
    if refund.requested_by == actor.user_id:
        raise UserError(
            "You requested this refund, so another manager must approve it; ask a "
            "colleague with manager rights to approve it."
        )
    _check_credit(session, refund)

    refund.status = APPROVED
    refund.approved_by = actor.user_id
    refund.approved_at = utc_now()
    refund.updated_by = actor.user_id
    session.flush()
    _audit(session, actor, refund, "approved")
    log.info("refund %s approved", refund.id)
    return Changes.of(ChangeKind.PAYMENTS)


def issue_refund(  # noqa: PLR0917 (the contract's positional signature)
    session: Session,
    actor: Actor,
    refund_id: uuid.UUID,
    method: str,
    check_number: str | None,
    issued_on: date,
) -> Changes:
    """Record that an approved refund was paid out and post its ledger rows (PAYMENT_POST).

    The rows put the amount back into the bucket the credit sat in: first on the lines
    that carry a credit there, oldest first, then on the account. A check needs its
    number. Raises ValidationError for a bad method, a missing check number, a date after
    today or in a closed period, and UserError when the refund is not approved or the
    credit no longer covers it.
    """
    require(actor, Permission.PAYMENT_POST)
    refund = get_refund(session, refund_id)
    _check_status(refund, APPROVED, "issued")
    problems = _issue_problems(session, method, check_number, issued_on)
    if problems:
        raise ValidationError(problems)
    _check_credit(session, refund)

    refund.status = ISSUED
    refund.method = method
    refund.check_number = check_number.strip() if method == "check" and check_number else None
    refund.issued_on = issued_on
    refund.updated_by = actor.user_id
    session.flush()
    entries = _refund_entries(session, refund, _bucket_of(session, refund))
    post_entries(session, actor, entries, detail=f"refund {refund.id}")
    _audit(session, actor, refund, f"issued by {method}")
    log.info("refund %s issued in %d ledger rows", refund.id, len(entries))
    return Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)


def cancel_refund(session: Session, actor: Actor, refund_id: uuid.UUID, reason: str) -> Changes:
    """Cancel a refund that was not issued, keeping the reason with it.

    The requester may cancel their own request (PAYMENT_POST). Cancelling someone else's
    request or an approved refund needs PAYMENT_VOID. Raises ValidationError without a
    reason and UserError for a refund already issued or cancelled.
    """
    require(actor, Permission.PAYMENT_POST)
    refund = get_refund(session, refund_id)
    if refund.status not in PENDING_STATUSES:
        raise UserError(
            f"The refund is already {refund.status}, so it cannot be cancelled; refresh "
            "the list of refunds."
        )
    if refund.status == APPROVED or refund.requested_by != actor.user_id:
        require(actor, Permission.PAYMENT_VOID)
    if not reason.strip():
        raise ValidationError(
            [Problem("reason", "Give the reason for cancelling; it is kept with the refund.")]
        )
    if looks_like_card_number(reason):
        raise ValidationError([Problem("reason", CARD_NUMBER_MESSAGE)])

    refund.status = CANCELLED
    refund.reason = f"{refund.reason}\nCancelled: {reason.strip()}"
    refund.updated_by = actor.user_id
    session.flush()
    _audit(session, actor, refund, "cancelled")
    log.info("refund %s cancelled", refund.id)
    return Changes.of(ChangeKind.PAYMENTS)


def _check_status(refund: Refund, expected: str, action: str) -> None:
    if refund.status != expected:
        raise UserError(
            f"The refund is {refund.status}, so it cannot be {action}; only a refund that "
            f"is {expected} can be. Refresh the list of refunds."
        )


def _bucket_of(session: Session, refund: Refund) -> Bucket:
    if refund.payer_id is None:
        return PATIENT
    party = _claim_party(session, refund)
    if party is None:
        raise UserError(
            f"Refund {refund.id} does not name a claim this payer overpaid; cancel it and "
            "request it again with the claim."
        )
    return Bucket(party, refund.payer_id)


def _claim_party(session: Session, refund: Refund) -> str | None:
    """Return the bucket's party of the claim a payer refund names, or None when unknown."""
    if refund.payer_id is None:
        return None
    # request_refund starts a payer refund's reason with the claim's number, and the
    # claim's place in the payment order gives the bucket.
    found = CLAIM_IN_REASON.match(refund.reason)
    if found is None:
        return None
    claim = session.scalar(select(Claim).where(Claim.claim_number == found.group(1)))
    return SEQUENCE_PARTIES.get(claim.payer_sequence) if claim is not None else None


def _check_credit(session: Session, refund: Refund) -> None:
    problems = _credit_problems(
        session, refund.patient_id, _bucket_of(session, refund), refund.amount, refund.id
    )
    if problems:
        raise UserError(
            f"{problems[0].message} The credit changed since the refund was requested; "
            "cancel the refund or request a smaller one."
        )


def _issue_problems(
    session: Session, method: str, check_number: str | None, issued_on: date
) -> list[Problem]:
    problems = []
    if method not in REFUND_METHODS:
        problems.append(
            Problem(
                "method",
                f"The refund method {method!r} is not one of {', '.join(REFUND_METHODS)}; "
                "choose how the money was paid back.",
            )
        )
    if method == "check" and not (check_number or "").strip():
        problems.append(Problem("check_number", "Type the number of the refund check."))
    if looks_like_card_number(check_number or ""):
        problems.append(Problem("check_number", CARD_NUMBER_MESSAGE))
    today = practice_today(session)
    if issued_on > today:
        problems.append(
            Problem(
                "issued_on",
                f"The date {issued_on:%m/%d/%Y} is after today ({today:%m/%d/%Y}); enter the "
                "day the refund was paid.",
            )
        )
    else:
        try:
            _check_period_open(session, issued_on)
        except PeriodLockedError as error:
            problems.append(Problem("issued_on", str(error)))
    return problems


def _refund_entries(session: Session, refund: Refund, bucket: Bucket) -> list[NewEntry]:
    """Return the refund's ledger rows: lines with a credit in `bucket` first, then the account."""
    remaining = refund.amount
    shares: list[tuple[uuid.UUID | None, Decimal]] = []
    for line_id, credit in _credit_lines(session, refund, bucket):
        if remaining == ZERO:
            break
        share = min(remaining, credit)
        shares.append((line_id, share))
        remaining -= share
    if remaining > ZERO:
        shares.append((None, remaining))

    memo = f"Refund by {refund.method}"
    if refund.check_number:
        memo += f", check {refund.check_number}"
    return [
        NewEntry(
            entry_type=ENTRY_TYPE,
            amount=share,
            patient_id=refund.patient_id,
            responsible_party=bucket.responsible_party,
            payer_id=bucket.payer_id,
            service_date=refund.issued_on,
            source_type=SOURCE_TYPE,
            source_id=refund.id,
            memo=memo,
            charge_line_id=line_id,
        )
        for line_id, share in shares
    ]


def _credit_lines(
    session: Session, refund: Refund, bucket: Bucket
) -> list[tuple[uuid.UUID, Decimal]]:
    """Return (line id, credit) of the patient's lines with a credit in `bucket`, oldest first."""
    line_ids = patient_line_ids(session, refund.patient_id)
    balances = line_buckets(session, line_ids)
    line_credits = {
        line_id: -buckets[bucket]
        for line_id, buckets in balances.items()
        if buckets.get(bucket, ZERO) < ZERO
    }
    dates: dict[uuid.UUID, date] = {}
    for part in chunks(list(line_credits)):
        rows = session.execute(
            select(ChargeLine.id, ChargeLine.service_date).where(ChargeLine.id.in_(part))
        )
        dates.update(dict(rows.all()))
    return sorted(line_credits.items(), key=lambda item: (dates.get(item[0], date.min), item[0]))


def _audit(session: Session, actor: Actor, refund: Refund, what: str) -> None:
    kind = "payer" if refund.payer_id else "patient"
    action = AuditAction.CREATE if what == "requested" else AuditAction.UPDATE
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        refund.id,
        patient_id=refund.patient_id,
        detail=f"{kind} refund {what}",
    )


# --- lists --------------------------------------------------------------------------


def credit_balances(session: Session, actor: Actor) -> list[CreditRow]:
    """Return the accounts that hold a credit, largest credit first.

    An account is listed when any of its buckets is below zero, even while another
    bucket owes more. The patient's money is refunded to the patient and a payer's to
    that payer, so neither is kept against what someone else owes. Each row splits the
    credit by owner (the patient or each payer) and shows the amount insurance still
    owes beside it.
    """
    require(actor, Permission.PAYMENT_POST)
    totals = {
        patient_id: buckets
        for patient_id, buckets in bucket_totals(session).items()
        if any(amount < ZERO for amount in buckets.values())
    }
    payer_names = _names(session, Payer.id, Payer.name)
    pending, pending_patient = _pending_by_patient(session, list(totals))
    rows = []
    for part in chunks(list(totals)):
        for patient in session.scalars(select(Patient).where(Patient.id.in_(part))):
            buckets = totals[patient.id]
            rows.append(
                CreditRow(
                    patient_id=patient.id,
                    chart_number=patient.chart_number,
                    patient_name=display_name(patient),
                    balance=sum(buckets.values(), ZERO),
                    patient_credit=max(-buckets.get(PATIENT, ZERO), ZERO),
                    payer_credits=_payer_credits(buckets, payer_names),
                    pending_refunds=pending.get(patient.id, ZERO),
                    insurance_pending=_insurance_owed(buckets),
                    pending_patient_refunds=pending_patient.get(patient.id, ZERO),
                )
            )
    rows.sort(key=lambda row: (-row.credit_total, row.chart_number))
    log.info("listed %d credit balances", len(rows))
    return rows


def _payer_credits(
    buckets: dict[Bucket, Decimal], payer_names: dict[uuid.UUID, str]
) -> tuple[PayerCredit, ...]:
    payer_credits = [
        PayerCredit(
            payer_id=bucket.payer_id,
            payer_name=payer_names.get(bucket.payer_id, ""),
            responsible_party=bucket.responsible_party,
            amount=-amount,
        )
        for bucket, amount in buckets.items()
        if bucket.payer_id is not None and amount < ZERO
    ]
    return tuple(
        sorted(payer_credits, key=lambda credit: (credit.payer_name, credit.responsible_party))
    )


def _insurance_owed(buckets: dict[Bucket, Decimal]) -> Decimal:
    owed = (amount for bucket, amount in buckets.items() if bucket != PATIENT and amount > ZERO)
    return sum(owed, ZERO)


def _pending_by_patient(
    session: Session, patient_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, Decimal], dict[uuid.UUID, Decimal]]:
    """Return the pending refunds per patient: all of them, and those of patient money."""
    pending: dict[uuid.UUID, Decimal] = {}
    pending_patient: dict[uuid.UUID, Decimal] = {}
    for part in chunks(patient_ids):
        query = select(Refund.patient_id, Refund.payer_id, Refund.amount).where(
            Refund.patient_id.in_(part),
            Refund.status.in_(PENDING_STATUSES),
            Refund.archived.is_(False),
        )
        for patient_id, payer_id, amount in session.execute(query):
            pending[patient_id] = pending.get(patient_id, ZERO) + amount
            if payer_id is None:
                pending_patient[patient_id] = pending_patient.get(patient_id, ZERO) + amount
    return pending, pending_patient


def _names(
    session: Session,
    id_column: InstrumentedAttribute[uuid.UUID],
    name_column: InstrumentedAttribute[str],
) -> dict[uuid.UUID, str]:
    return dict(session.execute(select(id_column, name_column)).all())


def refund_list(session: Session, actor: Actor, status: str | None = None) -> list[RefundRow]:
    """Return the refunds (of one status, or all), newest request first."""
    require(actor, Permission.PAYMENT_POST)
    query = (
        select(Refund, Patient)
        .join(Patient, Patient.id == Refund.patient_id)
        .where(Refund.archived.is_(False))
        .order_by(Refund.created_at.desc())
    )
    if status is not None:
        query = query.where(Refund.status == status)
    found = [(refund, patient) for refund, patient in session.execute(query)]
    user_names = _names(session, User.id, User.display_name)
    payer_names = _names(session, Payer.id, Payer.name)
    return [
        RefundRow(
            refund_id=refund.id,
            patient_id=patient.id,
            chart_number=patient.chart_number,
            patient_name=display_name(patient),
            payer_name=payer_names.get(refund.payer_id, "") if refund.payer_id else "",
            amount=refund.amount,
            reason=refund.reason,
            status=refund.status,
            requested_by=user_names.get(refund.requested_by, ""),
            requested_at=refund.created_at,
            approved_by=user_names.get(refund.approved_by, "") if refund.approved_by else "",
            method=refund.method,
            check_number=refund.check_number,
            issued_on=refund.issued_on,
        )
        for refund, patient in found
    ]
