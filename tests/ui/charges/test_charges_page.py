"""The Charges queue: listing drafts, opening them with Enter and starting new encounters."""

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.security.permissions import Actor
from app.services import encounters
from tests.ui.charges.conftest import (
    ChargePractice,
    check_out_visit,
    drain,
    focused,
    press,
    type_text,
    wait_for_focus,
)
from ui.charges import windows
from ui.charges.page import ChargesPage, open_encounter_for_appointment
from ui.context import AppContext

ContextFor = Callable[[Actor], AppContext]


def shown_page(qtbot: QtBot, context: AppContext) -> ChargesPage:
    page = ChargesPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    drain(qtbot, context)
    return page


def test_queue_lists_checked_out_draft(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)

    assert len(page.model.rows) == 1
    row = page.model.rows[0]
    assert row.status == "draft"
    assert row.service_date == charge_practice.service_date
    cells = [page.model.index(0, column).data() for column in range(len(page.model.columns))]
    assert cells[0] == row.encounter_number
    assert cells[1] == "02/02/2026"
    assert cells[-1] == "Draft"
    assert page.count.text() == "1 to post"


def test_refresh_moves_focus_into_page(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    # As in the main window, a search box beside the page has the focus when it opens.
    context = context_for(charge_practice.biller)
    window = QWidget()
    qtbot.addWidget(window)
    search = QLineEdit()
    page = ChargesPage(context)
    layout = QVBoxLayout(window)
    layout.addWidget(search)
    layout.addWidget(page)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)

    page.refresh()
    drain(qtbot, context)

    assert page.isAncestorOf(QApplication.focusWidget())


def test_enter_opens_editor(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)
    page.table.setFocus()
    page.table.selectRow(0)

    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)

    editors = windows.open_editors()
    assert len(editors) == 1
    assert editors[0].encounter_id == page.model.rows[0].id
    assert editors[0].data is not None
    assert editors[0].heading.text() == f"Encounter {page.model.rows[0].encounter_number}"


# The offscreen platform cannot raise windows and logs a warning about it.
@pytest.mark.qt_log_ignore("does not support raise")
def test_second_open_reuses_editor(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)
    page.open_selected()
    drain(qtbot, context)
    page.open_selected()
    drain(qtbot, context)

    assert len(windows.open_editors()) == 1


def test_search_and_filter_narrow(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    check_out_visit(charge_practice.database, charge_practice.charges, 10)
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)
    assert len(page.model.rows) == 2

    page.search.setFocus()
    type_text(qtbot, page.model.rows[1].encounter_number)
    assert len(page.model.rows) == 1

    page.search.clear()
    page.set_status_filter("posted")
    drain(qtbot, context)
    assert page.model.rows == []
    assert page.empty.isVisibleTo(page)


def test_ctrl_n_starts_encounter(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)
    page.table.setFocus()

    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.new_dialog
    assert dialog is not None
    wait_for_focus(qtbot, dialog.box)
    type_text(qtbot, "Nguyen")
    dialog.search.search_now()
    drain(qtbot, context)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is dialog.service_date
    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)

    editors = windows.open_editors()
    assert len(editors) == 1
    editor = editors[0]
    assert editor.encounter_id is None
    assert editor.current.patient_id == charge_practice.scheduling.patient_ids[2]
    assert editor.header.service_date.date_value() == page.today


def test_new_dialog_needs_patient(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = shown_page(qtbot, context)
    page.new_encounter()
    dialog = page.new_dialog
    assert dialog is not None
    wait_for_focus(qtbot, dialog.box)

    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible()
    assert "Choose a patient" in dialog.problem.text()
    assert windows.open_editors() == []


def test_appointment_opens_its_draft(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    with charge_practice.database.transaction() as session:
        expected = encounters.encounter_for_appointment(
            session, charge_practice.biller, charge_practice.appointment_id
        )

    open_encounter_for_appointment(context, charge_practice.appointment_id, None)
    drain(qtbot, context)

    editors = windows.open_editors()
    assert [editor.encounter_id for editor in editors] == [expected]


def test_front_desk_cannot_start(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.charges.front_desk)
    page = shown_page(qtbot, context)
    page.table.setFocus()

    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)

    assert not page.new_button.isEnabled()
    assert page.new_dialog is None
    assert len(page.model.rows) == 1
