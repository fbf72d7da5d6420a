"""Payments taken at the front desk: copays, payments on account, prepayments, and
money a third party (an attorney, an employer) sends straight to a patient's account.

Each payment is a `Payment` row with a receipt number and one ledger row per service
line it pays (entry type "payment", negative, the patient's bucket, `charge_line_id` of
the line). What is not applied to a line stays on the account as a credit: a ledger row
without `charge_line_id`. `apply_credit` later moves that credit onto open lines with a
pair of rows, +x without a line and -x on the line, both sourced from the payment, so
voiding a payment reverses every row it ever posted. It moves a payment left on a line
whose charge was reversed the same way, with +x on that line.

Every ledger row of a payment carries the day the money was received as its service
date, so the ledger lock date closes a period to payments received in it, not to
payments on old visits.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.payments import DayClose, Deposit, Payment
from app.models.practice import Payer
from app.models.scheduling import Appointment
from app.money import ZERO, format_money
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import ledger
from app.services.account_balances import patient_line_ids
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, reversal_of
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.line_balances import PATIENT, OpenLine, line_buckets, open_patient_lines
from app.services.numbering import next_number
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import (
    KIND_LABELS,
    KINDS,
    METHODS,
    PaymentForm,
    form_problems,
    is_cents,
    looks_like_card_number,
)
from app.services.payment_lists import (
    SOURCE_TYPE,
    PaymentRow,
    patient_payments,
    payment_rows,
    payments_for_day,
)
from app.services.payment_receipt import (
    Receipt,
    payment_receipt,
    write_receipt_pdf,
)
from app.services.today import practice_today

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "METHODS",
    "PaymentForm",
    "PaymentRow",
    "Receipt",
    "apply_credit",
    "patient_payments",
    "payment_receipt",
    "payment_rows",
    "payments_for_day",
    "take_payment",
    "void_payment",
    "write_receipt_pdf",
]

ENTRY_TYPE = "payment"
# Kinds that stay unapplied when the form chooses no lines: a copay is taken before the
# visit's charges are posted, and a prepayment pays for services not yet given.
UNAPPLIED_KINDS = frozenset({"copay", "prepayment"})


# --- taking a payment -----------------------------------------------------------------


def take_payment(session: Session, actor: Actor, form: PaymentForm) -> SaveOutcome:
    """Validate and record a payment, post its ledger rows and issue its receipt number.

    Problems come back as data and nothing is written then. Allocations name service
    lines with a patient balance; each may not exceed the line's balance and together
    they may not exceed the amount. Without allocations a payment pays the oldest open
    lines first; a copay or prepayment stays on the account as a credit.
    """
    require(actor, Permission.PAYMENT_POST)
    today = practice_today(session)
    problems = form_problems(form, today)
    received_on = form.received_on or today
    problems.extend(_record_problems(session, actor, form, received_on))
    if has_errors(problems):
        return SaveOutcome.rejected(problems)

    open_lines = open_patient_lines(session, form.patient_id)
    allocation_problems, applied = _allocate(form, open_lines)
    if allocation_problems:
        return SaveOutcome.rejected(allocation_problems)

    payment = _insert_payment(session, actor, form, received_on)
    rows = _payment_rows(session, payment, applied, open_lines)
    post_entries(session, actor, rows, detail=f"payment {payment.id}")
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "payment",
        payment.id,
        patient_id=payment.patient_id,
        detail=f"{payment.kind} {payment.method}; {len(rows)} ledger rows",
    )
    log.info("payment %s recorded with %d ledger rows", payment.id, len(rows))
    return SaveOutcome(
        record_id=payment.id,
        created=True,
        problems=tuple(problems),
        changes=Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER),
    )


def _record_problems(
    session: Session, actor: Actor, form: PaymentForm, received_on: date
) -> list[Problem]:
    """Return the problems found against stored records: patient, visit, payer, day close."""
    problems = []
    patient = session.get(Patient, form.patient_id)
    if patient is None or patient.archived:
        problems.append(
            Problem(
                "patient_id",
                "The patient was not found or is archived; search for the patient again.",
            )
        )
    if form.appointment_id is not None:
        appointment = session.get(Appointment, form.appointment_id)
        if appointment is None or appointment.patient_id != form.patient_id:
            problems.append(
                Problem(
                    "appointment_id",
                    "The appointment is not this patient's; choose one of the patient's visits.",
                )
            )
    if form.payer_id is not None:
        payer = session.get(Payer, form.payer_id)
        if payer is None or payer.archived:
            problems.append(Problem("payer_id", "The paying party was not found; choose it again."))
    if actor.user_id is not None and _day_closed(session, actor.user_id, received_on):
        problems.append(Problem("received_on", _day_closed_message(session, received_on)))
    try:
        # Checked here so the form shows it; post_entries would raise it after the insert.
        ledger._check_period_open(session, received_on)
    except ledger.PeriodLockedError as error:
        problems.append(Problem("received_on", str(error)))
    return problems


def _day_closed_message(session: Session, received_on: date) -> str:
    closed = f"You closed {received_on:%m/%d/%Y} already, so no payment can be added to it"
    if received_on == practice_today(session):
        # The dialog always dates a payment today, so only a colleague can take it now.
        return f"{closed} under your name. Ask a colleague whose day is still open to take it."
    return f"{closed}. Take the payment with today's date."


def closed_today(session: Session, actor: Actor) -> bool:
    """Return True when the actor has closed the practice's today under their own name.

    The take-payment dialog dates every payment today, so such a user can take no payment
    today, while a colleague whose day is still open can.
    """
    require(actor, Permission.PAYMENT_POST)
    if actor.user_id is None:
        return False
    return _day_closed(session, actor.user_id, practice_today(session))


def _day_closed(session: Session, user_id: uuid.UUID, day: date) -> bool:
    found = session.scalar(
        select(DayClose.id).where(
            DayClose.user_id == user_id,
            DayClose.business_date == day,
            DayClose.archived.is_(False),
        )
    )
    return found is not None


def _allocate(
    form: PaymentForm, open_lines: Sequence[OpenLine]
) -> tuple[list[Problem], dict[uuid.UUID, Decimal]]:
    """Return the amount to apply to each line, or the problems of the chosen allocations."""
    if form.allocations is None:
        if form.kind in UNAPPLIED_KINDS:
            return [], {}
        return [], oldest_first(form.amount, open_lines)

    balances = {line.charge_line_id: line.patient_balance for line in open_lines}
    problems = []
    for line_id, amount in form.allocations.items():
        balance = balances.get(line_id)
        if balance is None:
            problems.append(
                Problem(
                    "allocations",
                    f"Service line {line_id} has no balance the patient owes; choose a line "
                    "from the patient's open services.",
                )
            )
        elif not is_cents(amount) or amount <= 0:
            problems.append(
                Problem(
                    "allocations",
                    f"The amount {amount} for a line is not whole cents above zero; "
                    "type the amount to apply or leave the line out.",
                )
            )
        elif amount > balance:
            problems.append(
                Problem(
                    "allocations",
                    f"{format_money(amount)} is more than the line's patient balance "
                    f"{format_money(balance)}; apply at most the balance.",
                )
            )
    # A value that is not a Decimal cannot be summed; its own problem is listed above.
    if not all(is_cents(amount) for amount in form.allocations.values()):
        return problems, {}
    total = sum(form.allocations.values(), ZERO)
    if total > form.amount:
        problems.append(
            Problem(
                "allocations",
                f"The amounts applied total {format_money(total)}, more than the payment "
                f"of {format_money(form.amount)}; lower them or raise the payment.",
            )
        )
    return problems, dict(form.allocations)


def oldest_first(amount: Decimal, open_lines: Sequence[OpenLine]) -> dict[uuid.UUID, Decimal]:
    """Spread `amount` over the lines in the order given (oldest first), each up to its balance."""
    applied: dict[uuid.UUID, Decimal] = {}
    left = amount
    for line in open_lines:
        if left <= 0:
            break
        part = min(left, line.patient_balance)
        if part > 0:
            applied[line.charge_line_id] = part
            left -= part
    return applied


def _insert_payment(
    session: Session, actor: Actor, form: PaymentForm, received_on: date
) -> Payment:
    assert actor.user_id is not None, "post_entries rejects a payment without a signed-in user"
    payment = Payment(
        receipt_number=next_number(session, "receipt"),
        patient_id=form.patient_id,
        payer_id=form.payer_id,
        kind=form.kind,
        method=form.method,
        amount=form.amount,
        check_number=_stripped(form.check_number),
        card_last4=_stripped(form.card_last4),
        card_authorization=_stripped(form.card_authorization),
        appointment_id=form.appointment_id,
        received_on=received_on,
        received_by=actor.user_id,
        memo=form.memo.strip(),
        updated_by=actor.user_id,
    )
    session.add(payment)
    session.flush()
    return payment


def _stripped(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _payment_rows(
    session: Session,
    payment: Payment,
    applied: dict[uuid.UUID, Decimal],
    open_lines: Sequence[OpenLine],
) -> list[NewEntry]:
    """Build one row per line paid and one for the credit left, in the lines' order."""
    memo = ledger_memo(session, payment)
    order = [line.charge_line_id for line in open_lines]
    rows = [
        _row(payment, -applied[line_id], memo, line_id)
        for line_id in sorted(applied, key=order.index)
    ]
    credit = payment.amount - sum(applied.values(), ZERO)
    if credit > 0:
        rows.append(_row(payment, -credit, f"{memo}, left as credit", None))
    return rows


