"""A small demo practice with a future week of hours, and a signed-in context over it."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services.numbering import local_workstation
from app.services.scheduling_settings import practice_now
from tests.helpers.schedule_rows import (
    add_blockout,
    add_week_hours,
    clear_schedule_setup,
    demo_practice,
    providers,
)
from tests.ui.conftest import settle, sign_in_as
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Database]:
    database = demo_practice(tmp_path)
    yield database
    database.close()


@pytest.fixture
def next_monday(practice: Database) -> date:
    """The first Monday after today in the practice's zone, with hours 9 to 5 and lunch."""
    with practice.transaction() as session:
        today = practice_now(session).date()
        monday = today + timedelta(days=7 - today.weekday())
        clear_schedule_setup(session)
        for provider_id in providers(session):
            add_week_hours(session, provider_id, time(9), time(17))
        add_blockout(session, datetime.combine(monday, time(12)), 60, rule="FREQ=DAILY")
    return monday


@pytest.fixture
def context(qtbot: QtBot, practice: Database) -> Iterator[AppContext]:
    with practice.transaction() as session:
        code = local_workstation(session).code
    runner = OperationRunner(practice)
    actor = sign_in_as(practice, "admin", code)
    yield AppContext(practice, runner, SignedInUser(actor), code)
    settle(qtbot, runner)
    runner.wait_for_all()
