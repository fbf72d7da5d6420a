"""The walkout receipt: billed lines, today's payments, the balance and the next visit."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.scheduling import Appointment
from app.models.security import AuditEvent
from app.pdf.common import MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from app.pdf.walkout import paginate
from app.services import encounters
from app.services.encounters import LineForm
from app.services.ledger import post_entry, reverse_entry
from app.services.today import practice_today
from app.services.walkout import walkout, walkout_pdf
from tests.helpers.charge_data import ChargePractice, build_charge_practice
from tests.helpers.pdf_text import page_count, placed_text


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def _encounter(
    database: Database,
    practice: ChargePractice,
    lines: list[LineForm] | None = None,
    *,
    post: bool = True,
) -> uuid.UUID:
    """Save an encounter for the uninsured patient (E11.9 and I10), posted when `post` is set."""
    default_lines = [
        LineForm(procedure_code="99213", modifiers=["25"], pointers=[1, 2]),
        LineForm(procedure_code="97110", units=2, pointers=[1]),
    ]
    form = practice.form(
        default_lines if lines is None else lines,
        diagnoses=["E11.9", "I10"],
        patient_id=practice.uninsured_patient_id,
    )
    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)
        outcome.raise_if_rejected()
        assert outcome.record_id is not None
        if post:
            encounters.post_encounter(session, practice.biller, outcome.record_id)
    return outcome.record_id


def _pay(database: Database, practice: ChargePractice, amount: str, memo: str) -> uuid.UUID:
    with database.transaction() as session:
        entry = post_entry(
            session,
            practice.biller,
            entry_type="payment",
            amount=-Decimal(amount),
            patient_id=practice.uninsured_patient_id,
            responsible_party="patient",
            memo=memo,
        )
    return entry.id


def _texts(path: Path) -> list[str]:
    return [piece.text for piece in placed_text(path)]


def test_posted_receipt_lines(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    encounter_id = _encounter(database, practice)
    target = tmp_path / "walkout.pdf"
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, target)
    texts = _texts(target)
    assert page_count(target) == 1
    assert "WALKOUT RECEIPT" in " ".join(texts).upper()
    assert "99213" in texts
    assert "25" in texts
    assert "Office visit, est. level 3" in texts
    assert "$130.00" in texts
    assert "97110" in texts
    assert "$80.00" in texts
    assert "$210.00" in texts
    assert "E11.9, I10" in texts
    assert "02/02/2026" in texts


def test_patient_and_provider(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    encounter_id = _encounter(database, practice)
    target = tmp_path / "walkout.pdf"
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, target)
        patient = session.get(Patient, practice.uninsured_patient_id)
        assert patient is not None
        chart = patient.chart_number
    texts = _texts(target)
    text = " ".join(texts)
    assert "Nguyen, Maria" in texts
    assert chart in texts
    assert "05/17/1980" in texts
    assert "Self" in texts
    assert "Ana Lopez, MD" in texts
    assert "Billing NPI 1234567893" in text
    assert "36-4567890" not in text


def test_payments_today_and_balance(database: Database, practice: ChargePractice) -> None:
    encounter_id = _encounter(database, practice)
    _pay(database, practice, "30.00", "Copay, card")
    voided = _pay(database, practice, "5.00", "Typed by mistake")
    with database.transaction() as session:
        reverse_entry(session, practice.biller, voided, "wrong amount")
        _add_old_payment(session, practice)
        receipt = walkout(session, practice.front_desk, encounter_id)
    assert [payment.memo for payment in receipt.payments] == ["Copay, card"]
    assert receipt.paid_today == Decimal("30.00")
    assert receipt.total_charges == Decimal("210.00")
    # 210.00 charged, less 30.00 today and 7.00 two days ago. The voided 5.00 nets out.
    assert receipt.balance == Decimal("173.00")
    assert receipt.patient_part == Decimal("173.00")


def test_payments_printed(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    encounter_id = _encounter(database, practice)
    _pay(database, practice, "30.00", "Copay, card")
    target = tmp_path / "walkout.pdf"
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, target)
    texts = _texts(target)
    assert "Copay, card" in texts
    assert "$30.00" in texts
    assert "Paid today" in texts
    assert "$180.00" in texts


def test_reversed_line_left_out(database: Database, practice: ChargePractice) -> None:
    encounter_id = _encounter(database, practice)
    with database.transaction() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
        therapy = next(line for line in lines if line.procedure_code == "97110")
        encounters.reverse_line(session, practice.biller, therapy.id, "not done")
        receipt = walkout(session, practice.front_desk, encounter_id)
    assert [line.code for line in receipt.lines] == ["99213"]
    assert receipt.total_charges == Decimal("130.00")
    assert receipt.balance == Decimal("130.00")


def test_corrected_line_replaces_old(database: Database, practice: ChargePractice) -> None:
    encounter_id = _encounter(database, practice)
    with database.transaction() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
        therapy = next(line for line in lines if line.procedure_code == "97110")
        fixed = LineForm(procedure_code="97110", units=1, pointers=[1])
        encounters.correct_line(session, practice.biller, therapy.id, fixed, "one unit only")
        receipt = walkout(session, practice.front_desk, encounter_id)
    therapy_lines = [line for line in receipt.lines if line.code == "97110"]
    assert len(therapy_lines) == 1
    assert therapy_lines[0].units == 1
    assert therapy_lines[0].charge == Decimal("40.00")
    assert receipt.total_charges == Decimal("170.00")


def test_draft_priced_from_schedule(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    encounter_id = _encounter(database, practice, post=False)
    target = tmp_path / "draft.pdf"
    with database.transaction() as session:
        receipt = walkout(session, practice.front_desk, encounter_id)
        walkout_pdf(session, practice.front_desk, encounter_id, target)
    text = " ".join(_texts(target))
    assert not receipt.posted
    assert [line.charge for line in receipt.lines] == [Decimal("130.00"), Decimal("80.00")]
    assert receipt.total_charges == Decimal("210.00")
    assert receipt.balance == Decimal("0.00")
    assert "DRAFT: these charges are not posted yet" in text
    assert "(draft)" in text


def test_unpriced_draft_line(database: Database, practice: ChargePractice) -> None:
    lines = [LineForm(procedure_code="T1001"), LineForm(procedure_code="99214")]
    encounter_id = _encounter(database, practice, lines, post=False)
    with database.transaction() as session:
        receipt = walkout(session, practice.front_desk, encounter_id)
    assert [line.charge for line in receipt.lines] == [None, Decimal("175.00")]
    assert receipt.total_charges == Decimal("175.00")


def test_next_visit_skips_cancelled(database: Database, practice: ChargePractice) -> None:
    encounter_id = _encounter(database, practice)
    with database.transaction() as session:
        today = practice_today(session)
        _book(session, practice, datetime.combine(today + timedelta(days=3), time(10)), "cancelled")
        _book(session, practice, datetime.combine(today + timedelta(days=9), time(14, 30)))
        _book(session, practice, datetime.combine(today - timedelta(days=9), time(8)))
        receipt = walkout(session, practice.front_desk, encounter_id)
    assert receipt.next_visit is not None
    assert receipt.next_visit.starts_at == datetime.combine(today + timedelta(days=9), time(14, 30))
    assert receipt.next_visit.provider == "Ana Lopez, MD"


def test_no_next_visit_printed(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    encounter_id = _encounter(database, practice)
    target = tmp_path / "walkout.pdf"
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, target)
    assert "None booked. Please call us to schedule your next visit." in _texts(target)


def test_print_is_audited(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    encounter_id = _encounter(database, practice)
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, tmp_path / "walkout.pdf")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).one()
    assert event.object_type == "encounter"
    assert event.object_id == str(encounter_id)
    assert event.patient_id == practice.uninsured_patient_id
    assert event.detail == "walkout receipt PDF"


def test_long_encounter_spans_pages(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    lines = [LineForm(procedure_code="99214", pointers=[1]) for _ in range(45)]
    encounter_id = _encounter(database, practice, lines)
    target = tmp_path / "long.pdf"
    with database.transaction() as session:
        walkout_pdf(session, practice.front_desk, encounter_id, target)
    pieces = placed_text(target)
    codes = [piece for piece in pieces if piece.text == "99214"]
    totals = [piece for piece in pieces if piece.text == "Total charges"]
    assert page_count(target) == 2
    assert len(codes) == 45
    assert len(totals) == 1
    assert totals[0].page == 1
    assert "$7,875.00" in [piece.text for piece in pieces]
    for piece in pieces:
        assert MARGIN - 0.5 <= piece.x <= PAGE_WIDTH - MARGIN, piece
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece


def test_paginate_keeps_summary_together() -> None:
    assert paginate(3, 600, 200) == [(0, 3)]
    pages = paginate(60, 600, 200)
    assert pages[0][0] == 0
    assert pages[-1][1] == 60
    assert all(end > start for start, end in pages[:-1])
    assert [start for start, _ in pages[1:]] == [end for _, end in pages[:-1]]


def test_accented_and_foreign_names(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    encounter_id = _encounter(database, practice)
    with database.transaction() as session:
        patient = session.get(Patient, practice.uninsured_patient_id)
        assert patient is not None
        patient.first_name = "Zoë"
        patient.last_name = "Nguyễn 阮"
        session.flush()
        target = walkout_pdf(session, practice.front_desk, encounter_id, tmp_path / "names.pdf")
    assert "Nguyen ?, Zoë" in _texts(target)


def _add_old_payment(session: Session, practice: ChargePractice) -> None:
    """Insert a payment posted two days ago (post_entry always stamps now)."""
    assert practice.biller.user_id is not None
    session.add(
        LedgerEntry(
            posted_at=utc_now() - timedelta(days=2),
            posted_by=practice.biller.user_id,
            entry_type="payment",
            amount=Decimal("-7.00"),
            patient_id=practice.uninsured_patient_id,
            responsible_party="patient",
            memo="Earlier payment",
        )
    )
    session.flush()


def _book(
    session: Session, practice: ChargePractice, starts_at: datetime, status: str = "scheduled"
) -> None:
    session.add(
        Appointment(
            patient_id=practice.uninsured_patient_id,
            provider_id=practice.provider_id,
            location_id=practice.location_id,
            starts_at=starts_at,
            duration_minutes=20,
            appointment_type="Follow-up",
            status=status,
        )
    )
    session.flush()
