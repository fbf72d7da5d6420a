"""The `clinicdesk statements` commands under attack: roles, merged charts and the log file.

Each test works on a temporary encrypted database made by `clinicdesk init`, where a
self-pay patient owes $80.00 and a duplicate chart of the same patient owes $20.00.
"""

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cli
from app.db.database import Database
from app.logging_setup import LOG_FILE_NAME, stop_logging
from app.models.patients import Patient
from app.models.statements import BillingAccount
from app.paths import log_dir
from app.security.auth import sign_in
from app.security.permissions import Actor
from app.services.ledger import post_entry
from app.services.merge import merge_patients
from app.services.numbering import local_workstation
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.helpers.referral_data import add_patient
from tests.test_cli import INIT_FLAGS

CHART = "T-000001"
DUPLICATE_CHART = "T-000009"
DESK_PASSWORD = "Front-desk-pass-42"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


def _as_admin(path: Path, work: Callable[[Session, Actor], None]) -> None:
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            workstation = local_workstation(session).code
            actor = sign_in(session, "admin", ADMIN_PASSWORD, workstation).actor
            assert actor is not None
            work(session, actor)
    finally:
        database.close()


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A practice where Rivera owes $80.00 and a duplicate chart of Rivera owes $20.00."""
    assert cli.main(["--db", str(db_path), "init", *INIT_FLAGS]) == 0

    def charge(session: Session, actor: Actor) -> None:
        for chart, amount in ((CHART, "80.00"), (DUPLICATE_CHART, "20.00")):
            post_entry(
                session,
                actor,
                entry_type="charge",
                amount=Decimal(amount),
                patient_id=add_patient(session, chart, "Rivera"),
                responsible_party="patient",
            )

    _as_admin(db_path, charge)
    capsys.readouterr()
    return db_path


def _run(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _account_count(path: Path) -> int:
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.reading() as session:
            return int(session.scalar(select(func.count(BillingAccount.id))) or 0)
    finally:
        database.close()


def _add_desk_user(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_NEW_PASSWORD", DESK_PASSWORD)
    code, _out, err = _run(
        capsys, path, "--user", "admin", "user", "add", "desk1", "--role", "front_desk",
        "--name", "Dana Desk",
    )  # fmt: skip
    assert code == 0, err
    monkeypatch.setenv("CLINICDESK_PASSWORD", DESK_PASSWORD)


def test_front_desk_refused_every_command(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_desk_user(practice, capsys, monkeypatch)

    for command in (["preview"], ["run"], ["history", CHART]):
        code, _out, err = _run(capsys, practice, "statements", *command, "--user", "desk1")

        assert code == 1, command
        assert "Traceback" not in err
        assert err.strip(), command
    assert _account_count(practice) == 0


def test_history_of_merged_chart(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The duplicate chart is merged into Rivera's; its number should still find her account.
    def merge(session: Session, actor: Actor) -> None:
        ids = dict(session.execute(select(Patient.chart_number, Patient.id)).all())
        merge_patients(session, actor, ids[CHART], ids[DUPLICATE_CHART], {})

    _as_admin(practice, merge)
    batch = str(practice.parent / "batch.pdf")
    run_code, _out, run_err = _run(
        capsys, practice, "statements", "run", "--user", "admin", "--out", batch
    )
    before = _account_count(practice)

    code, out, err = _run(
        capsys, practice, "--json", "statements", "history", DUPLICATE_CHART, "--user", "admin"
    )

    assert run_code == 0, run_err
    assert _account_count(practice) == before
    assert code == 0, err
    assert len(json.loads(out)["statements"]) == 1


def test_log_file_free_of_patient_details(
    practice: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--user", "admin")
    _run(capsys, practice, "statements", "preview", *args)
    _run(capsys, practice, "statements", "run", *args, "--out", str(practice.parent / "b.pdf"))
    _run(capsys, practice, "statements", "history", CHART, *args)
    stop_logging()

    text = (log_dir() / LOG_FILE_NAME).read_text(encoding="utf-8")

    assert "statement run" in text
    for private in ("Rivera", CHART, DUPLICATE_CHART, "80.00", "100.00"):
        assert private not in text, private
