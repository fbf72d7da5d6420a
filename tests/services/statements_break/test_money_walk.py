"""Three months of seeded random billing on the family and insured accounts, with a
statement run every ten days, checked to the cent.

Charges, payments, voids, courtesy adjustments, reversed charges and insurance
remittances are posted on the days between runs. On a run's own day payments and voids
are posted before the run (08:00) and after it (19:00 or 20:00), as the desk would.
After every run each account's figures must keep the money rules (the summary adds up,
aging adds up to the amount due, a credit is never due), and each statement's previous
balance must be the balance printed on the account's statement before it.
"""

import random
import uuid
from contextlib import suppress
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import UserError
from app.models.payments import Payment
from app.models.statements import Statement
from app.services.account_adjustments import AdjustmentForm, post_account_adjustment
from app.services.payments import void_payment
from app.services.statement_figures import statement_figures
from tests.helpers.statement_data import (
    STATEMENT_DATE,
    StatementPractice,
    charge_line,
    insurance_processed,
    posted_on,
    reverse_charge,
)
from tests.services.statements_break.flows import (
    account_of,
    ledger_clock,
    local_instant,
    money_problems,
    run_at,
    take_cash,
)

RUNS = 9
DAYS_BETWEEN_RUNS = 10


class Walk:
    """The random steps of one seeded walk and the lines they can act on."""

    def __init__(self, database: Database, practice: StatementPractice, seed: int) -> None:
        self.database = database
        self.practice = practice
        self.random = random.Random(seed)
        self.patients = [*practice.family, practice.insured]
        self.self_pay_lines: list[tuple[uuid.UUID, uuid.UUID]] = []
        self.insured_lines: list[uuid.UUID] = []

    def cents(self, low: int, high: int) -> str:
        return f"{Decimal(self.random.randint(low * 100, high * 100)) / 100:.2f}"

    def step(self, day: date) -> None:
        """Post one random change at some hour of `day`."""
        days = (STATEMENT_DATE - day).days
        choice = self.random.choice(("charge", "charge", "pay", "pay", "void", "adjust", "undo"))
        choice = "insured" if choice == "charge" and self.random.random() < 0.3 else choice
        hours = (8, 12, 15, 19)
        self.post(choice, day, days, hours)
        if self.insured_lines and self.random.random() < 0.4:
            self.remit(days)

    def desk_step(self, day: date, hours: tuple[int, ...]) -> None:
        """Take or void a payment on a run's day, at one of `hours`."""
        self.post(self.random.choice(("pay", "pay", "void")), day, 0, hours)

    def post(self, choice: str, day: date, days: int, hours: tuple[int, ...]) -> None:
        """Post the change `choice`; charges and adjustments are posted at noon."""
        with self.database.transaction() as session:
            if choice == "charge":
                patient = self.random.choice(self.practice.family)
                line = charge_line(
                    session, self.practice.ledger, patient, "99213", self.cents(20, 300), days=days
                )
                self.self_pay_lines.append((patient, line.id))
            elif choice == "insured":
                line = charge_line(
                    session,
                    self.practice.ledger,
                    self.practice.insured,
                    "99214",
                    "180.00",
                    days=days,
                    payer_id=self.practice.ledger.aetna_id,
                )
                self.insured_lines.append(line.id)
            elif choice == "adjust" and self.self_pay_lines:
                patient, line_id = self.random.choice(self.self_pay_lines)
                self.discount(session, patient, line_id, day)
            elif choice == "undo" and self.self_pay_lines:
                patient, line_id = self.self_pay_lines.pop(
                    self.random.randrange(len(self.self_pay_lines))
                )
                reverse_charge(session, self.practice.ledger, line_id, days)
        if choice == "pay":
            instant = local_instant(day, self.random.choice(hours))
            patient = self.random.choice(self.patients)
            take_cash(self.database, self.practice, patient, self.cents(5, 150), instant)
        elif choice == "void":
            self.void_one(day, hours)

    def discount(self, session: Session, patient: uuid.UUID, line_id: uuid.UUID, day: date) -> None:
        """Post a $5.00 courtesy discount on the line when the patient still owes that much."""
        form = AdjustmentForm(
            kind="courtesy",
            patient_id=patient,
            amount=Decimal("5.00"),
            reason="Family discount",
            charge_line_id=line_id,
            posted_on=day,
        )
        with posted_on(day):
            post_account_adjustment(session, self.practice.manager, form)

    def void_one(self, day: date, hours: tuple[int, ...]) -> None:
        with self.database.transaction() as session:
            open_payments = list(
                session.scalars(
                    select(Payment.id).where(
                        Payment.voided_at.is_(None), Payment.received_on <= day
                    )
                )
            )
            if not open_payments:
                return
            chosen = self.random.choice(open_payments)
            with ledger_clock(local_instant(day, self.random.choice(hours))):
                void_payment(session, self.practice.manager, chosen, "Check returned unpaid")

    def remit(self, days: int) -> None:
        line_id = self.insured_lines.pop(0)
        with self.database.transaction() as session:
            insurance_processed(
                session,
                self.practice.ledger,
                self.practice.insured,
                line_id,
                days,
                paid="100.00",
                written_off="50.00",
                to_patient="30.00",
            )


def statements_of(database: Database, account_id: uuid.UUID) -> list[Statement]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(Statement)
                .where(Statement.account_id == account_id)
                .order_by(Statement.statement_date, Statement.created_at)
            )
        )


@pytest.mark.parametrize("seed", [7, 21, 1984])
def test_random_months_add_up(database: Database, practice: StatementPractice, seed: int) -> None:
    accounts = [
        account_of(database, practice, patient) for patient in (practice.parent, practice.insured)
    ]
    walk = Walk(database, practice, seed)

    for run in range(RUNS):
        run_day = STATEMENT_DATE + timedelta(days=run * DAYS_BETWEEN_RUNS)
        for offset in range(1, DAYS_BETWEEN_RUNS):
            walk.step(run_day - timedelta(days=DAYS_BETWEEN_RUNS - offset))
        walk.desk_step(run_day, (8,))
        # A run with nothing owed anywhere that day raises UserError and makes nothing.
        with suppress(UserError):
            run_at(database, practice, run_day, hour=walk.random.choice((9, 13, 17)))
        walk.desk_step(run_day, (19, 20))

        with database.reading() as session:
            for account_id in accounts:
                figures = statement_figures(session, account_id, run_day)
                assert money_problems(figures) == [], (seed, run_day)

    for account_id in accounts:
        history = statements_of(database, account_id)
        for before, after in pairwise(history):
            with database.reading() as session:
                figures = statement_figures(session, account_id, after.statement_date)
            assert figures.previous_balance == before.account_balance, (seed, after.statement_date)
