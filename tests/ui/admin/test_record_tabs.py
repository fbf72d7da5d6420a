"""The Providers, Locations and Payers tabs with their dialogs, against a real database."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.validators import npi_check_digit
from ui.admin import AdminPage
from ui.admin.listing import RecordListTab
from ui.admin.payers import PayerDialog
from ui.admin.records import LocationDialog, ProviderDialog
from ui.context import AppContext

Settle = Callable[[AppContext], None]


def open_tab(
    qtbot: QtBot, context: AppContext, settle: Settle, title: str
) -> tuple[AdminPage, RecordListTab]:
    page = AdminPage(context)
    qtbot.addWidget(page)
    tab = page.open_tab(title)
    assert isinstance(tab, RecordListTab)
    settle(context)
    return page, tab


def valid_npi(first9: str) -> str:
    return first9 + str(npi_check_digit(first9))


def fill_payer(qtbot: QtBot, dialog: PayerDialog, indicator: str) -> None:
    qtbot.keyClicks(dialog.name, "Medicare Part B of Illinois")
    qtbot.keyClicks(dialog.payer_code, "00952")
    dialog.claim_filing_indicator.setCurrentText(indicator)
    dialog.timely_filing_days.setValue(365)


def test_payer_rejects_unknown_indicator(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Payers")
    tab.add_button.click()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None
    fill_payer(qtbot, dialog, "XX")

    dialog.accept()
    settle(admin_context)

    assert "not an X12 code" in dialog.form.problem_text("claim_filing_indicator")
    assert dialog.form.problem_text("name") == ""
    assert dialog.isVisible()
    assert dialog.name.text() == "Medicare Part B of Illinois"
    assert tab.table.rowCount() == 0


def test_payer_added_to_table(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Payers")
    tab.add_record()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None
    fill_payer(qtbot, dialog, "MB")

    dialog.accept()
    settle(admin_context)

    assert tab.table.column_texts(0) == ["Medicare Part B of Illinois"]
    assert tab.table.column_texts(2) == ["MB: Medicare Part B"]
    assert tab.table.column_texts(3) == ["365 days"]


def test_enter_opens_selected_payer(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Payers")
    tab.add_record()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None
    fill_payer(qtbot, dialog, "MB")
    dialog.accept()
    settle(admin_context)
    tab.table.selectRow(0)
    tab.table.setFocus()

    qtbot.keyClick(tab.table, Qt.Key.Key_Return)

    editors = [child for child in tab.findChildren(PayerDialog) if child.payer is not None]
    assert len(editors) == 1
    assert editors[0].name.text() == "Medicare Part B of Illinois"
    editors[0].reject()


def test_provider_bad_npi_beside_field(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Providers")
    tab.add_record()
    dialog = tab.findChild(ProviderDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.first_name, "Cara")
    qtbot.keyClicks(dialog.last_name, "Nguyen")
    qtbot.keyClicks(dialog.npi, "1234567890")
    qtbot.keyClicks(dialog.taxonomy_code, "207Q00000X")

    dialog.accept()
    settle(admin_context)

    assert "1234567890" in dialog.form.problem_text("npi")
    assert dialog.npi.property("invalid") is True

    dialog.npi.setText(valid_npi("167728383"))
    dialog.accept()
    settle(admin_context)

    assert "Nguyen, Cara" in tab.table.column_texts(0)


def test_location_rooms_saved(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Locations")
    tab.table.selectRow(tab.table.column_texts(0).index("Main Office"))
    tab.edit_button.click()
    dialog = tab.findChild(LocationDialog)
    assert dialog is not None
    assert dialog.rooms.names() == ("Exam 1", "Exam 2")

    dialog.rooms.list.setCurrentRow(0)
    dialog.rooms.remove_room()
    dialog.rooms.add_room()
    dialog.rooms.list.item(1).setText("Procedure")
    dialog.accept()
    settle(admin_context)

    row = tab.table.column_texts(0).index("Main Office")
    assert tab.table.item(row, 5).text() == "Exam 2, Procedure"


def test_archive_location_hides_it(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Locations")
    tab.table.selectRow(0)

    tab.archive_button.click()
    box = tab.findChild(QMessageBox)
    assert box is not None
    next(button for button in box.buttons() if button.text() == "Archive").click()
    settle(admin_context)

    assert tab.table.rowCount() == 0
    tab.show_archived.setChecked(True)
    settle(admin_context)
    assert tab.table.column_texts(0) == ["Main Office (archived)"]


def test_escape_asks_before_discarding(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Providers")
    tab.add_record()
    dialog = tab.findChild(ProviderDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.first_name, "Dana")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    assert dialog.isVisible()
    box = dialog.findChild(QMessageBox)
    assert box is not None
    next(button for button in box.buttons() if button.text() == "Discard").click()
    assert not dialog.isVisible()


def test_escape_closes_untouched_dialog(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Payers")
    tab.add_record()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    assert not dialog.isVisible()


def test_enter_saves_dialog(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle, "Payers")
    tab.add_record()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None
    fill_payer(qtbot, dialog, "MB")

    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    settle(admin_context)

    assert tab.table.column_texts(0) == ["Medicare Part B of Illinois"]
