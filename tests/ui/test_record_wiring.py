"""How the main window reaches the patient record, its tabs and the Reports page."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services.patient_list import list_patients
from tests.ui.conftest import settle
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.reports import ReportsPage
from ui.patient.record import PatientRecordWindow
from ui.patient.record_tabs import BILLING_ACCOUNT, FACE_SHEET, LEDGER, ONBOARDING, REFERRALS

WindowFactory = Callable[..., MainWindow]


def _tab_titles(record: PatientRecordWindow) -> list[str]:
    return [record.tabs.tabText(index) for index in range(record.tabs.count())]


def test_saved_record_has_every_tab(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window("manager")
    with demo_database.session() as session:
        patient = list_patients(session, window.context.actor)[0]

    record = window.open_patient_record(patient.patient_id)
    assert isinstance(record, PatientRecordWindow)
    qtbot.waitUntil(lambda: patient.chart_number in record.heading.text(), timeout=5_000)
    settle(qtbot, ops)

    assert _tab_titles(record) == [
        "&Registration", FACE_SHEET, ONBOARDING, REFERRALS, LEDGER, BILLING_ACCOUNT,
    ]  # fmt: skip
    assert record.export_button.isEnabled()
    record.close_now()


def test_new_record_gets_tabs_only_after_save(make_window: WindowFactory) -> None:
    window = make_window("frontdesk")
    patients = window.pages["Patients"]

    record = patients.new_patient()  # type: ignore[attr-defined]

    assert isinstance(record, PatientRecordWindow)
    assert _tab_titles(record) == ["&Registration"]
    assert not record.export_button.isEnabled()
    record.close_now()


def test_reports_page_holds_recall_and_duplicates(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("frontdesk")

    window.go_to("Reports")
    settle(qtbot, ops)
    page = window.pages["Reports"]

    assert isinstance(page, ReportsPage)
    assert [page.tabs.tabText(index) for index in range(page.tabs.count())] == [
        "&Recall due",
        "Possible &duplicates",
        "&No-shows",
    ]


def test_recall_row_opens_the_record(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window("frontdesk")
    with demo_database.session() as session:
        patient = list_patients(session, window.context.actor)[0]
    window.go_to("Reports")
    page = window.pages["Reports"]
    assert isinstance(page, ReportsPage)

    page.recall.open_patient_requested.emit(patient.patient_id)

    records = [
        widget
        for widget in window.findChildren(PatientRecordWindow)
        if widget.patient_id == patient.patient_id
    ]
    assert len(records) == 1
    qtbot.waitUntil(lambda: patient.chart_number in records[0].heading.text(), timeout=5_000)
    settle(qtbot, ops)
    records[0].close_now()
