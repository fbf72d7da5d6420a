"""The Today page as the front desk uses it: the board, its filters and one-key actions."""

import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.database import Database
from app.models.charges import Encounter
from app.models.patients import Coverage, Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment, AppointmentStatusEvent
from app.services.front_desk import FLAG_ELIGIBILITY
from app.services.today import practice_today
from tests.ui.conftest import settle
from ui.charges.windows import open_editors
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.today import TICK_MS, TodayPage
from ui.pages.today_board import COLUMNS, WAITING_COLUMN
from ui.patient.record import PatientRecordWindow, open_records

WindowFactory = Callable[..., MainWindow]
# Late in the evening, so no demo visit of today sorts after the test's own visits.
LATE = time(22, 0)


def _book(
    session: Session,
    status: str,
    at: time,
    provider_index: int = 0,
    patient_id: uuid.UUID | None = None,
) -> uuid.UUID:
    day = practice_today(session)
    if patient_id is None:
        patient_id = session.scalars(select(Patient.id).order_by(Patient.chart_number)).first()
    providers = session.scalars(select(Provider).order_by(Provider.last_name)).all()
    assert patient_id is not None
    appointment = Appointment(
        patient_id=patient_id,
        provider_id=providers[provider_index].id,
        location_id=session.scalar(select(Location.id)),
        starts_at=datetime.combine(day, at),
        duration_minutes=15,
        appointment_type="follow_up",
        status=status,
    )
    session.add(appointment)
    session.flush()
    return appointment.id


def _arrived(database: Database, minutes_ago: int) -> uuid.UUID:
    with database.transaction() as session:
        appointment_id = _book(session, "arrived", LATE)
        session.add(
            AppointmentStatusEvent(
                appointment_id=appointment_id,
                status="arrived",
                changed_at=utc_now() - timedelta(minutes=minutes_ago),
            )
        )
    return appointment_id


def _open_today(
    make_window: WindowFactory, qtbot: QtBot, ops: OperationRunner, username: str = "frontdesk"
) -> TodayPage:
    window = make_window(username)
    page = window.pages["Today"]
    assert isinstance(page, TodayPage)
    page.refresh()
    settle(qtbot, ops)
    return page


def _select(page: TodayPage, appointment_id: uuid.UUID) -> None:
    for number, row in enumerate(page.model.rows):
        if row.appointment_id == appointment_id:
            page.table.setCurrentIndex(page.model.index(number, 0))
            page.table.setFocus()
            return
    raise AssertionError(f"appointment {appointment_id} is not on the board")


def _status(database: Database, appointment_id: uuid.UUID) -> str:
    with database.reading() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        return appointment.status


def _events(database: Database, appointment_id: uuid.UUID) -> list[str]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(AppointmentStatusEvent.status)
                .where(AppointmentStatusEvent.appointment_id == appointment_id)
                .order_by(AppointmentStatusEvent.changed_at)
            )
        )


def _cell(page: TodayPage, appointment_id: uuid.UUID, column: str) -> str:
    for number, row in enumerate(page.model.rows):
        if row.appointment_id == appointment_id:
            return str(page.model.index(number, COLUMNS.index(column)).data())
    raise AssertionError(f"appointment {appointment_id} is not on the board")


def test_waiting_time_ticks_without_database(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    appointment_id = _arrived(demo_database, 12)
    page = _open_today(make_window, qtbot, ops)

    assert _cell(page, appointment_id, "Waiting") == "12 min"
    assert _cell(page, appointment_id, "Status") == "Arrived"
    assert page.clock.isActive()
    assert page.clock.interval() == TICK_MS

    changed: list[int] = []
    page.model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.column()))
    page.model.set_now(page.model.now + timedelta(minutes=65))

    assert _cell(page, appointment_id, "Waiting") == "1 h 17 min"
    assert changed == [WAITING_COLUMN]
    assert not ops.busy


