"""The global search box's result popup, on the 40-patient demo database."""

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.contact import display_phone
from app.db.database import Database
from app.services.patient_list import PatientRow, list_patients
from tests.ui.conftest import settle
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.patients import PatientsPage
from ui.patient.record import open_records
from ui.search_popup import EMPTY_TEXT, appointment_text

WindowFactory = Callable[..., MainWindow]


def _a_patient(database: Database, window: MainWindow) -> PatientRow:
    with database.session() as session:
        return list_patients(session, window.context.actor)[0]


def _type(qtbot: QtBot, window: MainWindow, text: str, ops: OperationRunner) -> None:
    window.focus_search()
    qtbot.keyClicks(window.search, text)
    qtbot.waitUntil(window.patient_search.popup.isVisible, timeout=5_000)
    settle(qtbot, ops)


def _shown_charts(window: MainWindow) -> list[str]:
    return [match.chart_number for match in window.patient_search.popup.model.matches]


def test_popup_lists_patient(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)

    _type(qtbot, window, patient.last_name, ops)

    assert patient.chart_number in _shown_charts(window)


def test_popup_row_cells(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    _type(qtbot, window, patient.last_name, ops)
    model = window.patient_search.popup.model
    row = _shown_charts(window).index(patient.chart_number)

    cells = [model.index(row, column).data() for column in range(model.columnCount())]

    assert cells[1] == patient.date_of_birth.strftime("%m/%d/%Y")
    assert cells[2] == display_phone(patient.phone)
    assert not cells[2].startswith("+1")
    assert cells[3] == patient.chart_number
    assert cells[4].startswith(("$", "-$"))
    assert cells[5] == "none" or cells[5][2] == "/"


def test_down_enter_opens_patient(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    _type(qtbot, window, patient.last_name, ops)
    first = window.patient_search.popup.model.matches[0]

    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    page = window.pages["Patients"]
    assert isinstance(page, PatientsPage)
    qtbot.waitUntil(lambda: bool(page.table.selectionModel().selectedRows()), timeout=5_000)
    settle(qtbot, ops)

    assert window.current_page_name() == "Patients"
    assert not window.patient_search.popup.isVisible()
    selected = page.table.selectionModel().selectedRows()[0].row()
    assert page.model.rows[selected].patient_id == first.patient_id
    assert page.filter_text == first.chart_number
    records = [record for record in open_records() if record.patient_id == first.patient_id]
    assert len(records) == 1
    qtbot.waitUntil(lambda: first.chart_number in records[0].heading.text(), timeout=5_000)
    records[0].close_now()


def test_down_keeps_focus_in_box(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window()
    _type(qtbot, window, "a", ops)

    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.search, Qt.Key.Key_Down)

    assert window.search.hasFocus()
    assert window.patient_search.popup.view.currentIndex().row() == 1


def test_escape_hides_popup(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    _type(qtbot, window, patient.last_name, ops)

    qtbot.keyClick(window.search, Qt.Key.Key_Escape)

    assert not window.patient_search.popup.isVisible()
    assert window.search.text() == patient.last_name


def test_late_result_dropped(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    window.focus_search()
    window.search.setText(patient.last_name)

    window.patient_search.search_now()
    window.patient_search.close()
    settle(qtbot, ops)

    assert not window.patient_search.popup.isVisible()
    assert window.patient_search.popup.model.rowCount() == 0


def test_no_match_message(qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner) -> None:
    window = make_window()

    _type(qtbot, window, "Zzyzxqv", ops)

    popup = window.patient_search.popup
    assert popup.model.rowCount() == 0
    assert popup.empty_label.isVisible()
    assert popup.empty_label.text() == EMPTY_TEXT
    assert not popup.view.isVisible()


def test_lock_hides_popup(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    _type(qtbot, window, patient.last_name, ops)

    window.lock()
    settle(qtbot, ops)

    assert not window.patient_search.popup.isVisible()
    assert window.patient_search.popup.model.rowCount() == 0


def test_locked_search_not_run(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    patient = _a_patient(demo_database, window)
    window.lock()
    settle(qtbot, ops)
    window.search.setText(patient.last_name)

    window.patient_search.search_now()

    assert not ops.busy
    settle(qtbot, ops)
    assert not window.patient_search.popup.isVisible()


def test_frontdesk_can_search(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window("frontdesk")
    patient = _a_patient(demo_database, window)

    _type(qtbot, window, patient.last_name, ops)

    assert patient.chart_number in _shown_charts(window)


def test_popup_accessible_names(make_window: WindowFactory) -> None:
    popup = make_window().patient_search.popup

    assert popup.accessibleName() == "Patient search results"
    assert popup.view.accessibleName() == "Matching patients"


def test_appointment_text_none() -> None:
    assert appointment_text(None) == "none"


def test_appointment_text_afternoon() -> None:
    assert appointment_text(datetime.fromisoformat("2026-03-05 14:05")) == "03/05/2026 2:05 PM"


def test_appointment_text_midnight() -> None:
    assert appointment_text(datetime.fromisoformat("2026-03-05 00:30")) == "03/05/2026 12:30 AM"
