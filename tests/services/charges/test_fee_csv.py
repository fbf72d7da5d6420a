"""Fee schedule CSV: preview classification, per-row errors, all-or-nothing import, export."""

import codecs
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.charges import FeeScheduleItem
from app.models.security import AuditEvent
from app.services import fee_csv, fee_schedules, procedure_codes
from app.services.fee_csv import FeeImportError, FeeImportPreview, ImportTarget, RowStatus
from app.services.fee_csv_rows import FeeFileError
from app.services.fee_schedules import FeeScheduleForm
from tests.helpers.fee_data import FeePractice, add_schedule, build_fee_practice

TODAY = date(2026, 3, 10)


@pytest.fixture
def practice(database: Database) -> FeePractice:
    practice = build_fee_practice(database)
    add_schedule(
        database, practice.manager, "Charges 2026", date(2026, 1, 1),
        prices={("99213", ""): "120.00", ("99214", ""): "180.00"},
    )  # fmt: skip
    return practice


def schedule_id(database: Database, name: str = "Charges 2026") -> uuid.UUID:
    with database.session() as session:
        schedule = fee_schedules.find_fee_schedule(session, name)
        assert schedule is not None
        return schedule.id


def write(tmp_path: Path, text: str, name: str = "fees.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def preview(
    database: Database, practice: FeePractice, path: Path, target: ImportTarget | None = None
) -> FeeImportPreview:
    chosen = target or ImportTarget(schedule_id=schedule_id(database))
    with database.session() as session:
        return fee_csv.preview_fee_import(session, practice.manager, path, chosen)


def item_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(FeeScheduleItem)) or 0


def statuses(result: FeeImportPreview) -> list[tuple[int, RowStatus]]:
    return [(row.row_number, row.status) for row in result.rows]


def test_preview_classifies_rows(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "code,description,fee\n"
        "99215,Office visit, est. level 5,150\n"  # unquoted comma: a field too many
        '99214,"Office visit, est. level 4",$190.00\n'
        '99213,"Office visit, est. level 3",120.00\n'
        "NOSHW,Missed appointment fee,$1,234.50\n",  # unquoted thousands comma
    )

    result = preview(database, practice, path)

    assert statuses(result) == [
        (2, RowStatus.ERROR),
        (3, RowStatus.CHANGED),
        (4, RowStatus.UNCHANGED),
        (5, RowStatus.ERROR),
    ]
    assert result.rows[1].change_text == "$180.00 → $190.00"
    assert "has 4 fields but the header has 3" in result.rows[0].problems[0].message
    assert not result.can_import


