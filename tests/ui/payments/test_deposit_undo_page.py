"""The Deposits tab's "Undo deposit", and voiding a deposited payment from the Payments tab."""

import os
import uuid
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.payments import Deposit, Payment
from app.services import deposits
from app.services.today import practice_today
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice, show_page
from tests.ui.payments.test_payments_page import active_dialog, take_service_payment
from ui.payments.dialogs import ReasonDialog
from ui.payments.page import PaymentsPage

# Set SHOTS_FOLDER to a folder to keep a picture of each dialog the tests open.
SHOTS_FOLDER = os.environ.get("SHOTS_FOLDER")


def shoot(widget: QWidget, name: str) -> None:
    """Save a picture of `widget` as SHOTS_FOLDER/shot_<name>.png when the folder is set."""
    if SHOTS_FOLDER:
        widget.grab().save(str(Path(SHOTS_FOLDER) / f"shot_{name}.png"))


def make_deposit(practice: PaymentPractice) -> tuple[uuid.UUID, str]:
    """Take $150 cash and a $40 check from Nguyen and deposit both; return id and number."""
    take_service_payment(practice, "150.00", "cash")
    take_service_payment(practice, "40.00", "check", "1001")
    with practice.database.transaction() as session:
        item_ids = [item.item_id for item in deposits.undeposited(session, practice.desk)]
        outcome = deposits.create_deposit(
            session, practice.desk, item_ids, practice_today(session), "cash_check"
        )
        assert outcome.record_id is not None, outcome.problems
        deposit = session.get(Deposit, outcome.record_id)
        assert deposit is not None
        return deposit.id, deposit.deposit_number


def deposit_status(practice: PaymentPractice, deposit_id: uuid.UUID) -> str:
    with practice.database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        return deposit.status


def open_deposits(qtbot: QtBot, page: PaymentsPage) -> None:
    """Bring the Deposits tab to the front, select the first deposit and focus the table."""
    page.show_tab(page.deposits)
    drain(qtbot, page.context)
    tab = page.deposits
    qtbot.waitUntil(lambda: tab.deposit_table.rowCount() == 1, timeout=5_000)
    tab.deposit_table.selectRow(0)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    tab.deposit_table.setFocus()


def message_box(qtbot: QtBot) -> QMessageBox:
    box = active_dialog(qtbot, QMessageBox)
    assert isinstance(box, QMessageBox)
    return box


def mnemonic(text: str) -> str | None:
    """Return the lower-case letter after a single "&" in `text`, or None."""
    index = text.replace("&&", "").find("&")
    return text.replace("&&", "")[index + 1].lower() if index >= 0 else None


def test_undo_deposit_after_confirming(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    deposit_id, number = make_deposit(payment_practice)
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, tmp_path)
    open_deposits(qtbot, page)
    tab = page.deposits
    assert tab.item_table.rowCount() == 0
    assert tab.undo_button.isEnabled()

    # Esc on the confirmation changes nothing.
    qtbot.keyClick(tab.deposit_table, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    box = message_box(qtbot)
    assert box.windowTitle() == "Undo deposit"
    assert box.text().startswith(f"Undo deposit {number} of ")
    assert "Its 2 items ($190.00) go back to the money not yet deposited" in box.text()
    assert box.defaultButton().text() == "Cancel"
    shoot(box, "undo_deposit_confirm")
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    drain(qtbot, context)
    assert deposit_status(payment_practice, deposit_id) == "open"

    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    tab.deposit_table.setFocus()
    qtbot.keyClick(tab.deposit_table, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    box = message_box(qtbot)
    undo = next(button for button in box.buttons() if button.text() == "&Undo deposit")
    undo.click()
    drain(qtbot, context)

    assert deposit_status(payment_practice, deposit_id) == "undone"
    qtbot.waitUntil(lambda: tab.item_table.rowCount() == 2, timeout=5_000)
    assert tab.status.text() == (
        f"Deposit {number} undone: its items are back in the money not yet deposited."
    )
    assert tab.deposit_table.item(0, 7).text() == "Undone"
    assert tab.deposit_table.item(0, 3).text() == "0"
    assert tab.deposit_table.item(0, 8).text().startswith("Undone by Office Admin on ")
    tab.deposit_table.selectRow(0)
    assert not tab.undo_button.isEnabled()


def test_undo_reconciled_deposit_explains(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    deposit_id, number = make_deposit(payment_practice)
    with payment_practice.database.transaction() as session:
        deposits.reconcile_deposit(
            session, payment_practice.manager, deposit_id, Decimal("190.00"), ""
        ).raise_if_rejected()
    context = context_for(payment_practice.manager)
    page, _opened = show_page(qtbot, context, tmp_path)
    open_deposits(qtbot, page)
    tab = page.deposits
    assert not tab.reconcile_button.isEnabled()
    assert tab.undo_button.isEnabled()

    tab.undo_button.click()
    drain(qtbot, context)

    box = message_box(qtbot)
    assert box.text().startswith(f"Deposit {number} was reconciled with the bank statement on ")
    assert "so it cannot be undone" in box.text()
    assert "Ask a manager to correct the money in it with a refund" in box.text()
    box.close()
    assert deposit_status(payment_practice, deposit_id) == "reconciled"


def test_void_deposited_payment_explains(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    _deposit_id, number = make_deposit(payment_practice)
    context = context_for(payment_practice.manager)
    page, _opened = show_page(qtbot, context, tmp_path)
    table = page.payments.table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5_000)
    table.selectRow(0)

    page.payments.void_action.trigger()
    reason = active_dialog(qtbot, ReasonDialog)
    assert isinstance(reason, ReasonDialog)
    qtbot.keyClicks(reason.reason, "Counterfeit bill")
    qtbot.keyClick(reason.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    box = message_box(qtbot)
    receipt = table.item(0, 0).text()
    assert box.text() == (
        f"Payment {receipt} is in deposit {number}, so it cannot be voided. Undo deposit "
        f"{number} on the Deposits tab first, then void the payment; if the deposit is "
        "reconciled, record a refund instead."
    )
    box.close()
    reason.close()
    with payment_practice.database.reading() as session:
        voided = session.scalars(select(Payment).where(Payment.voided_at.is_not(None))).all()
    assert voided == []


def test_deposit_tab_mnemonics_unique(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    page, _opened = show_page(qtbot, context_for(payment_practice.desk), tmp_path)
    page.show_tab(page.deposits)

    texts = [button.text() for button in page.deposits.findChildren(QAbstractButton)]
    texts += [label.text() for label in page.deposits.findChildren(QLabel) if label.buddy()]
    texts += [page.tabs.tabText(index) for index in range(page.tabs.count())]
    letters = [letter for letter in map(mnemonic, texts) if letter is not None]

    assert "u" in letters
    assert sorted(letters) == sorted(set(letters))
