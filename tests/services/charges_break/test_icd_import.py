"""Hostile ICD-10-CM order files: byte order marks, cut lines, shifted columns, repeats."""

import codecs
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import ValidationError
from app.models.charges import IcdCode, IcdEdition
from app.services import icd10
from app.services.icd10_import import import_icd_edition
from tests.helpers.charge_data import ChargePractice
from tests.helpers.icd10_data import order_line

FY2027 = (date(2026, 10, 1), date(2027, 9, 30))
GOOD_LINES = [
    order_line(1, "E11", False, "Type 2 diabetes mellitus"),
    order_line(2, "E119", True, "Type 2 diabetes mellitus without complications"),
    order_line(3, "I10", True, "Essential (primary) hypertension"),
]


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "icd10cm_order_2027.txt"
    path.write_bytes(data)
    return path


def import_file(database: Database, practice: ChargePractice, path: Path, name: str) -> None:
    with database.transaction() as session:
        import_icd_edition(session, practice.manager, path, name, *FY2027)


def stored_counts(database: Database) -> tuple[int, int]:
    with database.reading() as session:
        editions = session.scalar(select(func.count()).select_from(IcdEdition)) or 0
        codes = session.scalar(select(func.count()).select_from(IcdCode)) or 0
    return editions, codes


def test_file_with_bom_imported(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, codecs.BOM_UTF8 + "\n".join(GOOD_LINES).encode() + b"\n")

    import_file(database, practice, path, "FY2027")

    assert stored_counts(database) == (1, 3)
    with database.reading() as session:
        assert icd10.describe_code(session, "E11.9", date(2026, 11, 2)) is not None


def test_name_differing_in_case_rejected(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "\n".join(GOOD_LINES).encode() + b"\n")
    import_file(database, practice, path, "FY2027")

    with pytest.raises(ValidationError) as error:
        import_file(database, practice, path, " fy2027 ")

    assert [problem.field for problem in error.value.problems] == ["name"]
    assert stored_counts(database) == (1, 3)


@pytest.mark.parametrize(
    ("last_line", "expected"),
    [
        (GOOD_LINES[2][:40], "the line has 40 characters"),
        (GOOD_LINES[2].replace(" ", "\t", 1), "columns 6, 14, 16 and 77"),
        ("00003  I10    1 " + GOOD_LINES[2][16:], "I10 in columns 7-13"),
        (order_line(3, "\u0415119", True, "Look-alike letter"), "is not an ICD-10-CM code"),
        (order_line(3, "e119", True, "Lower case"), "is not an ICD-10-CM code"),
        (order_line(3, "E119", True, "Repeated code"), "already on line 2"),
    ],
)
def test_bad_last_line_writes_nothing(
    database: Database, practice: ChargePractice, tmp_path: Path, last_line: str, expected: str
) -> None:
    path = write(tmp_path, "\n".join([*GOOD_LINES[:2], last_line]).encode())

    with pytest.raises(ValidationError) as error:
        import_file(database, practice, path, "FY2027")

    messages = [problem.message for problem in error.value.problems]
    assert len(messages) == 1
    assert messages[0].startswith("Line 3:")
    assert expected in messages[0]
    assert stored_counts(database) == (0, 0)


def test_windows_1252_line_named(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    accented = order_line(3, "C841", True, "Sézary disease").encode("cp1252")
    path = write(tmp_path, "\n".join(GOOD_LINES[:2]).encode() + b"\n" + accented + b"\n")

    with pytest.raises(ValidationError) as error:
        import_file(database, practice, path, "FY2027")

    assert [problem.message[:7] for problem in error.value.problems] == ["Line 3:"]
    assert stored_counts(database) == (0, 0)
