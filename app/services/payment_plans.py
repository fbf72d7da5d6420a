"""Payment plans: a guarantor's agreement to pay an account's balance in installments.

The front desk sets a plan up with the guarantor (PAYMENT_POST); billers and managers
list, refresh and cancel plans (STATEMENT_RUN). An account has at most one open plan
(current, late or broken). Statement runs read `plan_states`: a current plan's account
gets no notice, a late one gets one reminder per missed installment, and once a plan is
broken the account's usual notices resume.

Payments toward a plan are the Payment rows of every patient on the account, of any
kind and not voided, received on or after the day the plan was made (in the practice's
time zone). The plan's total is what the account owed when it was made, so payments
before that day are already counted in it. The schedule and state rules are in
`app.services.plan_schedule`.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.models.payments import Payment
from app.models.statements import BillingAccount, PaymentPlan
from app.money import ZERO
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.account_balances import bucket_totals, patient_share
from app.services.billing_accounts import (
    account_for_patient,
    account_patient_ids,
    guarantor_contact,
    guarantor_contacts,
    patients_by_account,
)
from app.services.claim_build_rows import chunks
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import CARD_NUMBER_MESSAGE, looks_like_card_number
from app.services.plan_schedule import (
    CANCELLED,
    COMPLETED,
    CURRENT,
    DEFAULT_GRACE_DAYS,
    FREQUENCIES,
    OPEN_STATUSES,
    STATUS_LABELS,
    Installment,
    PlanTerms,
    Standing,
    build_schedule,
    needs_reminder,
    plan_standing,
    summary_line,
    terms_problems,
)
from app.services.scheduling_settings import practice_zone

log = logging.getLogger(__name__)

__all__ = [
    "FREQUENCIES",
    "Installment",
    "PlanAccount",
    "PlanForm",
    "PlanRow",
    "PlanState",
    "account_owed",
    "cancel_plan",
    "create_plan",
    "list_plans",
    "mark_reminded",
    "plan_account",
    "plan_created_on",
    "plan_schedule",
    "plan_states",
    "refresh_plans",
]

OBJECT_TYPE = "payment_plan"
REASON_MAX_LENGTH = 500


@dataclass(slots=True)
class PlanForm:
    """A new plan as typed: amounts in dollars, the first installment's date, grace days."""

    account_id: uuid.UUID
    total: Decimal
    down_payment: Decimal
    installment_amount: Decimal
    frequency: str
    start_on: date
    grace_days: int = DEFAULT_GRACE_DAYS
    note: str = ""

    @property
    def terms(self) -> PlanTerms:
        """The form's amounts, frequency and start date."""
        return PlanTerms(
            self.total, self.down_payment, self.installment_amount, self.frequency, self.start_on
        )


@dataclass(frozen=True, slots=True)
class PlanState:
    """A plan's state on one day (see `plan_schedule.Standing` for the amounts).

    `summary` is the one line a statement prints. `past_due` is the part of the
    installments whose date has passed that the payments do not cover.
    """

    plan_id: uuid.UUID
    account_id: uuid.UUID
    status: str
    paid_to_date: Decimal
    due_to_date: Decimal
    remaining: Decimal
    next_due_on: date | None
    next_amount: Decimal
    missed_since: date | None
    needs_reminder: bool
    summary: str
    past_due: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One plan in the list of plans, with its state on the day the list was made."""

    plan_id: uuid.UUID
    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    total: Decimal
    down_payment: Decimal
    installment_amount: Decimal
    frequency: str
    start_on: date
    created_on: date
    grace_days: int
    note: str
    state: PlanState

    @property
    def status_label(self) -> str:
        """The status as shown, such as "Late"."""
        return STATUS_LABELS.get(self.state.status, self.state.status)


@dataclass(frozen=True, slots=True)
class PlanAccount:
    """The account a new plan would be for, with what the plan dialog checks against.

    `open_plan` describes the account's open plan (which blocks a new one), or is None.
    """

    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    patient_count: int
    owed: Decimal
    today: date
    open_plan: str | None


# --- dates and schedules ------------------------------------------------------------------


def _local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def plan_created_on(session: Session, plan: PaymentPlan) -> date:
    """Return the day the plan was made, in the practice's time zone."""
    return _local_day(plan.created_at, practice_zone(session))


def plan_schedule(plan: PaymentPlan, created_on: date | None = None) -> list[Installment]:
    """Return the plan's installments by number; the down payment is number 0.

    The down payment is due on `created_on`, the day the plan was made. Callers with a
    session pass `plan_created_on(session, plan)`.
    NOTE: without `created_on` the UTC date of `created_at` is used, which is a day
    later than the practice's date for plans made in the evening west of UTC.
    """
    day = created_on if created_on is not None else plan.created_at.date()
    return build_schedule(_terms(plan), day)


