"""A demo workflow leaves no patient name, date of birth or member id in the log."""

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.cli import main as cli_main
from app.db.database import Database
from app.errors import PermissionDeniedError
from app.logging_setup import configure_logging, stop_logging
from app.models import Coverage, Patient
from app.security import auth, emergency
from app.security.permissions import Permission, Role
from app.services import audit_log, backup, patient_list, today, users
from app.services.audit_log import AuditFilter
from app.services.numbering import local_workstation
from tests.conftest import PASSPHRASE
from ui.context import AppContext, SignedInUser
from ui.main_window import MainWindow
from ui.ops import OperationRunner

PASSWORD = "Harbor-lights-2024!"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = configure_logging(verbose=True, log_dir=tmp_path / "logs")
    yield path
    stop_logging()


def _phi(database: Database) -> list[str]:
    """Every patient name, date of birth and member id that could leak."""
    with database.transaction() as session:
        patients = session.scalars(select(Patient)).all()
        member_ids = session.scalars(select(Coverage.member_id)).all()
    values: set[str] = set(member_ids)
    for patient in patients:
        values.update({patient.first_name, patient.last_name})
        values.update(
            {patient.date_of_birth.isoformat(), patient.date_of_birth.strftime("%m/%d/%Y")}
        )
    # Very short names (Al, Bo) occur inside ordinary words, so they prove nothing.
    return sorted(value for value in values if len(value) >= 4)


def _service_workflow(database: Database, workstation: str) -> None:
    with database.transaction() as session:
        admin = auth.sign_in(session, "admin", PASSWORD, workstation).actor
        auth.sign_in(session, "admin", "wrong password", workstation)
    assert admin is not None
    with database.transaction() as session:
        patient = session.scalars(select(Patient)).first()
        assert patient is not None
        patient_list.list_patients(session, admin, patient.last_name[:3])
        today.todays_appointments(session, admin, date.today())  # noqa: DTZ011 (any day works)
        users.create_user(session, admin, "jdoe", "Jo Doe", Role.FRONT_DESK, "Coastal-road-5521")
    with database.transaction() as session:
        clerk = auth.sign_in(session, "jdoe", "Coastal-road-5521", workstation).actor
    assert clerk is not None
    with database.transaction() as session:
        emergency.grant_emergency_access(
            session, clerk, Permission.PATIENT_VIEW_SSN, "patient at the desk needs it", patient.id
        )
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        users.list_users(session, clerk)
    backup.backup_database(database, admin)
    with database.transaction() as session:
        audit_log.query_events(session, admin, AuditFilter())
        audit_log.verify(session, admin)


def test_log_has_no_phi(qtbot: QtBot, tmp_path: Path, log_file: Path) -> None:
    db_path = tmp_path / "practice" / "clinicdesk.db"
    environment = {"CLINICDESK_PASSWORD": PASSWORD, "CLINICDESK_PASSPHRASE": PASSPHRASE}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        assert cli_main(["--db", str(db_path), "demo", "--patients", "60", "--seed", "3"]) == 0
    configure_logging(verbose=True, log_dir=log_file.parent)  # the CLI set up its own log

    database = Database.open(db_path, lambda _path: PASSPHRASE)
    try:
        with database.transaction() as session:
            workstation = local_workstation(session).code
        _service_workflow(database, workstation)
        _open_main_window(qtbot, database, workstation)
        secrets = _phi(database)
    finally:
        database.close()

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = "".join(path.read_text(encoding="utf-8") for path in log_file.parent.glob("*.log*"))
    assert "backup" in text  # the log was written, so an empty file cannot pass
    assert len(secrets) > 100
    leaked = [value for value in secrets if value in text]
    assert leaked == []


def _open_main_window(qtbot: QtBot, database: Database, workstation: str) -> None:
    with database.transaction() as session:
        actor = auth.sign_in(session, "admin", PASSWORD, workstation).actor
    assert actor is not None
    ops = OperationRunner(database)
    window = MainWindow(AppContext(database, ops, SignedInUser(actor), workstation))
    window.setProperty("quitOnClose", False)
    qtbot.addWidget(window)
    window.show()
    for page in ("Patients", "Today", "Admin"):
        window.go_to(page)
        qtbot.wait(200)
    ops.wait_for_all()
    qtbot.wait(100)
