"""The payment receipt: what a patient paid, how, what it paid for and what is still owed.

The receipt lists the services a payment paid by date of service, code and amount, and
never the diagnoses. Writing it is an audited print because the page leaves the office.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.models.practice import Payer
from app.models.security import User
from app.money import ZERO, to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_header import BillingHeader, billing_header
from app.services.ledger import PATIENT_BUCKET, balances_by_bucket, patient_balance
from app.services.patient_records import display_name, get_patient
from app.services.payment_checks import KIND_LABELS, METHOD_LABELS
from app.services.payment_lists import SOURCE_TYPE
from app.services.today import practice_today

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppliedLine:
    """One service a payment paid: its date of service, procedure code and the amount paid."""

    service_date: date
    code: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything a payment receipt prints.

    `credit` is the part of the payment not applied to any service. `patient_balance`
    is what the patient owes after the payment (negative for a credit), and
    `account_balance` adds what waits on insurance. `method_label` is "Check", "Card"
    and so on; `check_number`, `card_last4` and `card_authorization` go with it.
    """

    header: BillingHeader
    printed_on: date
    payment_id: uuid.UUID
    receipt_number: str
    received_on: date
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    kind_label: str
    method_label: str
    check_number: str | None
    card_last4: str | None
    card_authorization: str | None
    payer_name: str | None
    amount: Decimal
    applied: tuple[AppliedLine, ...]
    credit: Decimal
    patient_balance: Decimal
    account_balance: Decimal
    taken_by: str
    memo: str
    voided: bool
    void_reason: str | None


def payment_receipt(session: Session, actor: Actor, payment_id: uuid.UUID) -> Receipt:
    """Gather the receipt of a payment. Raises NotFoundError for an unknown payment."""
    require(actor, Permission.PAYMENT_POST)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.archived:
        raise NotFoundError(f"Payment {payment_id} was not found; refresh the list of payments.")
    patient = get_patient(session, payment.patient_id)
    applied = _applied_lines(session, payment.id)
    payer = session.get(Payer, payment.payer_id) if payment.payer_id is not None else None
    taker = session.get(User, payment.received_by)
    return Receipt(
        header=billing_header(session),
        printed_on=practice_today(session),
        payment_id=payment.id,
        receipt_number=payment.receipt_number,
        received_on=payment.received_on,
        patient_id=patient.id,
        patient_name=display_name(patient),
        chart_number=patient.chart_number,
        kind_label=KIND_LABELS.get(payment.kind, payment.kind),
        method_label=METHOD_LABELS.get(payment.method, payment.method),
        check_number=payment.check_number,
        card_last4=payment.card_last4,
        card_authorization=payment.card_authorization,
        payer_name=payer.name if payer is not None else None,
        amount=payment.amount,
        applied=applied,
        credit=_credit_left(session, payment.id),
        patient_balance=balances_by_bucket(session, patient.id).get(PATIENT_BUCKET, ZERO),
        account_balance=patient_balance(session, patient.id),
        taken_by=taker.display_name if taker is not None else "",
        memo=payment.memo,
        voided=payment.voided_at is not None,
        void_reason=payment.void_reason,
    )


def _applied_lines(session: Session, payment_id: uuid.UUID) -> tuple[AppliedLine, ...]:
    """Return what the payment pays on each line now, oldest service first."""
    rows = session.execute(
        select(ChargeLine.service_date, ChargeLine.procedure_code, func.sum(LedgerEntry.amount))
        .join(ChargeLine, ChargeLine.id == LedgerEntry.charge_line_id)
        .where(LedgerEntry.source_type == SOURCE_TYPE, LedgerEntry.source_id == payment_id)
        .group_by(ChargeLine.id, ChargeLine.service_date, ChargeLine.procedure_code)
        .order_by(ChargeLine.service_date, ChargeLine.procedure_code)
    )
    # Payments are negative on the ledger; a voided payment's lines sum to zero.
    return tuple(
        AppliedLine(service_date, code, to_money(-total))
        for service_date, code, total in rows
        if total
    )


def _credit_left(session: Session, payment_id: uuid.UUID) -> Decimal:
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.source_type == SOURCE_TYPE,
            LedgerEntry.source_id == payment_id,
            LedgerEntry.charge_line_id.is_(None),
        )
    )
    return ZERO if total is None else to_money(-total)


def write_receipt_pdf(session: Session, actor: Actor, payment_id: uuid.UUID, path: Path) -> Path:
    """Write the payment's receipt to the PDF `path` (atomically) and audit the print.

    Raises FileWriteError when `path` cannot be written.
    """
    from app.pdf.receipt import render_receipt

    receipt = payment_receipt(session, actor, payment_id)
    render_receipt(receipt, path)
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        "payment",
        payment_id,
        patient_id=receipt.patient_id,
        detail="payment receipt PDF",
    )
    log.info("payment receipt printed for payment %s", payment_id)
    return path
