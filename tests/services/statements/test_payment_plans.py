"""Payment plans on the statement practice's family account, against a real database.

The Garcia family account (Laura, Sofia and Mateo) owes $395.00. Each plan here is made
at noon on PLAN_DAY in the practice's zone, for $300.00 in three monthly installments
of $100.00 due 06/15, 07/15 and 08/15/2026. Laura's $100.00 payment of 05/21/2026 was
received before the plan was made, so it never counts toward it.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from unittest.mock import patch

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.security import AuditEvent
from app.models.statements import BillingAccount, PaymentPlan
from app.problems import Severity
from app.security.permissions import Actor
from app.services import payment_plans
from app.services.billing_accounts import account_for_patient
from app.services.outcomes import SaveOutcome
from app.services.payment_plans import (
    PlanForm,
    cancel_plan,
    create_plan,
    list_plans,
    mark_reminded,
    plan_account,
    plan_schedule,
    plan_states,
    refresh_plans,
)
from app.services.payments import void_payment
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    StatementPractice,
    build_statement_practice,
    days_before,
    noon_utc,
    pay,
)

PLAN_DAY = date(2026, 6, 1)
FIRST_DUE = date(2026, 6, 15)


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


@contextmanager
def on_day(day: date) -> Iterator[None]:
    """Run the plan service as if at noon of `day` in the practice's zone."""
    with patch.object(payment_plans, "utc_now", return_value=noon_utc(day)):
        yield


def family_account(database: Database, practice: StatementPractice) -> uuid.UUID:
    with database.transaction() as session:
        return account_for_patient(session, practice.desk, practice.parent).id


def number_of(database: Database, account_id: uuid.UUID) -> str:
    with database.transaction() as session:
        account = session.get(BillingAccount, account_id)
        assert account is not None
        return account.account_number


def plan_form(account_id: uuid.UUID, **changes: object) -> PlanForm:
    form = PlanForm(
        account_id=account_id,
        total=Decimal("300.00"),
        down_payment=Decimal("0.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=FIRST_DUE,
        grace_days=15,
        note="Agreed at the front desk",
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def make_plan(database: Database, actor: Actor, form: PlanForm) -> SaveOutcome:
    with on_day(PLAN_DAY), database.transaction() as session:
        return create_plan(session, actor, form)


def family_plan(database: Database, practice: StatementPractice) -> tuple[uuid.UUID, uuid.UUID]:
    """Make the standard plan as the front desk; return (account id, plan id)."""
    account_id = family_account(database, practice)
    outcome = make_plan(database, practice.desk, plan_form(account_id))
    assert outcome.record_id is not None, outcome.problems
    return account_id, outcome.record_id


def take(
    database: Database, practice: StatementPractice, patient: uuid.UUID, amount: str, day: date
) -> uuid.UUID:
    with database.transaction() as session:
        return pay(session, practice.ledger, patient, amount, (days_before(0) - day).days)


def state_on(database: Database, account_id: uuid.UUID, on: date) -> payment_plans.PlanState:
    with database.transaction() as session:
        return plan_states(session, [account_id], on)[account_id]


def stored_plan(database: Database, plan_id: uuid.UUID) -> PaymentPlan:
    with database.transaction() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert plan is not None
        session.expunge(plan)
        return plan


# --- creating ---------------------------------------------------------------------------


def test_create_stores_terms_and_audit(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)

    plan = stored_plan(database, plan_id)
    assert plan.account_id == account_id
    assert plan.total == Decimal("300.00")
    assert plan.installment_amount == Decimal("100.00")
    assert plan.frequency == "monthly"
    assert plan.start_on == FIRST_DUE
    assert plan.grace_days == 15
    assert plan.status == "current"
    assert plan.note == "Agreed at the front desk"
    assert plan.created_by == practice.desk.user_id
    assert plan.created_at == noon_utc(PLAN_DAY)
    with database.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(plan_id))
        ).all()
        assert [(event.action, event.object_type) for event in events] == [
            ("create", "payment_plan")
        ]
        assert events[0].patient_id == practice.parent
        assert events[0].detail == f"account {account_id}; monthly; 3 installments"


