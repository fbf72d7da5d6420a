"""Lists show stored E.164 phones in the national form, as the record window does."""

import uuid
from datetime import date
from decimal import Decimal

from app.ids import PatientId
from app.services.duplicates import DuplicateMatch
from app.services.patient_list import PatientRow
from app.services.patient_search import MatchKind, PatientMatch
from ui.pages.patients import COLUMNS, _cell, summary_text
from ui.patient.duplicates_dialog import match_text
from ui.search_popup import cell_text

STORED = "+12245550199"
SHOWN = "(224) 555-0199"


def test_search_popup_phone_national() -> None:
    match = PatientMatch(
        patient_id=PatientId(uuid.uuid4()),
        display_name="Monroe, Thomas",
        date_of_birth=date(2001, 6, 4),
        phone=STORED,
        chart_number="K7Q-000046",
        balance=Decimal("0.00"),
        next_appointment=None,
        matched_words=1,
        best_match=next(iter(MatchKind)),
    )

    assert cell_text(match, 2) == SHOWN


def test_patients_list_phone_national() -> None:
    row = PatientRow(
        patient_id=PatientId(uuid.uuid4()),
        chart_number="K7Q-000046",
        last_name="Monroe",
        first_name="Thomas",
        date_of_birth=date(2001, 6, 4),
        sex="M",
        phone=STORED,
        status="active",
    )

    assert _cell(row, COLUMNS.index("Phone")) == SHOWN


def test_patients_list_no_phone() -> None:
    row = PatientRow(
        PatientId(uuid.uuid4()), "K7Q-000047", "Lee", "Ann", date(1990, 1, 2), "F", None, "active"
    )

    assert _cell(row, COLUMNS.index("Phone")) == ""


def test_duplicate_match_phone_national() -> None:
    match = DuplicateMatch(
        patient_id=uuid.uuid4(),
        display_name="Monroe, Thomas",
        date_of_birth=date(2001, 6, 4),
        chart_number="K7Q-000046",
        phone=STORED,
        score=80,
        reasons=["same birth date"],
    )

    text = match_text(match)

    assert SHOWN in text
    assert STORED not in text


def test_summary_one_match_singular() -> None:
    assert summary_text(1, 1, True) == "1 patient matches the search."
    assert summary_text(2, 2, True) == "2 patients match the search."
