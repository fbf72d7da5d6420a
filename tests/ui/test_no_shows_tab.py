"""The No-shows tab of the Reports page: range, per-patient counts and opening a record."""

import uuid
from collections.abc import Callable
from datetime import date, datetime, time

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from app.db.database import Database
from app.models.patients import Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment
from tests.ui.conftest import settle
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.reports import ReportsPage
from ui.patient.record import open_records

WindowFactory = Callable[..., MainWindow]
# Years before the demo's week, so only the test's own visits fall in the range.
DAY_ONE = date(2019, 6, 3)
DAY_TWO = date(2019, 6, 5)


def _missed(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """Book three no-shows (two for the first patient) and a cancelled visit."""
    with database.transaction() as session:
        first, second = session.scalars(select(Patient).order_by(Patient.chart_number).limit(2))
        provider_id = session.scalar(select(Provider.id))
        location_id = session.scalar(select(Location.id))
        visits = (
            (first, DAY_ONE, "no_show"),
            (first, DAY_TWO, "no_show"),
            (second, DAY_TWO, "no_show"),
            (second, DAY_ONE, "cancelled"),
        )
        for patient, day, status in visits:
            session.add(
                Appointment(
                    patient_id=patient.id,
                    provider_id=provider_id,
                    location_id=location_id,
                    starts_at=datetime.combine(day, time(9)),
                    duration_minutes=15,
                    appointment_type="follow_up",
                    status=status,
                )
            )
        # Leave only the test's no-shows on record, so the "On record" column is exact.
        session.execute(
            update(Appointment)
            .where(Appointment.status == "no_show")
            .where(Appointment.starts_at >= datetime.combine(date(2020, 1, 1), time.min))
            .values(status="checked_out")
        )
        return first.id, second.id


def _open_tab(make_window: WindowFactory, qtbot: QtBot, ops: OperationRunner) -> ReportsPage:
    window = make_window("frontdesk")
    window.go_to("Reports")
    page = window.pages["Reports"]
    assert isinstance(page, ReportsPage)
    page.tabs.setCurrentWidget(page.no_shows)
    page.no_shows.set_range(DAY_ONE, DAY_TWO)
    page.no_shows.refresh()
    settle(qtbot, ops)
    return page


def test_no_shows_by_patient(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    first, second = _missed(demo_database)
    page = _open_tab(make_window, qtbot, ops).no_shows

    assert page.visits.rowCount() == 3
    assert [count.patient_id for count in page.patients_shown] == [first, second]
    assert page.patients.column_texts(2) == ["2", "1"]
    assert page.patients.column_texts(3) == ["2", "1"]
    assert page.patients.column_texts(4) == ["06/05/2019", "06/05/2019"]
    assert page.summary.text() == "3 no-shows by 2 patients from 06/03/2019 through 06/05/2019."


def test_no_shows_reversed_range(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    _missed(demo_database)
    page = _open_tab(make_window, qtbot, ops).no_shows

    page.set_range(DAY_TWO, DAY_ONE)
    page.refresh()
    settle(qtbot, ops)

    assert page.visits.rowCount() == 0
    assert "end date is before the start date" in page.summary.text()


def test_no_shows_enter_opens_patient(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    first, _second = _missed(demo_database)
    page = _open_tab(make_window, qtbot, ops).no_shows
    page.patients.selectRow(0)
    with qtbot.waitSignal(page.open_patient_requested) as blocker:
        qtbot.keyClick(page.patients, Qt.Key.Key_Return)
    settle(qtbot, ops)

    assert blocker.args == [first]
    for record in open_records():
        record.close_now()
