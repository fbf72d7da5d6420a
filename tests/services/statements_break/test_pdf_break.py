"""Statement PDFs under attack: long and non-Latin names, long descriptions, large
amounts and credits, and the longest level label an administrator may save. No text may
be drawn over other text or past the page margins.
"""

import dataclasses
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from app.db.database import Database
from app.pdf.common import MARGIN
from app.pdf.statement import StatementDocument, statement_pdf_bytes
from app.services.billing_accounts import GuarantorContact
from app.services.billing_header import BillingHeader, billing_header
from app.services.face_sheet_values import PracticeHeader
from app.services.notice_levels import MAX_LABEL_LENGTH
from app.services.statement_figures import (
    ActivityRow,
    Aging,
    StatementFigures,
    StatementLine,
    statement_figures,
)
from tests.helpers.pdf_text import page_count
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice
from tests.services.statements_break.flows import account_of
from tests.services.statements_break.pdf_layout import outside_page, overlapping, text_runs

LONG_NAME = "Maximiliana Alexandra Konstantinopoulou-Vanderbilt-Ouédraogo"
NON_LATIN_NAME = "Zoë 李 Nguyễn-Ñúñez"
LONG_DESCRIPTION = (
    "Comprehensive preventive medicine reevaluation and management of an established "
    "patient, including an age and gender appropriate history, examination, counseling "
    "and anticipatory guidance, and the ordering of laboratory and diagnostic procedures"
)
LONG_PRACTICE = "Lakeside Family Medicine and Pediatric Associates of the North Shore LLC"
LONGEST_LABEL = "Final notice before collections referral"
LARGE = Decimal("123456.78")

GUARANTOR = GuarantorContact(
    name=f"{LONG_NAME} Jr.",
    address_lines=(
        "12345 North Very Long Boulevard Name Extension Parkway Suite 1200",
        "Building C, Floor 14, Room 1409, Attention Accounts Payable Department",
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch, IL 60201-1234",
    ),
    phone="(847) 555-0188",
    email="guarantor@example.com",
    date_of_birth=None,
)
HEADER = BillingHeader(
    PracticeHeader(
        LONG_PRACTICE,
        "1200 Lake Street, Suite 300, Evanston, IL 60201",
        "(847) 555-0140",
    ),
    "1234567893",
)


def _line(patient: str, days: int) -> StatementLine:
    return StatementLine(
        charge_line_id=uuid.uuid4(),
        service_date=STATEMENT_DATE - timedelta(days=days),
        patient_name=patient,
        provider_name="Bartholomew Featherstonehaugh-Wolfeschlegel, MD",
        description=LONG_DESCRIPTION,
        charge=Decimal("12345.67"),
        insurance_paid=Decimal("10234.56"),
        adjustments=Decimal("-1234.56"),
        patient_paid=Decimal("876.55"),
        balance=Decimal("0.00"),
        insurance_pending=Decimal("12345.67"),
    )


def _figures(**changes: object) -> StatementFigures:
    activity = (
        ActivityRow(STATEMENT_DATE, LONG_NAME, "charge", LONG_DESCRIPTION, LARGE),
        ActivityRow(STATEMENT_DATE, NON_LATIN_NAME, "adjustment", LONG_DESCRIPTION, -LARGE),
    )
    figures = StatementFigures(
        account_id=uuid.uuid4(),
        account_number="A7QK-000042",
        statement_date=STATEMENT_DATE,
        guarantor=GUARANTOR,
        patient_names=(LONG_NAME, f"{LONG_NAME} II", NON_LATIN_NAME),
        last_statement_on=date(2026, 5, 31),
        previous_balance=LARGE,
        new_charges=LARGE,
        payments=-LARGE,
        adjustments=Decimal("-12345.67"),
        balance=Decimal("111111.11"),
        amount_due=Decimal("111111.11"),
        credit=Decimal("0.00"),
        insurance_pending=LARGE,
        aging=Aging(*(Decimal("22222.22"),) * 5),
        lines=(_line(LONG_NAME, 40), _line(NON_LATIN_NAME, 20)) * 3,
        activity=activity * 3,
        last_payment_on=STATEMENT_DATE - timedelta(days=40),
    )
    return dataclasses.replace(figures, **changes)  # type: ignore[arg-type]


def _document(figures: StatementFigures, **changes: object) -> StatementDocument:
    document = StatementDocument(
        figures=figures,
        header=HEADER,
        statement_number="S7QK-000108",
        level_label=LONGEST_LABEL,
        message="Please pay the balance below or call our billing office. " * 12,
        due_on=STATEMENT_DATE + timedelta(days=21),
        plan_line="Payment plan: $1,250.00 every two weeks, $3,750.00 past due since "
        "05/15/2026, late",
        payment_options="Pay by check made out to the practice or by card at the desk. " * 6,
        assistance_notice="Financial assistance is available to patients who qualify. " * 12,
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


def _draw(document: StatementDocument, tmp_path: Path) -> Path:
    path = tmp_path / "statement.pdf"
    path.write_bytes(statement_pdf_bytes(document))
    return path


def test_longest_label_clear_of_practice(tmp_path: Path) -> None:
    assert len(LONGEST_LABEL) == MAX_LABEL_LENGTH

    runs = text_runs(_draw(_document(_figures()), tmp_path))
    titles = [run.text for run in runs if run.text.startswith("Final notice")]

    assert overlapping(runs) == []
    assert titles[0].endswith("\u2026")


def test_long_text_stays_in_margins(tmp_path: Path) -> None:
    path = _draw(_document(_figures()), tmp_path)
    runs = text_runs(path)

    assert page_count(path) >= 2
    assert outside_page(runs, margin=MARGIN) == []


def test_non_latin_name_printed_legibly(tmp_path: Path) -> None:
    guarantor = dataclasses.replace(GUARANTOR, name=NON_LATIN_NAME)
    figures = _figures(guarantor=guarantor, patient_names=(NON_LATIN_NAME,))

    texts = [run.text for run in text_runs(_draw(_document(figures), tmp_path))]

    # Helvetica lacks the Chinese letter and the Vietnamese one, so they are replaced.
    assert "Zo\u00eb ? Nguyen-\u00d1\u00fa\u00f1ez" in texts
    assert not any("\u674e" in text for text in texts)


def test_large_credit_inside_due_box(tmp_path: Path) -> None:
    figures = _figures(
        balance=Decimal("-1234.56"),
        amount_due=Decimal("0.00"),
        credit=Decimal("1234.56"),
        aging=Aging(*(Decimal("0.00"),) * 5),
    )

    runs = text_runs(_draw(_document(figures, level_label="Statement"), tmp_path))
    credit = [run for run in runs if run.text.startswith("Credit balance $1,234.56")]

    assert [run.text for run in credit][:1] == ["Credit balance $1,234.56 \u2014 nothing is due"]
    assert outside_page(runs, margin=MARGIN) == []
    assert overlapping(runs) == []


def test_ledger_statements_lay_out_cleanly(
    database: Database, practice: StatementPractice, tmp_path: Path
) -> None:
    for patient_id in practice.guarantor_patients:
        account_id = account_of(database, practice, patient_id)
        with database.reading() as session:
            figures = statement_figures(session, account_id, STATEMENT_DATE)
            header = billing_header(session)
        document = _document(figures, header=header, level_label="Statement")

        runs = text_runs(_draw(document, tmp_path))

        assert overlapping(runs) == [], figures.account_number
        assert outside_page(runs, margin=MARGIN) == [], figures.account_number
