"""The payment receipt PDF: every figure printed, the void banner and the audited print."""

import itertools
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import Payment
from app.models.security import AuditEvent
from app.pdf.receipt import LATER_TABLE_TOP, paginate
from app.services.payments import PaymentForm, take_payment, void_payment, write_receipt_pdf
from app.services.today import practice_today
from tests.helpers.pdf_text import page_count, placed_text
from tests.services.payments_desk.desk_data import DeskPractice, build_desk_practice


@pytest.fixture
def desk(database: Database) -> DeskPractice:
    return build_desk_practice(database)


def _take(database: Database, desk: DeskPractice, form: PaymentForm) -> uuid.UUID:
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def _print(database: Database, desk: DeskPractice, payment_id: uuid.UUID, path: Path) -> str:
    with database.transaction() as session:
        write_receipt_pdf(session, desk.desk, payment_id, path)
    return " | ".join(piece.text for piece in placed_text(path))


def test_card_receipt_with_credit(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    form = PaymentForm(
        patient_id=desk.rivera,
        amount=Decimal("60.00"),
        method="card",
        card_last4="4242",
        card_authorization="0A12BC",
    )
    payment_id = _take(database, desk, form)
    target = tmp_path / "receipt.pdf"
    text = _print(database, desk, payment_id, target)
    with database.reading() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        today = practice_today(session)

    assert page_count(target) == 1
    assert "Payment receipt" in text
    assert "Lakeside Family Medicine LLC" in text
    assert "(847) 555-0140" in text
    assert f"Receipt {payment.receipt_number}" in text
    assert f"Received {today:%m/%d/%Y}" in text
    assert "Rivera, Maria" in text
    assert "T-000001" in text
    assert "Payment" in text
    assert "Card ending 4242" in text
    assert "Authorization | 0A12BC" in text
    assert "Office Admin" in text
    assert "02/02/2026 | 99214 | $40.00" in text
    assert "Left on your account as a credit | $20.00" in text
    assert "Total received | $60.00" in text
    assert "YOUR CREDIT NOW | $20.00" in text
    assert "Waiting on insurance | $150.00" in text
    assert "Account balance | $130.00" in text
    assert "99213" not in text
    assert "Diagnos" not in text


def test_check_receipt_two_lines(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen, amount=Decimal("150.00"), method="check", check_number="1042"
    )
    payment_id = _take(database, desk, form)
    text = _print(database, desk, payment_id, tmp_path / "receipt.pdf")

    assert "Nguyen, Maria" in text
    assert "T-000003" in text
    assert "Check 1042" in text
    assert "AMOUNT RECEIVED | $150.00" in text
    assert "02/02/2026 | 99213 | $120.00" in text
    assert "03/02/2026 | 97110 | $30.00" in text
    assert "Left on your account" not in text
    assert "YOUR BALANCE NOW | $50.00" in text
    assert "Waiting on insurance | $0.00" in text
    assert "Account balance | $50.00" in text


def test_voided_receipt_and_audit(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen, amount=Decimal("20.00"), method="cash", kind="prepayment"
    )
    payment_id = _take(database, desk, form)
    with database.transaction() as session:
        void_payment(session, desk.desk, payment_id, "Wrong patient")
    text = _print(database, desk, payment_id, tmp_path / "receipt.pdf")
    with database.reading() as session:
        prints = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "print", AuditEvent.object_id == str(payment_id)
            )
        ).all()

    assert "VOIDED: Wrong patient" in text
    assert "Prepayment" in text
    assert "Cash" in text
    assert "Not applied to a service yet." in text
    assert "YOUR BALANCE NOW | $200.00" in text
    assert len(prints) == 1
    assert prints[0].patient_id == desk.nguyen
    assert prints[0].detail == "payment receipt PDF"


def test_paginate_many_lines() -> None:
    assert paginate(0, 600) == [(0, 0)]
    pages = paginate(120, 600)
    assert len(pages) > 1
    assert pages[0][0] == 0
    assert pages[-1][1] == 120
    for (_, end), (start, _) in itertools.pairwise(pages):
        assert end == start
    assert paginate(3, LATER_TABLE_TOP) == [(0, 3)]