def _row(
    payment: Payment,
    amount: Decimal,
    memo: str,
    charge_line_id: uuid.UUID | None,
    service_date: date | None = None,
) -> NewEntry:
    return NewEntry(
        entry_type=ENTRY_TYPE,
        amount=amount,
        patient_id=payment.patient_id,
        responsible_party=RESPONSIBLE_PATIENT,
        service_date=service_date or payment.received_on,
        source_type=SOURCE_TYPE,
        source_id=payment.id,
        memo=memo,
        charge_line_id=charge_line_id,
    )


def ledger_memo(session: Session, payment: Payment) -> str:
    """Return the ledger text of a payment, such as "Copay K7Q-000012, check 1042"."""
    detail = method_detail(payment)
    text = f"{KIND_LABELS[payment.kind]} {payment.receipt_number}, {detail}"
    if payment.payer_id is not None:
        payer = session.get(Payer, payment.payer_id)
        if payer is not None:
            text += f", paid by {payer.name}"
    return text


def method_detail(payment: Payment) -> str:
    """Return the method as printed: "cash", "check 1042", "card 4242 auth 0A12BC"."""
    if payment.method == "check":
        return f"check {payment.check_number}"
    if payment.method == "card":
        return f"card {payment.card_last4} auth {payment.card_authorization}"
    return "EFT" if payment.method == "eft" else payment.method