def test_schedule_of_stored_plan(database: Database, practice: StatementPractice) -> None:
    account_id = family_account(database, practice)
    form = plan_form(account_id, down_payment=Decimal("50.00"), start_on=date(2026, 6, 30))
    outcome = make_plan(database, practice.desk, form)
    assert outcome.record_id is not None, outcome.problems

    with database.transaction() as session:
        plan = session.get(PaymentPlan, outcome.record_id)
        assert plan is not None
        created_on = payment_plans.plan_created_on(session, plan)
        schedule = plan_schedule(plan, created_on)

    assert created_on == PLAN_DAY
    assert [(item.number, item.due_on, item.amount) for item in schedule] == [
        (0, PLAN_DAY, Decimal("50.00")),
        (1, date(2026, 6, 30), Decimal("100.00")),
        (2, date(2026, 7, 30), Decimal("100.00")),
        (3, date(2026, 8, 30), Decimal("50.00")),
    ]


def test_plan_account_for_dialog(database: Database, practice: StatementPractice) -> None:
    with on_day(PLAN_DAY), database.transaction() as session:
        found = plan_account(session, practice.desk, practice.sofia)
        account = session.get(BillingAccount, found.account_id)
        assert account is not None

    assert account.guarantor_patient_id == practice.parent
    assert found.guarantor_name == "Laura Garcia"
    assert found.patient_count == 3
    assert found.owed == FAMILY_BALANCE
    assert found.today == PLAN_DAY
    assert found.open_plan is None


# --- states -----------------------------------------------------------------------------


def test_states_over_time(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)
    # Sofia and Mateo each pay part of the first installment after it was missed.
    take(database, practice, practice.sofia, "60.00", date(2026, 6, 20))
    take(database, practice, practice.mateo, "40.00", date(2026, 6, 25))

    before = state_on(database, account_id, date(2026, 6, 10))
    assert before.plan_id == plan_id
    assert before.status == "current"
    assert before.next_due_on == FIRST_DUE
    assert before.next_amount == Decimal("100.00")
    assert before.summary == "Payment plan: $100.00 monthly, next due 06/15/2026, current"

    late = state_on(database, account_id, date(2026, 6, 16))
    assert late.status == "late"
    assert late.missed_since == FIRST_DUE
    assert late.paid_to_date == Decimal("0.00")
    assert late.needs_reminder
    assert late.summary == "Payment plan: $100.00 monthly, $100.00 past due since 06/15/2026, late"

    part_paid = state_on(database, account_id, date(2026, 6, 20))
    assert part_paid.status == "late"
    assert part_paid.paid_to_date == Decimal("60.00")
    assert part_paid.past_due == Decimal("40.00")

    paid_up = state_on(database, account_id, date(2026, 6, 25))
    assert paid_up.status == "current"
    assert paid_up.paid_to_date == Decimal("100.00")
    assert paid_up.remaining == Decimal("200.00")
    assert paid_up.next_due_on == date(2026, 7, 15)
    assert not paid_up.needs_reminder


def test_broken_after_grace_days(database: Database, practice: StatementPractice) -> None:
    account_id, _plan_id = family_plan(database, practice)

    assert state_on(database, account_id, date(2026, 6, 30)).status == "late"
    broken = state_on(database, account_id, date(2026, 7, 1))
    assert broken.status == "broken"
    assert broken.missed_since == FIRST_DUE
    assert not broken.needs_reminder


def test_earlier_payment_not_counted(database: Database, practice: StatementPractice) -> None:
    account_id, _plan_id = family_plan(database, practice)

    # Laura's $100.00 of 05/21/2026 predates the plan, so the first installment is missed.
    state = state_on(database, account_id, date(2026, 6, 16))
    assert state.paid_to_date == Decimal("0.00")
    assert state.status == "late"


def test_voided_payment_not_counted(database: Database, practice: StatementPractice) -> None:
    account_id, _plan_id = family_plan(database, practice)
    take(database, practice, practice.sofia, "100.00", date(2026, 6, 10))
    mistaken = take(database, practice, practice.mateo, "100.00", date(2026, 6, 12))
    with database.transaction() as session:
        void_payment(session, practice.manager, mistaken, "Entered twice")

    state = state_on(database, account_id, date(2026, 7, 16))
    assert state.paid_to_date == Decimal("100.00")
    assert state.status == "late"
    assert state.missed_since == date(2026, 7, 15)


