"""How the Statements page's screens read and behave for a new user, over the statement
test practice.

The tests cover the preview summary, a future statement date, sorting, whole headers,
Tab in tables, the report's level boxes, CSV exports and where they are saved, and the
New payment plan dialog's layout.

Tests that measure widgets apply the program's style sheet, whose bold headers and
large summary card are what made text run out of room.
"""

import csv
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services import statement_runs
from app.services.statement_runs import HistoryRow
from app.services.today import practice_today
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice, build_statement_practice
from tests.ui.charges.conftest import drain
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.patient.fields import format_date
from ui.statements import files
from ui.statements.history_tab import statement_cells, statement_table
from ui.statements.keys import mnemonic_of
from ui.statements.page import StatementsPage
from ui.statements.plan_dialog import PlanDialog
from ui.statements.reports_tab import ReportsTab
from ui.statements.tables import format_timestamp

ContextFor = Callable[[Actor], AppContext]
CHICAGO = "America/Chicago"


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


@pytest.fixture
def context_for(
    qtbot: QtBot, database: Database, practice: StatementPractice
) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox | PlanDialog):
            widget.close()
    for context in made:
        drain(qtbot, context)


def show_page(
    qtbot: QtBot, context: AppContext, width: int = 1280, height: int = 800
) -> StatementsPage:
    """Show a Statements page of the given size and load its first tab."""
    page = StatementsPage(context)
    qtbot.addWidget(page)
    context.ops.changed.connect(page.handle_changes)
    page.resize(width, height)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    drain(qtbot, context)
    return page


def preview_on(qtbot: QtBot, context: AppContext, page: StatementsPage, day: date) -> None:
    """Type the statement date and press Enter, which previews."""
    field = page.run_tab.run_date
    field.clear()
    qtbot.keyClicks(field, format_date(day))
    qtbot.keyClick(field, Qt.Key.Key_Return)
    drain(qtbot, context)


def today_of(database: Database) -> date:
    with database.reading() as session:
        return practice_today(session)


def headers(table: QTableWidget) -> list[str]:
    return [table.horizontalHeaderItem(column).text() for column in range(table.columnCount())]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# Statement run


