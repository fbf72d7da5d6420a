"""The Outside providers tab and its dialog against a real database."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.admin.outside_providers import OutsideProviderDialog, OutsideProvidersTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]


def open_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> OutsideProvidersTab:
    tab = OutsideProvidersTab(context)
    qtbot.addWidget(tab)
    settle(context)
    return tab


def add_dialog(tab: OutsideProvidersTab) -> OutsideProviderDialog:
    tab.add_record()
    dialog = tab.findChild(OutsideProviderDialog)
    assert dialog is not None
    return dialog


def test_provider_problems_beside_fields(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    dialog = add_dialog(tab)
    qtbot.keyClicks(dialog.first_name, "Grace")
    qtbot.keyClicks(dialog.npi, "1234567890")
    qtbot.keyClicks(dialog.fax, "555")

    dialog.accept()

    assert "missing" in dialog.form.problem_text("last_name")
    assert "1234567890" in dialog.form.problem_text("npi")
    assert "Fax number 555" in dialog.form.problem_text("fax")
    assert dialog.form.problem_text("phone") == ""
    assert dialog.first_name.text() == "Grace"
    assert dialog.isVisible()


def test_provider_saved_with_enter(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    dialog = add_dialog(tab)
    qtbot.keyClicks(dialog.first_name, "Grace")
    qtbot.keyClicks(dialog.last_name, "Hopper")
    qtbot.keyClicks(dialog.credentials, "MD")
    qtbot.keyClicks(dialog.phone, "512 555 0100")

    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    settle(admin_context)

    assert tab.table.column_texts(0) == ["Hopper, Grace"]
    assert tab.table.column_texts(3) == ["(512) 555-0100"]


def test_duplicate_npi_from_service(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    for last_name in ("Hopper", "Hopper Clinic"):
        dialog = add_dialog(tab)
        qtbot.keyClicks(dialog.last_name, last_name)
        qtbot.keyClicks(dialog.npi, "1245319599")
        dialog.accept()
        settle(admin_context)

    assert "already belongs to Hopper" in dialog.form.problem_text("npi")
    assert tab.table.column_texts(0) == ["Hopper"]
