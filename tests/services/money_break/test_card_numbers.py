"""Full card numbers typed into any free-text money field are rejected and never stored."""

import logging
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.payments import DayClose, Payment, Refund
from app.services.account_adjustments import AdjustmentForm, post_account_adjustment
from app.services.day_close import close_day
from app.services.deposits import create_deposit, reconcile_deposit
from app.services.payment_checks import looks_like_card_number
from app.services.payments import PaymentForm, take_payment, void_payment
from app.services.refunds import (
    RefundForm,
    approve_refund,
    cancel_refund,
    issue_refund,
    request_refund,
)
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean

CARD = "4111111111111111"


@pytest.mark.parametrize(
    "text",
    [
        f"ref-{CARD}",
        f"{CARD} 12/25",
        f"{CARD}-1",
        "4111 1111 1111 1111 exp 12 25",
        "call 555 1234 then 4111-1111-1111-1111",
        "amex 3782 822463 10005",
    ],
)
def test_card_number_found(text: str) -> None:
    assert looks_like_card_number(text)


@pytest.mark.parametrize(
    "text",
    ["4242", "0A12BC", "1042", "555-123-4567", "12345678901234567890", "4111111111111112"],
)
def test_not_card_number(text: str) -> None:
    assert not looks_like_card_number(text)


def test_payment_memo_with_expiry(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen, amount=Decimal("10.00"), method="cash", memo=f"{CARD} 12/25"
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)

    assert [problem.field for problem in outcome.problems] == ["memo"]
    with database.reading() as session:
        assert session.scalars(select(Payment)).all() == []


def _paid(database: Database, desk: DeskPractice, amount: str) -> Payment:
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal(amount), method="cash")
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
        outcome.raise_if_rejected()
        payment = session.get(Payment, outcome.record_id)
        assert payment is not None
        session.expunge(payment)
    return payment


def test_void_reason_card(
    database: Database, desk: DeskPractice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payment = _paid(database, desk, "10.00")

    with pytest.raises(UserError, match="card number"), database.transaction() as session:
        void_payment(session, desk.desk, payment.id, f"customer card {CARD}")

    with database.reading() as session:
        stored = session.get(Payment, payment.id)
        assert stored is not None
        assert stored.voided_at is None
        memos = session.scalars(select(LedgerEntry.memo)).all()
    assert not any(CARD in memo for memo in memos)
    assert CARD not in caplog.text
    assert_ledger_clean(database, desk)


def test_refund_texts_card(database: Database, desk: DeskPractice) -> None:
    _paid(database, desk, "250.00")
    form = RefundForm(desk.nguyen, Decimal("20.00"), f"refund to card {CARD}")
    with database.transaction() as session:
        outcome = request_refund(session, desk.other_desk, form)
    assert [problem.field for problem in outcome.problems] == ["reason"]

    form = RefundForm(desk.nguyen, Decimal("20.00"), "Overpaid")
    with database.transaction() as session:
        outcome = request_refund(session, desk.other_desk, form)
    refund_id = outcome.record_id
    assert refund_id is not None
    with pytest.raises(ValidationError), database.transaction() as session:
        cancel_refund(session, desk.other_desk, refund_id, f"card {CARD}")
    with database.transaction() as session:
        today = practice_today(session)
        approve_refund(session, desk.manager, refund_id)
    with pytest.raises(ValidationError), database.transaction() as session:
        issue_refund(session, desk.desk, refund_id, "check", CARD, today)

    with database.reading() as session:
        refunds = session.scalars(select(Refund)).all()
    assert [(refund.reason, refund.status) for refund in refunds] == [("Overpaid", "approved")]
    assert refunds[0].check_number is None
    assert_ledger_clean(database, desk)


def test_close_note_card(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        outcome = close_day(
            session, desk.desk, today, Decimal("0.00"), Decimal("0.00"), f"card {CARD}"
        )

    assert [problem.field for problem in outcome.problems] == ["note"]
    with database.reading() as session:
        assert session.scalars(select(DayClose)).all() == []


def test_adjustment_reason_card(database: Database, desk: DeskPractice) -> None:
    form = AdjustmentForm(
        kind="courtesy",
        patient_id=desk.nguyen,
        amount=Decimal("5.00"),
        reason=f"Paid on {CARD}",
        charge_line_id=desk.first_line,
    )
    with database.transaction() as session:
        outcome = post_account_adjustment(session, desk.manager, form)

    assert [problem.field for problem in outcome.problems] == ["reason"]
    assert_ledger_clean(database, desk)


def test_reconcile_note_card(database: Database, desk: DeskPractice) -> None:
    payment = _paid(database, desk, "10.00")
    with database.transaction() as session:
        today = practice_today(session)
        made = create_deposit(session, desk.desk, [payment.id], today, "cash_check")
    deposit_id = made.record_id
    assert deposit_id is not None

    with database.transaction() as session:
        outcome = reconcile_deposit(
            session, desk.manager, deposit_id, Decimal("9.00"), f"card {CARD} charged back"
        )

    assert [problem.field for problem in outcome.problems] == ["note"]
