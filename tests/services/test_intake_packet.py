"""The intake packet: data gathered from the record and the printed pages."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.security import AuditEvent
from app.pdf.common import MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from app.services.intake_packet import intake_packet_data, print_intake_packet
from tests.helpers.chart_rows import Staff, add_coverage, add_patient, add_payer, set_up_practice
from tests.helpers.pdf_text import page_count, placed_text


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def test_data_prefilled_and_audited(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        add_coverage(session, patient, add_payer(session), 1)
        data = intake_packet_data(session, staff.front_desk, patient.id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert data.values["last_name"] == "Ortega"
    assert data.values["phone_mobile"] == "(847) 555-0123"
    assert "ssn" not in data.values
    assert data.coverages[0]["member_id"] == "W1234567"
    assert event.patient_id == patient.id
    assert event.detail == "intake packet"


def test_pdf_pages_values_and_blanks(database: Database, staff: Staff, tmp_path: Path) -> None:
    target = tmp_path / "packet.pdf"
    with database.transaction() as session:
        patient = add_patient(session, address_line2=None)
        add_coverage(session, patient, add_payer(session), 1)
        print_intake_packet(session, staff.front_desk, patient.id, target)
    texts = placed_text(target)
    first_page = [piece.text for piece in texts if piece.page == 0]
    second_page = [piece.text for piece in texts if piece.page == 1]
    third_page = " ".join(piece.text for piece in texts if piece.page == 2)
    assert page_count(target) == 3
    assert "Ortega" in first_page
    assert "42 Elm Street" in first_page
    assert "Apt / suite" in first_page
    assert "123-45-6789" not in " ".join(first_page)
    assert "W1234567" in second_page
    assert "Secondary insurance".upper() in second_page
    assert "CONSENT TO TREATMENT" in third_page
    for piece in texts:
        assert MARGIN - 0.5 <= piece.x <= PAGE_WIDTH - MARGIN, piece
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece


def test_blank_packet_without_patient(database: Database, staff: Staff, tmp_path: Path) -> None:
    target = tmp_path / "blank.pdf"
    with database.transaction() as session:
        print_intake_packet(session, staff.front_desk, None, target)
    texts = [piece.text for piece in placed_text(target)]
    assert page_count(target) == 3
    assert "Lakeside Family Medicine LLC" in texts
    assert "Last name" in texts
