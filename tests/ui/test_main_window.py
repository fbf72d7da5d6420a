"""The main window: shortcuts, navigation, role-based Admin, search and refresh."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services.patient_list import list_patients
from app.services.today import practice_today, todays_appointments
from tests.ui.conftest import settle
from ui import help as shortcuts
from ui.help import HelpDialog
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.patients import PatientsPage
from ui.pages.today import TodayPage

# The offscreen platform used in tests cannot resize windows to their size hints.

WindowFactory = Callable[..., MainWindow]


def test_ctrl_k_focuses_search(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.navigation.setFocus()

    qtbot.keyClick(window.navigation, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)

    assert QApplication.focusWidget() is window.search


def test_search_placeholder(make_window: WindowFactory) -> None:
    window = make_window()

    assert window.search.placeholderText() == "Search patients (Ctrl+K)"


def test_f1_lists_shortcuts(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()

    qtbot.keyClick(window.navigation, Qt.Key.Key_F1)

    dialogs = [
        widget for widget in QApplication.topLevelWidgets() if isinstance(widget, HelpDialog)
    ]
    assert len(dialogs) == 1
    listed = dialogs[0].listed_keys()
    for shortcut in shortcuts.SHORTCUTS:
        assert shortcut.native_text() in listed
    dialogs[0].close()


def test_ctrl_number_switches_pages(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()

    qtbot.keyClick(window.navigation, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "Patients"
    qtbot.keyClick(window.navigation, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "Claims"
    qtbot.keyClick(window.navigation, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_name() == "Today"


def test_admin_hidden_for_front_desk(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("frontdesk")
    admin_row = shortcuts.NAVIGATION_PAGES.index("Admin")

    qtbot.keyClick(window.navigation, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)

    assert window.navigation.item(admin_row).isHidden()
    assert window.current_page_name() == "Today"
    assert window.admin_page is None


def test_admin_shown_for_administrator(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("admin")
    admin_row = shortcuts.NAVIGATION_PAGES.index("Admin")

    window.go_to("Admin")

    assert not window.navigation.item(admin_row).isHidden()
    assert window.current_page_name() == "Admin"


def test_admin_shown_for_manager(make_window: WindowFactory) -> None:
    window = make_window("manager")
    admin_row = shortcuts.NAVIGATION_PAGES.index("Admin")

    window.go_to("Admin")

    assert not window.navigation.item(admin_row).isHidden()
    assert window.admin_page is not None
    assert window.admin_page.tab_titles() == ["Audit log", "Backups"]


def test_admin_permissions_match_tabs() -> None:
    from ui.admin.page import TABS
    from ui.main_window import ADMIN_PERMISSIONS

    assert {permission for _title, permission, _factory in TABS} == set(ADMIN_PERMISSIONS)


def test_status_bar_texts(make_window: WindowFactory, demo_database: Database) -> None:
    window = make_window("frontdesk")

    assert "(Front desk)" in window.user_label.text()
    assert window.user_label.text() != "frontdesk (Front desk)"
    assert window.workstation_label.text() == f"Workstation {window.context.workstation}"
    assert window.database_label.text() == f"Encrypted database: {demo_database.path.name}"
    assert window.sync_label.text() == "Sync: not configured"


def test_today_lists_appointments(
    make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    page = window.pages["Today"]
    assert isinstance(page, TodayPage)
    with demo_database.transaction() as session:
        expected = todays_appointments(session, window.context.actor, practice_today(session))

    assert page.table.rowCount() == len(expected)
    assert page.total.text().startswith(f"{len(expected)} appointment")


def test_search_filters_patients(
    qtbot: QtBot, make_window: WindowFactory, demo_database: Database, ops: OperationRunner
) -> None:
    window = make_window()
    actor: Actor = window.context.actor
    with demo_database.transaction() as session:
        first = list_patients(session, actor)[0]
        prefix = first.last_name[:3]
        expected = list_patients(session, actor, prefix)

    window.search.setText(prefix)
    window.search.returnPressed.emit()
    page = window.pages["Patients"]
    assert isinstance(page, PatientsPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == len(expected), timeout=5_000)
    settle(qtbot, ops)

    assert window.current_page_name() == "Patients"
    shown = {row.chart_number for row in page.model.rows}
    assert shown == {row.chart_number for row in expected}
