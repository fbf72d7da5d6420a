"""Booking a recurring series from the calendar's booking panel."""

import uuid
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from app.db.database import Database
from app.models.patients import Patient
from app.models.practice import Practice
from app.models.scheduling import Appointment
from tests.ui import test_schedule
from tests.ui.conftest import settle
from tests.ui.test_schedule import Page
from ui.schedule.booking import BookingPanel
from ui.schedule.page import SchedulePage

# The page fixture the calendar tests use, shared rather than copied.
make_page = test_schedule.make_page


def _spring_forward(after: date) -> date:
    """Return the next US spring-forward day after `after`: the second Sunday of March."""
    year = after.year + 1 if after >= date(after.year, 3, 1) else after.year
    march_first = date(year, 3, 1)
    first_sunday = march_first + timedelta(days=(6 - march_first.weekday()) % 7)
    return first_sunday + timedelta(weeks=1)


def _first_patient(database: Database) -> uuid.UUID:
    with database.reading() as session:
        patient = session.scalars(select(Patient).order_by(Patient.id)).first()
        assert patient is not None
        return patient.id


def _open_panel(page: SchedulePage, qtbot: QtBot, day: date, minute: int) -> BookingPanel:
    page.day = day
    page.reload()
    settle(qtbot, page.context.ops)
    page.grid.select_slot(0, minute)
    qtbot.keyClick(page.grid, Qt.Key.Key_N)
    panel = page.panel
    assert panel is not None
    return panel


def _choose_repeat(panel: BookingPanel, qtbot: QtBot, kind: str, visits: int) -> None:
    """Pick the repeat kind and the visit count with the keyboard, as the front desk would."""
    panel.repeat.kind.setFocus()
    while panel.repeat.current_kind() != kind:
        qtbot.keyClick(panel.repeat.kind, Qt.Key.Key_Down)
    panel.repeat.visits.setFocus()
    panel.repeat.visits.selectAll()
    qtbot.keyClicks(panel.repeat.visits, str(visits))


def _series_rows(database: Database, patient_id: uuid.UUID) -> list[Appointment]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(Appointment)
                .where(Appointment.patient_id == patient_id, Appointment.series_id.is_not(None))
                .order_by(Appointment.starts_at)
            )
        )


def test_weekly_series_books_four(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    day = page.day + timedelta(days=35)
    panel = _open_panel(page, qtbot, day, 60)  # 8:00
    patient_id = _first_patient(demo_database)
    panel.set_patient(patient_id, "Test patient")
    _choose_repeat(panel, qtbot, "weekly", 4)

    assert panel.repeat.weekdays.weekdays() == (day.weekday(),)
    panel.check_now()
    settle(qtbot, page.context.ops)
    assert panel.preview.isVisible()
    assert panel.preview.count() == 4
    assert [row.series_date for row in panel.preview_rows] == [
        day + timedelta(weeks=week) for week in range(4)
    ]

    panel.book_now()
    settle(qtbot, page.context.ops)

    rows = _series_rows(demo_database, patient_id)
    assert len(rows) == 4
    assert len({row.series_id for row in rows}) == 1
    assert {row.starts_at.time() for row in rows} == {time(8)}
    assert [row.starts_at.date() for row in rows] == [
        day + timedelta(weeks=week) for week in range(4)
    ]
    assert panel.last_series is not None
    assert panel.conflict_label.text() == "Booked 4 visits."
    assert not panel.book_button.isEnabled()


def test_spring_forward_day_skipped(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    with demo_database.transaction() as session:
        session.execute(update(Practice).values(time_zone="America/New_York"))
    page = make_page()
    spring_forward = _spring_forward(page.day)
    first = spring_forward - timedelta(weeks=1)
    panel = _open_panel(page, qtbot, first, 0)
    panel.starts.setDateTime(datetime.combine(first, time(2, 30)))
    patient_id = _first_patient(demo_database)
    panel.set_patient(patient_id, "Test patient")
    _choose_repeat(panel, qtbot, "weekly", 3)

    panel.check_now()
    settle(qtbot, page.context.ops)
    gap_rows = [row for row in panel.preview_rows if row.problem is not None]
    assert [row.series_date for row in gap_rows] == [spring_forward]
    gap_item = panel.preview.item(1)
    assert gap_item is not None
    assert "skipped" in gap_item.text()

    panel.book_now()
    settle(qtbot, page.context.ops)

    assert panel.last_series is not None
    assert [day for day, _reason in panel.last_series.skipped] == [spring_forward]
    assert "does not exist" in panel.last_series.skipped[0][1]
    report = panel.conflict_label.text()
    assert "Booked 2 visits; skipped 1:" in report
    assert f"{spring_forward:%m/%d/%Y}" in report
    booked = [row.starts_at for row in _series_rows(demo_database, patient_id)]
    assert booked == [
        datetime.combine(first, time(2, 30)),
        datetime.combine(first + timedelta(weeks=2), time(2, 30)),
    ]
