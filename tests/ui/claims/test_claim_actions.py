"""The Claims page's actions: assign, follow-up, notes and the void confirmation."""

from datetime import timedelta
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.models.claims import Claim, ClaimEvent
from app.services.today import practice_today
from tests.helpers.claim_data import ClaimPractice
from tests.ui.claims.conftest import ContextFor, settle, show_page
from ui.claims.dialogs import AssignDialog, FollowUpDialog, NoteDialog, PayerClaimNumberDialog
from ui.claims.page import ClaimsPage

T = TypeVar("T")


def shown_claim(qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor) -> ClaimsPage:
    """Build the insured visit's claim and show it selected, with its details loaded."""
    claim_practice.build()
    page = show_page(qtbot, context_for(claim_practice.biller))
    page.filters.set_status(None)
    settle(qtbot, page)
    page.table.selectRow(0)
    page.open_current()
    settle(qtbot, page)
    return page


def dialog_of(qtbot: QtBot, page: ClaimsPage, kind: type[T]) -> T:
    qtbot.waitUntil(lambda: isinstance(page.actions.dialog, kind), timeout=5_000)
    dialog = page.actions.dialog
    assert isinstance(dialog, kind)
    return dialog


def test_assign_persists(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    claim_id = page.model.rows[0].claim_id

    page.actions.assign.trigger()
    dialog = dialog_of(qtbot, page, AssignDialog)
    assert dialog.user.count() >= 2
    dialog.user.setCurrentIndex(1)
    chosen, name = dialog.user_id(), dialog.user.itemText(1)
    assert chosen is not None
    dialog.accept()
    settle(qtbot, page)

    assert claim_practice.claim(claim_id).assigned_to == chosen
    assert page.model.rows[0].assigned_to_name == name
    assert page.status.text() == "Assigned 1 claim."


def test_follow_up_persists(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    claim_id = page.model.rows[0].claim_id
    with claim_practice.database.reading() as session:
        due = practice_today(session) + timedelta(days=14)

    page.actions.follow_up.trigger()
    dialog = dialog_of(qtbot, page, FollowUpDialog)
    dialog.date.set_date(due)
    dialog.note.setPlainText("Call Aetna about the claim")
    dialog.accept()
    settle(qtbot, page)

    assert claim_practice.claim(claim_id).follow_up_on == due
    assert page.model.rows[0].follow_up_on == due


def test_follow_up_rejects_past_date(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    claim_id = page.model.rows[0].claim_id

    page.actions.follow_up.trigger()
    dialog = dialog_of(qtbot, page, FollowUpDialog)
    dialog.date.set_date(dialog.today - timedelta(days=1))
    dialog.accept()

    assert dialog.isVisible()
    assert "has passed" in dialog.problem.text()
    assert claim_practice.claim(claim_id).follow_up_on is None
    dialog.reject()


def test_note_goes_into_history(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    claim_id = page.model.rows[0].claim_id
    rows_before = page.detail.history.rowCount()

    page.actions.note.trigger()
    dialog = dialog_of(qtbot, page, NoteDialog)
    dialog.note.setPlainText("Payer says the claim is in review")
    dialog.accept()
    settle(qtbot, page)

    with claim_practice.database.reading() as session:
        notes = session.scalar(
            select(func.count())
            .select_from(ClaimEvent)
            .where(ClaimEvent.claim_id == claim_id, ClaimEvent.event == "note")
        )
    assert notes == 1
    assert page.detail.history.rowCount() == rows_before + 1


def test_payer_claim_number_saved(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    claim_id = page.model.rows[0].claim_id

    page.actions.payer_number.trigger()
    dialog = dialog_of(qtbot, page, PayerClaimNumberDialog)
    dialog.number.setText(" 22123456789000 ")
    dialog.accept()
    settle(qtbot, page)

    with claim_practice.database.reading() as session:
        claim = session.get_one(Claim, claim_id)
        assert claim.payer_claim_number == "22123456789000"


def test_payer_claim_number_required(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)

    page.actions.payer_number.trigger()
    dialog = dialog_of(qtbot, page, PayerClaimNumberDialog)
    dialog.accept()

    assert dialog.isVisible()


def test_empty_note_rejected(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)

    page.actions.note.trigger()
    dialog = dialog_of(qtbot, page, NoteDialog)
    dialog.accept()

    assert dialog.isVisible()
    assert dialog.problem.text().startswith("Type the note first")
    dialog.reject()


def test_void_asks_before_voiding(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)

    page.actions.void.trigger()
    boxes = [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QMessageBox) and widget.isVisible()
    ]
    assert len(boxes) == 1
    box = boxes[0]
    assert box.text().startswith("Void claim")
    cancel = box.defaultButton()
    assert isinstance(cancel, QPushButton)
    assert cancel.text() == "Cancel"
    cancel.click()
    settle(qtbot, page)

    with claim_practice.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Claim)) == 1


def test_rebuild_replaces_held_claim(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = shown_claim(qtbot, claim_practice, context_for)
    old_id = page.model.rows[0].claim_id

    page.actions.rebuild.trigger()
    settle(qtbot, page)

    assert [row.claim_id for row in page.model.rows] != [old_id]
    assert len(page.model.rows) == 1
    view = page.current_detail()
    assert view is not None
    assert view.claim_id == page.model.rows[0].claim_id
    assert page.status.text().startswith("Claim rebuilt from the current charges. It is ")


def test_build_key_builds_claims(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = show_page(qtbot, context_for(claim_practice.biller))
    page.filters.set_status(None)
    settle(qtbot, page)
    page.activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=3_000)

    qtbot.keyClick(page.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, page)

    assert len(page.model.rows) == 1
    assert page.status.text().startswith("Built 1 claim:")
