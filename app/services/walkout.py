"""The walkout receipt: what was billed for one visit, what was paid today, and what
is owed, handed to the patient at check-out.

A posted encounter prints the charges the ledger contains, leaving out reversed lines. A
draft prints the fee schedule's prices for its lines. Its charges are not in the balance
yet, and the receipt prints a note saying so. Diagnoses print as codes only. Writing the
receipt is an audited print because the page leaves the office.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import practice_zone, utc_now
from app.models.ledger import LedgerEntry
from app.models.practice import Provider
from app.models.scheduling import Appointment
from app.money import ZERO, to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services.billing_header import BillingHeader, billing_header
from app.services.encounter_forms import STATUS_POSTED, EncounterForm
from app.services.encounters import (
    encounter_status,
    load_encounter,
    posted_lines,
    priced_line,
)
from app.services.face_sheet_parts import NOT_HAPPENING, guarantor
from app.services.icd10 import display_code
from app.services.ledger import PATIENT_BUCKET, balances_by_bucket, patient_balance
from app.services.patient_records import display_name, get_patient
from app.services.practice import get_practice
from app.services.procedure_codes import codes_by_value

log = logging.getLogger(__name__)

PAYMENT_ENTRY_TYPE = "payment"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One billed service; `charge` is None for a draft line the fee schedule has no price for."""

    service_date: date
    code: str
    modifiers: tuple[str, ...]
    description: str
    units: int
    charge: Decimal | None


@dataclass(frozen=True, slots=True)
class ReceiptPayment:
    """A payment posted today, as a positive amount with its ledger memo."""

    posted_at: datetime
    memo: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class NextVisit:
    """The patient's next booked visit; `starts_at` is practice wall-clock time."""

    starts_at: datetime
    provider: str


@dataclass(frozen=True, slots=True)
class Walkout:
    """Everything a walkout receipt prints.

    `balance` is the account total after today (every bucket) and `patient_part` the
    share the patient owes now; the rest waits on insurance.
    """

    header: BillingHeader
    printed_on: date
    encounter_number: str
    posted: bool
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    date_of_birth: date
    guarantor: str
    service_date: date
    provider: str
    provider_npi: str
    lines: tuple[ReceiptLine, ...]
    diagnoses: tuple[str, ...]
    total_charges: Decimal
    payments: tuple[ReceiptPayment, ...]
    paid_today: Decimal
    balance: Decimal
    patient_part: Decimal
    next_visit: NextVisit | None


def walkout(session: Session, actor: Actor, encounter_id: uuid.UUID) -> Walkout:
    """Gather the walkout receipt of a draft or posted encounter.

    Raises NotFoundError for a missing encounter and PermissionDeniedError for a role
    that may not view patients.
    """
    form = load_encounter(session, actor, encounter_id)
    status, number = encounter_status(session, actor, encounter_id)
    # A stored encounter always has both; the form type allows None for new ones.
    assert form.patient_id is not None and form.service_date is not None
    patient = get_patient(session, form.patient_id)
    provider = session.get(Provider, form.rendering_provider_id)
    posted = status == STATUS_POSTED
    lines = _receipt_lines(
        session, actor, encounter_id, form, service_date=form.service_date, posted=posted
    )
    payments = _payments_today(session, patient.id)
    buckets = balances_by_bucket(session, patient.id)
    return Walkout(
        header=billing_header(session),
        printed_on=_practice_now(session).date(),
        encounter_number=number,
        posted=posted,
        patient_id=patient.id,
        patient_name=display_name(patient),
        chart_number=patient.chart_number,
        date_of_birth=patient.date_of_birth,
        guarantor=guarantor(session, patient),
        service_date=form.service_date,
        provider=provider.display_name if provider is not None else "",
        provider_npi=provider.npi if provider is not None else "",
        lines=lines,
        diagnoses=tuple(display_code(code) for code in form.diagnoses),
        total_charges=sum((line.charge or ZERO for line in lines), ZERO),
        payments=payments,
        paid_today=sum((payment.amount for payment in payments), ZERO),
        balance=patient_balance(session, patient.id),
        patient_part=buckets.get(PATIENT_BUCKET, ZERO),
        next_visit=_next_visit(session, patient.id, form.appointment_id),
    )


