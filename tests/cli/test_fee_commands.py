"""The `fees import` and `fees export` commands, called as the parser will call them."""

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.common import EXIT_OK, EXIT_USER_ERROR
from app.cli.fee_commands import cmd_fees_export, cmd_fees_import
from app.errors import UserError
from app.logging_setup import stop_logging
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.test_cli import INIT_FLAGS, _run

ROWS = (
    "code,description,fee,modifier",
    '99213,"Office visit, est. level 3",120.00,',
    "99213,,110.00,25",
    'J7030,Saline infusion,"$1,234.50",',
)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A practice database set up by the `init` command."""
    code, _out, err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS)
    assert code == 0, err
    return db_path


@pytest.fixture
def fee_file(tmp_path: Path) -> Path:
    path = tmp_path / "fees.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def import_args(db: Path, path: Path, schedule: str, **options: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "db": str(db),
        "user": "admin",
        "json": False,
        "path": str(path),
        "schedule": schedule,
        "dry_run": False,
        "effective_from": None,
        "effective_to": None,
        "payer": None,
    }
    values.update(options)
    return argparse.Namespace(**values)


def test_dry_run_writes_nothing(practice: Path, fee_file: Path) -> None:
    args = import_args(practice, fee_file, "Charges 2026", effective_from="2026-01-01")

    outcome = cmd_fees_import(argparse.Namespace(**{**vars(args), "dry_run": True}))

    assert outcome.code == EXIT_OK
    assert outcome.data["new"] == 3
    assert outcome.data["codes_to_create"] == 2
    assert outcome.text[-1] == "Dry run: nothing was saved."
    with pytest.raises(UserError, match="No fee schedule is named 'Charges 2026'"):
        cmd_fees_import(import_args(practice, fee_file, "Charges 2026"))


def test_import_then_reimport(practice: Path, fee_file: Path) -> None:
    first = cmd_fees_import(
        import_args(practice, fee_file, "Charges 2026", effective_from="2026-01-01")
    )
    again = cmd_fees_import(import_args(practice, fee_file, "charges 2026"))

    assert first.data["imported"] == {
        "added": 3,
        "changed": 0,
        "unchanged": 0,
        "codes_created": 2,
    }
    assert first.data["new_schedule"] is True
    assert again.data["unchanged"] == 3
    assert again.data["new_schedule"] is False
    assert "Imported into Charges 2026: 0 prices added" in again.text[-1]


def test_errors_exit_one(practice: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,description,fee\n99213,Visit,12;50\n99214,Visit 4,150\n")

    outcome = cmd_fees_import(
        import_args(practice, path, "Charges 2026", effective_from="2026-01-01")
    )

    assert outcome.code == EXIT_USER_ERROR
    assert "imported" not in outcome.data
    assert outcome.data["problems"][0] == {
        "row": 2,
        "column": "fee",
        "value": "12;50",
        "message": outcome.data["problems"][0]["message"],
    }
    assert "error: Row 2, column fee: Fee 12;50 is not an amount;" in "\n".join(outcome.text)
    assert outcome.text[-1].startswith("Nothing was imported (all or nothing)")
    with pytest.raises(UserError, match="No fee schedule is named"):
        cmd_fees_import(import_args(practice, path, "Charges 2026", dry_run=True))


def test_payer_schedule_and_export(practice: Path, fee_file: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="No active payer is named 'Acme'"):
        cmd_fees_import(
            import_args(practice, fee_file, "Acme", effective_from="2026-01-01", payer="Acme")
        )
    cmd_fees_import(import_args(practice, fee_file, "Charges", effective_from="2026-01-01"))
    target = tmp_path / "out.csv"

    outcome = cmd_fees_export(
        argparse.Namespace(db=str(practice), user="admin", path=str(target), schedule="CHARGES")
    )

    assert outcome.data["rows"] == 3
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,description,fee,modifier,units,requires_ndc,kind"
    assert lines[3] == "J7030,Saline infusion,1234.50,,1,no,hcpcs"
    back = cmd_fees_import(import_args(practice, target, "Charges"))
    assert back.data["unchanged"] == 3


def test_options_for_existing_schedule(practice: Path, fee_file: Path) -> None:
    cmd_fees_import(import_args(practice, fee_file, "Charges", effective_from="2026-01-01"))

    with pytest.raises(UserError, match="exists already"):
        cmd_fees_import(import_args(practice, fee_file, "Charges", effective_from="2027-01-01"))


def test_bad_date_rejected(practice: Path, fee_file: Path) -> None:
    with pytest.raises(UserError, match="is not a date"):
        cmd_fees_import(import_args(practice, fee_file, "New", effective_from="01/01/2026"))


def test_export_unknown_schedule(practice: Path, tmp_path: Path) -> None:
    args = argparse.Namespace(
        db=str(practice), user="admin", path=str(tmp_path / "x.csv"), schedule="Nope"
    )

    with pytest.raises(UserError, match="No fee schedule is named 'Nope'"):
        cmd_fees_export(args)
