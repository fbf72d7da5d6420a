"""Refund, day close, deposit and adjustment amounts that are not Decimal cents."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import DayClose, Refund
from app.services.account_adjustments import AdjustmentForm, post_account_adjustment
from app.services.day_close import close_day
from app.services.deposits import create_deposit, get_deposit, reconcile_deposit, undeposited
from app.services.payments import PaymentForm, take_payment
from app.services.refunds import RefundForm, request_refund
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean

BAD_AMOUNTS = [
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("-Infinity"),
    "25.00",
    25.0,
    Decimal("1E+20"),
]


def _cash(database: Database, desk: DeskPractice, amount: str) -> None:
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal(amount), method="cash")
    with database.transaction() as session:
        take_payment(session, desk.desk, form).raise_if_rejected()


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_refund_amount_rejected(database: Database, desk: DeskPractice, amount: object) -> None:
    _cash(database, desk, "250.00")
    form = RefundForm(desk.nguyen, amount, "Overpaid")  # type: ignore[arg-type]

    with database.transaction() as session:
        outcome = request_refund(session, desk.desk, form)

    assert [problem.field for problem in outcome.problems] == ["amount"]
    with database.reading() as session:
        assert session.scalars(select(Refund)).all() == []


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_close_count_rejected(database: Database, desk: DeskPractice, amount: object) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        outcome = close_day(session, desk.desk, today, amount, Decimal("0.00"), "Counted")  # type: ignore[arg-type]

    assert [problem.field for problem in outcome.problems] == ["counted_cash"]
    with database.reading() as session:
        assert session.scalars(select(DayClose)).all() == []


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bank_amount_rejected(database: Database, desk: DeskPractice, amount: object) -> None:
    _cash(database, desk, "10.00")
    with database.transaction() as session:
        today = practice_today(session)
        items = [item.item_id for item in undeposited(session, desk.desk)]
        deposit_id = create_deposit(session, desk.desk, items, today, "cash_check").record_id
    assert deposit_id is not None

    with database.transaction() as session:
        outcome = reconcile_deposit(session, desk.manager, deposit_id, amount, "Bank fee")  # type: ignore[arg-type]

    assert [problem.field for problem in outcome.problems] == ["bank_amount"]
    with database.reading() as session:
        assert get_deposit(session, deposit_id).status == "open"


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_adjustment_amount_rejected(database: Database, desk: DeskPractice, amount: object) -> None:
    form = AdjustmentForm(
        kind="courtesy",
        patient_id=desk.nguyen,
        amount=amount,  # type: ignore[arg-type]
        reason="Courtesy",
        charge_line_id=desk.first_line,
    )

    with database.transaction() as session:
        outcome = post_account_adjustment(session, desk.manager, form)

    assert [problem.field for problem in outcome.problems] == ["amount"]
    assert_ledger_clean(database, desk)
