"""The face sheet service and its one-page PDF."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import FileWriteError, NotFoundError
from app.models.patients import PatientAlert, Person, VisitHistory
from app.models.security import AuditEvent
from app.pdf.common import MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from app.services.face_sheet import face_sheet, print_face_sheet
from tests.helpers.chart_rows import (
    Staff,
    add_appointment,
    add_coverage,
    add_patient,
    add_payer,
    post_ledger,
    set_up_practice,
)
from tests.helpers.pdf_text import page_count, placed_text

TODAY = date(2026, 3, 10)


def wall_clock(year: int, month: int, day: int) -> datetime:
    """Return 9:00 on the day as practice wall-clock time (naive, like appointment times)."""
    return datetime(year, month, day, 9, 0)  # noqa: DTZ001 (appointments store wall-clock time)


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def _full_chart(database: Database, staff: Staff) -> object:
    """Write a patient with coverages, alerts, visits and a balance; return the id."""
    with database.transaction() as session:
        parent = add_patient(session, first_name="Luis", last_name="Ortega")
        patient = add_patient(
            session,
            preferred_name="Mari",
            emergency_contact_name="Luis Ortega",
            emergency_contact_relation="Spouse",
            emergency_contact_phone="+18475550188",
            guarantor_patient_id=parent.id,
            recall_due_on=date(2026, 9, 1),
            recall_interval_months=6,
        )
        guardian = Person(first_name="Rosa", last_name="Vega", sex="F")
        session.add(guardian)
        session.flush()
        add_coverage(session, patient, add_payer(session, "Aetna"), 1)
        add_coverage(
            session,
            patient,
            add_payer(session, "Cigna"),
            2,
            member_id="C9",
            subscriber_person_id=guardian.id,
            relationship_code="19",
        )
        for message, severity in (("Needs interpreter", "info"), ("Latex allergy", "critical")):
            session.add(PatientAlert(patient_id=patient.id, message=message, severity=severity))
        for day in (3, 5, 12, 20):
            add_appointment(session, patient, wall_clock(2026, 3, day), "scheduled")
        add_appointment(session, patient, wall_clock(2026, 3, 8), "no_show")
        add_appointment(session, patient, wall_clock(2026, 3, 15), "cancelled")
        session.add(
            VisitHistory(
                patient_id=patient.id,
                started_at=datetime(2026, 3, 7, 15, 0, tzinfo=UTC),
                visit_type="Annual physical",
                provider_name="Dr. Kim",
                source="fhir",
            )
        )
        post_ledger(session, staff.admin, patient, "120.00", responsible_party="primary")
        post_ledger(session, staff.admin, patient, "30.00")
        post_ledger(session, staff.admin, patient, "-10.00", entry_type="payment")
        return patient.id


def test_sheet_values(database: Database, staff: Staff) -> None:
    patient_id = _full_chart(database, staff)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)
    assert sheet.name == "Ortega, Maria"
    assert sheet.age == 40
    assert sheet.ssn_masked == "***-**-6789"
    assert sheet.phones[0].number == "(847) 555-0123"
    assert sheet.emergency_contact == "Luis Ortega (Spouse) (847) 555-0188"
    assert sheet.guarantor.startswith("Ortega, Luis (chart ")
    assert sheet.balance.patient == Decimal("20.00")
    assert sheet.balance.insurance == Decimal("120.00")
    assert sheet.balance.total == Decimal("140.00")
    assert [alert.severity for alert in sheet.alerts] == ["critical", "info"]
    assert sheet.recall_due_on == date(2026, 9, 1)


def test_coverages_in_cob_order(database: Database, staff: Staff) -> None:
    patient_id = _full_chart(database, staff)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)
    assert [line.order for line in sheet.coverages] == ["Primary", "Secondary"]
    assert sheet.coverages[0].payer == "Aetna"
    assert sheet.coverages[0].relationship == "Self"
    assert sheet.coverages[0].copays == "office $25.00"
    assert sheet.coverages[1].subscriber == "Vega, Rosa"
    assert sheet.coverages[1].relationship == "Child"


def test_visits_split_at_today(database: Database, staff: Staff) -> None:
    patient_id = _full_chart(database, staff)
    with database.transaction() as session:
        sheet = face_sheet(session, staff.front_desk, patient_id, TODAY)
    assert [visit.when.day for visit in sheet.upcoming] == [12, 20]
    assert [visit.when.day for visit in sheet.past] == [8, 7, 5, 3]
    assert sheet.past[1].description == "Annual physical (imported)"
    # Imported visit instants are shown in the practice's time zone (Chicago, UTC-6).
    assert sheet.past[1].when == wall_clock(2026, 3, 7)


def test_view_is_audited(database: Database, staff: Staff) -> None:
    patient_id = _full_chart(database, staff)
    with database.transaction() as session:
        face_sheet(session, staff.front_desk, patient_id, TODAY)
        event = session.scalars(select(AuditEvent).where(AuditEvent.detail == "face sheet")).one()
    assert event.action == "view"
    assert event.patient_id == patient_id


def test_archived_patient_not_found(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session, archived=True)
        with pytest.raises(NotFoundError):
            face_sheet(session, staff.front_desk, patient.id, TODAY)


def test_leap_day_age(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session, date_of_birth=date(2000, 2, 29))
        sheet = face_sheet(session, staff.front_desk, patient.id, date(2001, 2, 28))
    assert sheet.age == 0


def test_pdf_one_page_inside_margins(database: Database, staff: Staff, tmp_path: Path) -> None:
    patient_id = _full_chart(database, staff)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "face.pdf"
    with database.transaction() as session:
        print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).one()
    texts = placed_text(target)
    joined = " ".join(piece.text for piece in texts)
    assert page_count(target) == 1
    assert event.patient_id == patient_id
    expected = ("Ortega, Maria", "$140.00", "W1234567", "CRITICAL: Latex allergy", "***-**-6789")
    for value in expected:
        assert value in joined
    assert "123-45-6789" not in joined
    for piece in texts:
        assert MARGIN - 0.5 <= piece.x <= PAGE_WIDTH - MARGIN, piece
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece
    assert list(folder.iterdir()) == [target]


def test_pdf_bad_targets_raise_user_error(database: Database, staff: Staff, tmp_path: Path) -> None:
    patient_id = _full_chart(database, staff)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    targets = [
        tmp_path / "missing" / "face.pdf",
        tmp_path / "afile" / "face.pdf",
        tmp_path / "adir",
    ]

    for target in targets:
        with (
            pytest.raises(FileWriteError, match=f"Could not write {target}"),
            database.transaction() as session,
        ):
            print_face_sheet(session, staff.front_desk, patient_id, TODAY, target)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adir", "afile", "practice"]
