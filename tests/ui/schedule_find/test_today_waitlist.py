"""The waitlist panel beside the Today board."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import system_actor
from app.services.waitlist import WaitlistInput, add_entry
from tests.helpers.schedule_rows import patients
from tests.ui.conftest import settle
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.today import TodayPage


def test_today_shows_waitlist(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    demo_database: Database,
    ops: OperationRunner,
) -> None:
    with demo_database.transaction() as session:
        patient_id = patients(session)[0].id
        add_entry(session, system_actor("TST"), WaitlistInput(patient_id, 30))
    window = make_window("frontdesk")
    page = window.pages["Today"]
    assert isinstance(page, TodayPage)
    page.refresh()
    settle(qtbot, ops)

    assert page.waitlist.isVisible()
    assert [row.patient_id for row in page.waitlist.rows] == [patient_id]
    assert page.waitlist.add_button.isEnabled()

    page.clear_data()
    assert page.waitlist.rows == []
    assert page.waitlist.table.rowCount() == 0