def test_completed_when_total_paid(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)
    take(database, practice, practice.parent, "180.00", date(2026, 6, 10))
    take(database, practice, practice.sofia, "120.00", date(2026, 6, 28))

    assert state_on(database, account_id, date(2026, 6, 27)).status == "current"
    done = state_on(database, account_id, date(2026, 6, 28))
    assert done.status == "completed"
    assert done.remaining == Decimal("0.00")
    assert done.next_due_on is None
    assert done.summary == "Payment plan: paid in full"

    with database.transaction() as session:
        changes = refresh_plans(session, practice.biller, date(2026, 6, 28))
    assert changes.kinds
    assert stored_plan(database, plan_id).status == "completed"
    with database.transaction() as session:
        assert plan_states(session, [account_id], date(2026, 6, 28)) == {}


def test_refresh_stores_status(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)

    with database.transaction() as session:
        refresh_plans(session, practice.biller, date(2026, 6, 20))
    assert stored_plan(database, plan_id).status == "late"
    with database.transaction() as session:
        refresh_plans(session, practice.biller, date(2026, 7, 2))
    assert stored_plan(database, plan_id).status == "broken"
    with database.transaction() as session:
        unchanged = refresh_plans(session, practice.biller, date(2026, 7, 3))
        events = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.object_id == str(plan_id))
        ).all()
    assert not unchanged.kinds
    assert events == [
        "account " + str(account_id) + "; monthly; 3 installments",
        "status current to late",
        "status late to broken",
    ]


def test_reminder_marked_once(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)

    with database.transaction() as session:
        mark_reminded(session, practice.biller, plan_id, date(2026, 6, 18))
    assert not state_on(database, account_id, date(2026, 6, 20)).needs_reminder
    assert stored_plan(database, plan_id).last_reminder_on == date(2026, 6, 18)


def test_states_only_for_named_accounts(database: Database, practice: StatementPractice) -> None:
    account_id, _plan_id = family_plan(database, practice)
    with database.transaction() as session:
        other = account_for_patient(session, practice.desk, practice.person_patient).id
        assert plan_states(session, [other], date(2026, 6, 10)) == {}
        assert list(plan_states(session, None, date(2026, 6, 10))) == [account_id]


# --- validation and the one-open-plan rule ----------------------------------------------


def test_total_above_owed_rejected(database: Database, practice: StatementPractice) -> None:
    account_id = family_account(database, practice)

    outcome = make_plan(database, practice.desk, plan_form(account_id, total=Decimal("400.00")))

    assert not outcome.saved
    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "total",
            "The total $400.00 is more than the account owes now ($395.00); type $395.00 or less.",
        )
    ]
    with database.transaction() as session:
        assert session.scalars(select(PaymentPlan)).all() == []


def test_every_bad_field_reported(database: Database, practice: StatementPractice) -> None:
    account_id = family_account(database, practice)
    form = plan_form(
        account_id,
        down_payment=Decimal("-1.00"),
        installment_amount=Decimal("0.00"),
        frequency="yearly",
        start_on=date(2026, 4, 1),
        grace_days=120,
    )

    outcome = make_plan(database, practice.desk, form)

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == [
        "down_payment",
        "installment_amount",
        "frequency",
        "start_on",
        "grace_days",
    ]
    assert outcome.problems[3].message == (
        "The first installment's date 04/01/2026 is more than 31 days before today "
        "(06/01/2026); choose 05/01/2026 or later."
    )


def test_past_start_saved_with_warning(database: Database, practice: StatementPractice) -> None:
    account_id = family_account(database, practice)

    outcome = make_plan(database, practice.desk, plan_form(account_id, start_on=date(2026, 5, 15)))

    assert outcome.saved
    assert [problem.severity for problem in outcome.problems] == [Severity.WARNING]
    assert outcome.record_id is not None
    # The first installment, dated before the plan was made, is due the day it is made.
    assert stored_plan(database, outcome.record_id).status == "current"
    late = state_on(database, account_id, date(2026, 6, 2))
    assert late.status == "late"
    assert late.missed_since == PLAN_DAY


def test_second_open_plan_rejected(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)

    second = make_plan(database, practice.desk, plan_form(account_id, total=Decimal("50.00")))

    assert not second.saved
    assert [(problem.field, problem.message) for problem in second.problems] == [
        (
            "account_id",
            f"Account {number_of(database, account_id)} already has an open payment plan "
            "(made 06/01/2026, current); cancel it before making a new one.",
        )
    ]
    with on_day(PLAN_DAY), database.transaction() as session:
        assert plan_account(session, practice.desk, practice.mateo).open_plan == (
            "made 06/01/2026, current"
        )
        cancel_plan(session, practice.biller, plan_id, "Patient asked for a smaller plan")
    third = make_plan(database, practice.desk, plan_form(account_id, total=Decimal("50.00")))
    assert third.saved


