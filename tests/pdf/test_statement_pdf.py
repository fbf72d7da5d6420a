"""The patient statement PDF: every printed figure, credits, continuation pages, the
stub, password protection and batches.
"""

import dataclasses
import io
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.constants import UserAccessPermissions
from pypdf.errors import FileNotDecryptedError
from sqlalchemy import select

from app.db.database import Database
from app.models.charges import Encounter, EncounterDiagnosis
from app.pdf.statement import (
    StatementDocument,
    batch_pdf_bytes,
    join_statement_pdfs,
    statement_pdf_bytes,
)
from app.pdf.statement_document import balance_text, change_text, remit_lines
from app.pdf.statement_stub import STUB_TOP
from app.services.billing_accounts import GuarantorContact, account_for_patient
from app.services.billing_header import BillingHeader, billing_header
from app.services.face_sheet_values import PracticeHeader
from app.services.statement_figures import (
    ActivityRow,
    Aging,
    StatementFigures,
    StatementLine,
    statement_figures,
)
from app.services.statement_settings import DEFAULT_ASSISTANCE_NOTICE, DEFAULT_PAYMENT_OPTIONS
from tests.helpers.pdf_text import PlacedText, page_count, placed_text
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
)
from tests.services.statements_break.pdf_layout import overlapping, text_runs

HEADER = BillingHeader(
    PracticeHeader(
        "Lakeside Family Medicine LLC",
        "1200 Lake Street, Suite 300, Evanston, IL 60201",
        "(847) 555-0140",
    ),
    "1234567893",
)
GUARANTOR = GuarantorContact(
    name="Laura Garcia",
    address_lines=("48 Elm Street", "Apt 2", "Evanston, IL 60201"),
    phone="(847) 555-0188",
    email="laura.garcia@example.com",
    date_of_birth=date(1984, 9, 2),
)
MESSAGE = "This is your final notice before your account goes to a collection agency."
PLAN_LINE = "Payment plan: $50.00 monthly, next due 07/15/2026, current"
PAYMENT_OPTIONS = "Pay by check to the address below or by card at the front desk."
ASSISTANCE = "You may qualify for financial assistance. Ask our billing office for the policy."


def _line(
    day: int,
    patient: str,
    description: str,
    charge: str,
    *,
    insurance_paid: str = "0.00",
    adjustments: str = "0.00",
    patient_paid: str = "0.00",
    balance: str,
    insurance_pending: str = "0.00",
) -> StatementLine:
    return StatementLine(
        charge_line_id=uuid.uuid4(),
        service_date=STATEMENT_DATE - timedelta(days=day),
        patient_name=patient,
        provider_name="Ana Reyes, MD",
        description=description,
        charge=Decimal(charge),
        insurance_paid=Decimal(insurance_paid),
        adjustments=Decimal(adjustments),
        patient_paid=Decimal(patient_paid),
        balance=Decimal(balance),
        insurance_pending=Decimal(insurance_pending),
    )


LINES = (
    _line(
        150,
        "Laura Garcia",
        "Office visit, established, level 4",
        "150.00",
        patient_paid="100.00",
        balance="50.00",
    ),
    _line(
        75, "Mateo Garcia", "Vaccine administration", "40.00", adjustments="-20.00", balance="20.00"
    ),
    _line(
        60,
        "Sofia Garcia",
        "Well-child visit, age 1 to 4",
        "1250.00",
        insurance_paid="900.00",
        adjustments="-130.00",
        balance="220.00",
    ),
    _line(
        10,
        "Sofia Garcia",
        "Well-child visit, age 5 to 11",
        "110.00",
        balance="0.00",
        insurance_pending="110.00",
    ),
)
ACTIVITY = (
    ActivityRow(
        STATEMENT_DATE - timedelta(days=40),
        "Laura Garcia",
        "payment",
        "Payment, thank you",
        Decimal("-100.00"),
    ),
    ActivityRow(
        STATEMENT_DATE - timedelta(days=30),
        "Sofia Garcia",
        "insurance",
        "Aetna paid its share",
        Decimal("220.00"),
    ),
    ActivityRow(
        STATEMENT_DATE - timedelta(days=20),
        "Mateo Garcia",
        "adjustment",
        "Courtesy discount",
        Decimal("-20.00"),
    ),
)
AGING = Aging(
    current=Decimal("0.00"),
    days_31_60=Decimal("220.00"),
    days_61_90=Decimal("20.00"),
    days_91_120=Decimal("0.00"),
    over_120=Decimal("50.00"),
)