# --- voiding ----------------------------------------------------------------------------


def void_payment(session: Session, actor: Actor, payment_id: uuid.UUID, reason: str) -> Changes:
    """Void a payment: reverse every ledger row it posted and mark it voided.

    Anyone who may take payments voids one on the business day it was received, until
    its taker closes that day. Later only a manager (PAYMENT_VOID) may, because the
    day's totals were counted already. Nobody voids a payment while it is in a deposit,
    because the deposit's total would still count it. Raises UserError without a reason,
    for a reason containing a card number, for a payment already voided or one in a
    deposit, and NotFoundError for an unknown id.
    """
    require(actor, Permission.PAYMENT_POST)
    payment = get_payment(session, payment_id)
    if not reason.strip():
        raise UserError(
            f"Give the reason for voiding payment {payment.receipt_number}; it is kept with "
            "the payment and on the ledger."
        )
    if looks_like_card_number(reason):
        raise UserError(
            f"The reason for voiding payment {payment.receipt_number} contains what looks "
            "like a full card number, and ClinicDesk must not store card numbers; type the "
            "reason without it."
        )
    if payment.voided_at is not None:
        raise UserError(
            f"Payment {payment.receipt_number} was voided on {payment.voided_at:%m/%d/%Y} "
            "already; refresh the list of payments."
        )
    if payment.deposit_id is not None:
        # The deposit's slip and the bank's total include this money, so the deposit
        # must be undone before the payment can go.
        deposit = session.get(Deposit, payment.deposit_id)
        number = deposit.deposit_number if deposit is not None else str(payment.deposit_id)
        raise UserError(
            f"Payment {payment.receipt_number} is in deposit {number}, so it cannot be "
            f"voided. Undo deposit {number} on the Deposits tab first, then void the "
            "payment; if the deposit is reconciled, record a refund instead."
        )
    if not _voidable_by_desk(session, payment):
        require(actor, Permission.PAYMENT_VOID)

    memo = f"Void of {payment.receipt_number}: {reason.strip()}"
    reversed_count = 0
    for entry in _payment_entries(session, payment.id):
        if entry.entry_type == ledger.REVERSAL or reversal_of(session, entry.id) is not None:
            continue
        ledger.reverse_entry(session, actor, entry.id, memo)
        reversed_count += 1

    payment.voided_at = utc_now()
    payment.voided_by = actor.user_id
    payment.void_reason = reason.strip()
    payment.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "payment",
        payment.id,
        patient_id=payment.patient_id,
        detail=f"voided; {reversed_count} ledger rows reversed",
    )
    log.info("payment %s voided, %d ledger rows reversed", payment.id, reversed_count)
    return Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)