def walkout_pdf(session: Session, actor: Actor, encounter_id: uuid.UUID, path: Path) -> Path:
    """Write the encounter's walkout receipt to the PDF `path` and audit the print.

    The file is written atomically. Raises FileWriteError when `path` cannot be written.
    """
    from app.pdf.walkout import render_walkout

    receipt = walkout(session, actor, encounter_id)
    render_walkout(receipt, path)
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        "encounter",
        encounter_id,
        patient_id=receipt.patient_id,
        detail="walkout receipt PDF",
    )
    log.info("walkout receipt printed for encounter %s", encounter_id)
    return path


def _receipt_lines(
    session: Session,
    actor: Actor,
    encounter_id: uuid.UUID,
    form: EncounterForm,
    *,
    service_date: date,
    posted: bool,
) -> tuple[ReceiptLine, ...]:
    """Return the billed lines: ledger charges when posted, schedule prices in a draft."""
    labels = codes_by_value(session, {line.procedure_code for line in form.lines})
    charges: dict[uuid.UUID, Decimal] = {}
    if posted:
        charges = {
            line.id: line.charge_amount
            for line in posted_lines(session, actor, encounter_id)
            if not line.reversed
        }
    lines = []
    for index, line in enumerate(form.lines):
        if posted:
            charge: Decimal | None = charges.get(line.id) if line.id is not None else None
        else:
            priced = priced_line(session, actor, form, index)
            fee = priced.unit_fee
            charge = None if fee is None else to_money(fee * priced.units)
        code = labels.get(line.procedure_code)
        lines.append(
            ReceiptLine(
                service_date=line.service_date or service_date,
                code=line.procedure_code,
                modifiers=tuple(line.modifiers),
                description=code.description if code is not None else "",
                units=line.units,
                charge=charge,
            )
        )
    return tuple(lines)


def _practice_now(session: Session) -> datetime:
    """Return the practice's wall-clock time now, naive like appointment times."""
    practice = get_practice(session)
    now = utc_now()
    if practice is None:
        return now.replace(tzinfo=None)
    return now.astimezone(practice_zone(practice.time_zone)).replace(tzinfo=None)


def _payments_today(session: Session, patient_id: uuid.UUID) -> tuple[ReceiptPayment, ...]:
    """Return the patient's payments posted today (practice time) and not reversed."""
    practice = get_practice(session)
    zone = practice_zone(practice.time_zone) if practice is not None else UTC
    midnight = datetime.combine(_practice_now(session).date(), time.min, tzinfo=zone)
    start, end = midnight.astimezone(UTC), (midnight + timedelta(days=1)).astimezone(UTC)
    rows = session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.patient_id == patient_id,
            LedgerEntry.entry_type == PAYMENT_ENTRY_TYPE,
            LedgerEntry.posted_at >= start,
            LedgerEntry.posted_at < end,
        )
        .order_by(LedgerEntry.posted_at)
    ).all()
    reversed_ids = set(
        session.scalars(
            select(LedgerEntry.reverses_id).where(
                LedgerEntry.reverses_id.in_([row.id for row in rows])
            )
        )
    )
    # Payments lower what is owed, so the ledger stores them as negative amounts.
    return tuple(
        ReceiptPayment(row.posted_at.astimezone(zone), row.memo, -row.amount)
        for row in rows
        if row.id not in reversed_ids
    )


def _next_visit(
    session: Session, patient_id: uuid.UUID, this_visit: uuid.UUID | None
) -> NextVisit | None:
    """Return the patient's next booked visit after now, other than this one."""
    query = (
        select(Appointment.starts_at, Provider)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.archived.is_(False),
            Appointment.starts_at > _practice_now(session),
            Appointment.status.not_in(NOT_HAPPENING),
        )
        .order_by(Appointment.starts_at)
    )
    if this_visit is not None:
        query = query.where(Appointment.id != this_visit)
    row = session.execute(query.limit(1)).first()
    if row is None:
        return None
    starts_at, provider = row
    return NextVisit(starts_at, provider.display_name)
