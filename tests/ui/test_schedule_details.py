"""Details of the Schedule page a new user meets: hints, keys, texts and field sizes."""

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTableView
from pytestqt.qtbot import QtBot

from app.changes import Changes
from app.db.database import Database
from app.services.booking import Conflict, SeriesOutcome
from app.services.calendar_facts import PatientFlags
from app.services.calendar_view import Block
from app.services.series_preview import PreviewRow
from tests.helpers.scheduling_data import wall
from tests.ui import test_schedule
from tests.ui.conftest import settle
from tests.ui.test_schedule import Page
from ui.schedule import painting
from ui.schedule.booking import BookingPanel, preview_summary, series_report
from ui.schedule.dialogs import CancelDialog
from ui.schedule.page import SchedulePage
from ui.schedule.repeat import RepeatSection
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


def test_booking_notes_keep_three_lines(make_page: Page, qtbot: QtBot) -> None:
    page = make_page()
    panel = _open_panel(page, qtbot)
    font = QFont(panel.font())
    font.setPointSize(20)  # a large-text setting: three lines no longer fit in 60 pixels

    panel.setFont(font)
    panel.resize(panel.width(), 200)  # far shorter than the form needs
    qtbot.wait(50)

    lines = panel.notes.fontMetrics().lineSpacing()
    assert panel.notes.height() >= 3 * lines
    panel.close()


def _month_page(make_page: Page, qtbot: QtBot) -> SchedulePage:
    page = make_page()
    page.view.setCurrentIndex(page.view.findData("month"))
    settle(qtbot, page.context.ops)
    assert page.stack.currentWidget() is page.month
    return page


def _day_cell(page: SchedulePage, day: date) -> tuple[QTableView, QPoint]:
    """Return the month's day table and the center of `day`'s cell in its viewport.

    Only days 8 to 21 are looked up, because the neighbor months' days shown in grey
    repeat the numbers 1 to 7 and 22 to 31.
    """
    assert 8 <= day.day <= 21
    view = page.month.findChild(QTableView, "qt_calendar_calendarview")
    assert view is not None
    model = view.model()
    for row in range(1, model.rowCount()):  # row 0 contains the weekday names
        for column in range(model.columnCount()):
            index = model.index(row, column)
            if index.data() == day.day:
                return view, view.visualRect(index).center()
    raise AssertionError(f"{day} is not shown")


def test_month_click_selects_day(make_page: Page, qtbot: QtBot) -> None:
    page = _month_page(make_page, qtbot)
    assert page.day is not None
    target = page.day.replace(day=16 if page.day.day == 15 else 15)
    view, point = _day_cell(page, target)

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    settle(qtbot, page.context.ops)

    assert page.mode == "month"
    assert page.day == target
    page.view.setCurrentIndex(page.view.findData("day_providers"))
    settle(qtbot, page.context.ops)
    assert page.grid.grid.columns[0].day == target


def test_month_double_click_opens_day(make_page: Page, qtbot: QtBot) -> None:
    page = _month_page(make_page, qtbot)
    assert page.day is not None
    target = page.day.replace(day=16 if page.day.day == 15 else 15)
    view, point = _day_cell(page, target)

    # A real double-click starts with a press and release, which select the day.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    settle(qtbot, page.context.ops)

    assert page.mode == "day_providers"
    assert page.day == target
    assert page.grid.grid.columns[0].day == target


def test_month_enter_opens_day(make_page: Page, qtbot: QtBot) -> None:
    page = _month_page(make_page, qtbot)
    assert page.day is not None
    start = page.day
    view = page.month.findChild(QTableView, "qt_calendar_calendarview")
    assert view is not None
    view.setFocus()

    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    settle(qtbot, page.context.ops)

    assert page.mode == "day_providers"
    assert page.day == start + timedelta(days=1)


def test_month_navigation_reloads_counts(
    make_page: Page, qtbot: QtBot, demo_database: Database
) -> None:
    page = _month_page(make_page, qtbot)
    assert page.day is not None
    busy = test_schedule._busy_day(demo_database)
    earlier = (busy.replace(day=1) - timedelta(days=1)).replace(day=1)
    page.day = earlier
    page.reload()
    settle(qtbot, page.context.ops)
    assert busy not in page.month.counts

    page.month.showNextMonth()
    settle(qtbot, page.context.ops)

    assert (page.day.year, page.day.month) == (busy.year, busy.month)
    assert page.month.counts.get(busy, 0) > 0
    assert page.date_label.text() == f"{busy:%B %Y}"