def _terms(plan: PaymentPlan) -> PlanTerms:
    return PlanTerms(
        plan.total, plan.down_payment, plan.installment_amount, plan.frequency, plan.start_on
    )


# --- what an account owes and the plans it has ----------------------------------------


def account_owed(session: Session, account_id: uuid.UUID) -> Decimal:
    """Return the patient share of every patient on the account (negative for a credit)."""
    patient_ids = account_patient_ids(session, account_id)
    totals = bucket_totals(session, patient_ids)
    return sum((patient_share(buckets) for buckets in totals.values()), ZERO)


def plan_account(session: Session, actor: Actor, patient_id: uuid.UUID) -> PlanAccount:
    """Return the account that bills `patient_id`, made now if missing, for a new plan.

    A stored open plan that the payments have paid off is marked completed first, so
    it does not block a new plan.
    """
    require(actor, Permission.PAYMENT_POST)
    account = account_for_patient(session, actor, patient_id)
    zone = practice_zone(session)
    today = _local_day(utc_now(), zone)
    open_plan = _open_plan(session, actor, account.id, today)
    return PlanAccount(
        account_id=account.id,
        account_number=account.account_number,
        guarantor_name=guarantor_contact(session, account).name,
        patient_count=len(account_patient_ids(session, account.id)),
        owed=account_owed(session, account.id),
        today=today,
        open_plan=None if open_plan is None else _describe(open_plan, zone),
    )


def _open_plan(
    session: Session, actor: Actor, account_id: uuid.UUID, today: date
) -> PaymentPlan | None:
    # Completing a paid-off plan here keeps the one-open-plan rule from blocking a new
    # plan until the next refresh.
    plans = _stored_open_plans(session, [account_id])
    states = _states_for(session, plans, today)
    still_open = None
    for plan in plans:
        if states[plan.id].status == COMPLETED:
            _store_status(session, actor, plan, COMPLETED)
        else:
            still_open = plan
    return still_open


def _describe(plan: PaymentPlan, zone: ZoneInfo) -> str:
    made = _local_day(plan.created_at, zone)
    return f"made {made:%m/%d/%Y}, {STATUS_LABELS.get(plan.status, plan.status).lower()}"


def _stored_open_plans(
    session: Session, account_ids: Sequence[uuid.UUID] | None
) -> list[PaymentPlan]:
    query = (
        select(PaymentPlan)
        .where(PaymentPlan.archived.is_(False), PaymentPlan.status.in_(OPEN_STATUSES))
        .order_by(PaymentPlan.created_at)
    )
    if account_ids is None:
        return list(session.scalars(query))

    plans: list[PaymentPlan] = []
    for part in chunks(list(dict.fromkeys(account_ids))):
        plans.extend(session.scalars(query.where(PaymentPlan.account_id.in_(part))))
    return plans


# --- creating a plan ------------------------------------------------------------------


def create_plan(session: Session, actor: Actor, form: PlanForm) -> SaveOutcome:
    """Validate and store a new plan for the account; problems come back as data.

    The total may not exceed what the account owes now, and the account may have no
    other open plan. Nothing is written when an error is found. A first installment
    dated before today is saved with a warning, and falls due on the day of saving.
    """
    require(actor, Permission.PAYMENT_POST)
    now = utc_now()
    zone = practice_zone(session)
    today = _local_day(now, zone)
    account = session.get(BillingAccount, form.account_id)
    if account is None or account.archived:
        return SaveOutcome.rejected(
            [
                Problem(
                    "account_id",
                    "The billing account was not found; search for the patient again.",
                )
            ]
        )

    note = form.note.strip()
    problems = terms_problems(
        form.terms, form.grace_days, note, today, account_owed(session, account.id)
    )
    open_plan = _open_plan(session, actor, account.id, today)
    if open_plan is not None:
        problems.append(
            Problem(
                "account_id",
                f"Account {account.account_number} already has an open payment plan "
                f"({_describe(open_plan, zone)}); cancel it before making a new one.",
            )
        )
    if has_errors(problems):
        return SaveOutcome.rejected(problems)

    plan = _insert_plan(session, actor, form, note, now)
    state = _states_for(session, [plan], today)[plan.id]
    plan.status = state.status
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        OBJECT_TYPE,
        plan.id,
        patient_id=account.guarantor_patient_id,
        detail=f"account {account.id}; {form.frequency}; {len(plan_schedule(plan, today))} "
        "installments",
    )
    log.info("payment plan %s created for account %s", plan.id, account.id)
    return SaveOutcome(
        record_id=plan.id,
        created=True,
        problems=tuple(problems),
        changes=Changes.of(ChangeKind.PAYMENTS),
    )


