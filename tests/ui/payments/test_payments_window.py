"""The Payments page inside the main window at the smallest screens the desks use.

These run on the demo practice (tests/ui/conftest.py) signed in as its manager, who is
shown every control, because the room left by the navigation and heading belongs to the window.
"""

from collections.abc import Callable
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import Remittance
from tests.ui.conftest import settle
from ui.admin.common import RecordTable
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.payments.adjustments_tab import AdjustmentsTab
from ui.payments.page import PaymentsPage
from ui.payments.remittances import ReviewDialog

WindowFactory = Callable[..., MainWindow]
TabT = TypeVar("TabT", bound=QWidget)
# 1280 by 720 is the smallest window the front desks use, and 1366 by 768 a common laptop.
SCREENS = ((1280, 720), (1366, 768))
MIN_CREDIT_ROWS = 6
REVIEW_WIDTH = 1200


def open_payments(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> PaymentsPage:
    """Show the manager's main window at `size` with the Payments page open."""
    window = make_window("manager")
    window.resize(*size)
    window.go_to("Payments")
    settle(qtbot, ops)
    page = window.pages["Payments"]
    assert isinstance(page, PaymentsPage)
    assert window.size().width() == size[0]
    assert window.size().height() == size[1]
    return page


def open_adjustments(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> AdjustmentsTab:
    """Show the manager's main window at `size` on the Adjustments and refunds tab."""
    page = open_payments(qtbot, make_window, ops, size)
    return show_settled(qtbot, ops, page, page.adjustments)


def show_settled(qtbot: QtBot, ops: OperationRunner, page: PaymentsPage, tab: TabT) -> TabT:
    """Show `tab` of the Payments page and wait until its rows have loaded."""
    page.show_tab(tab)
    settle(qtbot, ops)
    return tab


def rows_that_fit(table: QTableWidget) -> int:
    """Return how many whole rows the table shows without scrolling."""
    return table.viewport().height() // table.verticalHeader().defaultSectionSize()


def inside_parent(widget: QWidget) -> bool:
    """Return True when the widget lies wholly inside its parent's rectangle."""
    parent = widget.parentWidget()
    assert parent is not None
    return parent.rect().contains(widget.geometry())


@pytest.mark.parametrize("size", SCREENS)
def test_threshold_row_shows_full_text(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> None:
    tab = open_adjustments(qtbot, make_window, ops, size)

    buttons: list[QPushButton] = [
        tab.find_button, tab.save_threshold_button, tab.write_off_button,
    ]  # fmt: skip
    for button in buttons:
        assert button.isVisible(), button.text()
        assert button.width() >= button.sizeHint().width(), button.text()
        assert inside_parent(button), button.text()
    field = tab.threshold
    assert field.text() == "5.00"
    assert field.width() >= field.fontMetrics().horizontalAdvance("1,000.00") + 16
    assert inside_parent(field)


@pytest.mark.parametrize("size", SCREENS)
def test_credit_table_shows_six_rows(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> None:
    tab = open_adjustments(qtbot, make_window, ops, size)

    assert rows_that_fit(tab.credit_table) >= MIN_CREDIT_ROWS
    assert tab.request_button.isVisible()
    assert tab.refund_table.isVisible()
    assert rows_that_fit(tab.refund_table) >= 1


def column_texts(table: QTableWidget, title: str) -> list[str]:
    """Return the texts of the column headed `title`, top to bottom."""
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    column = headers.index(title)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_review_queue_columns_read_right(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    page = open_payments(qtbot, make_window, ops, SCREENS[0])
    tab = page.remittances
    page.show_tab(tab)
    table = tab.queues["review"]
    tab.pages.setCurrentWidget(table)
    settle(qtbot, ops)
    assert table.rowCount() > 0

    for title in ("Charge", "Paid"):
        column = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
        for row in range(table.rowCount()):
            alignment = table.item(row, column.index(title)).textAlignment()
            assert alignment & Qt.AlignmentFlag.AlignRight, title
    amounts = tab.list
    amount_column = [amounts.horizontalHeaderItem(i).text() for i in range(amounts.columnCount())]
    for row in range(amounts.rowCount()):
        alignment = amounts.item(row, amount_column.index("Amount")).textAlignment()
        assert alignment & Qt.AlignmentFlag.AlignRight, row
    last = table.columnCount() - 1
    header_text = table.horizontalHeaderItem(last).text()
    right_edge = table.columnViewportPosition(last) + table.columnWidth(last)
    assert right_edge <= table.viewport().width()
    assert table.columnWidth(last) >= table.fontMetrics().horizontalAdvance(header_text)

    names = column_texts(table, "Patient")
    assert all(name != name.upper() for name in names), names
    claims = column_texts(table, "Claim")
    payer_claims = column_texts(table, "Payer claim #")
    assert all(claims), claims
    assert claims != payer_claims


def test_remittance_dates_name_their_meaning(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, demo_database: Database
) -> None:
    page = open_payments(qtbot, make_window, ops, SCREENS[0])
    remittances = page.remittances.list
    page.show_tab(page.deposits)
    settle(qtbot, ops)
    items = page.deposits.item_table
    references = [items.item(number, 3).text() for number in range(items.rowCount())]
    with demo_database.reading() as session:
        paid = session.scalars(
            select(Remittance).where(
                Remittance.payment_date.is_not(None), Remittance.trace_number.in_(references)
            )
        ).first()
        assert paid is not None
        trace, paid_on = paid.trace_number, paid.payment_date

    assert remittances.horizontalHeaderItem(0).text() == "Imported"
    assert items.horizontalHeaderItem(1).text() == "Paid on"
    assert trace in column_texts(remittances, "Check/EFT")
    assert items.item(references.index(trace), 1).text() == f"{paid_on:%m/%d/%Y}"


@pytest.mark.usefixtures("styled")
@pytest.mark.parametrize("size", SCREENS)
def test_remittance_list_fits(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> None:
    page = open_payments(qtbot, make_window, ops, size)
    table = show_settled(qtbot, ops, page, page.remittances).list
    assert table.rowCount() > 0

    assert table.horizontalHeader().length() <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    metrics = table.horizontalHeader().fontMetrics()
    for column, title in enumerate(headers):
        right_edge = table.columnViewportPosition(column) + table.columnWidth(column)
        assert right_edge <= table.viewport().width(), title
        assert table.columnWidth(column) >= metrics.horizontalAdvance(title), title
    method = headers.index("Method")
    assert "EFT (ACH)" in column_texts(table, "Method")
    for row in range(table.rowCount()):
        item = table.item(row, method)
        if item.text() == "EFT (ACH)":
            assert item.toolTip() == "Electronic funds transfer (ACH)"
            assert table.columnWidth(method) >= metrics.horizontalAdvance(item.text())


@pytest.mark.usefixtures("styled")
def test_review_dialog_columns_fit(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    page = open_payments(qtbot, make_window, ops, SCREENS[0])
    tab = show_settled(qtbot, ops, page, page.remittances)
    queue = tab.queues["review"]
    assert queue.rowCount() > 0
    queue.selectRow(0)

    tab.open_review("review")
    settle(qtbot, ops)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)

    # The dialog opens 1200 pixels wide, and every column of both tables is in sight.
    assert dialog.width() == REVIEW_WIDTH
    for table in (dialog.findChild(RecordTable, "billedLines"), dialog.adjustments):
        assert table is not None
        assert table.horizontalHeader().length() <= table.viewport().width()
        last = table.columnCount() - 1
        title = table.horizontalHeaderItem(last).text()
        assert table.columnWidth(last) >= table.fontMetrics().horizontalAdvance(title), title


@pytest.mark.usefixtures("styled")
@pytest.mark.parametrize("size", SCREENS)
def test_credit_and_refund_tables_fit(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, size: tuple[int, int]
) -> None:
    tab = open_adjustments(qtbot, make_window, ops, size)

    for table in (tab.credit_table, tab.refund_table):
        name = table.accessibleName()
        assert table.horizontalHeader().length() <= table.viewport().width(), name
        metrics = table.horizontalHeader().fontMetrics()
        for column in range(table.columnCount()):
            for line in table.horizontalHeaderItem(column).text().split("\n"):
                assert table.columnWidth(column) >= metrics.horizontalAdvance(line), line
