"""The `import csv` command: dry run, JSON output, import and re-import."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logging_setup import stop_logging
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.test_cli import INIT_FLAGS, _run

ROWS = (
    "Chart,FNAME,LNAME,Birth Date,Gender,Cell",
    "7,Ana,Ruiz,03/14/1980,F,(847) 555-0142",
    "8,Bo,Lee,31/02/1980,M,",
    "9,Cy,Diaz,1975-07-04,U,",
)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _out, err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS)
    assert code == 0, err
    return db_path


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def _import(capsys: pytest.CaptureFixture[str], db: Path, *options: str) -> tuple[int, str, str]:
    return _run(capsys, "--db", str(db), "--user", "admin", "import", "csv", *options)


def _patients(capsys: pytest.CaptureFixture[str], db: Path) -> int:
    code, out, err = _run(capsys, "--db", str(db), "--json", "info")
    assert code == 0, err
    return int(json.loads(out)["patients"])


def test_dry_run_lists_errors(
    practice: Path, csv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _import(capsys, practice, str(csv_path), "--source", "OldPM", "--dry-run")

    assert code == 1
    assert "3 rows" in out
    assert "2 new, 0 updates, 1 with errors" in out
    assert "error: Row 3, column Birth Date: 31/02/1980 is not a date;" in out
    assert "Dry run: nothing was saved." in out
    assert _patients(capsys, practice) == 0


def test_json_import_and_reimport(
    practice: Path, csv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _import(capsys, practice, str(csv_path), "--source", "OldPM", "--json")

    data = json.loads(out)
    assert code == 1
    assert data["ok"] is False
    assert (data["created"], data["skipped"]) == (2, 1)
    assert data["problems"][0]["row"] == 3
    assert data["problems"][0]["column"] == "Birth Date"
    assert data["mapping"]["first_name"] == "FNAME"
    assert _patients(capsys, practice) == 2

    _code, out, _err = _import(capsys, practice, str(csv_path), "--source", "OldPM", "--json")

    again = json.loads(out)
    assert (again["updates"], again["updated"], again["created"]) == (2, 2, 0)
    assert _patients(capsys, practice) == 2


def test_all_or_nothing(practice: Path, csv_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _import(
        capsys, practice, str(csv_path), "--source", "OldPM", "--all-or-nothing"
    )

    assert code == 1
    assert "nothing was imported (all or nothing)" in err
    assert _patients(capsys, practice) == 0


def test_mapping_file(
    practice: Path, csv_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"first_name": "FNAME", "last_name": "LNAME"}))

    code, out, _err = _import(
        capsys, practice, str(csv_path), "--source", "OldPM", "--mapping", str(mapping),
        "--dry-run", "--json",
    )  # fmt: skip

    data = json.loads(out)
    assert code == 1
    assert data["mapping"] == {"first_name": "FNAME", "last_name": "LNAME"}
    # Without a date of birth or sex column, every row fails the registration check.
    assert data["errors"] == 3


def test_missing_file(practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _import(capsys, practice, str(tmp_path / "nope.csv"), "--source", "X")

    assert code == 1
    assert "does not exist" in err


@pytest.mark.parametrize("path", ["", "   "])
def test_empty_path_rejected(practice: Path, capsys: pytest.CaptureFixture[str], path: str) -> None:
    code, _out, err = _import(capsys, practice, path, "--source", "X")

    assert code == 1
    assert err.strip() == (
        "clinicdesk: error: The CSV path is empty; give the file or folder to import."
    )
    assert _patients(capsys, practice) == 0


def test_json_dry_run_lists_row_plan(
    practice: Path, csv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _import(
        capsys, practice, str(csv_path), "--source", "OldPM", "--dry-run", "--json"
    )

    plan = json.loads(out)["plan"]
    assert code == 1
    assert [(row["row"], row["action"]) for row in plan] == [
        (2, "create"),
        (3, "skip"),
        (4, "create"),
    ]
    assert plan[0]["problems"] == []
    assert plan[1]["problems"][0]["column"] == "Birth Date"
    assert plan[1]["problems"][0]["severity"] == "error"
    assert plan[1]["likely_duplicate"] is False
    assert _patients(capsys, practice) == 0