def _voidable_by_desk(session: Session, payment: Payment) -> bool:
    """Return True while the payment's day is still open: today, not closed, not deposited."""
    if payment.received_on != practice_today(session) or payment.deposit_id is not None:
        return False
    return not _day_closed(session, payment.received_by, payment.received_on)


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    """Return the payment row, or raise NotFoundError."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.archived:
        raise NotFoundError(f"Payment {payment_id} was not found; refresh the list of payments.")
    return payment


def _payment_entries(session: Session, payment_id: uuid.UUID) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.source_type == SOURCE_TYPE, LedgerEntry.source_id == payment_id)
            .order_by(LedgerEntry.posted_at, LedgerEntry.id)
        )
    )


# --- credits ----------------------------------------------------------------------------


def apply_credit(session: Session, actor: Actor, patient_id: uuid.UUID) -> Changes:
    """Apply the patient's credit to open service lines, oldest first on both sides.

    Unapplied payments come first. Each application posts a pair sourced from the payment
    whose credit it uses: +x without a line (the credit shrinks) and -x on the line. That
    credit is capped by the account's credit on rows without a line, so money already
    refunded is not applied again. Then the patient credit left on a line whose charge
    was reversed or corrected after it was paid moves the same way, +x on that line and
    -x on the open line, sourced from the payment on it. Returns no changes when there
    is no credit or nothing is owed.
    """
    require(actor, Permission.PAYMENT_POST)
    open_lines = open_patient_lines(session, patient_id)
    if not open_lines:
        return Changes()

    # The credit fills each line's open balance in turn, oldest line first. The pairs
    # post on today's date, the day the credit is applied.
    today = practice_today(session)
    owed = {line.charge_line_id: line.patient_balance for line in open_lines}
    rows = _unapplied_credit_rows(session, patient_id, owed, today)
    rows.extend(_line_credit_rows(session, patient_id, owed, today))
    if not rows:
        return Changes()
    post_entries(session, actor, rows, detail=f"credit applied for patient {patient_id}")
    log.info("applied credit to %d lines for patient %s", len(rows) // 2, patient_id)
    return Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)


def _unapplied_credit_rows(
    session: Session, patient_id: uuid.UUID, owed: dict[uuid.UUID, Decimal], today: date
) -> list[NewEntry]:
    """Build the pairs that move unapplied payments onto the lines in `owed`, lowering it."""
    by_payment = payment_credits(session, patient_id)
    available = min(sum(by_payment.values(), ZERO), account_credit(session, patient_id))
    rows: list[NewEntry] = []
    for payment_id, credit in by_payment.items():
        if available <= 0:
            break
        payment = get_payment(session, payment_id)
        memo = f"Credit from {payment.receipt_number} applied"
        moved = _fill(owed, min(credit, available))
        for line_id, part in moved:
            rows.append(_row(payment, part, memo, None, today))
            rows.append(_row(payment, -part, memo, line_id, today))
            available -= part
    return rows


def _line_credit_rows(
    session: Session, patient_id: uuid.UUID, owed: dict[uuid.UUID, Decimal], today: date
) -> list[NewEntry]:
    """Build the pairs that move payments off lines with a patient credit onto `owed`.

    A line has a patient credit when its charge was reversed (or corrected to a lower
    fee) after a payment was applied to it. Each payment gives back at most what it
    still has on the line.
    """
    line_credits = {
        line_id: -buckets[PATIENT]
        for line_id, buckets in line_buckets(session, patient_line_ids(session, patient_id)).items()
        if buckets.get(PATIENT, ZERO) < ZERO
    }
    rows: list[NewEntry] = []
    for credit_line_id, credit in line_credits.items():
        left = credit
        for payment, paid in _payments_on_line(session, credit_line_id):
            memo = f"Credit from {payment.receipt_number} moved from a reversed service"
            for line_id, part in _fill(owed, min(left, paid)):
                rows.append(_row(payment, part, memo, credit_line_id, today))
                rows.append(_row(payment, -part, memo, line_id, today))
                left -= part
            if left <= 0:
                break
    return rows


def _payments_on_line(session: Session, charge_line_id: uuid.UUID) -> list[tuple[Payment, Decimal]]:
    """Return the payments with money on the line and how much (positive), newest first."""
    found = session.execute(
        select(Payment, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.source_id == Payment.id)
        .where(
            LedgerEntry.source_type == SOURCE_TYPE,
            LedgerEntry.charge_line_id == charge_line_id,
        )
        .group_by(Payment.id)
        .order_by(Payment.received_on.desc(), Payment.created_at.desc())
    )
    return [(payment, -total) for payment, total in found if total is not None and total < 0]


def _fill(owed: dict[uuid.UUID, Decimal], amount: Decimal) -> list[tuple[uuid.UUID, Decimal]]:
    """Spread `amount` over the lines in `owed` in order, lowering each balance it fills."""
    moved = []
    left = amount
    for line_id, balance in owed.items():
        part = min(left, balance)
        if part <= 0:
            continue
        moved.append((line_id, part))
        owed[line_id] = balance - part
        left -= part
    return moved


def payment_credits(session: Session, patient_id: uuid.UUID) -> dict[uuid.UUID, Decimal]:
    """Return each payment's unapplied amount (positive), oldest payment first.

    Voided payments sum to zero, because their reversals share the payment as source.
    """
    rows = session.execute(
        select(Payment.id, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.source_id == Payment.id)
        .where(
            Payment.patient_id == patient_id,
            LedgerEntry.source_type == SOURCE_TYPE,
            LedgerEntry.charge_line_id.is_(None),
        )
        .group_by(Payment.id, Payment.received_on, Payment.created_at)
        .order_by(Payment.received_on, Payment.created_at)
    )
    return {payment_id: -total for payment_id, total in rows if total is not None and total < 0}


def account_credit(session: Session, patient_id: uuid.UUID) -> Decimal:
    """Return the patient's credit on rows tied to no service line (zero when none).

    Older charge rows name their line through `source_type` "charge_line" instead of
    `charge_line_id`, so they are left out here.
    """
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.patient_id == patient_id,
            LedgerEntry.responsible_party == RESPONSIBLE_PATIENT,
            LedgerEntry.charge_line_id.is_(None),
            func.coalesce(LedgerEntry.source_type, "") != CHARGE_LINE_SOURCE,
        )
    )
    if total is None or total >= 0:
        return ZERO
    return Decimal(-total)
