"""Money PDFs written to a path the file system rejects."""

from decimal import Decimal
from pathlib import Path

import pytest

from app.db.database import Database
from app.errors import FileWriteError
from app.services.day_close import write_day_sheet_pdf
from app.services.payments import PaymentForm, take_payment, write_receipt_pdf
from app.services.today import practice_today
from tests.services.payments_desk.desk_data import DeskPractice

# Longer than the 255 bytes most file systems allow in one name.
LONG_NAME = "receipt-" + "x" * 300 + ".pdf"


def test_receipt_name_too_long(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    folder = tmp_path / "receipts"
    folder.mkdir()
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal("10.00"), method="cash")
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    assert outcome.record_id is not None

    with (
        pytest.raises(FileWriteError, match="the name is too long"),
        database.transaction() as session,
    ):
        write_receipt_pdf(session, desk.desk, outcome.record_id, folder / LONG_NAME)

    assert list(folder.iterdir()) == []


def test_day_sheet_name_too_long(database: Database, desk: DeskPractice, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    folder.mkdir()
    with database.reading() as session:
        today = practice_today(session)

    with (
        pytest.raises(FileWriteError, match="Choose another folder or file name"),
        database.transaction() as session,
    ):
        write_day_sheet_pdf(session, desk.desk, today, None, folder / LONG_NAME)

    assert list(folder.iterdir()) == []