def test_long_summary_never_widens_page(
    qtbot: QtBot, styled: None, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page = show_page(qtbot, context, width=1000)
    summary = page.run_tab.summary

    preview_on(qtbot, context, page, STATEMENT_DATE)

    assert summary.text().startswith("3 statements to send: 3 printed, 0 by email · ")
    assert summary.toolTip() == summary.text()
    assert page.minimumSizeHint().width() <= 1000
    assert page.width() == 1000
    # Wrapped, every line of the summary fits inside the label.
    assert summary.height() >= summary.heightForWidth(summary.width())
    right = summary.mapTo(page, QPoint(summary.width(), 0)).x()
    assert right <= page.width()


def test_future_date_rejected_at_preview(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page = show_page(qtbot, context)
    tab = page.run_tab
    today = today_of(database)
    tomorrow = today + timedelta(days=1)

    preview_on(qtbot, context, page, tomorrow)

    assert tab.status.text() == (
        f"The statement date {format_date(tomorrow)} is after today ({format_date(today)}); "
        "run statements dated today or earlier."
    )
    assert tab.table.rowCount() == 0
    assert tab.summary.text() == ""
    assert not tab.run_button.isEnabled()
    assert tab.preview_button.isEnabled()


def test_preview_today_allowed(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page = show_page(qtbot, context)
    today = today_of(database)

    preview_on(qtbot, context, page, today)

    assert page.run_tab.status.text() == f"Preview of the statements dated {format_date(today)}."


def test_preview_sorts_amounts_and_levels(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page = show_page(qtbot, context)
    tab = page.run_tab
    preview_on(qtbot, context, page, STATEMENT_DATE)
    tab.show_skipped.setChecked(True)
    amount, level = headers(tab.table).index("Amount due"), headers(tab.table).index("Level")

    tab.table.sortItems(amount, Qt.SortOrder.AscendingOrder)
    assert tab.table.column_texts(amount) == ["$0.00", "$3.50", "$30.00", "$175.00", "$395.00"]
    tab.table.sortItems(amount, Qt.SortOrder.DescendingOrder)
    assert tab.table.column_texts(amount)[0] == "$395.00"

    # A skipped row gets no notice, so it sorts after every level.
    tab.table.sortItems(level, Qt.SortOrder.AscendingOrder)
    assert tab.table.column_texts(level) == ["Statement"] * 3 + ["Skipped"] * 2


def history_row(level: str, label: str, amount: str, day: date) -> HistoryRow:
    return HistoryRow(
        statement_id=uuid.uuid4(),
        statement_number=f"S-{level}",
        statement_date=day,
        level=level,
        level_label=label,
        amount_due=Decimal(amount),
        insurance_pending=Decimal("0.00"),
        channel="print",
        status="printed",
        sent_at=datetime(2026, 12, 5, 15, 30, tzinfo=UTC),
        last_error=None,
    )


def test_levels_sort_in_notice_order(qtbot: QtBot) -> None:
    table = statement_table("levels")
    qtbot.addWidget(table)
    rows = [
        history_row("final", "Final notice", "25.00", date(2026, 12, 5)),
        history_row("statement", "Statement", "1000.00", date(2027, 1, 5)),
        history_row("plan_reminder", "Payment plan reminder", "5.00", date(2026, 11, 5)),
        history_row("third", "3rd notice", "250.00", date(2026, 10, 5)),
        history_row("second", "2nd notice", "-12.00", date(2026, 9, 5)),
    ]
    table.set_rows([(row.statement_id, statement_cells(row)) for row in rows])

    table.sortItems(2, Qt.SortOrder.AscendingOrder)
    assert table.column_texts(2) == [
        "Statement", "2nd notice", "3rd notice", "Final notice", "Payment plan reminder",
    ]  # fmt: skip
    table.sortItems(3, Qt.SortOrder.AscendingOrder)
    assert table.column_texts(3) == ["-$12.00", "$5.00", "$25.00", "$250.00", "$1,000.00"]
    table.sortItems(1, Qt.SortOrder.AscendingOrder)
    assert table.column_texts(1) == [
        "09/05/2026", "10/05/2026", "11/05/2026", "12/05/2026", "01/05/2027",
    ]  # fmt: skip


def test_sent_shown_as_local_time() -> None:
    row = history_row("statement", "Statement", "10.00", date(2026, 12, 5))
    zone = ZoneInfo(CHICAGO)

    cells = statement_cells(row, zone)

    # 15:30 UTC is 9:30 in the morning in Chicago in December.
    assert cells[7].text == "12/05/2026 9:30 AM"  # type: ignore[union-attr]
    assert cells[5] == "Print"
    assert cells[6] == "Printed"
    assert format_timestamp(datetime(2026, 7, 1, 23, 5, tzinfo=UTC), zone) == "07/01/2026 6:05 PM"
    assert format_timestamp(None, zone) == ""


def test_empty_tables_show_whole_titles(
    qtbot: QtBot, styled: None, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page = show_page(qtbot, context)
    page.show_tab(page.reports)
    drain(qtbot, context)
    page.reports.report.setCurrentIndex(1)
    checked = {
        page.run_tab.table: ("Amount due",),
        page.reports.overdue_table: ("Oldest service", "Last statement"),
    }

    for table, titles in checked.items():
        header = table.horizontalHeader()
        for title in titles:
            column = headers(table).index(title)
            assert table.columnWidth(column) >= header.sectionSizeHint(column), title


def test_tab_leaves_every_table(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.manager)
    page = show_page(qtbot, context)
    tables = page.findChildren(QTableWidget)
    assert len(tables) >= 7
    for table in tables:
        assert not table.tabKeyNavigation(), table.objectName()

    preview_on(qtbot, context, page, STATEMENT_DATE)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    table = page.run_tab.table
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table


# Reports


def show_reports(qtbot: QtBot, context: AppContext) -> tuple[StatementsPage, ReportsTab]:
    page = show_page(qtbot, context)
    page.show_tab(page.reports)
    drain(qtbot, context)
    return page, page.reports


def test_level_boxes_have_alt_letters(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page, reports = show_reports(qtbot, context)
    letters = {code: mnemonic_of(box.text()) for code, box in reports.level_boxes.items()}

    assert None not in letters.values()
    assert len(set(letters.values())) == len(letters)
    box = reports.level_boxes["statement"]
    assert not box.isChecked()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    reports.start.setFocus()
    letter = letters["statement"]
    assert letter is not None
    qtbot.keyClick(reports.start, letter, Qt.KeyboardModifier.AltModifier)
    # A button's Alt key clicks it after a short press animation.
    qtbot.waitUntil(box.isChecked, timeout=2_000)
    assert box.hasFocus()


def test_tab_reaches_level_boxes(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    page, reports = show_reports(qtbot, context)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    boxes = list(reports.level_boxes.values())

    reports.end.setFocus()
    for box in boxes:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is box, box.text()


def test_cutoff_counts_one_day(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    _page, reports = show_reports(qtbot, context)

    reports.cutoff.setValue(1)
    assert reports.cutoff.text() == "1 day"
    reports.cutoff.setValue(2)
    assert reports.cutoff.text() == "2 days"
    reports.cutoff.setValue(30)
    assert reports.cutoff.text() == "30 days"


def test_notice_csv_reads_like_screen(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    with database.transaction() as session:
        statement_runs.run_statements(session, practice.biller, STATEMENT_DATE)
    context = context_for(practice.biller)
    _page, reports = show_reports(qtbot, context)
    reports.level_boxes["statement"].setChecked(True)
    reports.start.set_date(date(2026, 6, 1))
    reports.end.set_date(date(2026, 6, 30))
    reports.show_button.click()
    drain(qtbot, context)
    table = reports.notice_table

    target = tmp_path / "notices.csv"
    reports.export_to(target)
    drain(qtbot, context)
    rows = read_csv(target)

    assert rows[0] == headers(table)
    channel, status = headers(table).index("Channel"), headers(table).index("Status")
    assert [row[channel] for row in rows[1:]] == table.column_texts(channel) == ["Print"] * 3
    assert [row[status] for row in rows[1:]] == table.column_texts(status) == ["Printed"] * 3


def test_overdue_csv_reads_like_screen(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.biller)
    _page, reports = show_reports(qtbot, context)
    reports.report.setCurrentIndex(1)
    reports.as_of.set_date(STATEMENT_DATE)

    target = tmp_path / "overdue.csv"
    reports.export_to(target)
    drain(qtbot, context)

    assert read_csv(target)[0] == headers(reports.overdue_table)


class SaveDialogs:
    """Stands in for QFileDialog: records where each save dialog opened, returns `answers`."""

    def __init__(self, answers: list[Path]) -> None:
        self.answers = answers
        self.opened_at: list[Path] = []

    def getSaveFileName(self, *args: Any) -> tuple[str, str]:  # noqa: N802 (Qt's name)
        _parent, _title, start, _filter = args
        self.opened_at.append(Path(start))
        return str(self.answers.pop(0)), "CSV files (*.csv)"


def test_export_opens_outside_program_folder(
    qtbot: QtBot,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen = tmp_path / "exports" / "my-notices.csv"
    chosen.parent.mkdir()
    dialogs = SaveDialogs([chosen, tmp_path / "exports" / "again.csv"])
    monkeypatch.setattr(files, "QFileDialog", dialogs)
    files.forget_folder()
    context = context_for(practice.biller)
    _page, reports = show_reports(qtbot, context)

    reports.choose_export_file()
    drain(qtbot, context)

    first = dialogs.opened_at[0]
    assert first.name == "notices.csv"
    assert first.parent.is_absolute()
    assert first.parent.is_dir()
    assert first.parent != Path.cwd()
    assert chosen.exists()

    # The next export starts where the last file went.
    reports.choose_export_file()
    drain(qtbot, context)
    assert dialogs.opened_at[1] == chosen.parent / "notices.csv"
    files.forget_folder()


# The New payment plan dialog


def open_dialog(qtbot: QtBot, context: AppContext) -> PlanDialog:
    dialog = PlanDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def caption_of(dialog: QWidget, field: QWidget) -> QLabel:
    return next(label for label in dialog.findChildren(QLabel) if label.buddy() is field)


def top_in(dialog: QWidget, widget: QWidget) -> int:
    return widget.mapTo(dialog, QPoint(0, 0)).y()


def test_note_caption_beside_its_box(
    qtbot: QtBot, styled: None, practice: StatementPractice, context_for: ContextFor
) -> None:
    dialog = open_dialog(qtbot, context_for(practice.desk))

    for field in (dialog.note, dialog.total, dialog.grace_days):
        caption = caption_of(dialog, field)
        assert abs(top_in(dialog, caption) - top_in(dialog, field)) <= 8, caption.text()


def test_problems_leave_fields_in_place(
    qtbot: QtBot, styled: None, practice: StatementPractice, context_for: ContextFor
) -> None:
    dialog = open_dialog(qtbot, context_for(practice.desk))
    fields = list(dialog.form.fields.values())
    before = [top_in(dialog, field) for field in fields]
    height = dialog.height()

    dialog.down_payment.setFocus()
    dialog.down_payment.selectAll()
    qtbot.keyClicks(dialog.down_payment, "01/01/2025")
    dialog.start_on.setFocus()
    qtbot.keyClicks(dialog.start_on, "0")

    assert "01/01/2025 is not an amount" in dialog.problem_text("down_payment")
    assert "is not a valid date" in dialog.problem_text("start_on")
    assert "01/01/2025 is not an amount" in dialog.messages.text()
    assert dialog.down_payment.property("invalid")
    assert [top_in(dialog, field) for field in fields] == before
    assert dialog.height() == height
    # The note box keeps its full height: its row is not squeezed to make room.
    holder = dialog.note.parentWidget()
    assert holder is not None
    assert holder.height() >= dialog.note.height() >= dialog.note_height
    assert dialog.focusWidget() is dialog.start_on


def test_patient_list_shows_whole_rows(
    qtbot: QtBot, styled: None, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.desk)
    dialog = open_dialog(qtbot, context)

    qtbot.keyClicks(dialog.patient, "Garcia")
    dialog.search.search_now()
    drain(qtbot, context)
    popup = dialog.search.popup
    qtbot.waitUntil(popup.isVisible, timeout=5_000)

    view = popup.view
    rows = view.model().rowCount()
    assert rows == 3
    assert not view.horizontalScrollBar().isVisible()
    assert view.viewport().height() >= rows * view.rowHeight(0)
    chart = 3
    assert not view.isColumnHidden(chart)
    assert view.columnViewportPosition(chart) + view.columnWidth(chart) <= view.viewport().width()
    # The list is drawn inside the dialog, so it must end inside it too.
    assert popup.geometry().right() <= dialog.width()
    assert popup.geometry().bottom() <= dialog.height()
