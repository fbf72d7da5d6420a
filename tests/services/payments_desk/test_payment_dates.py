"""The date a payment is received: periods closed by the ledger lock date, and closed days."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.services.day_close import close_day
from app.services.ledger import set_ledger_lock_date
from app.services.outcomes import SaveOutcome
from app.services.payments import PaymentForm, take_payment
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice

LOCK_DATE = date(2026, 3, 31)


def _take(database: Database, desk: DeskPractice, received_on: date | None) -> SaveOutcome:
    form = PaymentForm(
        patient_id=desk.nguyen, amount=Decimal("20.00"), method="cash", received_on=received_on
    )
    with database.transaction() as session:
        return take_payment(session, desk.desk, form)


def _stored(database: Database) -> tuple[int, int]:
    """Return how many payments and ledger rows are stored."""
    with database.reading() as session:
        payments = session.scalar(select(func.count()).select_from(Payment))
        rows = session.scalar(select(func.count()).select_from(LedgerEntry))
    assert payments is not None
    assert rows is not None
    return payments, rows


def test_closed_period_returns_problem(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, desk.manager, LOCK_DATE)
    before = _stored(database)

    outcome = _take(database, desk, date(2026, 3, 20))

    assert not outcome.saved
    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "received_on",
            "The ledger is closed through 03/31/2026, so nothing can be posted with the date "
            "03/20/2026. Ask a manager to move the ledger lock date back, or post with a date "
            "in the open period.",
        )
    ]
    assert _stored(database) == before


def test_lock_date_itself_closed(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, desk.manager, LOCK_DATE)

    on_lock = _take(database, desk, LOCK_DATE)
    after_lock = _take(database, desk, date(2026, 4, 1))

    assert [problem.field for problem in on_lock.problems] == ["received_on"]
    assert not on_lock.saved
    assert after_lock.saved, after_lock.problems


def test_closed_period_with_other_problems(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, desk.manager, LOCK_DATE)
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal("20.005"),
        method="check",
        received_on=date(2026, 3, 20),
    )

    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)

    # Every problem comes back together, so the desk fixes them in one pass.
    assert sorted(problem.field for problem in outcome.problems) == [
        "amount",
        "check_number",
        "received_on",
    ]


def test_closed_today_names_way_out(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        close_day(
            session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()

    outcome = _take(database, desk, None)

    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "received_on",
            f"You closed {today:%m/%d/%Y} already, so no payment can be added to it under "
            "your name. Ask a colleague whose day is still open to take it.",
        )
    ]
