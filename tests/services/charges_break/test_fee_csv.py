"""Hostile fee schedule files: formulas, encodings, delimiters, size, repeats and garbage."""

import csv
import random
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.charges import FeeScheduleItem, ProcedureCode
from app.services import fee_csv, fee_schedules
from app.services.fee_csv import FeeImportPreview, ImportTarget, RowStatus
from app.services.fee_csv_rows import MAX_FILE_BYTES
from app.services.fee_schedules import FeeScheduleForm
from tests.helpers.charge_data import ChargePractice


def write(tmp_path: Path, data: str | bytes, name: str = "fees.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def schedule_2026(database: Database) -> uuid.UUID:
    with database.reading() as session:
        schedule = fee_schedules.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        return schedule.id


def preview(
    database: Database, practice: ChargePractice, path: Path, target: ImportTarget | None = None
) -> FeeImportPreview:
    chosen = target or ImportTarget(schedule_id=schedule_2026(database))
    with database.reading() as session:
        return fee_csv.preview_fee_import(session, practice.manager, path, chosen)


def row_count(database: Database, model: type[FeeScheduleItem] | type[ProcedureCode]) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def new_schedule(name: str, starts: date, ends: date | None) -> ImportTarget:
    return ImportTarget(new_schedule=FeeScheduleForm(name, "practice", None, starts, ends))


@pytest.mark.parametrize("code", ["=1+1", "+99213", "-99213", "@SUM(A1)", '=HYPERLINK("x")'])
def test_formula_code_rejected(
    database: Database, practice: ChargePractice, tmp_path: Path, code: str
) -> None:
    path = write(
        tmp_path, f'code,description,fee\n"{code.replace(chr(34), chr(34) * 2)}",Visit,10\n'
    )

    found = preview(database, practice, path)

    assert found.count(RowStatus.ERROR) == 1
    assert not found.can_import


def test_formula_description_escaped_on_export(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    payload = "=cmd|' /C calc'!A0"
    path = write(tmp_path, f'code,description,fee\nX0001,"{payload}",10\n')
    with database.transaction() as session:
        found = fee_csv.preview_fee_import(
            session, practice.manager, path, ImportTarget(schedule_id=schedule_2026(database))
        )
        fee_csv.apply_fee_import(session, practice.manager, found)
    exported = tmp_path / "out.csv"

    with database.transaction() as session:
        fee_csv.export_fee_schedule(session, practice.manager, schedule_2026(database), exported)
    reread = preview(database, practice, exported)

    with exported.open(encoding="utf-8", newline="") as handle:
        cells = {row[0]: row[1] for row in csv.reader(handle)}
    assert cells["X0001"] == "'" + payload
    assert [row.parsed.description for row in reread.rows if row.parsed.code == "X0001"] == [
        payload
    ]


def test_utf16_tab_file_read(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    text = "code\tdescription\tfee\n99213\tVisit\t125.00\nX0002\tSérum test\t9.50\n"
    path = write(tmp_path, text.encode("utf-16"))

    found = preview(database, practice, path)

    assert found.encoding == "utf-16"
    assert found.delimiter == "\t"
    assert [row.status for row in found.rows] == [RowStatus.CHANGED, RowStatus.NEW]
    assert found.rows[1].parsed.description == "Sérum test"


def test_mixed_delimiters_named(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,description,fee\n99213;Visit;125\n99214,Visit,180\n")

    found = preview(database, practice, path)

    assert found.rows[0].status is RowStatus.ERROR
    assert "1 fields but the header has 3" in found.problems()[0].message
    assert found.rows[1].status is RowStatus.CHANGED
    assert not found.can_import


def test_repeated_code_after_normalizing(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "code,description,fee,modifier\nx0003,Test,125,25\n X0003 ,Test,126, 25\n"
    )

    found = preview(database, practice, path)

    assert [row.status for row in found.rows] == [RowStatus.NEW, RowStatus.ERROR]
    assert "also on row 2" in found.problems()[0].message


@pytest.mark.parametrize("fee", ["1e3", "1.234,50", "-5", "12.5.0", "NaN", "1000000.00"])
def test_bad_fee_text_rejected(
    database: Database, practice: ChargePractice, tmp_path: Path, fee: str
) -> None:
    path = write(tmp_path, f'code,description,fee\n99213,Visit,"{fee}"\n')

    found = preview(database, practice, path)

    assert [problem.column for problem in found.problems()] == ["fee"]


@pytest.mark.parametrize("data", [b"", b"   \n\n  \n", b"\xef\xbb\xbf"])
def test_empty_files_rejected(
    database: Database, practice: ChargePractice, tmp_path: Path, data: bytes
) -> None:
    path = write(tmp_path, data)

    with pytest.raises(UserError):
        preview(database, practice, path)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_rejected(
    database: Database, practice: ChargePractice, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    garbage = bytes(rng.randrange(1, 256) for _ in range(20_000))
    path = write(tmp_path, garbage)
    items = row_count(database, FeeScheduleItem)

    with pytest.raises(UserError):
        preview(database, practice, path)

    assert row_count(database, FeeScheduleItem) == items


def test_file_past_size_limit(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    path = write(
        tmp_path, b"code,description,fee\n" + b"99213,Visit,125\n" * (MAX_FILE_BYTES // 16)
    )

    with pytest.raises(UserError, match="more than the"):
        preview(database, practice, path)


def test_hundred_thousand_rows_previewed(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    rows = [f"{number:05d},Label {number},{number % 500}.25" for number in range(100_000)]
    path = write(tmp_path, "code,description,fee\n" + "\n".join(rows) + "\n")
    target = new_schedule("Every code", date(2024, 1, 1), date(2024, 12, 31))

    found = preview(database, practice, path, target)

    assert len(found.rows) == 100_000
    assert found.count(RowStatus.NEW) == 100_000
    assert found.can_import
    assert found.codes_to_create == 99_997


def test_overlapping_imports_second_fails(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,description,fee\n99213,Visit,99\n")
    year = new_schedule("Promo A", date(2024, 1, 1), date(2024, 12, 31))
    june = new_schedule("Promo B", date(2024, 6, 1), date(2024, 6, 30))
    first = preview(database, practice, path, year)
    second = preview(database, practice, path, june)
    with database.transaction() as session:
        fee_csv.apply_fee_import(session, practice.manager, first)
    items = row_count(database, FeeScheduleItem)

    with pytest.raises(ValidationError, match="overlaps"), database.transaction() as session:
        fee_csv.apply_fee_import(session, practice.manager, second)

    assert first.can_import
    assert second.can_import
    assert row_count(database, FeeScheduleItem) == items
    with database.reading() as session:
        assert fee_schedules.find_fee_schedule(session, "Promo B") is None
        assert fee_schedules.fee_for(session, "99213", [], date(2024, 6, 15)) == Decimal("99.00")
