"""Record windows hide while the main window is locked and close for another user."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from tests.ui.conftest import DEMO_PASSWORD, settle
from ui.main_window import MainWindow
from ui.pages.patients import PatientsPage
from ui.patient.record import PatientRecordWindow, open_records

WindowFactory = Callable[..., MainWindow]


def open_new_record(qtbot: QtBot, window: MainWindow) -> PatientRecordWindow:
    page = window.pages["Patients"]
    assert isinstance(page, PatientsPage)
    record = page.new_patient()
    assert isinstance(record, PatientRecordWindow)
    qtbot.waitExposed(record)
    settle(qtbot, window.context.ops)
    return record


def test_lock_hides_and_unlock_shows(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("frontdesk")
    record = open_new_record(qtbot, window)
    record.form.name.first_name.setText("Ana")
    editor = record.form.coverages.add_coverage()
    qtbot.waitExposed(editor)

    window.lock()
    qtbot.waitUntil(lambda: not record.isVisible())
    assert not editor.isVisible()
    window._unlock("frontdesk", DEMO_PASSWORD, None)
    settle(qtbot, window.context.ops)

    qtbot.waitUntil(record.isVisible)
    assert record.form.name.first_name.text() == "Ana"
    assert editor.isVisible()
    editor.reject()
    record.close_now()


def test_other_user_closes_record(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("frontdesk")
    record = open_new_record(qtbot, window)

    window.lock(switching=True)
    window._unlock("biller", DEMO_PASSWORD, None)
    settle(qtbot, window.context.ops)

    qtbot.waitUntil(lambda: record not in open_records())
