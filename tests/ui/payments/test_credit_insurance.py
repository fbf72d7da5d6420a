"""Accounts in credit on the Adjustments and refunds tab while insurance still owes."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from tests.helpers.deposit_data import DepositPractice, add_payment, post_line_charge
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice, show_page
from tests.ui.payments.test_payments_page import active_dialog
from ui.payments.adjustments_tab import CREDIT_COLUMNS, AdjustmentsTab
from ui.payments.refund_dialogs import RefundRequestDialog

VISIT = date(2026, 2, 2)
PREPAID = date(2026, 3, 2)


def cell_text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None, f"no cell at row {row}, column {column}"
    return item.text()


def open_tab(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, folder: Path
) -> AdjustmentsTab:
    """Show the Adjustments and refunds tab to the front desk, loaded."""
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, folder)
    page.show_tab(page.adjustments)
    drain(qtbot, context)
    return page.adjustments


def test_credit_shows_insurance_owed(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    practice = DepositPractice(payment_practice.ledger, payment_practice.other_manager)
    rivera = payment_practice.ledger.patient_ids[0]
    with payment_practice.database.transaction() as session:
        post_line_charge(
            session, practice, rivera, "100.00", service_date=VISIT, payer_id=practice.aetna_id
        )
        add_payment(session, practice, rivera, "30.00", received_on=PREPAID, kind="prepayment")
    tab = open_tab(qtbot, payment_practice, context_for, tmp_path)

    table = tab.credit_table
    assert table.rowCount() == 1
    cells = {name: cell_text(table, 0, column) for column, name in enumerate(CREDIT_COLUMNS)}
    assert cells["Chart"] == "T-000001"
    assert cells["Credit"] == "$30.00"
    assert cells["Whose money"] == "Patient"
    assert cells["Insurance owes"] == "$100.00"
    assert cells["Pending refunds"] == ""
    assert not tab.insurance_note.isVisibleTo(tab)

    table.selectRow(0)

    assert tab.request_button.isEnabled()
    assert tab.insurance_note.isVisibleTo(tab)
    assert tab.insurance_note.text() == (
        "Insurance still owes $100.00. If it pays less, the patient owes the rest, so refund "
        "at most $0.00 until it pays."
    )


def test_credit_note_hidden_without_insurance(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    practice = DepositPractice(payment_practice.ledger, payment_practice.other_manager)
    chen = payment_practice.ledger.patient_ids[1]
    with payment_practice.database.transaction() as session:
        add_payment(session, practice, chen, "15.00", received_on=PREPAID, kind="prepayment")
    tab = open_tab(qtbot, payment_practice, context_for, tmp_path)

    tab.credit_table.selectRow(0)

    assert cell_text(tab.credit_table, 0, CREDIT_COLUMNS.index("Insurance owes")) == ""
    assert not tab.insurance_note.isVisibleTo(tab)
    assert tab.insurance_note.text() == ""


def open_request(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, folder: Path,
    prepaid: str,
) -> RefundRequestDialog:  # fmt: skip
    """Give Rivera a $100.00 claim to Aetna and a prepayment; open Request refund on it."""
    practice = DepositPractice(payment_practice.ledger, payment_practice.other_manager)
    rivera = payment_practice.ledger.patient_ids[0]
    with payment_practice.database.transaction() as session:
        post_line_charge(
            session, practice, rivera, "100.00", service_date=VISIT, payer_id=practice.aetna_id
        )
        add_payment(session, practice, rivera, prepaid, received_on=PREPAID, kind="prepayment")
    tab = open_tab(qtbot, payment_practice, context_for, folder)
    tab.credit_table.selectRow(0)
    tab.request_button.click()
    dialog = active_dialog(qtbot, RefundRequestDialog)
    assert isinstance(dialog, RefundRequestDialog)
    return dialog


def test_refund_request_starts_safe(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    # $130.00 prepaid while Aetna owes $100.00 leaves $30.00 safe to refund.
    dialog = open_request(qtbot, payment_practice, context_for, tmp_path, "130.00")

    assert dialog.credit == Decimal("130.00")
    assert dialog.amount.text() == "30.00"
    assert (
        "Insurance still owes $100.00. If it pays less, the patient owes the rest, so refund "
        "at most $30.00 until it pays. The amount starts at $30.00"
    ) in dialog.intro.text()

    # The safe amount is where the amount starts, not a limit: the full credit is accepted.
    dialog.amount.setText("130.00")
    qtbot.keyClicks(dialog.reason, "Patient asked for the prepayment back")
    assert dialog.local_problems() == []
    dialog.amount.setText("130.01")
    assert [problem.field for problem in dialog.local_problems()] == ["amount"]
    dialog.reject()


def test_refund_request_nothing_safe(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    dialog = open_request(qtbot, payment_practice, context_for, tmp_path, "30.00")

    assert dialog.credit == Decimal("30.00")
    assert dialog.amount.text() == ""
    assert "refund at most $0.00 until it pays." in dialog.intro.text()
    assert "No part of the credit is safe to refund yet" in dialog.intro.text()
    dialog.reject()
