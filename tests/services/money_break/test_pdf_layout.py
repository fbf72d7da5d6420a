"""Long words in the money PDFs stay inside their column."""

import uuid
from decimal import Decimal
from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]

from app.db.database import Database
from app.pdf.common import CONTENT_WIDTH, MARGIN, REGULAR, fit_lines
from app.pdf.receipt import HALF_WIDTH
from app.services.payments import PaymentForm, take_payment, write_receipt_pdf
from tests.helpers.pdf_text import placed_text
from tests.services.payments_desk.desk_data import DeskPractice

# A reference typed without spaces, longer than any column is wide.
LONG_WORD = "REF" + "0A1B2C3D4E" * 12


def test_long_word_wrapped() -> None:
    lines = fit_lines(f"Memo {LONG_WORD}", REGULAR, 9, 170, 3)

    assert len(lines) == 3
    for line in lines:
        assert stringWidth(line, REGULAR, 9) <= 170
    assert lines[-1].endswith("\u2026")


def test_long_word_fits_lines() -> None:
    lines = fit_lines(LONG_WORD, REGULAR, 9, CONTENT_WIDTH, 5)

    assert "".join(lines) == LONG_WORD
    for line in lines:
        assert stringWidth(line, REGULAR, 9) <= CONTENT_WIDTH


def _receipt(database: Database, desk: DeskPractice, path: Path) -> uuid.UUID:
    form = PaymentForm(
        patient_id=desk.nguyen, amount=Decimal("10.00"), method="cash", memo=LONG_WORD
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
        outcome.raise_if_rejected()
        assert outcome.record_id is not None
        write_receipt_pdf(session, desk.desk, outcome.record_id, path)
    return outcome.record_id


def test_receipt_memo_in_column(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    path = tmp_path / "receipt.pdf"
    _receipt(database, desk, path)

    memo_runs = [
        run
        for run in placed_text(path)
        if run.text.rstrip("\u2026") in LONG_WORD and len(run.text) > 8
    ]
    assert len(memo_runs) == 2
    for run in memo_runs:
        assert run.x + stringWidth(run.text, REGULAR, 9) <= MARGIN + HALF_WIDTH
    assert memo_runs[0].text.startswith("REF")
    assert memo_runs[1].text.endswith("\u2026")
