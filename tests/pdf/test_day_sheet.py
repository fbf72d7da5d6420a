"""The day sheet PDF: payments, totals by method, closes and voided payments, figure by figure."""

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import Payment
from app.models.security import AuditEvent
from app.security.permissions import Actor
from app.services.day_close import close_day, write_day_sheet_pdf
from app.services.payments import PaymentForm, take_payment, void_payment
from app.services.today import practice_today
from tests.helpers.pdf_text import page_count, placed_text
from tests.services.payments_desk.desk_data import DeskPractice, build_desk_practice


@pytest.fixture
def desk(database: Database) -> DeskPractice:
    return build_desk_practice(database)


def _pay(database: Database, actor: Actor, form: PaymentForm) -> uuid.UUID:
    with database.transaction() as session:
        outcome = take_payment(session, actor, form)
        outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def _day(database: Database, desk: DeskPractice) -> tuple[date, list[uuid.UUID]]:
    """Take the day's payments: four by the desk (one voided) and one by Jordan."""
    nguyen, rivera = desk.nguyen, desk.rivera
    forms = [
        PaymentForm(patient_id=nguyen, amount=Decimal("35.50"), method="cash"),
        PaymentForm(
            patient_id=nguyen, amount=Decimal("100.00"), method="check", check_number="1042"
        ),
        PaymentForm(
            patient_id=rivera,
            amount=Decimal("30.00"),
            method="card",
            card_last4="4242",
            card_authorization="0A12BC",
        ),
        PaymentForm(patient_id=rivera, amount=Decimal("10.00"), method="cash"),
    ]
    ids = [_pay(database, desk.desk, form) for form in forms]
    other = PaymentForm(patient_id=nguyen, amount=Decimal("12.00"), method="eft")
    ids.append(_pay(database, desk.other_desk, other))
    with database.transaction() as session:
        void_payment(session, desk.desk, ids[3], "Typed twice")
        today = practice_today(session)
        close_day(
            session, desk.desk, today, Decimal("35.00"), Decimal("100.00"), "Gave change twice"
        ).raise_if_rejected()
    return today, ids


def _lines(path: Path) -> list[str]:
    """Return the text of each printed line, pieces joined left to right with " | "."""
    rows: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for piece in placed_text(path):
        rows.setdefault((piece.page, round(piece.y)), []).append((piece.x, piece.text))
    ordered = sorted(rows.items(), key=lambda item: (item[0][0], -item[0][1]))
    return [" | ".join(text for _x, text in sorted(pieces)) for _key, pieces in ordered]


def test_all_users_sheet(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    today, ids = _day(database, desk)
    target = tmp_path / "day.pdf"
    with database.transaction() as session:
        write_day_sheet_pdf(session, desk.manager, today, None, target)
        numbers = [
            session.scalar(select(Payment.receipt_number).where(Payment.id == payment_id))
            for payment_id in ids
        ]
    lines = _lines(target)
    text = "\n".join(lines)

    assert page_count(target) == 1
    assert "Day sheet" in text
    assert f"Business day {today:%m/%d/%Y}" in text
    assert "All users" in text
    payments = lines[lines.index("PAYMENTS") + 2 : lines.index("TOTALS BY METHOD")]
    assert payments == [
        f"{numbers[0]} | Nguyen, Maria | T-000003 | Payment | Cash | Office Admin | $35.50",
        f"{numbers[1]} | Nguyen, Maria | T-000003 | Payment | Check 1042 | Office Admin | $100.00",
        f"{numbers[2]} | Rivera, Maria | T-000001 | Payment | Card 4242 | Office Admin | $30.00",
        f"{numbers[4]} | Nguyen, Maria | T-000003 | Payment | EFT | Jordan Reyes | $12.00",
    ]
    assert "Cash | $35.50" in lines
    assert "Checks (1) | $100.00" in lines
    assert "Cards | $30.00" in lines
    assert "EFT | $12.00" in lines
    assert "Other | $0.00" in lines
    assert "Total (4 payments) | $177.50" in lines
    assert "Cash | $35.50 | $35.00 | -$0.50" in lines
    assert "Checks | $100.00 | $100.00 | $0.00" in lines
    assert "Cash and checks | -$0.50" in lines
    assert "Not counted at the desk: cards $30.00, EFT and other $0.00" in lines
    assert "Note: Gave change twice" in lines
    assert "Not closed yet: Jordan Reyes" in lines
    voided_at = lines.index("VOIDED PAYMENTS (NOT IN THE TOTALS)")
    assert lines[voided_at + 2] == (
        f"{numbers[3]} | Rivera, Maria | T-000001 | Payment | Cash | Office Admin | $10.00"
    )
    assert lines[voided_at + 3] == "Reason: Typed twice"


def test_one_user_sheet_and_audit(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    today, _ids = _day(database, desk)
    target = tmp_path / "day.pdf"
    with database.transaction() as session:
        write_day_sheet_pdf(session, desk.desk, today, desk.other_desk.user_id, target)
        prints = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "print", AuditEvent.object_type == "day_sheet"
            )
        ).all()
    lines = _lines(target)

    assert "Jordan Reyes" in "\n".join(lines)
    assert "EFT | $12.00" in lines
    assert "Cash | $0.00" in lines
    assert "Total (1 payment) | $12.00" in lines
    assert "Not closed yet." in lines
    assert "None." in lines
    assert not any("Office Admin" in line for line in lines)
    assert len(prints) == 1
    assert prints[0].detail == (
        f"day sheet PDF for {today.isoformat()}, user {desk.other_desk.user_id}; 1 payments"
    )


def test_sheet_of_many_payments(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    with database.transaction() as session:
        for _number in range(70):
            form = PaymentForm(
                patient_id=desk.nguyen, amount=Decimal("1.00"), method="cash", kind="prepayment"
            )
            take_payment(session, desk.desk, form).raise_if_rejected()
        today = practice_today(session)
        target = tmp_path / "day.pdf"
        write_day_sheet_pdf(session, desk.desk, today, None, target)
    lines = _lines(target)

    assert page_count(target) == 2
    assert "Page 1 of 2" in "\n".join(lines)
    assert "Page 2 of 2" in "\n".join(lines)
    assert sum(1 for line in lines if line.endswith("Office Admin | $1.00")) == 70
    assert "Total (70 payments) | $70.00" in lines
    # The table heading repeats at the top of the second page.
    assert sum(1 for line in lines if line.startswith("Receipt | Patient")) == 2