def test_paid_off_plan_does_not_block(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)
    take(database, practice, practice.parent, "300.00", date(2026, 6, 1))

    with on_day(PLAN_DAY), database.transaction() as session:
        assert plan_account(session, practice.desk, practice.parent).open_plan is None
    assert stored_plan(database, plan_id).status == "completed"
    assert make_plan(database, practice.desk, plan_form(account_id, total=Decimal("50.00"))).saved


# --- cancelling -------------------------------------------------------------------------


def test_cancel_keeps_reason_and_audits(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)

    with on_day(date(2026, 6, 5)), database.transaction() as session:
        changes = cancel_plan(session, practice.biller, plan_id, "  Moving out of state ")

    assert changes.kinds
    plan = stored_plan(database, plan_id)
    assert plan.status == "cancelled"
    assert plan.note == "Agreed at the front desk\nCanceled 06/05/2026: Moving out of state"
    with database.transaction() as session:
        assert plan_states(session, [account_id], date(2026, 6, 5)) == {}
        details = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.object_id == str(plan_id), AuditEvent.action == "update"
            )
        ).all()
    assert details == ["status current to cancelled"]


def test_cancel_needs_reason(database: Database, practice: StatementPractice) -> None:
    _account_id, plan_id = family_plan(database, practice)

    with (
        pytest.raises(UserError, match="Give the reason for cancelling"),
        database.transaction() as session,
    ):
        cancel_plan(session, practice.biller, plan_id, "   ")
    assert stored_plan(database, plan_id).status == "current"


def test_cancel_twice_rejected(database: Database, practice: StatementPractice) -> None:
    _account_id, plan_id = family_plan(database, practice)
    with database.transaction() as session:
        cancel_plan(session, practice.biller, plan_id, "Duplicate")

    with (
        pytest.raises(UserError, match="is cancelled already"),
        database.transaction() as session,
    ):
        cancel_plan(session, practice.biller, plan_id, "Again")


# --- the list ---------------------------------------------------------------------------


def test_list_shows_open_plans(database: Database, practice: StatementPractice) -> None:
    account_id, plan_id = family_plan(database, practice)
    take(database, practice, practice.sofia, "100.00", date(2026, 6, 10))

    with database.transaction() as session:
        rows = list_plans(session, practice.biller)

    assert [row.plan_id for row in rows] == [plan_id]
    row = rows[0]
    assert row.account_id == account_id
    assert row.account_number == number_of(database, account_id)
    assert row.account_number.startswith("A")
    assert row.guarantor_name == "Laura Garcia"
    assert row.total == Decimal("300.00")
    assert row.state.paid_to_date == Decimal("100.00")
    assert row.state.remaining == Decimal("200.00")
    assert row.created_on == PLAN_DAY


def test_list_closed_only_when_asked(database: Database, practice: StatementPractice) -> None:
    _account_id, plan_id = family_plan(database, practice)
    with database.transaction() as session:
        cancel_plan(session, practice.biller, plan_id, "Duplicate")
        open_rows = list_plans(session, practice.biller)
        every_row = list_plans(session, practice.biller, include_closed=True)

    assert open_rows == []
    assert [(row.plan_id, row.status_label) for row in every_row] == [(plan_id, "Canceled")]
    assert every_row[0].state.next_due_on is None


# --- permissions ------------------------------------------------------------------------


def test_provider_cannot_create(database: Database, practice: StatementPractice) -> None:
    account_id = family_account(database, practice)

    with pytest.raises(PermissionDeniedError):
        make_plan(database, practice.ledger.provider, plan_form(account_id))


def test_desk_creates_but_cannot_manage(database: Database, practice: StatementPractice) -> None:
    _account_id, plan_id = family_plan(database, practice)

    for act in (
        lambda session: list_plans(session, practice.desk),
        lambda session: cancel_plan(session, practice.desk, plan_id, "No longer needed"),
        lambda session: refresh_plans(session, practice.desk, date(2026, 7, 1)),
        lambda session: mark_reminded(session, practice.desk, plan_id, date(2026, 7, 1)),
    ):
        with pytest.raises(PermissionDeniedError), database.transaction() as session:
            act(session)
    assert stored_plan(database, plan_id).status == "current"
