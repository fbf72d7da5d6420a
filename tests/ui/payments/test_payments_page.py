"""The Payments page driven through its widgets: taking, voiding and printing payments,
closing the day, making a deposit, and a refund requested and approved by two users."""

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.payments import DayClose, Deposit, Payment, Refund
from app.services import payments
from app.services.account_adjustments import small_balance_threshold
from app.services.line_balances import open_patient_lines
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice, show_page
from ui.context import AppContext
from ui.payments.dialogs import ReasonDialog
from ui.payments.patient_pick import PatientPickDialog
from ui.payments.refund_dialogs import RefundRequestDialog
from ui.payments.take_payment import TakePaymentDialog
from ui.statements.plan_dialog import PlanDialog


def payments_of(practice: PaymentPractice) -> list[Payment]:
    with practice.database.reading() as session:
        return list(session.scalars(select(Payment).order_by(Payment.created_at)))


def nguyen_owes(practice: PaymentPractice) -> dict[str, Decimal]:
    with practice.database.reading() as session:
        lines = open_patient_lines(session, practice.nguyen)
    return {line.procedure_code: line.patient_balance for line in lines}


def active_dialog(qtbot: QtBot, kind: type[QWidget]) -> QWidget:
    """Wait for a visible top-level window of `kind` and return it."""

    def found() -> QWidget | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                return widget
        return None

    qtbot.waitUntil(lambda: found() is not None, timeout=5_000)
    widget = found()
    assert widget is not None
    return widget


