"""Fixtures for the shell tests: a small demo practice, signed-in contexts, the window."""

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDir
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security import auth
from app.security.permissions import Actor
from app.services.demo import create_demo_database
from app.services.numbering import local_workstation
from tests.conftest import PASSPHRASE
from ui.application import ICON_SEARCH_PREFIX, load_style_sheet
from ui.context import AppContext, SignedInUser
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.resources import resource_path

DEMO_PASSWORD = "Lakeside-desk-2024!"
DEMO_PATIENTS = 40
# The demo practice is in Chicago; its "today" decides which appointments the page lists.
PRACTICE_ZONE = ZoneInfo("America/Chicago")


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    """Apply the program's style sheet for the test, then Qt's own look again."""
    QDir.addSearchPath(ICON_SEARCH_PREFIX, str(resource_path("icons")))
    qapp.setStyleSheet(load_style_sheet())
    yield
    qapp.setStyleSheet("")


@pytest.fixture
def demo_database(tmp_path: Path) -> Iterator[Database]:
    """A demo practice with a few patients and a week of appointments around today."""
    today = datetime.now(PRACTICE_ZONE).date()
    database, _admin, _summary = create_demo_database(
        tmp_path / "demo" / "clinicdesk.db", PASSPHRASE, "admin", DEMO_PASSWORD,
        DEMO_PATIENTS, 7, today,
    )  # fmt: skip
    yield database
    database.close()


@pytest.fixture
def workstation(demo_database: Database) -> str:
    with demo_database.transaction() as session:
        return local_workstation(session).code


@pytest.fixture
def ops(demo_database: Database) -> Iterator[OperationRunner]:
    runner = OperationRunner(demo_database)
    yield runner
    runner.wait_for_all()


def sign_in_as(database: Database, username: str, workstation: str) -> Actor:
    """Sign in through the auth service and return the actor."""
    with database.transaction() as session:
        result = auth.sign_in(session, username, DEMO_PASSWORD, workstation)
    assert result.actor is not None, result.message
    return result.actor


@pytest.fixture
def make_window(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> Callable[..., MainWindow]:
    """Return a factory: make_window("frontdesk", idle_ms=...) builds a shown window."""

    def build(username: str = "admin", idle_ms: int = 600_000) -> MainWindow:
        actor = sign_in_as(demo_database, username, workstation)
        context = AppContext(demo_database, ops, SignedInUser(actor), workstation)
        window = MainWindow(context, idle_timeout_ms=idle_ms)
        window.setProperty("quitOnClose", False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        settle(qtbot, ops)
        return window

    return build


def settle(qtbot: QtBot, ops: OperationRunner) -> None:
    """Wait until every background operation has reported back."""
    qtbot.waitUntil(lambda: not ops.busy, timeout=15_000)
