"""Lists of front-desk payments: a business day's payments and a patient's payments.

Each row carries what the payment pays on service lines now and what it left on the
account as credit, read from the ledger rows the payment posted.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.payments import Payment
from app.models.practice import Payer
from app.models.security import User
from app.money import ZERO
from app.security.permissions import Actor, Permission, require
from app.services.patient_records import display_name

log = logging.getLogger(__name__)

# source_type of the ledger rows a desk payment posts.
SOURCE_TYPE = "payment"


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One payment as the desk lists it.

    `applied` is what the payment pays on service lines now and `credit` what is left
    on the account; both are zero for a voided payment. `taken_by` is the user's
    display name.
    """

    payment_id: uuid.UUID
    receipt_number: str
    received_on: date
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    kind: str
    method: str
    amount: Decimal
    check_number: str | None
    card_last4: str | None
    payer_name: str | None
    taken_by_id: uuid.UUID
    taken_by: str
    applied: Decimal
    credit: Decimal
    voided: bool
    void_reason: str | None


def payments_for_day(
    session: Session, actor: Actor, day: date, user_id: uuid.UUID | None
) -> list[PaymentRow]:
    """Return the payments received on `day`, by one user or (None) every user, in order taken."""
    require(actor, Permission.PAYMENT_POST)
    query = select(Payment).where(Payment.received_on == day, Payment.archived.is_(False))
    if user_id is not None:
        query = query.where(Payment.received_by == user_id)
    payments = list(session.scalars(query.order_by(Payment.created_at, Payment.receipt_number)))
    return payment_rows(session, payments)


def patient_payments(session: Session, actor: Actor, patient_id: uuid.UUID) -> list[PaymentRow]:
    """Return every payment of the patient, newest first."""
    require(actor, Permission.PAYMENT_POST)
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.patient_id == patient_id, Payment.archived.is_(False))
            .order_by(Payment.received_on.desc(), Payment.created_at.desc())
        )
    )
    return payment_rows(session, payments)


def payment_rows(session: Session, payments: Sequence[Payment]) -> list[PaymentRow]:
    """Build the list rows of `payments` with a fixed number of queries."""
    if not payments:
        return []
    ids = [payment.id for payment in payments]
    applied, credit = _applied_and_credit(session, ids)

    patients = {
        row.id: row
        for row in session.scalars(
            select(Patient).where(Patient.id.in_({payment.patient_id for payment in payments}))
        )
    }
    taker_ids = {payment.received_by for payment in payments}
    # A Result has keys() (its column names), so dict() needs the rows as a list.
    users = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(taker_ids))).all()
    )
    payer_ids = {payment.payer_id for payment in payments if payment.payer_id is not None}
    payers = dict(
        session.execute(select(Payer.id, Payer.name).where(Payer.id.in_(payer_ids))).all()
    )

    rows = []
    for payment in payments:
        patient = patients[payment.patient_id]
        rows.append(
            PaymentRow(
                payment_id=payment.id,
                receipt_number=payment.receipt_number,
                received_on=payment.received_on,
                patient_id=payment.patient_id,
                patient_name=display_name(patient),
                chart_number=patient.chart_number,
                kind=payment.kind,
                method=payment.method,
                amount=payment.amount,
                check_number=payment.check_number,
                card_last4=payment.card_last4,
                payer_name=payers.get(payment.payer_id) if payment.payer_id else None,
                taken_by_id=payment.received_by,
                taken_by=users.get(payment.received_by, ""),
                applied=applied.get(payment.id, ZERO),
                credit=credit.get(payment.id, ZERO),
                voided=payment.voided_at is not None,
                void_reason=payment.void_reason,
            )
        )
    return rows


def _applied_and_credit(
    session: Session, payment_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, Decimal], dict[uuid.UUID, Decimal]]:
    """Return, per payment, the amount on service lines and the amount left as credit."""
    applied: dict[uuid.UUID, Decimal] = {}
    credit: dict[uuid.UUID, Decimal] = {}
    rows = session.execute(
        select(
            LedgerEntry.source_id,
            LedgerEntry.charge_line_id.is_(None),
            func.sum(LedgerEntry.amount),
        )
        .where(LedgerEntry.source_type == SOURCE_TYPE, LedgerEntry.source_id.in_(payment_ids))
        .group_by(LedgerEntry.source_id, LedgerEntry.charge_line_id.is_(None))
    )
    for payment_id, unapplied, total in rows:
        if payment_id is None:
            continue
        target = credit if unapplied else applied
        target[payment_id] = target.get(payment_id, ZERO) - Decimal(total)
    return applied, credit