def test_check_in_key_marks_arrived(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    with demo_database.transaction() as session:
        appointment_id = _book(session, "scheduled", LATE)
    page = _open_today(make_window, qtbot, ops)
    _select(page, appointment_id)

    qtbot.keyClick(page.table, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: page.check_in_dialog is not None, timeout=5_000)
    dialog = page.check_in_dialog
    assert dialog is not None
    assert dialog.check_in_button.isEnabled()
    dialog.check_in_button.click()
    settle(qtbot, ops)

    assert _status(demo_database, appointment_id) == "arrived"
    assert _events(demo_database, appointment_id) == ["arrived"]
    qtbot.waitUntil(lambda: _cell(page, appointment_id, "Status") == "Arrived", timeout=5_000)
    assert _cell(page, appointment_id, "Waiting") == "0 min"


def _covered_patient(session: Session) -> Coverage:
    """Return a demo patient's primary coverage, made open-ended and never checked."""
    coverage = session.scalars(
        select(Coverage)
        .where(Coverage.priority == 1, Coverage.archived.is_(False))
        .order_by(Coverage.id)
    ).first()
    assert coverage is not None
    coverage.effective_date = None
    coverage.termination_date = None
    coverage.eligibility_checked_on = None
    return coverage


def test_check_in_records_eligibility(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    with demo_database.transaction() as session:
        coverage = _covered_patient(session)
        coverage_id = coverage.id
        appointment_id = _book(session, "scheduled", LATE, patient_id=coverage.patient_id)
        today = practice_today(session)
    page = _open_today(make_window, qtbot, ops)
    assert FLAG_ELIGIBILITY in _cell(page, appointment_id, "Flags")
    _select(page, appointment_id)

    qtbot.keyClick(page.table, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: page.check_in_dialog is not None, timeout=5_000)
    dialog = page.check_in_dialog
    assert dialog is not None
    assert dialog.eligibility_box.isVisibleTo(dialog)
    assert dialog.eligibility_box.isEnabled()
    assert not dialog.eligibility_box.isChecked()
    dialog.eligibility_box.click()
    dialog.check_in_button.click()
    settle(qtbot, ops)

    assert _status(demo_database, appointment_id) == "arrived"
    with demo_database.reading() as session:
        stored = session.get_one(Coverage, coverage_id)
        assert stored.eligibility_checked_on == today
        assert stored.eligibility_checked_by is not None
    qtbot.waitUntil(lambda: FLAG_ELIGIBILITY not in _cell(page, appointment_id, "Flags"))


def test_room_and_check_out_keys(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    appointment_id = _arrived(demo_database, 5)
    page = _open_today(make_window, qtbot, ops)
    _select(page, appointment_id)

    qtbot.keyClick(page.table, Qt.Key.Key_R)
    settle(qtbot, ops)
    assert _status(demo_database, appointment_id) == "in_room"
    qtbot.waitUntil(lambda: _cell(page, appointment_id, "Status") == "In room", timeout=5_000)
    assert _cell(page, appointment_id, "Waiting") == ""

    _select(page, appointment_id)
    qtbot.keyClick(page.table, Qt.Key.Key_O)
    settle(qtbot, ops)
    assert _status(demo_database, appointment_id) == "checked_out"
    assert _events(demo_database, appointment_id) == ["arrived", "in_room", "checked_out"]


def test_charges_key_opens_encounter(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    appointment_id = _arrived(demo_database, 5)
    page = _open_today(make_window, qtbot, ops, "biller")
    _select(page, appointment_id)
    qtbot.keyClick(page.table, Qt.Key.Key_O)
    settle(qtbot, ops)

    _select(page, appointment_id)
    qtbot.keyClick(page.table, Qt.Key.Key_B)
    settle(qtbot, ops)

    with demo_database.reading() as session:
        encounter_id = session.scalar(
            select(Encounter.id).where(Encounter.appointment_id == appointment_id)
        )
    assert encounter_id is not None
    qtbot.waitUntil(lambda: any(e.encounter_id == encounter_id for e in open_editors()))
    for editor in open_editors():
        editor.close()


@pytest.mark.parametrize(("answer", "expected"), [("No", "scheduled"), ("Yes", "no_show")])
def test_no_show_key_confirms(  # noqa: PLR0917 (pytest passes fixtures by position)
    qtbot: QtBot,
    make_window: WindowFactory,
    demo_database: Database,
    ops: OperationRunner,
    answer: str,
    expected: str,
) -> None:
    with demo_database.transaction() as session:
        appointment_id = _book(session, "scheduled", LATE)
    page = _open_today(make_window, qtbot, ops)
    _select(page, appointment_id)

    qtbot.keyClick(page.table, Qt.Key.Key_N)
    assert page.no_show_box is None
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    box = page.no_show_box
    assert box is not None
    button = box.button(getattr(QMessageBox.StandardButton, answer))
    button.click()
    settle(qtbot, ops)

    assert _status(demo_database, appointment_id) == expected


def test_enter_opens_record(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    with demo_database.transaction() as session:
        appointment_id = _book(session, "scheduled", LATE)
    page = _open_today(make_window, qtbot, ops)
    _select(page, appointment_id)
    patient_id = page.selected_row().patient_id  # type: ignore[union-attr]

    qtbot.keyClick(page.table, Qt.Key.Key_Return)

    records = [record for record in open_records() if record.patient_id == patient_id]
    assert len(records) == 1
    assert isinstance(records[0], PatientRecordWindow)
    settle(qtbot, ops)
    records[0].close_now()


def test_filters_by_status_and_provider(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    with demo_database.transaction() as session:
        cancelled = _book(session, "cancelled", LATE)
        second = _book(session, "scheduled", time(22, 30), provider_index=1)
    page = _open_today(make_window, qtbot, ops)
    shown = {row.appointment_id for row in page.model.rows}
    assert cancelled not in shown
    assert second in shown

    page.status_filter.setCurrentIndex(page.status_filter.findData("cancelled"))
    assert [row.appointment_id for row in page.model.rows] == [cancelled]

    page.status_filter.setCurrentIndex(page.status_filter.findData(""))
    provider_id = next(row.provider_id for row in page.all_rows if row.appointment_id == second)
    page.provider_filter.setCurrentIndex(page.provider_filter.findData(provider_id))
    assert page.model.rows
    assert all(row.provider_id == provider_id for row in page.model.rows)
    assert cancelled not in {row.appointment_id for row in page.model.rows}