def test_new_code_row(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(tmp_path, 'code,description,fee\nJ7030,Saline infusion,"$1,234.50"\n')

    result = preview(database, practice, path)

    row = result.rows[0]
    assert row.status is RowStatus.NEW
    assert row.creates_code
    assert row.parsed.amount == Decimal("1234.50")
    assert row.change_text == "$1,234.50"
    assert result.can_import


def test_row_errors_name_cell(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Code,Description,Fee,Modifier,Units,Requires NDC,Kind\n"
        "9921,Short code,10,,,,\n"
        "99215,Office visit level 5,12;50,,,,\n"
        "99213,,10,2,0,maybe,dental\n",
    )

    result = preview(database, practice, path)
    texts = [problem.text for problem in result.problems()]

    assert texts[0].startswith("Row 2, column code: CPT code 9921 is invalid")
    assert texts[1].startswith("Row 3, column fee: Fee 12;50 is not an amount;")
    assert "such as 125.00 or $1,234.50" in texts[1]
    assert texts[2].startswith("Row 4, column kind: dental is not a kind;")
    assert texts[3].startswith("Row 4, column modifier: Modifier 2 is invalid")
    assert texts[4].startswith("Row 4, column units: 0 is not a number of units")
    assert texts[5].startswith("Row 4, column requires_ndc: maybe is not yes or no")
    assert len(texts) == 6
    assert [problem.value for problem in result.problems()][:2] == ["9921", "12;50"]


def test_missing_description_for_new_code(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,description,fee\n99215,,150\n99214,,185\n")

    result = preview(database, practice, path)

    assert statuses(result) == [(2, RowStatus.ERROR), (3, RowStatus.CHANGED)]
    assert result.rows[0].problems[0].column == "description"
    assert "not in Procedure codes yet" in result.rows[0].problems[0].message


def test_duplicate_rows_rejected(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "code,description,fee,modifier\n99213,A,1,\n99213,A,2,25\n99213,A,3,\n",
    )

    result = preview(database, practice, path)

    assert statuses(result) == [
        (2, RowStatus.CHANGED),
        (3, RowStatus.NEW),
        (4, RowStatus.ERROR),
    ]
    assert result.rows[2].problems[0].message.startswith("99213 is also on row 2;")


def test_bom_semicolons_blank_lines(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    text = "code;description;fee\r\n\r\n99214;Office visit, est. level 4;180,00\r\n\r\n"
    text += "99213;Office visit;121.00\r\n\r\n"
    path = tmp_path / "excel.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))

    result = preview(database, practice, path)

    assert result.encoding == "utf-8-sig"
    assert result.delimiter == ";"
    # 180,00 uses a decimal comma, which to_money rejects rather than reading 18000.
    assert statuses(result) == [(3, RowStatus.ERROR), (5, RowStatus.CHANGED)]


def test_missing_column_rejected(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(tmp_path, "code,label,price\n99213,Visit,10\n")

    with pytest.raises(FeeFileError, match="has no description column"):
        preview(database, practice, path)


def test_header_aliases_and_ignored(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "Procedure Code,Description,Amount,Notes\n99213,Visit,125,new price\n")

    result = preview(database, practice, path)

    assert result.ignored_columns == ("Notes",)
    assert result.rows[0].status is RowStatus.CHANGED


def test_error_writes_nothing(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(tmp_path, "code,description,fee\nJ7030,Saline,5\n99213,Visit,abc\n")
    result = preview(database, practice, path)
    before = item_count(database)

    with database.transaction() as session, pytest.raises(FeeImportError, match="nothing"):
        fee_csv.apply_fee_import(session, practice.manager, result, TODAY)

    assert item_count(database) == before
    with database.session() as session:
        assert procedure_codes.find_procedure_code(session, "J7030") is None


def test_import_writes_and_creates_codes(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "code,description,fee,modifier,units,requires_ndc,kind\n"
        "99213,Ignored label,130.00,,,,\n"
        "99213,,110.00,25,,,\n"
        "J7030,Saline infusion,5.25,,2,yes,\n"
        "99214,,180.00,,,,\n",
        name="payer-2026.csv",
    )
    result = preview(database, practice, path)

    with database.transaction() as session:
        outcome = fee_csv.apply_fee_import(session, practice.manager, result, TODAY)

    assert (outcome.added, outcome.changed, outcome.unchanged) == (2, 1, 1)
    assert outcome.codes_created == 1
    with database.session() as session:
        day = date(2026, 4, 1)
        assert fee_schedules.fee_for(session, "99213", [], day) == Decimal("130.00")
        assert fee_schedules.fee_for(session, "99213", ["25"], day) == Decimal("110.00")
        assert fee_schedules.fee_for(session, "J7030", [], day) == Decimal("5.25")
        saline = procedure_codes.find_procedure_code(session, "J7030")
        assert saline is not None
        assert saline.source == "fee schedule import payer-2026.csv 2026-03-10"
        assert (saline.kind, saline.default_units, saline.requires_ndc) == ("hcpcs", 2, True)
        visit = procedure_codes.find_procedure_code(session, "99213")
        assert visit is not None
        assert visit.description == "Office visit, est. level 3"
        imports = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "import")
        ).all()
        assert imports[0] == "4 rows: 2 added, 1 changed, 1 unchanged, 1 procedure codes created"


def test_import_into_new_schedule(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,description,fee\n99213,Visit,88.10\n")
    form = FeeScheduleForm("Aetna 2026", "allowed", practice.aetna_id, date(2026, 1, 1))
    result = preview(database, practice, path, ImportTarget(new_schedule=form))

    assert result.schedule_name == "Aetna 2026"
    assert result.rows[0].status is RowStatus.NEW
    with database.transaction() as session:
        outcome = fee_csv.apply_fee_import(session, practice.manager, result, TODAY)

    with database.session() as session:
        allowed = fee_schedules.allowed_for(
            session, practice.aetna_id, "99213", [], date(2026, 5, 1)
        )
    assert allowed == Decimal("88.10")
    assert outcome.added == 1


def test_new_schedule_overlap_blocks(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,description,fee\n99213,Visit,88.10\n")
    form = FeeScheduleForm("Charges mid 2026", "practice", None, date(2026, 6, 1))
    result = preview(database, practice, path, ImportTarget(new_schedule=form))

    assert not result.can_import
    assert "overlaps Charges 2026" in result.schedule_problems[0].message
    with database.transaction() as session, pytest.raises(FeeImportError, match="invalid"):
        fee_csv.apply_fee_import(session, practice.manager, result, TODAY)
    with database.session() as session:
        assert fee_schedules.find_fee_schedule(session, "Charges mid 2026") is None


def test_archived_code_noted(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    with database.transaction() as session:
        row = procedure_codes.find_procedure_code(session, "J1100")
        assert row is not None
        procedure_codes.archive_procedure_code(session, practice.manager, row.id)
    path = write(tmp_path, "code,description,fee\nJ1100,,4.50\n")

    result = preview(database, practice, path)

    assert result.rows[0].status is RowStatus.NEW
    assert not result.rows[0].creates_code
    assert "archived in Procedure codes" in result.rows[0].notes[0]


def test_export_import_round_trip(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    charges_id = schedule_id(database)
    with database.transaction() as session:
        form = procedure_codes.ProcedureCodeForm(code="EQ1", description="=SUM(A1) supplies")
        procedure_codes.save_procedure_code(session, practice.manager, form)
        for code, modifier, amount in (("EQ1", "", "12.00"), ("99213", "25", "99.99")):
            item = fee_schedules.FeeItemForm(charges_id, code, modifier, amount)
            fee_schedules.save_fee_item(session, practice.manager, item).raise_if_rejected()
    path = tmp_path / "export.csv"

    with database.transaction() as session:
        count = fee_csv.export_fee_schedule(session, practice.manager, charges_id, path)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert count == 4
    assert lines[0] == "code,description,fee,modifier,units,requires_ndc,kind"
    assert lines[1] == '99213,"Office visit, est. level 3",120.00,,1,no,cpt'
    assert lines[2] == '99213,"Office visit, est. level 3",99.99,25,1,no,cpt'
    assert lines[4] == "EQ1,'=SUM(A1) supplies,12.00,,1,no,practice"

    again = preview(database, practice, path)
    assert [row.status for row in again.rows] == [RowStatus.UNCHANGED] * 4
    assert again.rows[3].parsed.description == "=SUM(A1) supplies"


def test_round_trip_into_empty_schedule(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    charges_id = schedule_id(database)
    path = tmp_path / "export.csv"
    with database.transaction() as session:
        fee_csv.export_fee_schedule(session, practice.manager, charges_id, path)
    form = FeeScheduleForm("Copy", "allowed", practice.cigna_id, date(2026, 1, 1))
    result = preview(database, practice, path, ImportTarget(new_schedule=form))

    with database.transaction() as session:
        outcome = fee_csv.apply_fee_import(session, practice.manager, result, TODAY)
    with database.session() as session:
        copied = fee_schedules.list_fee_items(session, practice.manager, outcome.schedule_id)
        original = fee_schedules.list_fee_items(session, practice.manager, charges_id)

    assert [(i.procedure_code, i.modifier, i.amount) for i in copied] == [
        (i.procedure_code, i.modifier, i.amount) for i in original
    ]


def test_biller_cannot_preview(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(tmp_path, "code,description,fee\n99213,Visit,1\n")
    target = ImportTarget(schedule_id=schedule_id(database))

    with database.session() as session, pytest.raises(PermissionDeniedError):
        fee_csv.preview_fee_import(session, practice.biller, path, target)


def test_empty_file_rejected(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write(tmp_path, "")

    with pytest.raises(FeeFileError, match="empty"):
        preview(database, practice, path)


def test_header_only_cannot_import(
    database: Database, practice: FeePractice, tmp_path: Path
) -> None:
    result = preview(database, practice, write(tmp_path, "code,description,fee\n\n"))

    assert result.rows == ()
    assert not result.can_import
