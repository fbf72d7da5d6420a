"""Writing export files: complete or absent, owner-only, and a clear error for a bad path."""

import csv
import os
from pathlib import Path

import pytest

from app.csv_safety import safe_cell, safe_row
from app.errors import FileWriteError, UserError
from app.files import check_target, write_atomically
from app.services import csv_plan, fhir_report
from app.services.csv_plan import RowOutcome, RowResult
from app.services.fhir_report import FileResult, ReportRow


def _write_text(target: Path) -> None:
    target.write_text("content\n", encoding="utf-8")


def _bad_targets(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Return (path, expected reason) for each kind of path that cannot be written."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    return {
        "missing folder": (
            tmp_path / "no" / "such" / "out.pdf",
            f"the folder {tmp_path / 'no' / 'such'} does not exist",
        ),
        "parent is a file": (
            tmp_path / "afile" / "out.pdf",
            f"{tmp_path / 'afile'} is a file, not a folder",
        ),
        "target is a folder": (tmp_path / "adir", f"{tmp_path / 'adir'} is a folder"),
    }


def test_write_atomically_bad_targets(tmp_path: Path) -> None:
    for name, (target, reason) in _bad_targets(tmp_path).items():
        before = sorted(tmp_path.rglob("*"))

        with pytest.raises(FileWriteError) as raised:
            write_atomically(target, _write_text)

        message = str(raised.value)
        assert (
            message == f"Could not write {target}: {reason}. Choose another folder or file name."
        ), name
        assert isinstance(raised.value, UserError), name
        assert sorted(tmp_path.rglob("*")) == before, f"{name}: files left behind"


def test_check_target_accepts_new_file(tmp_path: Path) -> None:
    check_target(tmp_path / "new.csv")


def test_write_atomically_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    write_atomically(target, _write_text)

    assert target.read_text(encoding="utf-8") == "content\n"
    assert target.stat().st_mode & 0o077 == 0
    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]


def test_write_atomically_os_error_becomes_user_error(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    def fail(_target: Path) -> None:
        raise OSError(28, os.strerror(28))

    with pytest.raises(FileWriteError, match=f"Could not write {target}: the disk is full"):
        write_atomically(target, fail)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://example.com";"x")', '\'=HYPERLINK("http://example.com";"x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ruiz, Ana", "Ruiz, Ana"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_safe_row_keeps_order() -> None:
    assert safe_row(["=1", "ok", None]) == ["'=1", "ok", ""]


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_import_report_neutralizes_formulas(tmp_path: Path) -> None:
    report = csv_plan.ImportReport(
        (
            RowOutcome(2, RowResult.FAILED, external_id="=HYPERLINK(1)", message="+bad"),
            RowOutcome(3, RowResult.CREATED, external_id="@A1", chart_number="K7Q-000001"),
        )
    )
    target = tmp_path / "report.csv"

    csv_plan.write_report_csv(report, target)

    rows = _csv_rows(target)
    assert rows[1] == ["2", "failed", "", "'=HYPERLINK(1)", "'+bad"]
    assert rows[2] == ["3", "created", "K7Q-000001", "'@A1", ""]
    assert target.stat().st_mode & 0o077 == 0
    assert [path.name for path in tmp_path.iterdir()] == ["report.csv"]


def test_csv_import_report_bad_folder(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.csv"

    with pytest.raises(FileWriteError, match="does not exist"):
        csv_plan.write_report_csv(csv_plan.ImportReport(()), target)
    assert not target.parent.exists()


def test_fhir_report_neutralizes_formulas(tmp_path: Path) -> None:
    report = fhir_report.ImportReport(
        rows=[ReportRow("a.json", "Patient", "=1+2", "skipped", "-reason")],
        files=[FileResult("=b.json", ok=False, message="@broken")],
    )
    target = tmp_path / "report.csv"

    fhir_report.write_report_csv(report, target)

    rows = _csv_rows(target)
    assert rows[1] == ["a.json", "Patient", "'=1+2", "skipped", "'-reason"]
    assert rows[2] == ["'=b.json", "", "", "failed", "'@broken"]


def test_fhir_report_missing_folder_not_created(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.csv"

    with pytest.raises(FileWriteError, match="does not exist"):
        fhir_report.write_report_csv(fhir_report.ImportReport(), target)
    assert not target.parent.exists()