REPOSITORY = Path(__file__).resolve().parents[2]
SCHEDULE_SOURCES = sorted(
    [
        *(REPOSITORY / "ui" / "schedule").glob("*.py"),
        *(REPOSITORY / "ui" / "pages").glob("today*.py"),
        REPOSITORY / "ui" / "pages" / "check_in_dialog.py",
    ]
)


@pytest.mark.parametrize("path", SCHEDULE_SOURCES, ids=lambda path: path.name)
def test_times_formatted_by_one_helper(path: Path) -> None:
    # Every time of day goes through app.clock.format_time, so no file formats one itself.
    source = path.read_text(encoding="utf-8")

    assert "%I" not in source
    assert "%H" not in source
    assert '"AM"' not in source


def _block(starts_at: datetime) -> Block:
    return Block(
        appointment_id=uuid.uuid4(), column=(uuid.uuid4(), starts_at.date()),
        patient_id=uuid.uuid4(), provider_id=uuid.uuid4(), room_id=None,
        location_id=uuid.uuid4(), starts_at=starts_at, minutes=45,
        patient_name="Rivera, Maria", chart_number="T-000001", type_name="Follow-up",
        appointment_type_id=None, color="#4a90d9", status="scheduled", flags=PatientFlags(),
        reason=None, notes=None, conflict_note=None,
    )  # fmt: skip


def test_block_texts_use_twelve_hour(qtbot: QtBot) -> None:
    block = _block(wall(2026, 2, 2, 9))

    assert painting.block_title(block) == "9:00 AM Rivera, Maria"
    assert "9:00 AM to 9:45 AM, 45 min" in painting.block_tooltip(block)
    dialog = CancelDialog(block)
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "Rivera, Maria, Mon 02/02 9:00 AM" in labels


def _preview(problem: str | None = None, *severities: str) -> PreviewRow:
    conflicts = tuple(
        Conflict("provider_overlap", "The provider has another visit", severity)  # type: ignore[arg-type]
        for severity in severities
    )
    starts_at = wall(2026, 2, 2, 9)
    return PreviewRow(starts_at.date(), starts_at, problem, conflicts)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_preview(), _preview()], "2 dates, all free."),
        ([_preview()], "1 date, all free."),
        ([_preview(), _preview(None, "warning")], "2 dates: 1 with warnings."),
        (
            [_preview("no such time"), _preview(None, "block"), _preview()],
            "3 dates: 1 skipped (time does not exist that day), "
            "1 blocked (booked only with an override reason).",
        ),
    ],
)
def test_preview_summary_leaves_out_zeros(rows: list[PreviewRow], expected: str) -> None:
    assert preview_summary(rows) == expected


def test_series_report_without_skips() -> None:
    outcome = SeriesOutcome(uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()], [], Changes())

    assert series_report(outcome) == "Booked 2 visits."


def test_series_report_lists_skips() -> None:
    skipped = [(date(2026, 3, 8), "2:30 AM does not exist that day")]
    outcome = SeriesOutcome(uuid.uuid4(), [uuid.uuid4()], skipped, Changes())

    assert series_report(outcome) == (
        "Booked 1 visit; skipped 1:\n03/08/2026 — 2:30 AM does not exist that day"
    )


def _kind_label(section: RepeatSection, kind: str) -> str:
    return section.kind.itemText(section.kind.findData(kind))


def test_repeat_labels_show_numbers(qtbot: QtBot) -> None:
    section = RepeatSection()
    qtbot.addWidget(section)
    section.set_first_visit(wall(2026, 2, 17, 9))  # the third Tuesday of February

    assert _kind_label(section, "every_n_weeks") == "Every 2 weeks"
    assert _kind_label(section, "monthly_by_date") == "Monthly on day 17"
    assert _kind_label(section, "monthly_by_weekday") == "Monthly on the 3rd Tuesday"

    section.interval.lineEdit().selectAll()
    qtbot.keyClicks(section.interval, "6")
    assert _kind_label(section, "every_n_weeks") == "Every 6 weeks"

    section.week.setCurrentIndex(section.week.findData(-1))
    assert _kind_label(section, "monthly_by_weekday") == "Monthly on the last Tuesday"