def _figures(**changes: object) -> StatementFigures:
    figures = StatementFigures(
        account_id=uuid.uuid4(),
        account_number="A7QK-000042",
        statement_date=STATEMENT_DATE,
        guarantor=GUARANTOR,
        patient_names=("Laura Garcia", "Mateo Garcia", "Sofia Garcia"),
        last_statement_on=date(2026, 5, 31),
        previous_balance=Decimal("1170.00"),
        new_charges=Decimal("220.00"),
        payments=Decimal("-1000.00"),
        adjustments=Decimal("-100.00"),
        balance=Decimal("290.00"),
        amount_due=Decimal("290.00"),
        credit=Decimal("0.00"),
        insurance_pending=Decimal("110.00"),
        aging=AGING,
        lines=LINES,
        activity=ACTIVITY,
        last_payment_on=STATEMENT_DATE - timedelta(days=40),
    )
    return dataclasses.replace(figures, **changes)  # type: ignore[arg-type]


def _document(figures: StatementFigures, **changes: object) -> StatementDocument:
    document = StatementDocument(
        figures=figures,
        header=HEADER,
        statement_number="S7QK-000108",
        level_label="Final notice",
        message=MESSAGE,
        due_on=date(2026, 7, 21),
        plan_line=PLAN_LINE,
        payment_options=PAYMENT_OPTIONS,
        assistance_notice=ASSISTANCE,
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


def _save(content: bytes, tmp_path: Path, name: str = "statement.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _joined(pieces: list[PlacedText], page: int | None = None) -> str:
    return " | ".join(piece.text for piece in pieces if page is None or piece.page == page)


def test_statement_prints_every_figure(tmp_path: Path) -> None:
    path = _save(statement_pdf_bytes(_document(_figures())), tmp_path)
    text = _joined(placed_text(path))

    # Header, guarantor address and statement facts.
    assert "Lakeside Family Medicine LLC" in text
    assert "(847) 555-0140" in text
    assert "Final notice" in text
    assert "Account A7QK-000042" in text
    assert "Laura Garcia | 48 Elm Street | Apt 2 | Evanston, IL 60201" in text
    assert "Statement date | 06/30/2026" in text
    assert "Account number | A7QK-000042" in text
    assert "Statement | S7QK-000108" in text
    assert "Patients | Laura Garcia, Mateo Garcia, Sofia | Garcia" in text

    # What is due now and what waits on insurance, apart.
    assert "AMOUNT DUE NOW | $290.00" in text
    assert "Please pay by 07/21/2026" in text
    assert "Pending with insurance | $110.00" in text

    # Account summary.
    assert "Previous balance (05/31/2026) | $1,170.00" in text
    assert "New charges | + $220.00" in text
    assert "Payments | \u2013 $1,000.00" in text
    assert "Adjustments | \u2013 $100.00" in text
    assert "Balance | $290.00" in text
    assert "Last payment received | 05/21/2026" in text

    # Aging.
    assert "Current | 31\u201360 days | 61\u201390 days | 91\u2013120 days | Over 120 days" in text
    assert "$0.00 | $220.00 | $20.00 | $0.00 | $50.00" in text

    # Message, plan, how to pay and the assistance notice.
    assert "This is your final notice before your account goes to a collection | agency." in text
    assert PLAN_LINE in text
    assert PAYMENT_OPTIONS in text
    assert ASSISTANCE in text

    # Activity: charges and credits in their own columns, as positive amounts.
    assert "05/21/2026 | Laura Garcia | Payment | $100.00 | Payment, thank you" in text
    assert "05/31/2026 | Sofia Garcia | Insurance | $220.00 | Aetna paid its share" in text
    assert "06/10/2026 | Mateo Garcia | Adjustment | $20.00 | Courtesy discount" in text

    # Visits, one row each, with the insurance-pending flag.
    assert (
        "01/31/2026 | Laura Garcia | Ana Reyes, MD | $150.00 | $0.00 | $0.00 | $100.00 | "
        "$50.00 | Office visit, established, level 4" in text
    )
    assert (
        "04/16/2026 | Mateo Garcia | Ana Reyes, MD | $40.00 | $0.00 | \u2013 $20.00 | $0.00 | "
        "$20.00 | Vaccine administration" in text
    )
    assert (
        "05/01/2026 | Sofia Garcia | Ana Reyes, MD | $1,250.00 | $900.00 | \u2013 $130.00 | "
        "$0.00 | $220.00 | Well-child visit, age 1 to 4" in text
    )
    assert (
        "06/20/2026 | Sofia Garcia | Ana Reyes, MD | $110.00 | $0.00 | $0.00 | $0.00 | "
        "$0.00 | Well-child visit, age 5 to 11 | Insurance pending $110.00" in text
    )

    # The stub.
    assert "Return this part with your payment" in text
    assert "Guarantor | Laura Garcia" in text
    assert "Amount due | $290.00" in text
    assert "Amount enclosed | $______________" in text
    assert (
        "Lakeside Family Medicine LLC | 1200 Lake Street | Suite 300 | Evanston, IL 60201" in text
    )
    assert "-$" not in text


def test_amounts_right_aligned(tmp_path: Path) -> None:
    path = _save(statement_pdf_bytes(_document(_figures())), tmp_path)
    pieces = placed_text(path)
    row = [piece for piece in pieces if piece.y == _y_of(pieces, "Office visit, established")]
    amounts = [piece for piece in row if piece.text.startswith("$")]
    wide = next(piece for piece in pieces if piece.text == "$1,250.00")
    narrow = next(piece for piece in amounts if piece.text == "$150.00" and piece.x < wide.x + 20)

    assert len(amounts) == 5
    # Right-aligned: the wider amount in the same column starts further left.
    assert wide.x < narrow.x


def _y_of(pieces: list[PlacedText], start: str) -> float:
    return next(piece.y for piece in pieces if piece.text.startswith(start))


def test_credit_balance_shows_nothing_due(tmp_path: Path) -> None:
    figures = _figures(
        previous_balance=Decimal("80.00"),
        new_charges=Decimal("0.00"),
        payments=Decimal("-100.00"),
        adjustments=Decimal("0.00"),
        balance=Decimal("-20.00"),
        amount_due=Decimal("0.00"),
        credit=Decimal("20.00"),
        insurance_pending=Decimal("0.00"),
        aging=Aging(*(Decimal("0.00"),) * 5),
        lines=(
            _line(
                20, "Laura Garcia", "Office visit", "80.00", patient_paid="100.00", balance="-20.00"
            ),
        ),
        activity=(),
    )
    path = _save(statement_pdf_bytes(_document(figures, plan_line=None)), tmp_path)
    text = _joined(placed_text(path))

    assert "Credit balance $20.00 \u2014 nothing is due" in text
    assert "AMOUNT DUE NOW" not in text
    assert "Please pay by 07/21/2026" not in text
    assert "Please pay by | Nothing is due" in text
    assert "Balance | Credit $20.00" in text
    assert "$80.00 | $0.00 | $0.00 | $100.00 | Credit $20.00 | Office visit" in text
    assert "Amount due | $0.00" in text
    assert "Credit balance $20.00: nothing is due." in text
    assert "No activity since your last statement." in text
    assert "Payment plan" not in text
    assert "-$" not in text


def test_insurance_pending_only(tmp_path: Path) -> None:
    figures = _figures(
        balance=Decimal("0.00"),
        amount_due=Decimal("0.00"),
        insurance_pending=Decimal("150.00"),
        aging=Aging(*(Decimal("0.00"),) * 5),
    )
    path = _save(statement_pdf_bytes(_document(figures)), tmp_path)
    text = _joined(placed_text(path))

    assert "AMOUNT DUE NOW | $0.00" in text
    assert "Nothing is due now" in text
    assert "Pending with insurance | $150.00" in text
    assert "Not due now. We bill you for any part insurance does not pay." in text


def test_first_statement_without_history(tmp_path: Path) -> None:
    figures = _figures(
        last_statement_on=None, previous_balance=Decimal("0.00"), last_payment_on=None
    )
    path = _save(statement_pdf_bytes(_document(figures)), tmp_path)
    text = _joined(placed_text(path))

    assert "Previous balance | $0.00" in text
    assert "ACCOUNT ACTIVITY" in text
    assert "Last payment received" not in text


def test_long_statement_continues(tmp_path: Path) -> None:
    lines = tuple(
        _line(day, "Sofia Garcia", f"Therapy session {day}", "85.00", balance="85.00")
        for day in range(1, 81)
    )
    figures = _figures(lines=lines, amount_due=Decimal("6800.00"), balance=Decimal("6800.00"))
    path = _save(statement_pdf_bytes(_document(figures)), tmp_path)
    pieces = placed_text(path)
    total = page_count(path)

    assert total >= 3
    for page in range(total):
        page_text = _joined(pieces, page)
        assert "Account A7QK-000042" in page_text, page
        assert f"Page {page + 1} of {total}" in page_text, page
        assert "Lakeside Family Medicine LLC" in page_text, page
    for page in range(1, total):
        assert "VISITS AND SERVICES" in _joined(pieces, page), page
        assert "Balance" in _joined(pieces, page), page
        assert "Amount enclosed" not in _joined(pieces, page), page
    assert "Continued on page 2" in _joined(pieces, 0)
    assert "VISITS AND SERVICES (CONTINUED)" in _joined(pieces, 2)
    for day in range(1, 81):
        assert sum(piece.text == f"Therapy session {day}" for piece in pieces) == 1, day
    assert "Amount due | $6,800.00" in _joined(pieces, 0)


def test_stub_below_content(tmp_path: Path) -> None:
    lines = tuple(
        _line(day, "Sofia Garcia", f"Therapy session {day}", "85.00", balance="85.00")
        for day in range(1, 41)
    )
    figures = _figures(lines=lines, activity=())
    path = _save(statement_pdf_bytes(_document(figures, plan_line=None)), tmp_path)
    first_page = [piece for piece in placed_text(path) if piece.page == 0]
    stub = [piece for piece in first_page if piece.y < STUB_TOP]
    assistance = next(piece for piece in first_page if piece.text == ASSISTANCE)
    content = [
        piece
        for piece in first_page
        if piece.y > STUB_TOP and piece.text != ASSISTANCE and not piece.text.startswith("Detach")
    ]

    assert "Return this part with your payment" in _joined(stub)
    assert "Amount enclosed" in _joined(stub)
    assert all("Therapy session" not in piece.text for piece in stub)
    assert assistance.y > STUB_TOP
    assert "Therapy session 1" in _joined(content)
    # Every table row of page 1 stays above the assistance notice.
    assert all(piece.y > assistance.y + 8 for piece in content)


# --- names, page 1 and metadata ----------------------------------------------------

SHORT_DAY = STATEMENT_DATE - timedelta(days=3)


def _demo_like(visits: int) -> StatementDocument:
    """A first statement like the demo's: three patients, visits, two "your share" rows.

    The providers' names need two lines of the provider column.
    """
    lines = (
        _line(3, "Nathan Perez", "Clinic visit, all-inclusive", "145.00", balance="116.00"),
        _line(3, "Nathan Perez", "Triamcinolone injection, 10 mg", "18.00", balance="14.40"),
        _line(
            2, "Nathan Perez", "Clinic visit", "145.00", balance="0.00", insurance_pending="145.00"
        ),
    )
    lines = tuple(
        dataclasses.replace(line, provider_name="Clifford Johnson, PA-C") for line in lines
    )
    activity = tuple(
        ActivityRow(
            SHORT_DAY,
            "Nathan Perez",
            "patient_share",
            f"Your share after insurance: {text}",
            Decimal(amount),
        )
        for text, amount in (
            ("Clinic visit, all-inclusive", "116.00"),
            ("Triamcinolone injection, 10 mg", "14.40"),
        )
    )
    figures = _figures(
        patient_names=("Nathan Perez", "Rebecca Perez", "Wendy Perez"),
        last_statement_on=None,
        previous_balance=Decimal("0.00"),
        new_charges=Decimal("130.40"),
        payments=Decimal("0.00"),
        adjustments=Decimal("0.00"),
        balance=Decimal("130.40"),
        amount_due=Decimal("130.40"),
        insurance_pending=Decimal("145.00"),
        aging=Aging(Decimal("130.40"), *(Decimal("0.00"),) * 4),
        lines=lines[:visits],
        activity=activity,
        last_payment_on=None,
    )
    return _document(
        figures,
        level_label="Statement",
        message="Thank you. Please pay the amount due by the date shown.",
        plan_line=None,
        payment_options=DEFAULT_PAYMENT_OPTIONS,
        assistance_notice=DEFAULT_ASSISTANCE_NOTICE,
    )


def test_provider_name_wraps_not_cut(tmp_path: Path) -> None:
    path = _save(statement_pdf_bytes(_demo_like(2)), tmp_path)
    pieces = placed_text(path)
    texts = [piece.text for piece in pieces]

    assert texts.count("Clifford Johnson,") == 2
    assert texts.count("PA-C") == 2
    assert not any("\u2026" in text for text in texts)
    first = next(piece for piece in pieces if piece.text == "Clifford Johnson,")
    second = next(piece for piece in pieces if piece.text == "PA-C")
    assert second.x == first.x
    assert second.y < first.y


def test_long_patient_name_wraps_not_cut(tmp_path: Path) -> None:
    name = "Maximiliana Konstantinopoulou"
    lines = tuple(dataclasses.replace(line, patient_name=name) for line in LINES)
    activity = tuple(dataclasses.replace(row, patient_name=name) for row in ACTIVITY)
    figures = _figures(lines=lines, activity=activity)
    texts = [
        piece.text
        for piece in placed_text(_save(statement_pdf_bytes(_document(figures)), tmp_path))
    ]

    assert texts.count("Maximiliana") == len(LINES) + len(ACTIVITY)
    assert texts.count("Konstantinopoulou") == len(LINES) + len(ACTIVITY)
    assert not any("\u2026" in text for text in texts)


def test_two_visits_fit_page_one(tmp_path: Path) -> None:
    path = _save(statement_pdf_bytes(_demo_like(2)), tmp_path)
    text = _joined(placed_text(path))

    assert page_count(path) == 1
    assert "Page 1 of 1" in text
    assert "Continued on page" not in text
    assert "Clinic visit, all-inclusive" in text
    assert "Triamcinolone injection, 10 mg" in text
    assert "Your share after insurance: Triamcinolone injection, 10 mg" in text


def test_visits_lead_page_one(tmp_path: Path) -> None:
    # Page 1 cannot hold everything, so the visits come first and the activity continues.
    activity = tuple(
        dataclasses.replace(ACTIVITY[0], description=f"Payment {number}") for number in range(12)
    )
    path = _save(statement_pdf_bytes(_document(_figures(activity=activity))), tmp_path)
    pieces = placed_text(path)

    assert page_count(path) == 2
    assert "VISITS AND SERVICES" in _joined(pieces, 0)
    assert "Well-child visit, age 5 to 11" in _joined(pieces, 0)
    assert "Continued on page 2" in _joined(pieces, 0)
    assert "Payment 11" in _joined(pieces, 1)
    assert all(
        piece.text.startswith("Page") is False for piece in pieces if "Continued" in piece.text
    )


def test_type_column_names_share(tmp_path: Path) -> None:
    path = _save(statement_pdf_bytes(_demo_like(2)), tmp_path)
    text = _joined(placed_text(path))
    activity = (
        ActivityRow(
            SHORT_DAY, "Nathan Perez", "insurance", "Billed to insurance", Decimal("-20.00")
        ),
    )
    moved = _save(
        statement_pdf_bytes(_document(_figures(activity=activity))), tmp_path, "moved.pdf"
    )

    assert "Nathan Perez | Your share | $116.00" in text
    assert "Nathan Perez | Insurance | $20.00 | Billed to insurance" in _joined(placed_text(moved))


def test_address_and_stub_wrap_name(tmp_path: Path) -> None:
    long_name = "Maximiliana Alexandra Konstantinopoulou-Vanderbilt Smith-Ouedraogo"
    guarantor = dataclasses.replace(GUARANTOR, name=long_name)
    path = _save(statement_pdf_bytes(_document(_figures(guarantor=guarantor))), tmp_path)
    text = _joined(placed_text(path))

    assert f"{long_name.replace(' Smith', ' | Smith')} | 48 Elm Street | Apt 2" in text
    assert (
        "Guarantor | Maximiliana Alexandra | Konstantinopoulou-Vanderbilt | Smith-Ouedraogo" in text
    )
    assert "\u2026" not in text
    assert overlapping(text_runs(path)) == []


def test_patient_list_counts_the_rest(tmp_path: Path) -> None:
    names = tuple(f"Alexandria Whitfield-Garcia {number}" for number in range(1, 8))
    path = _save(statement_pdf_bytes(_document(_figures(patient_names=names))), tmp_path)
    # The list wraps over three lines; join them to read it as one sentence.
    text = _joined(placed_text(path)).replace(" | ", " ")

    assert (
        "Patients Alexandria Whitfield-Garcia 1, Alexandria Whitfield-Garcia 2 and 5 more" in text
    )
    assert "Alexandria Whitfield-Garcia 3" not in text
    assert "\u2026" not in text


def test_metadata_names_practice(tmp_path: Path) -> None:
    single = PdfReader(_save(statement_pdf_bytes(_document(_figures())), tmp_path)).metadata
    batch = PdfReader(_save(batch_pdf_bytes([_document(_figures())]), tmp_path, "batch.pdf"))
    joined = PdfReader(
        io.BytesIO(join_statement_pdfs([statement_pdf_bytes(_document(_figures()))] * 2))
    )

    assert single is not None
    assert single.author == "Lakeside Family Medicine LLC"
    assert single.subject == "Patient statement"
    assert single.title == "Statement S7QK-000108"
    assert batch.metadata is not None
    assert batch.metadata.author == "Lakeside Family Medicine LLC"
    assert batch.metadata.subject == "Patient statements"
    assert joined.metadata is not None
    assert joined.metadata.author == "Lakeside Family Medicine LLC"
    assert joined.metadata.subject == "Patient statements"
    assert len(joined.pages) == 2 * len(
        PdfReader(io.BytesIO(statement_pdf_bytes(_document(_figures())))).pages
    )


def test_password_protects_statement(tmp_path: Path) -> None:
    content = statement_pdf_bytes(_document(_figures()), password="09021984")
    path = _save(content, tmp_path)

    assert b"/Encrypt" in content
    assert b"A7QK-000042" not in content
    assert b"Laura Garcia" not in content
    locked = PdfReader(path)
    assert locked.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        locked.pages[0].extract_text()

    wrong = PdfReader(path)
    assert not wrong.decrypt("01011990")

    opened = PdfReader(path)
    assert opened.decrypt("09021984")
    text = "".join(page.extract_text() for page in opened.pages)
    assert "A7QK-000042" in text
    assert "$290.00" in text
    permissions = opened.user_access_permissions
    assert permissions is not None
    assert UserAccessPermissions.PRINT in permissions
    assert UserAccessPermissions.MODIFY not in permissions


def test_empty_password_rejected() -> None:
    with pytest.raises(ValueError, match="password is empty"):
        statement_pdf_bytes(_document(_figures()), password="")


def test_batch_of_three(tmp_path: Path) -> None:
    many_lines = tuple(
        _line(day, "Sofia Garcia", f"Therapy session {day}", "85.00", balance="85.00")
        for day in range(1, 31)
    )
    documents = [
        _document(_figures(account_number="A7QK-000001")),
        _document(_figures(account_number="A7QK-000002", lines=many_lines)),
        _document(_figures(account_number="A7QK-000003")),
    ]
    singles = [
        page_count(_save(statement_pdf_bytes(d), tmp_path, f"{n}.pdf"))
        for n, d in enumerate(documents)
    ]
    path = _save(batch_pdf_bytes(documents), tmp_path)
    pieces = placed_text(path)

    assert page_count(path) == sum(singles)
    assert singles[1] > 1
    first = 0
    for document, pages in zip(documents, singles, strict=True):
        number = document.figures.account_number
        for page in range(first, first + pages):
            assert f"Account {number}" in _joined(pieces, page), (number, page)
            assert f"Page {page - first + 1} of {pages}" in _joined(pieces, page)
        assert "Amount enclosed" in _joined(pieces, first)
        first += pages


def test_empty_batch_rejected() -> None:
    with pytest.raises(ValueError, match="at least one statement"):
        batch_pdf_bytes([])


def test_amount_wording() -> None:
    assert balance_text(Decimal("1234.5")) == "$1,234.50"
    assert balance_text(Decimal("-20.00")) == "Credit $20.00"
    assert balance_text(Decimal("0.00")) == "$0.00"
    assert change_text(Decimal("200.00")) == "+ $200.00"
    assert change_text(Decimal("-50.00")) == "\u2013 $50.00"
    assert change_text(Decimal("0.00")) == "$0.00"


def test_remit_lines_split_address() -> None:
    assert remit_lines("Lakeside", "1200 Lake Street, Suite 300, Evanston, IL 60201") == (
        "Lakeside",
        "1200 Lake Street",
        "Suite 300",
        "Evanston, IL 60201",
    )
    assert remit_lines("Lakeside", "9 Main St, Skokie, IL 60076") == (
        "Lakeside",
        "9 Main St",
        "Skokie, IL 60076",
    )
    assert remit_lines("Lakeside", "") == ("Lakeside",)


# --- statements drawn from real ledger figures --------------------------------------

DIAGNOSES = ("J069", "Z00129", "E119")


@pytest.fixture
def statements(database: Database) -> StatementPractice:
    return build_statement_practice(database)


def _ledger_document(
    database: Database, statements: StatementPractice, patient_id: uuid.UUID
) -> StatementDocument:
    """Return a document from the figures of the account `patient_id` is billed to."""
    with database.transaction() as session:
        account = account_for_patient(session, statements.biller, patient_id)
        figures = statement_figures(session, account.id, STATEMENT_DATE)
        header = billing_header(session)
    return _document(figures, header=header, plan_line=None)


def _add_diagnoses(database: Database, patient_ids: Sequence[uuid.UUID]) -> None:
    """Give every encounter of the patients diagnosis codes, which must never print."""
    with database.transaction() as session:
        encounters = session.scalars(
            select(Encounter).where(Encounter.patient_id.in_(patient_ids))
        ).all()
        for encounter in encounters:
            for position, code in enumerate(DIAGNOSES, 1):
                session.add(
                    EncounterDiagnosis(
                        encounter_id=encounter.id, position=position, code=code, edition="2026"
                    )
                )


def test_family_statement_from_ledger(
    database: Database, statements: StatementPractice, tmp_path: Path
) -> None:
    _add_diagnoses(database, statements.family)
    document = _ledger_document(database, statements, statements.sofia)
    path = _save(statement_pdf_bytes(document), tmp_path)
    text = _joined(placed_text(path))

    assert document.figures.amount_due == FAMILY_BALANCE
    assert "AMOUNT DUE NOW | $395.00" in text
    assert "Amount due | $395.00" in text
    assert "Balance | $395.00" in text
    assert "$110.00 | $95.00 | $20.00 | $120.00 | $50.00" in text
    assert "Laura Garcia | 48 Elm Street | Apt 2 | Evanston, IL 60201" in text
    for label in (
        "Office visit, established, level 4",
        "Well-child visit, age 1 to 4",
        "Vaccine administration",
        "Well-child visit, age 5 to 11",
    ):
        assert label in text, label
    for code in DIAGNOSES:
        assert code not in text, code
    assert "-$" not in text


def test_credit_statement_from_ledger(
    database: Database, statements: StatementPractice, tmp_path: Path
) -> None:
    document = _ledger_document(database, statements, statements.credit)
    text = _joined(placed_text(_save(statement_pdf_bytes(document), tmp_path)))

    assert "Credit balance $20.00 \u2014 nothing is due" in text
    assert "Balance | Credit $20.00" in text
    assert "Amount due | $0.00" in text
    assert "-$" not in text


def test_insured_statement_from_ledger(
    database: Database, statements: StatementPractice, tmp_path: Path
) -> None:
    document = _ledger_document(database, statements, statements.insured)
    text = _joined(placed_text(_save(statement_pdf_bytes(document), tmp_path)))

    assert "AMOUNT DUE NOW | $30.00" in text
    assert "Pending with insurance | $150.00" in text
    assert "Insurance pending $150.00" in text
    assert "-$" not in text