def _insert_plan(
    session: Session, actor: Actor, form: PlanForm, note: str, now: datetime
) -> PaymentPlan:
    plan = PaymentPlan(
        account_id=form.account_id,
        total=form.total,
        down_payment=form.down_payment,
        installment_amount=form.installment_amount,
        frequency=form.frequency,
        start_on=form.start_on,
        grace_days=form.grace_days,
        status=CURRENT,
        note=note,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
        updated_by=actor.user_id,
    )
    session.add(plan)
    session.flush()
    return plan


# --- states -----------------------------------------------------------------------------


def plan_states(
    session: Session, account_ids: Sequence[uuid.UUID] | None, on: date
) -> dict[uuid.UUID, PlanState]:
    """Return the state on `on` of each open plan, keyed by account id.

    `account_ids` None reads every open plan. The status is computed from the payments,
    so it may differ from the stored one until `refresh_plans` runs.
    """
    plans = _stored_open_plans(session, account_ids)
    states = _states_for(session, plans, on)
    # Plans come oldest first, so an account with two open plans keeps its newest.
    return {plan.account_id: states[plan.id] for plan in plans}


def _states_for(
    session: Session, plans: Sequence[PaymentPlan], on: date
) -> dict[uuid.UUID, PlanState]:
    if not plans:
        return {}
    zone = practice_zone(session)
    created = {plan.id: _local_day(plan.created_at, zone) for plan in plans}
    payments = _payments_by_account(session, plans, created)
    states = {}
    for plan in plans:
        standing = plan_standing(
            plan_schedule(plan, created[plan.id]),
            [
                (received_on, amount)
                for received_on, amount in payments.get(plan.account_id, [])
                if received_on >= created[plan.id]
            ],
            on,
            plan.grace_days,
        )
        states[plan.id] = _state(plan, standing)
    return states


def _payments_by_account(
    session: Session, plans: Sequence[PaymentPlan], created: dict[uuid.UUID, date]
) -> dict[uuid.UUID, list[tuple[date, Decimal]]]:
    # One query for every plan's patients, from the earliest plan's first day; each plan
    # then keeps the payments from its own first day.
    account_ids = list(dict.fromkeys(plan.account_id for plan in plans))
    account_of: dict[uuid.UUID, uuid.UUID] = {}
    for account_id, patient_ids in patients_by_account(session, account_ids).items():
        for patient_id in patient_ids:
            account_of[patient_id] = account_id
    since = min(created.values())

    found: dict[uuid.UUID, list[tuple[date, Decimal]]] = {}
    for part in chunks(list(account_of)):
        rows = session.execute(
            select(Payment.patient_id, Payment.received_on, Payment.amount).where(
                Payment.patient_id.in_(part),
                Payment.archived.is_(False),
                Payment.voided_at.is_(None),
                Payment.received_on >= since,
            )
        )
        for patient_id, received_on, amount in rows:
            found.setdefault(account_of[patient_id], []).append((received_on, amount))
    return found


def _state(plan: PaymentPlan, standing: Standing) -> PlanState:
    # A stored completed or cancelled status is final, so nothing more falls due.
    status = standing.status
    if plan.status in (COMPLETED, CANCELLED):
        status = plan.status
    closed = status in (COMPLETED, CANCELLED)
    return PlanState(
        plan_id=plan.id,
        account_id=plan.account_id,
        status=status,
        paid_to_date=standing.paid_to_date,
        due_to_date=standing.due_to_date,
        remaining=ZERO if status == COMPLETED else standing.remaining,
        next_due_on=None if closed else standing.next_due_on,
        next_amount=ZERO if closed else standing.next_amount,
        missed_since=None if closed else standing.missed_since,
        needs_reminder=needs_reminder(status, standing.last_missed_on, plan.last_reminder_on),
        summary=summary_line(status, plan.installment_amount, plan.frequency, standing),
        past_due=ZERO if closed else standing.past_due,
    )


def refresh_plans(session: Session, actor: Actor, on: date) -> Changes:
    """Store each open plan's status on `on`: current, late, broken or completed."""
    require(actor, Permission.STATEMENT_RUN)
    plans = _stored_open_plans(session, None)
    states = _states_for(session, plans, on)
    changed = 0
    for plan in plans:
        if states[plan.id].status != plan.status:
            _store_status(session, actor, plan, states[plan.id].status)
            changed += 1
    log.info("refreshed %d open payment plans, %d changed status", len(plans), changed)
    return Changes.of(ChangeKind.PAYMENTS) if changed else Changes()


