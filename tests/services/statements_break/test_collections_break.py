"""Collections under attack: plans that broke since they were stored, and final notices
that never went out.

Each notice level after the first waits one day here, so an account climbs from the
first statement to the final notice in four daily runs.
"""

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from unittest.mock import patch

from sqlalchemy import select

from app.db.database import Database
from app.models.statements import PaymentPlan, Statement
from app.services import collections, payment_plans
from app.services.billing_accounts import set_email_consent
from app.services.mailer import MailError
from app.services.notice_levels import list_levels, save_level
from app.services.payment_plans import PlanForm, create_plan
from app.services.statement_delivery import send_queued_statements
from app.services.statement_ladder import SKIP_COLLECTIONS
from app.services.statement_runs import preview_run, run_statements
from app.services.statement_settings import save_statement_settings, statement_settings
from tests.helpers.statement_data import FAMILY_BALANCE, STATEMENT_DATE, StatementPractice, noon_utc
from tests.services.statements_break.flows import account_of

PLAN_DAY = date(2026, 6, 1)
FIRST_DUE = date(2026, 6, 15)


def one_day_ladder(database: Database, practice: StatementPractice) -> None:
    """Make every level after the first, collections included, wait one day."""
    with database.transaction() as session:
        for level in list_levels(session)[1:]:
            outcome = save_level(
                session, practice.ledger.admin, level.code, level.label, 1, level.message, True
            )
            assert not outcome.problems, outcome.problems


def run_days(database: Database, practice: StatementPractice, first: date, count: int) -> None:
    """Run statements on `count` days in a row from `first`."""
    for offset in range(count):
        with database.transaction() as session:
            run_statements(session, practice.biller, first + timedelta(days=offset))


def levels_sent(database: Database, account_id: uuid.UUID) -> list[str]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(Statement.level)
                .where(Statement.account_id == account_id)
                .order_by(Statement.statement_date)
            )
        )


def candidate_ids(database: Database, practice: StatementPractice, on: date) -> list[uuid.UUID]:
    with database.reading() as session:
        rows = collections.placement_candidates(session, practice.manager, on)
    return [row.account_id for row in rows]


@contextmanager
def plans_at(day: date) -> Iterator[None]:
    with patch.object(payment_plans, "utc_now", return_value=noon_utc(day)):
        yield


def test_unrefreshed_broken_plan_placeable(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    one_day_ladder(database, practice)
    form = PlanForm(
        account_id=family,
        total=Decimal("300.00"),
        down_payment=Decimal("0.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=FIRST_DUE,
        grace_days=0,
    )
    with plans_at(PLAN_DAY), database.transaction() as session:
        assert create_plan(session, practice.desk, form).record_id is not None
    # Nothing is paid, so the plan breaks on 06/16 and the notices climb to the final one.
    run_days(database, practice, date(2026, 6, 16), 4)
    placed_on = date(2026, 6, 20)

    with database.reading() as session:
        preview = {row.account_id: row for row in preview_run(session, practice.biller, placed_on)}
        stored_status = session.scalars(select(PaymentPlan.status)).one()

    assert levels_sent(database, family) == ["statement", "second", "third", "final"]
    assert preview[family].skip == SKIP_COLLECTIONS
    # Nobody refreshed the stored status, which still reads as when the plan was made.
    assert stored_status == "current"
    assert family in candidate_ids(database, practice, placed_on)


def test_current_plan_still_blocks_placement(
    database: Database, practice: StatementPractice
) -> None:
    family = account_of(database, practice, practice.parent)
    one_day_ladder(database, practice)
    run_days(database, practice, STATEMENT_DATE, 4)
    form = PlanForm(
        account_id=family,
        total=FAMILY_BALANCE,
        down_payment=Decimal("0.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=date(2026, 8, 1),
    )
    with plans_at(date(2026, 7, 4)), database.transaction() as session:
        assert create_plan(session, practice.desk, form).record_id is not None

    assert family not in candidate_ids(database, practice, date(2026, 7, 5))


class FailingTransport:
    """A mail server that accepts messages until `failing` is set, then rejects them."""

    def __init__(self) -> None:
        self.failing = False
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        if self.failing:
            raise MailError("Sending failed: the server replied 451.")
        self.sent.append(message)


def test_undelivered_final_not_placeable(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    one_day_ladder(database, practice)
    with database.transaction() as session:
        set_email_consent(session, practice.desk, family, True)
        one_try = dataclasses.replace(statement_settings(session), max_attempts=1)
        assert not save_statement_settings(session, practice.ledger.admin, one_try).problems
    transport = FailingTransport()
    for offset in range(4):
        day = STATEMENT_DATE + timedelta(days=offset)
        run_days(database, practice, day, 1)
        transport.failing = offset == 3
        with database.transaction() as session:
            send_queued_statements(session, practice.biller, transport, noon_utc(day))

    with database.reading() as session:
        final = session.scalars(
            select(Statement).where(Statement.account_id == family, Statement.level == "final")
        ).one()

    assert len(transport.sent) >= 3
    assert final.status == "failed"
    assert family not in candidate_ids(database, practice, STATEMENT_DATE + timedelta(days=4))
