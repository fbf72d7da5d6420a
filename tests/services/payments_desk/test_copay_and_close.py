"""The desk's copay check after desk payments, and closing a business day."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.clock import utc_now
from app.db.database import Database
from app.errors import UserError
from app.models.patients import Coverage
from app.models.payments import DayClose
from app.services.check_in import check_in_checklist
from app.services.day_close import close_day, day_totals
from app.services.front_desk import today_board
from app.services.payments import PaymentForm, take_payment, void_payment
from app.services.today import practice_today
from tests.helpers.ledger_data import add_visit
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean


def _pay(
    database: Database, desk: DeskPractice, amount: str, method: str = "cash", **extra: object
) -> uuid.UUID:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal(amount),
        method=method,
        **extra,  # type: ignore[arg-type]
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def test_copay_due_until_paid(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        coverage = session.scalars(select(Coverage).where(Coverage.patient_id == desk.rivera)).one()
        coverage.copay_office = Decimal("25.00")
        today = practice_today(session)
        visit = add_visit(session, desk.ledger, datetime.combine(today, time(9)), "arrived")

    def copay_now() -> tuple[Decimal | None, Decimal | None]:
        with database.reading() as session:
            (row,) = today_board(session, desk.desk, today, utc_now())
            checklist = check_in_checklist(session, desk.desk, visit)
        return row.copay_due, checklist.copay_due

    assert copay_now() == (Decimal("25.00"), Decimal("25.00"))

    form = PaymentForm(
        patient_id=desk.rivera,
        amount=Decimal("25.00"),
        method="card",
        kind="copay",
        card_last4="4242",
        card_authorization="0A12BC",
        appointment_id=visit,
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    assert outcome.record_id is not None
    assert copay_now() == (None, None)

    with database.transaction() as session:
        void_payment(session, desk.desk, outcome.record_id, "Card was charged twice")
    assert copay_now() == (Decimal("25.00"), Decimal("25.00"))


def test_totals_by_method(database: Database, desk: DeskPractice) -> None:
    _pay(database, desk, "20.00")
    _pay(database, desk, "15.50")
    _pay(database, desk, "100.00", "check", check_number="1042")
    _pay(database, desk, "50.00", "check", check_number="1043")
    _pay(database, desk, "30.00", "card", card_last4="4242", card_authorization="0A12BC")
    _pay(database, desk, "12.00", "eft")
    voided = _pay(database, desk, "10.00")
    with database.transaction() as session:
        void_payment(session, desk.desk, voided, "Wrong patient")
        other = PaymentForm(patient_id=desk.rivera, amount=Decimal("40.00"), method="cash")
        take_payment(session, desk.other_desk, other).raise_if_rejected()
        today = practice_today(session)
        mine = day_totals(session, desk.desk, today, desk.desk.user_id)
        everyone = day_totals(session, desk.desk, today, None)

    assert mine.expected == {
        "cash": Decimal("35.50"),
        "check": Decimal("150.00"),
        "card": Decimal("30.00"),
        "eft": Decimal("12.00"),
        "other": Decimal("0.00"),
    }
    assert mine.expected_cash == Decimal("35.50")
    assert mine.expected_checks == Decimal("150.00")
    assert mine.check_count == 2
    assert mine.payment_count == 6
    assert mine.voided_count == 1
    assert mine.total == Decimal("227.50")
    assert mine.closed is None
    assert everyone.expected_cash == Decimal("75.50")
    assert everyone.payment_count == 7


def test_close_with_difference(database: Database, desk: DeskPractice) -> None:
    _pay(database, desk, "35.50")
    _pay(database, desk, "100.00", "check", check_number="1042")
    _pay(database, desk, "30.00", "card", card_last4="4242", card_authorization="0A12BC")
    with database.reading() as session:
        today = practice_today(session)

    with database.transaction() as session:
        outcome = close_day(session, desk.desk, today, Decimal("35.00"), Decimal("100.00"), " ")
    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["note"]
    assert "-$0.50 off" in outcome.problems[0].message

    with database.transaction() as session:
        outcome = close_day(
            session, desk.desk, today, Decimal("35.00"), Decimal("100.00"), "Gave change twice"
        )
        totals = day_totals(session, desk.desk, today, desk.desk.user_id)
    assert outcome.saved
    with database.reading() as session:
        stored = session.get(DayClose, outcome.record_id)
        assert stored is not None
    assert stored.user_id == desk.desk.user_id
    assert stored.business_date == today
    assert stored.expected_cash == Decimal("35.50")
    assert stored.expected_checks == Decimal("100.00")
    assert stored.expected_cards == Decimal("30.00")
    assert stored.expected_other == Decimal("0.00")
    assert stored.counted_cash == Decimal("35.00")
    assert stored.counted_checks == Decimal("100.00")
    assert stored.difference == Decimal("-0.50")
    assert stored.note == "Gave change twice"
    assert totals.closed is not None
    assert totals.closed.cash_difference == Decimal("-0.50")
    assert totals.closed.check_difference == Decimal("0.00")
    assert_ledger_clean(database, desk)


def test_close_twice_names_day(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        close_day(
            session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()

    with (
        pytest.raises(UserError, match=f"You closed {today:%m/%d/%Y} already"),
        database.transaction() as session,
    ):
        close_day(session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), "")


def test_closed_day_takes_no_payment(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        close_day(
            session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal("5.00"), method="cash")
    with database.transaction() as session:
        mine = take_payment(session, desk.desk, form)
        theirs = take_payment(session, desk.other_desk, form)
    assert [problem.field for problem in mine.problems] == ["received_on"]
    assert f"You closed {today:%m/%d/%Y} already" in mine.problems[0].message
    assert theirs.saved


def test_close_input_problems(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        tomorrow = practice_today(session) + timedelta(days=1)
        future = close_day(session, desk.desk, tomorrow, Decimal("0.00"), Decimal("0.00"), "")
        negative = close_day(
            session,
            desk.desk,
            tomorrow - timedelta(days=1),
            Decimal("-1.00"),
            Decimal("0.001"),
            "x",
        )
    assert [problem.field for problem in future.problems] == ["day"]
    assert sorted(problem.field for problem in negative.problems) == [
        "counted_cash",
        "counted_checks",
    ]
