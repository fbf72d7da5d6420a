"""The superbill: blank and pre-filled forms, the code layout and the printed text."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.security import AuditEvent
from app.pdf.charge_forms import printable
from app.pdf.common import MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from app.pdf.superbill import FIRST_PAGE_CODES_BOTTOM, PlacedCell, lay_out_codes
from app.services.superbill import (
    NOT_IN_CODE_LIST,
    CodeGroup,
    SuperbillCode,
    code_section,
    superbill,
    superbill_pdf,
)
from tests.helpers.charge_print_data import add_codes, add_visit_type, many_codes
from tests.helpers.chart_rows import (
    Staff,
    add_appointment,
    add_coverage,
    add_patient,
    add_payer,
    post_ledger,
    set_up_practice,
)
from tests.helpers.pdf_text import PlacedText, page_count, placed_text

VISIT_START = datetime(2026, 3, 10, 9, 0)  # noqa: DTZ001 (appointments store wall-clock time)


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def _texts(path: Path, page: int | None = None) -> list[str]:
    return [piece.text for piece in placed_text(path) if page is None or piece.page == page]


def _booked_visit(database: Database, staff: Staff, **patient_values: object) -> uuid.UUID:
    """Add the sample codes and a visit with a default code, coverage and a balance."""
    with database.transaction() as session:
        add_codes(session)
        patient = add_patient(session, **patient_values)
        add_coverage(session, patient, add_payer(session, "Aetna"), 1)
        post_ledger(session, staff.admin, patient, "40.00")
        appointment = add_appointment(session, patient, VISIT_START)
        appointment.appointment_type = "Follow-up"
        appointment.appointment_type_id = add_visit_type(session, "Follow-up", ("99213",)).id
        session.flush()
        return appointment.id


def test_blank_form_has_no_patient(database: Database, staff: Staff, tmp_path: Path) -> None:
    _booked_visit(database, staff)
    target = tmp_path / "blank.pdf"
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, None, target)
        prints = session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).all()
    text = " ".join(_texts(target))
    assert "Lakeside Family Medicine LLC" in text
    assert "Billing NPI 1234567893" in text
    assert "36-4567890" not in text
    for private in ("Ortega", "Maria", "06/15/1985", "W1234567", "Aetna", "$40.00", "Chart T-"):
        assert private not in text, private
    assert "Provider signature" in text
    assert prints == []


def test_blank_form_lists_codes_and_fees(database: Database, staff: Staff, tmp_path: Path) -> None:
    _booked_visit(database, staff)
    target = tmp_path / "blank.pdf"
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, None, target)
    texts = _texts(target)
    assert page_count(target) == 1
    assert "99214" in texts
    assert "Office visit, established, level 4" in texts
    assert "$165.00" in texts
    assert "NS01" in texts
    assert "EVALUATION AND MANAGEMENT" in texts
    assert "PRACTICE CODES" in texts
    assert "X" not in texts


def test_prefilled_visit_fields(database: Database, staff: Staff, tmp_path: Path) -> None:
    appointment_id = _booked_visit(database, staff)
    target = tmp_path / "visit.pdf"
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, appointment_id, target)
    texts = _texts(target)
    assert "Ortega, Maria" in texts
    assert "06/15/1985" in texts
    assert "03/10/2026 9:00 AM" in texts
    assert "Ana Lopez, MD" in texts
    assert "Follow-up" in texts
    assert "Aetna" in texts
    assert "W1234567" in texts
    assert "$40.00" in texts
    assert "Fees as of 03/10/2026" in texts


def test_default_code_checked(database: Database, staff: Staff, tmp_path: Path) -> None:
    appointment_id = _booked_visit(database, staff)
    target = tmp_path / "visit.pdf"
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, appointment_id, target)
    pieces = placed_text(target)
    marks = [piece for piece in pieces if piece.text == "X"]
    checked_code = next(piece for piece in pieces if piece.text == "99213")
    other_code = next(piece for piece in pieces if piece.text == "99214")
    assert len(marks) == 1
    assert abs(marks[0].y - checked_code.y) < 2
    assert abs(marks[0].y - other_code.y) > 5


def test_prefilled_print_is_audited(database: Database, staff: Staff, tmp_path: Path) -> None:
    appointment_id = _booked_visit(database, staff)
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, appointment_id, tmp_path / "v.pdf")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).one()
    assert event.object_type == "appointment"
    assert event.object_id == str(appointment_id)
    assert event.patient_id is not None
    assert event.detail == "superbill PDF"


def test_unlisted_default_code_printed(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        add_codes(session)
        patient = add_patient(session)
        appointment = add_appointment(session, patient, VISIT_START)
        appointment.appointment_type_id = add_visit_type(session, "Shots", ("90471",)).id
        session.flush()
        sheet = superbill(session, staff.front_desk, appointment.id)
    rows = {row.code: row for group in sheet.groups for row in group.codes}
    assert sheet.visit is not None
    assert sheet.visit.payer == "Self-pay"
    assert rows["90471"].checked
    assert rows["90471"].description == NOT_IN_CODE_LIST
    assert rows["90471"].fee is None
    assert not rows["99213"].checked


def test_fees_from_visit_day(database: Database, staff: Staff) -> None:
    before_schedule = datetime.combine(date(2019, 12, 31), VISIT_START.time())
    with database.transaction() as session:
        add_codes(session)
        appointment = add_appointment(session, add_patient(session), before_schedule)
        dated = superbill(session, staff.front_desk, appointment.id)
        blank = superbill(session, staff.front_desk, None)
    blank_fees = {row.code: row.fee for group in blank.groups for row in group.codes}
    assert dated.fee_date == date(2019, 12, 31)
    assert all(row.fee is None for group in dated.groups for row in group.codes)
    assert blank_fees["99214"] == Decimal("165.00")


def test_long_list_spills_to_page_two(database: Database, staff: Staff, tmp_path: Path) -> None:
    codes = many_codes(220)
    with database.transaction() as session:
        add_codes(session, codes)
        target = superbill_pdf(session, staff.front_desk, None, tmp_path / "long.pdf")
    pieces = placed_text(target)
    printed = [piece for piece in pieces if piece.text.isdigit() and len(piece.text) == 5]
    assert page_count(target) == 2
    assert sorted(piece.text for piece in printed) == sorted(code for code, _, _ in codes)
    assert {piece.page for piece in printed} == {0, 1}
    assert all(piece.y > FIRST_PAGE_CODES_BOTTOM for piece in printed if piece.page == 0)
    assert "Provider signature" in _texts(target, page=0)
    assert "Page 2 of 2" in _texts(target, page=1)
    _assert_inside_margins(pieces)


def test_layout_cells_never_overlap() -> None:
    rows = tuple(
        SuperbillCode(code, label, Decimal(fee), False) for code, label, fee in many_codes(260)
    )
    groups = (CodeGroup("Surgery", rows[:150]), CodeGroup("Medicine", rows[150:]))
    cells, columns = lay_out_codes(groups)
    assert columns == 3
    for first, second in combinations(cells, 2):
        assert not _overlap(first, second), (first, second)


def test_short_list_uses_two_columns() -> None:
    rows = tuple(SuperbillCode(code, label, None, False) for code, label, _ in many_codes(30))
    cells, columns = lay_out_codes((CodeGroup("Surgery", rows),))
    assert columns == 2
    assert {cell.page for cell in cells} == {0}


def test_accented_and_foreign_names(database: Database, staff: Staff, tmp_path: Path) -> None:
    appointment_id = _booked_visit(database, staff, first_name="José", last_name="Łukasz-李")
    target = tmp_path / "names.pdf"
    with database.transaction() as session:
        superbill_pdf(session, staff.front_desk, appointment_id, target)
    texts = _texts(target)
    assert "Lukasz-?, José" in texts


def test_printable_replaces_missing_glyphs() -> None:
    assert printable("Zoë Núñez — “Ann”…") == "Zoë Núñez — “Ann”…"
    assert printable("Erdős") == "Erdos"
    assert printable("Łódź") == "Lódz"
    assert printable("王芳") == "??"
    assert printable("") == ""


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("99213", "Evaluation and management"),
        ("99499", "Evaluation and management"),
        ("99500", "Medicine"),
        ("90715", "Medicine"),
        ("36415", "Surgery"),
        ("71046", "Radiology"),
        ("85025", "Pathology and laboratory"),
        ("0001U", "Pathology and laboratory"),
        ("00100", "Anesthesia"),
        ("3074F", "CPT Category II"),
        ("0042T", "CPT Category III"),
        ("J1100", "HCPCS Level II"),
        ("NS01", "Practice codes"),
        ("ABCDE", "Practice codes"),
    ],
)
def test_code_section_by_range(code: str, section: str) -> None:
    assert code_section(code) == section


def test_no_codes_prints_note(database: Database, staff: Staff, tmp_path: Path) -> None:
    with database.transaction() as session:
        target = superbill_pdf(session, staff.front_desk, None, tmp_path / "empty.pdf")
    text = " ".join(_texts(target))
    assert "No procedure codes are set up yet" in text
    assert page_count(target) == 1


def _overlap(first: PlacedCell, second: PlacedCell) -> bool:
    if first.page != second.page:
        return False
    first_bottom = first.top - first.height
    second_bottom = second.top - second.height
    across = first.x < second.x + second.width and second.x < first.x + first.width
    down = first_bottom < second.top and second_bottom < first.top
    return across and down


def _assert_inside_margins(pieces: list[PlacedText]) -> None:
    for piece in pieces:
        assert MARGIN - 0.5 <= piece.x <= PAGE_WIDTH - MARGIN, piece
        assert MARGIN - 0.5 <= piece.y <= PAGE_HEIGHT - MARGIN, piece
