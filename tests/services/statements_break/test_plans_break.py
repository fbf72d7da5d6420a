"""Payment plans under attack: month ends in a leap year, and payments around the plan.

The family account owes $395.00. Plans here are made at noon in the practice's zone
through the plan service, with its clock set to the day the plan is made.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from unittest.mock import patch

from app.db.database import Database
from app.models.statements import PaymentPlan
from app.services import payment_plans
from app.services.payment_plans import PlanForm, create_plan, plan_schedule, plan_states
from tests.helpers.statement_data import StatementPractice, noon_utc
from tests.services.statements_break.flows import account_of, local_instant, take_cash


@contextmanager
def plans_at(day: date) -> Iterator[None]:
    with patch.object(payment_plans, "utc_now", return_value=noon_utc(day)):
        yield


def make_plan(
    database: Database, practice: StatementPractice, made_on: date, start_on: date
) -> uuid.UUID:
    form = PlanForm(
        account_id=account_of(database, practice, practice.parent),
        total=Decimal("395.00"),
        down_payment=Decimal("95.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=start_on,
        grace_days=10,
    )
    with plans_at(made_on), database.transaction() as session:
        outcome = create_plan(session, practice.desk, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def test_leap_year_month_ends(database: Database, practice: StatementPractice) -> None:
    plan_id = make_plan(database, practice, date(2028, 1, 20), date(2028, 1, 31))

    with database.reading() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert plan is not None
        schedule = plan_schedule(plan, date(2028, 1, 20))

    assert [(item.number, item.due_on, item.amount) for item in schedule] == [
        (0, date(2028, 1, 20), Decimal("95.00")),
        (1, date(2028, 1, 31), Decimal("100.00")),
        (2, date(2028, 2, 29), Decimal("100.00")),
        (3, date(2028, 3, 31), Decimal("100.00")),
    ]


def test_payment_before_plan_day_not_counted(
    database: Database, practice: StatementPractice
) -> None:
    family = account_of(database, practice, practice.parent)
    take_cash(database, practice, practice.sofia, "50.00", local_instant(date(2026, 6, 9), 16))
    make_plan_day = date(2026, 6, 10)
    form = PlanForm(
        account_id=family,
        total=Decimal("345.00"),
        down_payment=Decimal("45.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=date(2026, 7, 10),
    )
    with plans_at(make_plan_day), database.transaction() as session:
        assert create_plan(session, practice.desk, form).record_id is not None
    take_cash(database, practice, practice.parent, "45.00", local_instant(make_plan_day, 15))

    with database.reading() as session:
        state = plan_states(session, [family], date(2026, 7, 10))[family]

    assert state.paid_to_date == Decimal("45.00")
    assert state.status == "current"
    assert state.next_due_on == date(2026, 7, 10)
    assert state.next_amount == Decimal("100.00")
