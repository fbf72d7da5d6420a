"""Details of the Schedule page a new user meets: hints, keys, texts and field sizes."""

from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui import test_schedule
from tests.ui.conftest import settle
from tests.ui.test_schedule import Page
from ui.schedule.booking import BookingPanel
from ui.schedule.page import SchedulePage
from ui.search_popup import PICK_HINT_TEXT

# The page fixture the calendar tests use, shared rather than copied.
make_page = test_schedule.make_page


def _open_panel(page: SchedulePage, qtbot: QtBot) -> BookingPanel:
    assert page.day is not None
    test_schedule._open_day(page, qtbot, page.day + timedelta(days=21))
    page.grid.select_slot(0, 60)
    qtbot.keyClick(page.grid, Qt.Key.Key_N)
    panel = page.panel
    assert panel is not None
    return panel


def test_booking_search_hint_says_picks(make_page: Page, qtbot: QtBot) -> None:
    page = make_page()
    panel = _open_panel(page, qtbot)
    panel.patient.setText("a")

    qtbot.keyClick(panel.patient, Qt.Key.Key_Down)
    settle(qtbot, page.context.ops)

    popup = panel.search.popup
    assert popup.isVisible()
    assert popup.hint.text() == PICK_HINT_TEXT
    assert "Enter picks the patient" in popup.view.toolTip()
    panel.close()
