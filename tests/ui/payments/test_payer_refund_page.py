"""A refund of a payer's overpayment requested from the Adjustments and refunds tab."""

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.payments import Refund
from app.services.ledger_verify import ledger_check
from app.services.payer_refunds import PayerRefundChoice
from app.services.refunds import approve_refund
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.services.deposits.test_payer_refunds import _overpaid_claim, _second_manager
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, contexts_on, show_page
from tests.ui.payments.test_deposit_undo_page import shoot
from tests.ui.payments.test_payments_page import active_dialog
from ui.payments.adjustments_tab import CREDIT_COLUMNS
from ui.payments.page import PaymentsPage
from ui.payments.refund_dialogs import IssueRefundDialog, PayerRefundDialog


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    return build_claim_practice(database)


@pytest.fixture
def claim_context_for(qtbot: QtBot, claim_practice: ClaimPractice) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    yield from contexts_on(qtbot, claim_practice.database)


def open_payer_dialog(qtbot: QtBot, page: PaymentsPage) -> PayerRefundDialog:
    """Select Aetna's credit on the Adjustments and refunds tab and press Alt+Q."""
    tab = page.adjustments
    page.show_tab(tab)
    drain(qtbot, page.context)
    qtbot.waitUntil(lambda: tab.credit_table.rowCount() == 1, timeout=5_000)
    assert tab.credit_table.item(0, 2).text() == "$15.00"
    assert tab.credit_table.item(0, CREDIT_COLUMNS.index("Whose money")).text() == "Aetna"
    tab.credit_table.selectRow(0)
    assert tab.request_button.isEnabled()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    tab.credit_table.setFocus()
    qtbot.keyClick(tab.credit_table, Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
    drain(qtbot, page.context)
    dialog = active_dialog(qtbot, PayerRefundDialog)
    assert isinstance(dialog, PayerRefundDialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    return dialog


def refunds_of(claim_practice: ClaimPractice) -> list[Refund]:
    with claim_practice.database.reading() as session:
        return list(session.scalars(select(Refund)))


def test_payer_refund_by_keyboard(
    qtbot: QtBot, claim_practice: ClaimPractice, claim_context_for: ContextFor, tmp_path: Path
) -> None:
    claim_id, line_id = _overpaid_claim(claim_practice)
    claim_number = claim_practice.claim(claim_id).claim_number
    context = claim_context_for(claim_practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)

    dialog = open_payer_dialog(qtbot, page)

    assert dialog.claim.currentText() == (
        f"Claim {claim_number} · 02/02/2026 · its lines hold $15.00 of the credit"
    )
    assert dialog.amount.text() == "15.00"
    # Tab walks claim, amount, reason, then the buttons.
    assert dialog.focusWidget() is dialog.claim
    qtbot.keyClick(dialog.claim, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.amount
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.reason
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.ok_button

    dialog.amount.setFocus()
    dialog.amount.selectAll()
    qtbot.keyClicks(dialog.amount, "15.01")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert dialog.form.problem_text("amount") == (
        "The refund $15.01 is more than the $15.00 that can be refunded to Aetna; lower it."
    )
    assert dialog.form.problem_text("reason") == "Type the reason."
    shoot(dialog, "payer_refund_problems")
    assert refunds_of(claim_practice) == []

    dialog.amount.selectAll()
    qtbot.keyClicks(dialog.amount, "15.00")
    qtbot.keyClicks(dialog.reason, "Paid twice for the same visit")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    stored = refunds_of(claim_practice)
    assert [(refund.payer_id, refund.amount, refund.status) for refund in stored] == [
        (claim_practice.aetna_id, Decimal("15.00"), "requested")
    ]
    assert stored[0].reason == f"Claim {claim_number} overpayment: Paid twice for the same visit"
    tab = page.adjustments
    qtbot.waitUntil(lambda: tab.refund_table.rowCount() == 1, timeout=5_000)
    assert tab.status.text() == "Refund to Aetna requested."

    # The same approve and issue steps as a patient refund follow.
    with claim_practice.database.transaction() as session:
        approve_refund(session, _second_manager(claim_practice), stored[0].id)
    issue_in_tab(qtbot, page, stored[0].id)

    with claim_practice.database.reading() as session:
        rows = session.scalars(select(LedgerEntry).where(LedgerEntry.source_id == stored[0].id))
        posted = [(row.amount, row.responsible_party, row.charge_line_id) for row in rows]
        findings = ledger_check(session, claim_practice.charge.manager)
    assert posted == [(Decimal("15.00"), "primary", line_id)]
    assert findings == []


def issue_in_tab(qtbot: QtBot, page: PaymentsPage, refund_id: uuid.UUID) -> None:
    """Issue the approved refund by EFT from the refund table."""
    tab = page.adjustments
    tab.refresh()
    drain(qtbot, page.context)
    qtbot.waitUntil(lambda: tab.refund_rows[0].status == "approved", timeout=5_000)
    assert tab.refund_rows[0].refund_id == refund_id
    tab.refund_table.selectRow(0)
    tab.issue_button.click()
    issue = active_dialog(qtbot, IssueRefundDialog)
    assert isinstance(issue, IssueRefundDialog)
    issue.method.setCurrentIndex(issue.method.findData("eft"))
    issue.issued_on.set_date(date(2026, 4, 6))
    issue.accept()
    drain(qtbot, page.context)


def test_payer_refund_escape_cancels(
    qtbot: QtBot, claim_practice: ClaimPractice, claim_context_for: ContextFor, tmp_path: Path
) -> None:
    _overpaid_claim(claim_practice)
    context = claim_context_for(claim_practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    dialog = open_payer_dialog(qtbot, page)
    qtbot.keyClicks(dialog.reason, "Paid twice")
    shoot(dialog, "payer_refund")

    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    drain(qtbot, context)

    assert not dialog.isVisible()
    assert refunds_of(claim_practice) == []


def test_payer_refund_without_claim(
    qtbot: QtBot, claim_practice: ClaimPractice, claim_context_for: ContextFor
) -> None:
    context = claim_context_for(claim_practice.biller)
    choice = PayerRefundChoice(claim_practice.aetna_id, "Aetna", Decimal("15.00"), ())
    dialog = PayerRefundDialog(context, claim_practice.patient_id, "Rivera, Maria", choice)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.reason, "Paid twice")

    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert dialog.isVisible()
    assert dialog.form.problem_text("claim_id") == (
        "No claim to Aetna was found for this patient at this place in the payment order, so "
        "the refund cannot name one; refund it by hand and post an account adjustment."
    )
    assert refunds_of(claim_practice) == []
