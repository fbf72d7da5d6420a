"""Posting a paper EOB from the Claims page by keyboard, and billing the next payer."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.claims import Claim
from app.models.payments import Remittance
from app.services import claim_cob, eob_entry
from app.services.claim_build import build_claims
from app.services.claim_cob import AdjustmentForm
from app.services.line_balances import PATIENT
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.posting_data import claim_buckets, forwarded_claim, new_claim, new_patient
from tests.ui.charges.conftest import drain
from tests.ui.claims.conftest import settle, show_page
from ui.claims.eob_dialog import EobDialog, load_payers
from ui.claims.page import ClaimsPage
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.widgets import find_data


@pytest.fixture
def practice(database: Database) -> ClaimPractice:
    return build_claim_practice(database)


@pytest.fixture
def biller_context(qtbot: QtBot, practice: ClaimPractice) -> Iterator[AppContext]:
    actor = practice.biller
    database = practice.database
    context = AppContext(
        database, OperationRunner(database), SignedInUser(actor), actor.workstation
    )
    yield context
    drain(qtbot, context)


def open_eob(
    qtbot: QtBot, practice: ClaimPractice, context: AppContext
) -> tuple[ClaimsPage, EobDialog]:
    with practice.database.transaction() as session:
        build_claims(session, practice.biller)
    page = show_page(qtbot, context)
    page.filters.search.setText("")
    page.open_current()
    settle(qtbot, page)
    assert page.current_detail() is not None
    qtbot.keyClick(
        page.table,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    drain(qtbot, context)
    dialog = page.findChild(EobDialog)
    assert dialog is not None
    return page, dialog


def test_eob_posted_by_keyboard(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    page, dialog = open_eob(qtbot, practice, biller_context)
    row = dialog.rows[0]
    assert dialog.payer.currentText() == "Aetna"
    assert not dialog.save_button.isEnabled()

    qtbot.keyClicks(dialog.check_number, "CHK-5521")
    qtbot.keyClicks(dialog.amount, "85.00")
    qtbot.keyClicks(row.allowed, "105.00")
    qtbot.keyClick(row.allowed, Qt.Key.Key_Tab)
    qtbot.keyClicks(row.paid, "85.00")
    balance = dialog.table.item(0, dialog.table.columnCount() - 1).text()
    group, reason, amount = row.slots[1]
    qtbot.keyClicks(group, "pr")
    qtbot.keyClicks(reason, "2")
    qtbot.keyClicks(amount, "20.00")

    assert balance == "$20.00"
    assert [edit.text() for edit in row.slots[0]] == ["CO", "45", "15.00"]
    assert dialog.table.item(0, dialog.table.columnCount() - 2).text() == "$20.00"
    assert dialog.table.item(0, dialog.table.columnCount() - 1).text() == "$0.00"
    assert dialog.save_button.isEnabled()

    qtbot.keyClick(amount, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert page.status.text() == "Posted check CHK-5521 for $85.00 on 1 claim."
    with practice.database.reading() as session:
        remittance = session.scalars(select(Remittance)).one()
    assert remittance.trace_number == "CHK-5521"
    assert remittance.payment_amount == Decimal("85.00")


def test_eob_problem_keeps_dialog(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    _page, dialog = open_eob(qtbot, practice, biller_context)
    row = dialog.rows[0]
    qtbot.keyClicks(dialog.check_number, "CHK-1")
    qtbot.keyClicks(dialog.amount, "90.00")
    qtbot.keyClicks(row.paid, "85.00")
    group, reason, amount = row.slots[0]
    qtbot.keyClicks(group, "CO")
    qtbot.keyClicks(reason, "45")
    qtbot.keyClicks(amount, "35.00")

    qtbot.keyClick(amount, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert dialog.isVisible()
    assert "add up to $85.00 but the check amount is $90.00" in dialog.problems.text()
    assert dialog.save_button.isEnabled()


def test_claim_of_other_payer_not_added(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    _page, dialog = open_eob(qtbot, practice, biller_context)

    qtbot.keyClicks(dialog.claim_number, "NOPE-404")
    qtbot.keyClick(dialog.claim_number, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert "No claim has the number NOPE-404" in dialog.problems.text()
    assert len(dialog.rows) == 1
    assert dialog.isVisible()


def test_bill_next_payer_builds_claim(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    practice.add_coverage(practice.cigna_id, 2)
    with practice.database.transaction() as session:
        (claim_id,) = build_claims(session, practice.biller).claim_ids
        form = eob_entry.eob_template(session, practice.biller, claim_id)
        form.paid_amount = Decimal("85.00")
        form.lines[0].paid_amount = Decimal("85.00")
        form.lines[0].adjustments = [
            AdjustmentForm("CO", "45", Decimal("15.00")),
            AdjustmentForm("PR", "2", Decimal("20.00")),
        ]
        assert claim_cob.record_adjudication(session, practice.biller, form).saved
    page = show_page(qtbot, biller_context)
    page.filters.set_status(None)
    settle(qtbot, page)
    page.table.select_claims([claim_id])
    page.open_current()
    settle(qtbot, page)
    assert page.actions.bill_next.isEnabled()

    page.actions.bill_next.trigger()
    settle(qtbot, page)

    assert page.status.text().startswith("Claim to the next payer built.")
    with practice.database.reading() as session:
        payers = session.scalars(select(Claim.payer_id).order_by(Claim.created_at)).all()
    assert payers == [practice.aetna_id, practice.cigna_id]


def test_eob_dialog_fits_screen(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    _page, dialog = open_eob(qtbot, practice, biller_context)

    # The offscreen screen is narrower than the dialog's usual 1320 pixels, as a laptop is.
    available = dialog.screen().availableGeometry()
    assert dialog.width() <= available.width()
    assert dialog.height() <= available.height()


def test_first_claim_sets_payer(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    with practice.database.transaction() as session:
        (claim_id,) = build_claims(session, practice.biller).claim_ids
        claim = eob_entry.eob_claim(session, practice.biller, claim_id)
        payers = load_payers(session, practice.biller)
    dialog = EobDialog(biller_context, payers, None, date(2026, 3, 20))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.payer.setCurrentIndex(find_data(dialog.payer, practice.cigna_id))

    qtbot.keyClicks(dialog.claim_number, claim.claim_number)
    qtbot.keyClick(dialog.claim_number, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    # The payer chosen before any claim was a guess, so the claim's payer replaces it.
    assert [added.claim_id for added in dialog.claims] == [claim_id]
    assert dialog.payer.currentData() == practice.aetna_id
    assert not dialog.problems.text()


def test_crossover_payer_eob_posts(
    qtbot: QtBot, practice: ClaimPractice, biller_context: AppContext
) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id)
    aetna_only = new_claim(practice, new_patient(practice, practice.aetna_id))
    with practice.database.reading() as session:
        numbers = {
            claim.id: claim.claim_number
            for claim in session.scalars(select(Claim).where(Claim.id.in_([claim_id, aetna_only])))
        }
        payers = load_payers(session, practice.biller)
    dialog = EobDialog(biller_context, payers, None, date(2026, 3, 20))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.payer.setCurrentIndex(find_data(dialog.payer, practice.aetna_id))

    qtbot.keyClicks(dialog.claim_number, numbers[claim_id])
    qtbot.keyClick(dialog.claim_number, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    # Aetna forwarded the claim, so the EOB that settles it now comes from Cigna.
    assert [added.claim_id for added in dialog.claims] == [claim_id]
    assert dialog.payer.currentData() == practice.cigna_id
    assert not dialog.problems.text()

    qtbot.keyClicks(dialog.claim_number, numbers[aetna_only])
    qtbot.keyClick(dialog.claim_number, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert dialog.problems.text() == (
        f"Claim {numbers[aetna_only]} is billed to Aetna, not Cigna; post it on an EOB from "
        "Aetna, or choose the payer that issued the check."
    )
    assert [added.claim_id for added in dialog.claims] == [claim_id]

    row = dialog.rows[0]
    qtbot.keyClicks(dialog.check_number, "CIG-77")
    qtbot.keyClicks(dialog.amount, "16.00")
    qtbot.keyClicks(row.paid, "16.00")
    for slot, (group, reason, amount) in zip(
        row.slots, (("OA", "23", "100.00"), ("PR", "2", "4.00")), strict=False
    ):
        qtbot.keyClicks(slot[0], group)
        qtbot.keyClicks(slot[1], reason)
        qtbot.keyClicks(slot[2], amount)
    assert dialog.save_button.isEnabled()
    qtbot.keyClick(row.slots[1][2], Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert dialog.outcome is not None, dialog.problems.text()
    with practice.database.reading() as session:
        remittance = session.scalars(
            select(Remittance).where(Remittance.trace_number == "CIG-77")
        ).one()
    assert remittance.payer_id == practice.cigna_id
    assert claim_buckets(practice, claim_id) == [{PATIENT: Decimal("4.00")}]