def _store_status(session: Session, actor: Actor, plan: PaymentPlan, status: str) -> None:
    previous = plan.status
    plan.status = status
    plan.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        plan.id,
        detail=f"status {previous} to {status}",
    )


def mark_reminded(session: Session, actor: Actor, plan_id: uuid.UUID, on: date) -> None:
    """Record that a reminder of the plan's missed installment was made on `on`."""
    require(actor, Permission.STATEMENT_RUN)
    plan = _get_plan(session, plan_id)
    plan.last_reminder_on = on
    plan.updated_by = actor.user_id
    session.flush()


def _get_plan(session: Session, plan_id: uuid.UUID) -> PaymentPlan:
    plan = session.get(PaymentPlan, plan_id)
    if plan is None or plan.archived:
        raise NotFoundError(
            f"Payment plan {plan_id} was not found; refresh the list of payment plans."
        )
    return plan


# --- cancelling ---------------------------------------------------------------------------


def cancel_plan(session: Session, actor: Actor, plan_id: uuid.UUID, reason: str) -> Changes:
    """Cancel an open plan so the account's usual notices resume.

    The reason is added to the plan's note with the date. Raises UserError without a
    reason, for one that is too long or contains a card number, and for a plan that is
    completed or cancelled already; NotFoundError for an unknown id.
    """
    require(actor, Permission.STATEMENT_RUN)
    plan = _get_plan(session, plan_id)
    text = reason.strip()
    _check_reason(text)
    zone = practice_zone(session)
    if plan.status not in OPEN_STATUSES:
        raise UserError(
            f"The payment plan made {_local_day(plan.created_at, zone):%m/%d/%Y} is "
            f"{plan.status} already, so it cannot be canceled; refresh the list of plans."
        )

    today = _local_day(utc_now(), zone)
    line = f"Canceled {today:%m/%d/%Y}: {text}"
    plan.note = f"{plan.note}\n{line}" if plan.note else line
    _store_status(session, actor, plan, CANCELLED)
    log.info("payment plan %s cancelled", plan.id)
    return Changes.of(ChangeKind.PAYMENTS)


def _check_reason(text: str) -> None:
    if not text:
        raise UserError(
            "Give the reason for cancelling the payment plan; it is kept in the plan's note."
        )
    if len(text) > REASON_MAX_LENGTH:
        raise UserError(
            f"The reason is {len(text):,} characters; shorten it to {REASON_MAX_LENGTH}."
        )
    if looks_like_card_number(text):
        raise UserError(CARD_NUMBER_MESSAGE)


# --- the list ---------------------------------------------------------------------------


def list_plans(session: Session, actor: Actor, include_closed: bool = False) -> list[PlanRow]:
    """Return the plans with their state today: open plans, or every plan.

    Open plans come first, then by account number and newest first.
    """
    require(actor, Permission.STATEMENT_RUN)
    zone = practice_zone(session)
    today = _local_day(utc_now(), zone)
    query = select(PaymentPlan, BillingAccount).join(
        BillingAccount, BillingAccount.id == PaymentPlan.account_id
    )
    query = query.where(PaymentPlan.archived.is_(False))
    if not include_closed:
        query = query.where(PaymentPlan.status.in_(OPEN_STATUSES))
    found = [(plan, account) for plan, account in session.execute(query)]

    states = _states_for(session, [plan for plan, _account in found], today)
    accounts = list({account.id: account for _plan, account in found}.values())
    contacts = guarantor_contacts(session, accounts)
    rows = [
        _row(plan, account, contacts[account.id].name, states[plan.id], zone)
        for plan, account in found
    ]
    rows.sort(key=_row_order)
    log.info("listed %d payment plans", len(rows))
    return rows


def _row(
    plan: PaymentPlan, account: BillingAccount, name: str, state: PlanState, zone: ZoneInfo
) -> PlanRow:
    return PlanRow(
        plan_id=plan.id,
        account_id=account.id,
        account_number=account.account_number,
        guarantor_name=name,
        total=plan.total,
        down_payment=plan.down_payment,
        installment_amount=plan.installment_amount,
        frequency=plan.frequency,
        start_on=plan.start_on,
        created_on=_local_day(plan.created_at, zone),
        grace_days=plan.grace_days,
        note=plan.note,
        state=state,
    )


def _row_order(row: PlanRow) -> tuple[bool, str, int]:
    return (row.state.status not in OPEN_STATUSES, row.account_number, -row.created_on.toordinal())
