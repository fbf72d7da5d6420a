"""Demo statement cases: accounts that show each kind of row a statement run has.

After the demo's remittances are posted, most accounts owe a patient share, and some wait
on insurance. This module adds the cases a biller meets less often:

- an account on a current payment plan, which the run skips;
- a patient who paid ahead of a visit, whose credit the run lists but never bills;
- a guarantor who agreed to emailed statements, whose statement is queued for email.

The demo records no earlier statements: its ledger is posted when the demo is built, so
notices dated before that would print balances the ledger did not yet hold.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.statements import BillingAccount
from app.money import to_money
from app.security.permissions import Actor
from app.services.billing_accounts import account_for_patient, ensure_accounts, set_email_consent
from app.services.payment_checks import PaymentForm
from app.services.payment_plans import PlanForm, create_plan
from app.services.payments import take_payment
from app.services.statement_figures import StatementFigures, figures_for_accounts
from app.services.today import practice_today

log = logging.getLogger(__name__)

PREPAYMENT = Decimal("25.00")
# A plan pays the balance in about three monthly installments, starting in a week.
PLAN_INSTALLMENTS = 3
PLAN_START_DAYS = 7
# Below this a payment plan makes little sense.
LARGER_BALANCE = Decimal("40.00")


@dataclass(frozen=True, slots=True)
class StatementCases:
    """The demo accounts that show the less common statement cases (None when none fit)."""

    payment_plan: uuid.UUID | None
    credit: uuid.UUID | None
    email: uuid.UUID | None


def add_demo_statement_cases(session: Session, actor: Actor) -> StatementCases:
    """Add a payment plan, a prepayment and an email consent.

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

    plan = _payment_plan(session, actor, owing[0], today) if owing else None
    email = _email_consent(session, actor, figures.values(), {plan})
    log.info("demo statement cases: plan %s, credit %s, email %s", plan, credit, email)
    return StatementCases(plan, credit, email)


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
