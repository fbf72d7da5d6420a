"""The `clinicdesk import fhir` command: JSON report, exit codes, re-import."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import cli
from app.logging_setup import stop_logging
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.test_cli import INIT_FLAGS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "fhir" / "synthea-roland-batch.json"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert cli.main(["--db", str(db_path), "init", *INIT_FLAGS]) == 0
    capsys.readouterr()
    return db_path


def _import(practice: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    argv = ["--db", str(practice), "--user", "admin", "--json", "import", "fhir", *extra]
    code = cli.main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_import_fhir_json_report(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, document = _import(practice, capsys, str(SAMPLE))

    assert code == 0
    assert document["ok"] is True
    assert document["totals"]["Patient"] == {"imported": 1}
    assert document["totals"]["Encounter"] == {"imported": 13}
    assert document["files"] == [{"file": SAMPLE.name, "ok": True, "message": ""}]


def test_import_fhir_twice_unchanged(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(practice, capsys, str(SAMPLE))
    code, document = _import(practice, capsys, str(SAMPLE))

    assert code == 0
    assert document["totals"]["Patient"] == {"unchanged": 1}


def test_import_fhir_bad_file_exit_1(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "observation.json"
    bad.write_text('{"resourceType": "Observation"}')

    code, document = _import(practice, capsys, str(bad))

    assert code == 1
    assert document["ok"] is False
    assert "observation.json is not a FHIR Bundle" in document["files"][0]["message"]


def test_import_fhir_writes_csv(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"

    code, _document = _import(practice, capsys, str(SAMPLE), "--report", str(report))

    assert code == 0
    assert report.read_text().count("\n") > 1


def _import_text(
    practice: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    code = cli.main(["--db", str(practice), "--user", "admin", "import", "fhir", *extra])
    return code, capsys.readouterr().err


def test_import_fhir_empty_path_rejected(
    practice: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _import_text(practice, capsys, "")

    assert code == 1
    assert err.strip() == (
        "clinicdesk: error: The FHIR path is empty; give the file or folder to import."
    )


def test_import_fhir_bad_report_imports_nothing(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    reports = [tmp_path / "missing" / "report.csv", tmp_path / "afile" / "r.csv", tmp_path]

    for report in reports:
        code, err = _import_text(practice, capsys, str(SAMPLE), "--report", str(report))

        assert code == 1, report
        assert err.count("\n") == 1, err
        assert err.startswith(f"clinicdesk: error: Could not write {report}: "), err
    assert not (tmp_path / "missing").exists()
    # Nothing was committed, so the next import still imports the patient.
    code, document = _import(practice, capsys, str(SAMPLE))
    assert code == 0
    assert document["totals"]["Patient"] == {"imported": 1}
