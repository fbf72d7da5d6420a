"""Demo statement cases: accounts that show each kind of row a statement run has.

After the demo's remittances are posted, most accounts owe a patient share, and some wait
on insurance. This module adds the cases a biller meets less often:

- an account that already received a statement and a 2nd notice without paying, so the
  next run sends its 3rd notice;
- an account on a current payment plan, which the run skips;
- a patient who paid ahead of a visit, whose credit the run lists but never bills;
- a guarantor who agreed to emailed statements, whose statement is queued for email.

NOTE: the ledger is posted when the demo is built, so the two earlier notices carry the
amounts of that moment and the 3rd notice shows the whole balance as new charges.
"""

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, exists, select
from sqlalchemy.orm import Session

from app.db.fast_insert import insert_many
from app.ids import new_id
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.statements import BillingAccount, Statement
from app.money import to_money
from app.pdf.statement import StatementDocument, statement_pdf_bytes
from app.security.permissions import Actor
from app.services.billing_accounts import account_for_patient, ensure_accounts, set_email_consent
from app.services.billing_header import billing_header
from app.services.notice_levels import level_label, level_message, list_levels
from app.services.numbering import next_numbers
from app.services.payment_checks import PaymentForm
from app.services.payment_plans import PlanForm, create_plan
from app.services.payments import take_payment
from app.services.statement_figures import StatementFigures, figures_for_accounts
from app.services.statement_settings import statement_settings
from app.services.today import practice_today

log = logging.getLogger(__name__)

# The two notices the 3rd-notice account already received, in days before the demo's today.
EARLIER_NOTICES = (("statement", 62), ("second", 31))
PREPAYMENT = Decimal("25.00")
# A plan pays the balance in about three monthly installments, starting in a week.
PLAN_INSTALLMENTS = 3
PLAN_START_DAYS = 7
# Below this a payment plan makes no sense, and a 3rd notice would look odd.
LARGER_BALANCE = Decimal("40.00")


@dataclass(frozen=True, slots=True)
class StatementCases:
    """The demo accounts that show the less common statement cases (None when none fit)."""

    third_notice: uuid.UUID | None
    payment_plan: uuid.UUID | None
    credit: uuid.UUID | None
    email: uuid.UUID | None


def add_demo_statement_cases(session: Session, actor: Actor) -> StatementCases:
    """Add the earlier notices, a payment plan, a prepayment and an email consent.

    `actor` takes payments and sets up plans (the demo's biller). Flushes, never commits.
    """
    today = practice_today(session)
    credit = _prepaid_account(session, actor, today)
    accounts = sorted(set(ensure_accounts(session, actor).values()))
    figures = figures_for_accounts(session, accounts, today)
    owing = [
        item
        for item in figures.values()
        if item.amount_due >= LARGER_BALANCE and item.insurance_pending == 0
    ]
    owing.sort(key=lambda item: item.account_number)

    third = _earlier_notices(session, actor, owing[0], today) if owing else None
    plan = _payment_plan(session, actor, owing[1], today) if len(owing) > 1 else None
    email = _email_consent(session, actor, figures.values(), {third, plan})
    log.info(
        "demo statement cases: 3rd notice %s, plan %s, credit %s, email %s",
        third,
        plan,
        credit,
        email,
    )
    return StatementCases(third, plan, credit, email)


def _prepaid_account(session: Session, actor: Actor, today: date) -> uuid.UUID | None:
    """Take a prepayment from a patient who owes nothing and pays for themselves."""
    has_rows = exists().where(LedgerEntry.patient_id == Patient.id)
    patient_id = session.scalar(
        select(Patient.id)
        .where(
            ~has_rows,
            Patient.guarantor_patient_id.is_(None),
            Patient.guarantor_person_id.is_(None),
            Patient.merged_into_id.is_(None),
        )
        .order_by(Patient.chart_number)
        .limit(1)
    )
    if patient_id is None:
        return None

    form = PaymentForm(
        patient_id=patient_id,
        amount=PREPAYMENT,
        method="cash",
        kind="prepayment",
        memo="Paid ahead of the next visit",
        received_on=today,
    )
    take_payment(session, actor, form).raise_if_rejected()
    return account_for_patient(session, actor, patient_id).id


def _earlier_notices(
    session: Session, actor: Actor, figures: StatementFigures, today: date
) -> uuid.UUID:
    """Record the statement and 2nd notice the account received before, with their PDFs."""
    assert actor.user_id is not None, "the demo runs as its biller"
    levels = list_levels(session)
    settings = statement_settings(session)
    header = billing_header(session)
    numbers = next_numbers(session, "statement", len(EARLIER_NOTICES))

    rows = []
    for (code, days), number in zip(EARLIER_NOTICES, numbers, strict=True):
        sent_on = today - timedelta(days=days)
        due_on = sent_on + timedelta(days=settings.due_days)
        document = StatementDocument(
            figures=replace(figures, statement_date=sent_on, activity=()),
            header=header,
            statement_number="S" + number,
            level_label=level_label(levels, code),
            message=level_message(levels, code),
            due_on=due_on,
            plan_line=None,
            payment_options=settings.payment_options,
            assistance_notice=settings.assistance_notice,
        )
        pdf = statement_pdf_bytes(document)
        rows.append(_statement_row(actor.user_id, figures, document, code, pdf))
    insert_many(session, cast(Table, Statement.__table__), rows)
    return figures.account_id


def _statement_row(
    user_id: uuid.UUID,
    figures: StatementFigures,
    document: StatementDocument,
    level: str,
    pdf: bytes,
) -> dict[str, object]:
    return {
        "id": new_id(),
        "statement_number": document.statement_number,
        "run_id": None,
        "account_id": figures.account_id,
        "statement_date": document.figures.statement_date,
        "level": level,
        "channel": "print",
        "status": "printed",
        "amount_due": figures.amount_due,
        "insurance_pending": figures.insurance_pending,
        "account_balance": figures.balance,
        "due_on": document.due_on,
        "reason": "Sent before the demo's records begin",
        "pdf": pdf,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": None,
        "sent_at": None,
        "created_by": user_id,
        "updated_by": user_id,
    }


def _payment_plan(
    session: Session, actor: Actor, figures: StatementFigures, today: date
) -> uuid.UUID:
    """Put the account on a monthly plan for its whole balance."""
    installment = to_money(figures.amount_due / PLAN_INSTALLMENTS + Decimal("0.005"))
    form = PlanForm(
        account_id=figures.account_id,
        total=figures.amount_due,
        down_payment=Decimal("0.00"),
        installment_amount=installment,
        frequency="monthly",
        start_on=today + timedelta(days=PLAN_START_DAYS),
        note="Agreed at the front desk",
    )
    create_plan(session, actor, form).raise_if_rejected()
    return figures.account_id


def _email_consent(
    session: Session,
    actor: Actor,
    figures: Iterable[StatementFigures],
    skip: set[uuid.UUID | None],
) -> uuid.UUID | None:
    """Record email consent for the first owing account whose guarantor has an email."""
    for item in sorted(figures, key=lambda found: found.account_number):
        if item.account_id in skip or item.amount_due < LARGER_BALANCE or not item.guarantor.email:
            continue
        account = session.get(BillingAccount, item.account_id)
        assert account is not None, "figures come from stored accounts"
        set_email_consent(session, actor, account.id, True)
        return account.id
    return None