def take_by_keyboard(qtbot: QtBot, context: AppContext, page: QWidget, amount: str) -> None:
    """Take a cash payment from Nguyen with keys only: Ctrl+N, search, Enter, amount, Enter."""
    qtbot.keyClick(page.payments.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    pick = active_dialog(qtbot, PatientPickDialog)
    assert isinstance(pick, PatientPickDialog)
    qtbot.keyClicks(pick.box, "Nguyen")
    pick.search.search_now()
    drain(qtbot, context)
    qtbot.waitUntil(pick.search.popup.isVisible, timeout=5_000)
    qtbot.keyClick(pick.box, Qt.Key.Key_Down)
    qtbot.keyClick(pick.box, Qt.Key.Key_Return)
    drain(qtbot, context)
    dialog = active_dialog(qtbot, TakePaymentDialog)
    assert isinstance(dialog, TakePaymentDialog)
    assert dialog.focusWidget() is dialog.amount
    qtbot.keyClicks(dialog.amount, amount)
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    drain(qtbot, context)


def test_cash_payment_by_keyboard_then_void(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(payment_practice.desk)
    page, opened = show_page(qtbot, context, tmp_path)

    take_by_keyboard(qtbot, context, page, "150")
    dialog = page.payments.take_dialog
    assert dialog is not None
    assert dialog.summary.text() == "Applied $150.00 · left as credit $0.00"
    stored = payments_of(payment_practice)
    assert [(payment.method, payment.amount) for payment in stored] == [("cash", Decimal("150.00"))]
    # Oldest first: the $120 line is paid off and $30 goes to the $80 line.
    assert nguyen_owes(payment_practice) == {"97110": Decimal("50.00")}

    # Enter now prints the receipt into the test folder.
    assert dialog.print_button.isDefault()
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Return)
    drain(qtbot, context)
    assert [path.parent for path in opened] == [tmp_path]
    assert opened[0].read_bytes().startswith(b"%PDF")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    drain(qtbot, context)

    table = page.payments.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5_000)
    assert table.item(0, 0).text() == stored[0].receipt_number
    assert page.payments.totals.text() == "1 payment · $150.00"

    table.selectRow(0)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    table.setFocus()
    assert page.payments.void_action.isEnabled()
    qtbot.keyClick(table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    reason = active_dialog(qtbot, ReasonDialog)
    assert isinstance(reason, ReasonDialog)
    qtbot.keyClicks(reason.reason, "Entered for the wrong patient")
    # Enter in the reason box voids, as in the dialog's other fields.
    qtbot.keyClick(reason.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    voided = payments_of(payment_practice)[0]
    assert voided.voided_at is not None
    assert voided.void_reason == "Entered for the wrong patient"
    assert nguyen_owes(payment_practice) == {"99213": Decimal("120.00"), "97110": Decimal("80.00")}
    qtbot.waitUntil(lambda: "voided" in page.payments.totals.text(), timeout=5_000)
    assert page.payments.totals.text() == "0 payments · $0.00 · 1 voided"


def take_service_payment(
    practice: PaymentPractice, amount: str, method: str, check_number: str | None = None
) -> None:
    """Take a payment from Nguyen through the service, as the desk."""
    form = payments.PaymentForm(
        patient_id=practice.nguyen,
        amount=Decimal(amount),
        method=method,
        check_number=check_number,
    )
    with practice.database.transaction() as session:
        payments.take_payment(session, practice.desk, form).raise_if_rejected()


def test_close_day_with_difference(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    take_service_payment(payment_practice, "150.00", "cash")
    take_service_payment(payment_practice, "40.00", "check", "1001")
    context = context_for(payment_practice.desk)
    page, opened = show_page(qtbot, context, tmp_path)
    tab = page.day_close
    page.show_tab(tab)
    drain(qtbot, context)

    assert tab.expected_labels["cash"].text() == "$150.00"
    assert tab.expected_labels["check"].text() == "$40.00"
    assert tab.summary.text() == "2 payments · $190.00 · 1 check"
    qtbot.keyClicks(tab.counted_cash, "148.00")
    qtbot.keyClicks(tab.counted_checks, "40")
    assert tab.difference.text() == "$2.00 short"

    qtbot.keyClick(tab.counted_checks, Qt.Key.Key_Return)
    assert "say why" in tab.form.problem_text("note")
    assert not closes_of(payment_practice)

    qtbot.keyClicks(tab.note, "Gave $2 too much change")
    tab.close_button.click()
    drain(qtbot, context)

    assert closes_of(payment_practice) == [(Decimal("-2.00"), "Gave $2 too much change")]
    qtbot.waitUntil(lambda: not tab.close_button.isEnabled(), timeout=5_000)
    assert tab.status.text().startswith("You closed")

    tab.print_button.click()
    drain(qtbot, context)
    assert len(opened) == 1
    assert opened[0].name.startswith("day-sheet-")


def test_close_day_without_checks(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    take_service_payment(payment_practice, "20.00", "cash")
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.day_close
    page.show_tab(tab)
    drain(qtbot, context)

    # No checks were taken, so a blank check count is 0.00 and need not be typed.
    qtbot.keyClicks(tab.counted_cash, "20")
    assert tab.difference.text() == "none: the count matches the payments"
    qtbot.keyClick(tab.counted_cash, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert closes_of(payment_practice) == [(Decimal("0.00"), "")]


def closes_of(practice: PaymentPractice) -> list[tuple[Decimal, str]]:
    with practice.database.reading() as session:
        return [(row.difference, row.note) for row in session.scalars(select(DayClose))]


def test_create_deposit_from_ticked_items(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    take_service_payment(payment_practice, "150.00", "cash")
    take_service_payment(payment_practice, "40.00", "check", "1001")
    context = context_for(payment_practice.desk)
    page, opened = show_page(qtbot, context, tmp_path)
    tab = page.deposits
    page.show_tab(tab)
    drain(qtbot, context)

    assert tab.item_table.rowCount() == 2
    assert not tab.create_button.isEnabled()
    tab.item_table.setFocus()
    tab.item_table.setCurrentCell(0, 1)
    qtbot.keyClick(tab.item_table, Qt.Key.Key_Space)
    tab.item_table.setCurrentCell(1, 1)
    qtbot.keyClick(tab.item_table, Qt.Key.Key_Space)
    assert tab.checked_total.text().startswith("2 items ticked · $190.00")
    assert tab.method.currentData() == "cash_check"

    tab.create_button.click()
    drain(qtbot, context)

    with payment_practice.database.reading() as session:
        deposit = session.scalars(select(Deposit)).one()
        assert deposit.expected_amount == Decimal("190.00")
        assert deposit.method == "cash_check"
    qtbot.waitUntil(lambda: tab.deposit_table.rowCount() == 1, timeout=5_000)
    assert tab.item_table.rowCount() == 0
    assert tab.status.text() == "Deposit made: 2 items, $190.00."
    # Reconciling is a manager's work.
    tab.deposit_table.selectRow(0)
    assert not tab.reconcile_button.isEnabled()

    tab.print_button.click()
    drain(qtbot, context)
    assert [path.name for path in opened] == [f"deposit-{deposit.deposit_number}.pdf"]


def test_refund_requested_then_approved(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    # $250 against $200 owed leaves Nguyen $50 in credit.
    take_service_payment(payment_practice, "250.00", "cash")
    desk = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, desk, tmp_path)
    tab = page.adjustments
    page.show_tab(tab)
    drain(qtbot, desk)

    assert tab.credit_table.rowCount() == 1
    assert tab.credit_table.item(0, 2).text() == "$50.00"
    tab.credit_table.selectRow(0)
    tab.request_button.click()
    request = active_dialog(qtbot, RefundRequestDialog)
    assert isinstance(request, RefundRequestDialog)
    assert request.amount.text() == "50.00"
    qtbot.keyClicks(request.reason, "Overpaid at the desk")
    qtbot.keyClick(request.amount, Qt.Key.Key_Return)
    drain(qtbot, desk)

    qtbot.waitUntil(lambda: tab.refund_table.rowCount() == 1, timeout=5_000)
    assert refund_states(payment_practice) == ["requested"]
    tab.refund_table.selectRow(0)
    # Approving is a manager's work.
    assert not tab.approve_button.isEnabled()

    manager = context_for(payment_practice.other_manager)
    manager_page, _manager_opened = show_page(qtbot, manager, tmp_path)
    manager_tab = manager_page.adjustments
    manager_page.show_tab(manager_tab)
    drain(qtbot, manager)
    manager_tab.refund_table.selectRow(0)
    assert manager_tab.approve_button.isEnabled()
    manager_tab.approve_button.click()
    drain(qtbot, manager)

    assert refund_states(payment_practice) == ["approved"]
    qtbot.waitUntil(manager_tab.issue_button.isEnabled, timeout=5_000)
    assert manager_tab.refund_table.item(0, 2).text() == "Approved, to issue"


def refund_states(practice: PaymentPractice) -> list[str]:
    with practice.database.reading() as session:
        return [refund.status for refund in session.scalars(select(Refund))]


def test_small_balances_empty_says_why(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.adjustments
    page.show_tab(tab)
    drain(qtbot, context)

    # Nguyen owes $200, more than the $5.00 default.
    assert tab.small_table.rowCount() == 0
    assert tab.small_empty.isVisibleTo(tab)
    assert tab.small_empty.text().startswith("No patient owes $5.00 or less")

    tab.threshold.setText("")
    qtbot.keyClicks(tab.threshold, "200")
    qtbot.keyClick(tab.threshold, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert tab.small_table.rowCount() == 1
    assert not tab.small_empty.isVisibleTo(tab)


def test_manager_saves_small_balance_threshold(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    desk_page, _opened = show_page(qtbot, context_for(payment_practice.desk), tmp_path)
    assert not desk_page.adjustments.save_threshold_button.isVisibleTo(desk_page.adjustments)

    context = context_for(payment_practice.manager)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.adjustments
    page.show_tab(tab)
    drain(qtbot, context)
    assert tab.save_threshold_button.isVisibleTo(tab)

    tab.threshold.setText("12.50")
    qtbot.mouseClick(tab.save_threshold_button, Qt.MouseButton.LeftButton)
    drain(qtbot, context)

    assert "now $12.50" in tab.status.text()
    with payment_practice.database.session() as session:
        assert small_balance_threshold(session) == Decimal("12.50")


def test_desk_opens_payment_plan(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, tmp_path)

    button = page.payments.findChild(QWidget, "newPlanButton")
    assert button is not None
    assert button.isEnabled()
    page.payments.plan_action.trigger()

    dialog = active_dialog(qtbot, PlanDialog)
    assert isinstance(dialog, PlanDialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
