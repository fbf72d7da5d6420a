"""The Schedule page over the demo practice: drawing, keys, booking, moving, cancelling."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.patients import Patient
from app.models.scheduling import Appointment
from app.services.calendar_view import Block
from tests.ui.conftest import settle, sign_in_as
from ui.context import AppContext, SignedInUser
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.schedule.dialogs import CancelDialog
from ui.schedule.page import SchedulePage

Page = Callable[..., SchedulePage]


@pytest.fixture
def make_page(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> Page:
    def build(username: str = "admin") -> SchedulePage:
        actor = sign_in_as(demo_database, username, workstation)
        context = AppContext(demo_database, ops, SignedInUser(actor), workstation)
        page = SchedulePage(context)
        # The main window hands every page the changes the runner reports.
        ops.changed.connect(page.handle_changes)
        qtbot.addWidget(page)
        page.resize(1300, 800)
        page.show()
        qtbot.waitExposed(page)
        page.refresh()
        settle(qtbot, ops)
        return page

    return build


SMALL_SCREEN_WIDTH = 1280


def _busy_day(database: Database) -> date:
    with database.reading() as session:
        first = session.scalars(
            select(Appointment.starts_at)
            .where(Appointment.status == "scheduled")
            .order_by(Appointment.starts_at)
        ).first()
    assert first is not None
    return first.date()


def _open_day(page: SchedulePage, qtbot: QtBot, day: date) -> None:
    page.day = day
    page.reload()
    settle(qtbot, page.context.ops)


def _movable(page: SchedulePage) -> Block:
    return next(block for block in page.grid.grid.blocks if block.status == "scheduled")


def test_day_view_draws_blocks(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database))

    assert page.grid.grid.columns
    assert page.grid.grid.blocks
    block = page.grid.grid.blocks[0]
    rect = page.grid.block_rect(block.appointment_id)
    assert rect is not None
    assert rect.height() > 0
    assert page.grid.block_at(rect.center()) is block


def test_page_down_changes_date(make_page: Page, qtbot: QtBot) -> None:
    page = make_page()
    page.grid.setFocus()
    before = page.date_label.text()
    start = page.day

    qtbot.keyClick(page.grid, Qt.Key.Key_PageDown)
    settle(qtbot, page.context.ops)

    assert page.day == start + timedelta(days=1)
    assert page.date_label.text() != before
    qtbot.keyClick(page.grid, Qt.Key.Key_PageUp)
    qtbot.keyClick(page.grid, Qt.Key.Key_PageUp)
    assert page.day == start - timedelta(days=1)
    qtbot.keyClick(page.grid, Qt.Key.Key_T)
    assert page.day == start
    settle(qtbot, page.context.ops)


def test_arrows_move_slot_cursor(make_page: Page, qtbot: QtBot) -> None:
    page = make_page()
    page.grid.select_slot(0, 0)  # 7:00, before any demo visit starts

    qtbot.keyClick(page.grid, Qt.Key.Key_Right)
    qtbot.keyClick(page.grid, Qt.Key.Key_Down)

    assert page.grid.cursor_column == min(1, len(page.grid.grid.columns) - 1)
    assert page.grid.cursor_minute == 15
    assert page.grid.selected is None


def test_n_books_at_slot(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    day = _busy_day(demo_database) + timedelta(days=14)
    _open_day(page, qtbot, day)
    page.grid.select_slot(0, 60)  # 8:00, one hour after the first hour shown
    qtbot.keyClick(page.grid, Qt.Key.Key_N)

    panel = page.panel
    assert panel is not None
    assert panel.starts.dateTime().toPython() == datetime.combine(day, time(8))
    assert panel.provider.currentData() == page.grid.grid.columns[0].id
    with demo_database.reading() as session:
        patient = session.scalars(select(Patient)).first()
        assert patient is not None
        patient_id = patient.id
    panel.set_patient(patient_id, "Test patient")
    panel.check_now()
    settle(qtbot, page.context.ops)
    panel.book_now()
    settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        booked = session.scalars(
            select(Appointment).where(
                Appointment.patient_id == patient_id,
                Appointment.starts_at == datetime.combine(day, time(8)),
            )
        ).all()
    assert len(booked) == 1
    assert booked[0].provider_id == page.grid.grid.columns[0].id


def test_n_in_another_column_picks_its_provider(
    make_page: Page, qtbot: QtBot, demo_database: Database
) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database) + timedelta(days=14))
    columns = page.grid.grid.columns
    assert len(columns) > 1
    page.grid.select_slot(len(columns) - 1, 60)

    qtbot.keyClick(page.grid, Qt.Key.Key_N)

    assert page.panel is not None
    assert page.panel.provider.currentData() == columns[-1].id


def test_conflict_warning_shows(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database))
    taken = _movable(page)
    page.open_booking(taken.column, taken.starts_at, taken.minutes)
    panel = page.panel
    assert panel is not None
    with demo_database.reading() as session:
        other = session.scalars(select(Patient).where(Patient.id != taken.patient_id)).first()
        assert other is not None
    panel.set_patient(other.id, "Another patient")
    panel.check_now()
    settle(qtbot, page.context.ops)

    assert any(conflict.kind == "provider_overlap" for conflict in panel.conflicts)
    assert "Blocked:" in panel.conflict_label.text()


def _drag(qtbot: QtBot, widget: object, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    middle = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    qtbot.mouseMove(widget, middle)
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def _free_time(page: SchedulePage, column: int) -> datetime:
    """The first hour-aligned time after 18:00 with nothing booked in `column`."""
    day = page.grid.grid.columns[column].day
    return datetime.combine(day, time(18))


def test_drag_moves_appointment(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database))
    block = _movable(page)
    rect = page.grid.block_rect(block.appointment_id)
    assert rect is not None
    target = _free_time(page, 0)
    start = QPoint(int(rect.center().x()), int(rect.top()) + 3)
    offset = page.grid.layout_.minute_at(start.y()) - page.grid.minute_of(block.starts_at)
    end = page.grid.slot_point(0, page.grid.minute_of(target) + offset)

    _drag(qtbot, page.grid, start, end)
    settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        moved = session.get_one(Appointment, block.appointment_id)
        assert moved.starts_at == target
        assert moved.provider_id == page.grid.grid.columns[0].id


def test_drag_edge_resizes(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database))
    block = _movable(page)
    # Make room below so the longer visit meets no other one.
    page.move(block, _free_time(page, 0))
    settle(qtbot, page.context.ops)
    assert page.status.text().startswith("Moved"), page.status.text()
    block = next(b for b in page.grid.grid.blocks if b.appointment_id == block.appointment_id)
    rect = page.grid.block_rect(block.appointment_id)
    assert rect is not None
    start = QPoint(int(rect.center().x()), int(rect.bottom()) - 2)
    pixels = 30 * page.grid.layout_.pixels_per_minute
    end = QPoint(start.x(), int(start.y() + pixels))

    _drag(qtbot, page.grid, start, end)
    settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        resized = session.get_one(Appointment, block.appointment_id)
        assert resized.duration_minutes == block.minutes + 30, page.status.text()
        assert resized.starts_at == block.starts_at
    assert page.status.text().startswith(f"Resized to {block.minutes + 30} minutes.")


def test_blocked_move_snaps_back(make_page: Page, qtbot: QtBot, demo_database: Database) -> None:
    page = make_page("frontdesk")
    _open_day(page, qtbot, _busy_day(demo_database))
    block = _movable(page)
    taken = next(
        other
        for other in page.grid.grid.blocks
        if other.column == block.column and other.appointment_id != block.appointment_id
    )

    page.move(block, taken.starts_at)
    settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        unchanged = session.get_one(Appointment, block.appointment_id)
        assert unchanged.starts_at == block.starts_at
    assert "Not moved" in page.status.text()
    assert page.notice is not None
    assert "Blocked" in page.notice.text()
    rect = page.grid.block_rect(block.appointment_id)
    assert rect is not None
    assert page.grid.block_at(rect.center()) == block


def test_delete_cancels_with_reason(
    make_page: Page, qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page()
    _open_day(page, qtbot, _busy_day(demo_database))
    block = _movable(page)
    page.grid.select_block(block.appointment_id)

    def answer(dialog: CancelDialog) -> int:
        dialog.reason.setText("Patient is out of town")
        dialog.by_practice.setChecked(True)
        return CancelDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CancelDialog, "exec", answer)
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        cancelled = session.get_one(Appointment, block.appointment_id)
        assert cancelled.status == "cancelled"
        assert cancelled.cancel_reason == "Patient is out of town"
        assert cancelled.cancelled_by == "practice"
    settle(qtbot, page.context.ops)
    assert block.appointment_id not in {b.appointment_id for b in page.grid.grid.blocks}
    QApplication.processEvents()


def test_every_view_fits_a_small_laptop_screen(
    make_window: Callable[..., MainWindow], qtbot: QtBot, ops: OperationRunner
) -> None:
    window = make_window("frontdesk")
    window.go_to("Schedule")
    page = window.pages["Schedule"]
    assert isinstance(page, SchedulePage)

    for index in range(page.view.count()):
        page.view.setCurrentIndex(index)
        settle(qtbot, ops)
        qtbot.wait(50)  # the new view's layout settles on the next event loop turn
        # 1280 pixels is the narrowest screen still common at front desks.
        assert window.minimumSizeHint().width() <= SMALL_SCREEN_WIDTH, page.view.currentText()
