"""The `clinicdesk statements` commands: preview, run and history on a real database."""

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app import cli
from app.db.database import Database
from app.logging_setup import stop_logging
from app.models.patients import Patient
from app.security.auth import sign_in
from app.services.billing_accounts import account_for_patient, set_email_consent
from app.services.ledger import post_entry
from app.services.numbering import local_workstation
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.helpers.referral_data import add_patient
from tests.test_cli import INIT_FLAGS

CHART = "T-000001"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A practice with one self-pay patient who owes $80.00 and one who owes $2.00."""
    assert cli.main(["--db", str(db_path), "init", *INIT_FLAGS]) == 0
    capsys.readouterr()
    database = Database.open(db_path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            workstation = local_workstation(session).code
            actor = sign_in(session, "admin", ADMIN_PASSWORD, workstation).actor
            assert actor is not None
            for chart, name, amount in ((CHART, "Rivera", "80.00"), ("T-000002", "Small", "2.00")):
                post_entry(
                    session,
                    actor,
                    entry_type="charge",
                    amount=Decimal(amount),
                    patient_id=add_patient(session, chart, name),
                    responsible_party="patient",
                )
    finally:
        database.close()
    return db_path


def _json(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, dict]:
    code = cli.main(["--db", str(path), "--json", "statements", *args, "--user", "admin"])
    out, _err = capsys.readouterr()
    return code, json.loads(out)


def test_preview_levels_and_skips(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, practice, "preview")

    assert code == 0
    assert data["statements"] == 1
    by_due = {item["amount_due"]: item for item in data["accounts"]}
    assert by_due["80.00"]["level"] == "statement"
    assert by_due["80.00"]["channel"] == "print"
    assert by_due["2.00"]["level"] is None
    assert "minimum" in by_due["2.00"]["reason"]


def test_run_batch_and_history(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "batch.pdf"

    code, data = _json(capsys, practice, "run", "--out", str(out))
    history_code, history = _json(capsys, practice, "history", CHART)

    assert code == 0
    assert (data["printed"], data["queued"], data["total_due"]) == (1, 0, "80.00")
    assert out.read_bytes().startswith(b"%PDF")
    assert history_code == 0
    [statement] = history["statements"]
    assert (statement["level"], statement["amount_due"]) == ("statement", "80.00")
    assert (statement["channel"], statement["status"]) == ("print", "printed")


def _consent_to_email(path: Path) -> None:
    """Give the $80.00 patient an email address and record consent to emailed statements."""
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            workstation = local_workstation(session).code
            actor = sign_in(session, "admin", ADMIN_PASSWORD, workstation).actor
            assert actor is not None
            patient = session.scalars(select(Patient).where(Patient.chart_number == CHART)).one()
            patient.email = "rivera@example.com"
            account = account_for_patient(session, actor, patient.id)
            set_email_consent(session, actor, account.id, True)
    finally:
        database.close()


def test_send_without_mail_server(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _consent_to_email(practice)

    code, data = _json(capsys, practice, "run", "--send", "--out", str(tmp_path / "b.pdf"))

    assert code == 1
    assert (data["printed"], data["queued"]) == (0, 1)
    assert data["email"] is None
    assert data["run"].startswith("R")


def test_same_day_rerun_rejected(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _json(capsys, practice, "run", "--out", str(tmp_path / "first.pdf"))

    code = cli.main(["--db", str(practice), "statements", "run", "--user", "admin"])
    _out, err = capsys.readouterr()

    assert code == 1
    assert "No account gets a statement" in err


def test_history_unknown_account(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--db", str(practice), "statements", "history", "Z-999", "--user", "admin"])
    _out, err = capsys.readouterr()

    assert code == 1
    assert "No account or chart is numbered 'Z-999'" in err


def test_preview_invalid_date(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["--db", str(practice), "statements", "preview", "--date", "June 1", "--user", "admin"]
    )
    _out, err = capsys.readouterr()

    assert code == 1
    assert "'June 1' is not a date" in err
