"""The automatic daily backup runs when none is recent, and only then."""

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services import backup
from app.services.settings import BackupSettings
from tests.ui.conftest import sign_in_as
from ui.context import AppContext, SignedInUser
from ui.daily_backup import DailyBackup
from ui.ops import OperationRunner


@pytest.fixture
def scheduler(demo_database: Database, ops: OperationRunner, workstation: str) -> DailyBackup:
    actor = sign_in_as(demo_database, "admin", workstation)
    context = AppContext(demo_database, ops, SignedInUser(actor), workstation)
    return DailyBackup(context, interval_ms=60_000, first_check_ms=60_000)


def _backups(database: Database) -> list[Path]:
    folder = database.path.parent / "backups"
    return sorted(folder.glob("clinicdesk-*.db")) if folder.exists() else []


def test_due_backup_runs(qtbot: QtBot, scheduler: DailyBackup, demo_database: Database) -> None:
    with qtbot.waitSignal(scheduler.finished, timeout=30_000) as finished:
        scheduler.check()

    result = finished.args[0]
    assert isinstance(result, backup.BackupResult)
    assert result.verified
    assert _backups(demo_database) == [result.path]
    with demo_database.transaction() as session:
        last = backup.last_verified_backup(session)
    assert last is not None
    assert last.file_name == result.path.name


def test_recent_backup_not_repeated(
    qtbot: QtBot, scheduler: DailyBackup, demo_database: Database, ops: OperationRunner
) -> None:
    with qtbot.waitSignal(scheduler.finished, timeout=30_000):
        scheduler.check()

    with qtbot.assertNotEmitted(scheduler.finished, wait=500):
        scheduler.check()
        ops.wait_for_all()
    assert len(_backups(demo_database)) == 1
    assert BackupSettings().keep_last >= 1


def test_failed_backup_reported(
    qtbot: QtBot, scheduler: DailyBackup, demo_database: Database
) -> None:
    # A file where the backup folder should be makes the folder impossible to create.
    (demo_database.path.parent / "backups").write_text("not a folder", encoding="utf-8")

    with qtbot.waitSignal(scheduler.failed, timeout=30_000) as failed:
        scheduler.check()

    assert "backups" in str(failed.args[0])
