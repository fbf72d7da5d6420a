"""Remark code files as practices save them: UTF-16 exports, broken quotes, huge lists."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.models.payments import RemarkCode
from app.services import remark_codes
from app.services.remark_codes import parse_remark_file
from tests.helpers.era_data import EraPractice

# Made-up wording: the real lists may not be copied into the repository.
HEADER = "Code,Description\n"


def messages(data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        parse_remark_file(data, "codes.csv")
    return [problem.message for problem in raised.value.problems]


def test_excel_unicode_text_export() -> None:
    text = "Code\tDescription\r\n45\tSample wording 45\r\nN130\tSample — wording\r\n"

    codes = parse_remark_file(text.encode("utf-16"), "codes.txt")

    assert codes == {"45": "Sample wording 45", "N130": "Sample — wording"}


def test_utf16_with_commas() -> None:
    data = (HEADER + "B7,Sample wording B7\n").encode("utf-16-be")

    assert parse_remark_file(b"\xfe\xff" + data, "codes.csv") == {"B7": "Sample wording B7"}


def test_unclosed_quote_does_not_swallow_codes() -> None:
    found = messages(b'45,"Sample wording\n46,Other wording\n')

    assert len(found) == 1
    assert found[0].startswith("Line 2: codes.csv stops being readable as CSV")


def test_cell_past_reader_limit_is_a_problem() -> None:
    found = messages(b"45," + b"x" * 200_000 + b"\n")

    assert found[0].startswith("Line 1: codes.csv stops being readable as CSV")


def test_header_only_and_duplicates() -> None:
    assert "contains no codes" in messages(HEADER.encode())[0]
    assert messages(b"45,a\n45,a\n") == [
        "Line 2: code 45 is already on line 1; each code may appear once."
    ]


def test_ten_thousand_codes_replace_the_list(
    new_practice: Callable[[], EraPractice], tmp_path: Path
) -> None:
    practice = new_practice()
    rows = "".join(f"X{number:04d},Sample wording {number}\n" for number in range(10_000))
    path = tmp_path / "rarc.csv"
    path.write_text(HEADER + rows, encoding="cp1252")

    with practice.database.transaction() as session:
        remark_codes.import_remark_codes(session, practice.admin, path, "rarc")

    with practice.database.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(RemarkCode).where(RemarkCode.kind == "rarc")
        )
    assert count == 10_000
