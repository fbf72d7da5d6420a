"""The `clinicdesk ledger` commands: verify and the lock date, with data, text and exit codes."""

import argparse
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from app import cli
from app.cli.common import EXIT_OK, EXIT_USER_ERROR, Outcome
from app.cli.ledger_commands import cmd_ledger_lock, cmd_ledger_verify
from app.db.database import Database
from app.errors import UserError
from app.logging_setup import stop_logging
from app.security.auth import sign_in
from app.services.ledger import post_entry
from app.services.numbering import local_workstation
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.helpers.referral_data import add_patient
from tests.test_cli import INIT_FLAGS


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


def _post_charge(path: Path) -> uuid.UUID:
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            workstation = local_workstation(session).code
            actor = sign_in(session, "admin", ADMIN_PASSWORD, workstation).actor
            assert actor is not None
            entry = post_entry(
                session,
                actor,
                entry_type="charge",
                amount=Decimal("80.00"),
                patient_id=add_patient(session, "T-000001", "Rivera"),
                responsible_party="patient",
            )
            return entry.id
    finally:
        database.close()


def _change_amount(path: Path, entry_id: uuid.UUID) -> None:
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            session.execute(text("DROP TRIGGER ledger_entry_no_update"))
            session.execute(
                text("UPDATE ledger_entry SET amount = 8 WHERE id = :id"), {"id": entry_id.bytes}
            )
    finally:
        database.close()


def _verify(path: Path) -> Outcome:
    return cmd_ledger_verify(argparse.Namespace(db=str(path), user="admin"))


def test_verify_intact_ledger(practice: Path) -> None:
    _post_charge(practice)

    outcome = _verify(practice)

    assert outcome.code == EXIT_OK
    assert outcome.data == {"intact": True, "findings": []}
    assert outcome.text == ["intact: every ledger check passed"]


def test_verify_changed_row(practice: Path) -> None:
    entry_id = _post_charge(practice)
    _change_amount(practice, entry_id)

    outcome = _verify(practice)

    assert outcome.code == EXIT_USER_ERROR
    assert outcome.data["intact"] is False
    assert outcome.data["findings"][0]["check"] == "row_hash"
    assert outcome.data["findings"][0]["entry_id"] == str(entry_id)
    assert outcome.text[0] == "problems found: 1 (details below)"
    assert outcome.text[1].startswith(f"row_hash: Ledger row {entry_id} does not match")


def test_verify_needs_user(practice: Path) -> None:
    with pytest.raises(UserError, match="--user"):
        cmd_ledger_verify(argparse.Namespace(db=str(practice), user=None))


def _lock(path: Path, day: str | None) -> Outcome:
    return cmd_ledger_lock(argparse.Namespace(db=str(path), user="admin", date=day))


def test_lock_date_set_and_cleared(practice: Path) -> None:
    shown = _lock(practice, None)
    closed = _lock(practice, "2026-01-31")
    reopened = _lock(practice, "none")

    assert shown.data == {"lock_date": None}
    assert closed.data == {"lock_date": "2026-01-31"}
    assert closed.text == ["closed through 01/31/2026: nothing posts with an earlier or equal date"]
    assert reopened.data == {"lock_date": None}


def test_lock_date_rejects_text(practice: Path) -> None:
    with pytest.raises(UserError, match="'January' is not a date"):
        _lock(practice, "January")


def test_lock_date_stops_posting(practice: Path) -> None:
    _lock(practice, "2026-01-31")

    database = Database.open(practice, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session, pytest.raises(UserError, match="01/31/2026"):
            workstation = local_workstation(session).code
            actor = sign_in(session, "admin", ADMIN_PASSWORD, workstation).actor
            assert actor is not None
            post_entry(
                session,
                actor,
                entry_type="charge",
                amount=Decimal("80.00"),
                patient_id=add_patient(session, "T-000002", "Okafor"),
                responsible_party="patient",
                service_date=date(2026, 1, 15),
            )
    finally:
        database.close()
