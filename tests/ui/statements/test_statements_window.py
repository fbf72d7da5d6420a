"""The Statements page inside the main window: focus on opening, Alt letters, room at 768.

These run on the demo practice (tests/ui/conftest.py), signed in as its biller or
manager, because the menu bar's Alt letters and the space left by the navigation,
heading and key hint belong to the main window.
"""

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableWidget, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.patients import Patient
from app.models.statements import BillingAccount, Statement
from app.services import statement_runs
from app.services.collections import PlacementRow
from app.services.today import practice_today
from tests.ui.conftest import settle, sign_in_as
from tests.ui.statements.mnemonics import shared_mnemonics
from ui.help import NAVIGATION_PAGES
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.patient.record import open_patient
from ui.patient.record_tabs import BILLING_ACCOUNT, install_record_tabs
from ui.statements.collections_dialogs import PlaceDialog, RecallDialog, RecoveryDialog
from ui.statements.page import StatementsPage
from ui.statements.plan_dialog import PlanDialog
from ui.statements.reports_tab import ReportsTab

WindowFactory = Callable[..., MainWindow]
# A 1366 by 768 laptop screen, the smallest the practice's workstations have.
SCREEN_WIDTH = 1366
SCREEN_HEIGHT = 768
MIN_ROWS = 6


def open_statements(qtbot: QtBot, window: MainWindow, ops: OperationRunner) -> StatementsPage:
    """Press Ctrl+7 in the navigation, as a user opens the page, and wait for it to load."""
    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, ops)
    page = window.pages["Statements"]
    assert isinstance(page, StatementsPage)
    assert window.current_page_name() == "Statements"
    return page


def run_today(database: Database, workstation: str) -> str:
    """Run the demo practice's statements dated today; return an account number sent one."""
    biller = sign_in_as(database, "biller", workstation)
    with database.transaction() as session:
        statement_runs.run_statements(session, biller, practice_today(session))
    with database.reading() as session:
        number = session.scalars(
            select(BillingAccount.account_number)
            .join(Statement, Statement.account_id == BillingAccount.id)
            .limit(1)
        ).one()
    return number


def rows_that_fit(table: QTableWidget) -> int:
    """Return how many whole rows the table shows without scrolling."""
    return table.viewport().height() // table.verticalHeader().defaultSectionSize()


def right_edge(table: QTableWidget, column: int) -> int:
    return table.columnViewportPosition(column) + table.columnWidth(column)


def test_ctrl7_focus_lets_f5_preview(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("biller")

    page = open_statements(qtbot, window, ops)

    focused = QApplication.focusWidget()
    assert focused is not None
    assert page.isAncestorOf(focused)
    assert focused is page.run_tab.run_date
    qtbot.keyClick(focused, Qt.Key.Key_F5)
    settle(qtbot, ops)
    assert page.run_tab.status.text().startswith("Preview of the statements dated ")
    assert page.run_tab.table.rowCount() > 0


def test_page_alt_letters_unique(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("manager")
    page = open_statements(qtbot, window, ops)

    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        settle(qtbot, ops)
        title = page.tabs.tabText(index)
        assert shared_mnemonics(window) == {}, title
        tab = page.tabs.widget(index)
        if isinstance(tab, ReportsTab):
            assert tab.level_boxes, "the level boxes load with the tab"
            tab.report.setCurrentIndex(1)
            assert shared_mnemonics(window) == {}, f"{title}, overdue report"
            tab.report.setCurrentIndex(0)


def test_admin_statements_alt_letters_unique(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("manager")
    window.go_to_row(NAVIGATION_PAGES.index("Admin"))
    settle(qtbot, ops)
    admin = window.admin_page
    assert admin is not None
    tabs = admin.tabs  # type: ignore[attr-defined]
    titles = [tabs.tabText(index) for index in range(tabs.count())]
    tabs.setCurrentIndex(titles.index("Statements"))
    settle(qtbot, ops)

    assert shared_mnemonics(window) == {}


def placement_row() -> PlacementRow:
    return PlacementRow(
        placement_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        account_number="A7MJ-000018",
        guarantor_name="Andrea Parrish",
        agency="Lakeshore Recovery Services",
        placed_on=date(2026, 12, 5),
        placed_amount=Decimal("107.30"),
        recovered=Decimal("0.00"),
        fees=Decimal("0.00"),
        status="placed",
        exported_at=None,
    )


def test_dialog_alt_letters_unique(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("manager")
    context = window.context
    dialogs: list[QWidget] = [
        PlanDialog(context),
        RecoveryDialog(context, placement_row(), date(2026, 12, 5)),
        PlaceDialog(context, [], date(2026, 12, 5)),
        RecallDialog(context, placement_row()),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)

        assert shared_mnemonics(dialog) == {}, dialog.windowTitle()


def test_billing_account_tab_alt_letters_unique(
    qtbot: QtBot,
    make_window: WindowFactory,
    ops: OperationRunner,
    demo_database: Database,
) -> None:
    window = make_window("biller")
    with demo_database.reading() as session:
        patient_id = session.scalars(select(Patient.id).limit(1)).one()
    install_record_tabs()
    record = open_patient(window.context, patient_id)
    qtbot.addWidget(record)
    settle(qtbot, ops)
    titles = [record.tabs.tabText(index) for index in range(record.tabs.count())]

    record.tabs.setCurrentIndex(titles.index(BILLING_ACCOUNT))
    settle(qtbot, ops)

    assert shared_mnemonics(record) == {}


def test_history_and_reports_room_at_768(
    qtbot: QtBot,
    make_window: WindowFactory,
    ops: OperationRunner,
    demo_database: Database,
    workstation: str,
) -> None:
    account_number = run_today(demo_database, workstation)
    window = make_window("biller")
    window.resize(SCREEN_WIDTH, SCREEN_HEIGHT)
    assert window.height() == SCREEN_HEIGHT
    page = open_statements(qtbot, window, ops)
    history = page.history
    page.show_tab(history)
    settle(qtbot, ops)

    history.search.setText(account_number)
    history.find_accounts()
    settle(qtbot, ops)
    qtbot.waitUntil(lambda: history.statement_table.rowCount() > 0, timeout=5_000)
    settle(qtbot, ops)

    table = history.statement_table
    assert rows_that_fit(table) >= MIN_ROWS
    viewport = table.viewport().width()
    for title in ("Status", "Sent"):
        column = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())].index(
            title
        )
        assert right_edge(table, column) <= viewport, title
    last_error = table.columnCount() - 1
    assert table.horizontalHeaderItem(last_error).text() == "Last error"
    assert table.columnViewportPosition(last_error) + 40 <= viewport

    page.show_tab(page.reports)
    settle(qtbot, ops)
    assert rows_that_fit(page.reports.notice_table) >= MIN_ROWS
    page.reports.report.setCurrentIndex(1)
    assert rows_that_fit(page.reports.overdue_table) >= MIN_ROWS
