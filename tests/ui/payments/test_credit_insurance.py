"""Accounts in credit on the Adjustments and refunds tab while insurance still owes."""

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from tests.helpers.deposit_data import DepositPractice, add_payment, post_line_charge
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice, show_page
from ui.payments.adjustments_tab import CREDIT_COLUMNS, AdjustmentsTab

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
