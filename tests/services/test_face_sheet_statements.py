"""The face sheet's Statements section: account, last statements, plan and collections."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.models.patients import Patient, PatientAlert
from app.models.statements import (
    BillingAccount,
    CollectionPlacement,
    NoticeLevel,
    PaymentPlan,
)
from app.pdf.common import MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from app.services.face_sheet import face_sheet, print_face_sheet
from app.services.face_sheet_values import StatementHistoryLine
from tests.helpers.chart_rows import (
    Staff,
    add_appointment,
    add_coverage,
    add_payer,
    set_up_practice,
)
from tests.helpers.pdf_text import page_count, placed_text
from tests.helpers.statement_history_data import add_family, add_sent_statements

TODAY = date(2026, 3, 10)


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def _plan(database: Database, staff: Staff, account_id: uuid.UUID, status: str) -> None:
    with database.transaction() as session:
        session.add(
            PaymentPlan(
                account_id=account_id,
                total=Decimal("300.00"),
                down_payment=Decimal("0.00"),
                installment_amount=Decimal("50.00"),
                frequency="monthly",
                start_on=date(2026, 3, 15),
                grace_days=15,
                status=status,
                created_by=staff.admin.user_id,
                created_at=datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
            )
        )


def _placement(database: Database, staff: Staff, account_id: uuid.UUID, status: str) -> None:
    with database.transaction() as session:
        session.add(
            CollectionPlacement(
                account_id=account_id,
                agency="Prairie Recovery",
                placed_on=date(2026, 3, 5),
                placed_amount=Decimal("1280.00"),
                status=status,
                created_by=staff.admin.user_id,
            )
        )


def test_section_lists_last_five(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _plan(database, staff, account_id, "current")
    _placement(database, staff, account_id, "placed")
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    summary = sheet.statements
    assert summary is not None
    assert summary.account_number == "AK7Q-000007"
    assert summary.guarantor == "Luis Ortega"
    assert summary.statements == (
        StatementHistoryLine(
            date(2026, 3, 1), "Payment plan reminder", Decimal("50.00"), "Email", "Queued"
        ),
        StatementHistoryLine(
            date(2026, 2, 1), "Final notice", Decimal("1280.00"), "Print", "Printed"
        ),
        StatementHistoryLine(date(2026, 1, 1), "3rd notice", Decimal("280.00"), "Email", "Failed"),
        StatementHistoryLine(date(2025, 12, 1), "2nd notice", Decimal("280.00"), "Email", "Sent"),
        StatementHistoryLine(date(2025, 11, 1), "Statement", Decimal("280.00"), "Print", "Printed"),
    )
    assert summary.statements[1].description == "Final notice \u2014 $1,280.00, Print, Printed"
    assert summary.payment_plan == "$50.00 monthly, next due 03/15/2026, current"
    assert summary.collections == (
        "Placed with Prairie Recovery on 03/05/2026, $1,280.00 written off"
    )


def test_guarantor_sees_same_account(database: Database, staff: Staff) -> None:
    guarantor_id, _patient_id = add_family(database)
    add_sent_statements(database, staff, guarantor_id)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, guarantor_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.account_number == "AK7Q-000007"
    assert len(sheet.statements.statements) == 5


def test_stored_level_label_used(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    add_sent_statements(database, staff, guarantor_id)
    with database.transaction() as session:
        session.add(
            NoticeLevel(
                code="final",
                position=4,
                label="Last reminder",
                days_after_previous=30,
                message="Please pay now.",
            )
        )
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.statements[1].level == "Last reminder"


def test_closed_plan_and_recall_hidden(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _plan(database, staff, account_id, "cancelled")
    _placement(database, staff, account_id, "recalled")
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.payment_plan == ""
    assert sheet.statements.collections == ""


def test_no_account_no_section(database: Database, staff: Staff) -> None:
    _guarantor_id, patient_id = add_family(database)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)
        accounts = session.scalar(select(func.count()).select_from(BillingAccount))

    assert sheet.statements is None
    # Viewing the face sheet never creates an account.
    assert accounts == 0


def test_account_without_statements(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    with database.transaction() as session:
        session.add(BillingAccount(account_number="AK7Q-000009", guarantor_patient_id=guarantor_id))
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.statements == ()
    assert sheet.statements.payment_plan == ""


def test_pdf_prints_statements(database: Database, staff: Staff, tmp_path: Path) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _plan(database, staff, account_id, "current")
    _placement(database, staff, account_id, "placed")
    target = tmp_path / "face.pdf"
    with database.transaction() as session:
        print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
    pieces = placed_text(target)
    text = " | ".join(piece.text for piece in pieces)

    assert page_count(target) == 1
    assert "STATEMENTS" in text
    assert "Account | AK7Q-000007" in text
    assert "Guarantor | Luis Ortega" in text
    assert "Hold | None" in text
    assert "Payment plan | $50.00 monthly, next due 03/15/2026, current" in text
    assert "Collections | Placed with Prairie Recovery on 03/05/2026, $1,280.00 written off" in text
    assert "03/01/2026 | Payment plan reminder \u2014 $50.00, Email, Queued" in text
    assert "11/01/2025 | Statement \u2014 $280.00, Print, Printed" in text
    assert "10/01/2025" not in text
    for piece in pieces:
        assert MARGIN - 0.5 <= piece.x <= PAGE_WIDTH - MARGIN, piece
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece


def test_pdf_without_account(database: Database, staff: Staff, tmp_path: Path) -> None:
    _guarantor_id, patient_id = add_family(database)
    target = tmp_path / "face.pdf"
    with database.transaction() as session:
        print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
    text = " | ".join(piece.text for piece in placed_text(target))

    assert "STATEMENTS | No billing account yet." in text


def test_crowded_pdf_stays_one_page(database: Database, staff: Staff, tmp_path: Path) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _plan(database, staff, account_id, "current")
    with database.transaction() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        for priority, name in enumerate(("Aetna", "Cigna", "Humana"), 1):
            add_coverage(session, patient, add_payer(session, name), priority)
        for number in range(6):
            session.add(
                PatientAlert(patient_id=patient_id, message=f"Alert {number}", severity="warning")
            )
        for day in (2, 3, 4, 5, 6, 11, 12, 13, 16, 17):
            add_appointment(session, patient, datetime(2026, 3, day, 9, 0), "scheduled")  # noqa: DTZ001 (wall-clock time)
    target = tmp_path / "face.pdf"
    with database.transaction() as session:
        print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
    pieces = placed_text(target)
    text = " | ".join(piece.text for piece in pieces)

    assert page_count(target) == 1
    assert "more statements on screen" in text or "see the face sheet on screen" in text
    for piece in pieces:
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece


def _hold(database: Database, account_id: uuid.UUID, reason: str, until: date | None) -> None:
    with database.transaction() as session:
        account = session.get(BillingAccount, account_id)
        assert account is not None
        account.hold_reason = reason
        account.hold_until = until
        account.hold_note = "Filed chapter 7"


def test_hold_in_force_shown(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _hold(database, account_id, "bankruptcy", date(2026, 7, 31))
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.hold == "Bankruptcy through 07/31/2026"


def test_open_ended_hold_shown(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _hold(database, account_id, "dispute", None)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)

    assert sheet.statements is not None
    assert sheet.statements.hold == "Balance disputed, until released"


def test_ended_hold_not_shown(database: Database, staff: Staff) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    # The last day is included, so the day after it the hold no longer applies.
    _hold(database, account_id, "bankruptcy", date(2026, 3, 9))
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)
        on_last_day = face_sheet(session, staff.front_desk, patient_id, date(2026, 3, 9))

    assert sheet.statements is not None
    assert sheet.statements.hold == ""
    assert on_last_day.statements is not None
    assert on_last_day.statements.hold == "Bankruptcy through 03/09/2026"


def test_pdf_prints_hold(database: Database, staff: Staff, tmp_path: Path) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    _hold(database, account_id, "bankruptcy", date(2026, 7, 31))
    target = tmp_path / "face.pdf"
    with database.transaction() as session:
        print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
    text = " | ".join(piece.text for piece in placed_text(target))

    assert "Hold | Bankruptcy through 07/31/2026" in text
