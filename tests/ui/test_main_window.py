"""The main window: shortcuts, navigation, role-based Admin, search and refresh."""

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.changes import ChangeKind, Changes
from app.db.database import Database
from app.ids import UserId
from app.security.permissions import Actor, Role
from app.services import users
from app.services.patient_list import list_patients
from app.services.today import practice_today, todays_appointments
from app.services.users import get_user_by_username
from tests.ui.conftest import settle, sign_in_as
from ui import help as shortcuts
from ui.application import DeskController
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


def test_admin_hidden_for_provider(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("provider")
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
    assert window.admin_page.tab_titles() == [
        "Clearinghouses",
        "Posting rules",
        "Statements",
        "Period lock",
        "Procedure codes",
        "Code sets",
        "Fee schedules",
        "Outside providers",
        "Import",
        "Audit log",
        "Backups",
    ]


def test_front_desk_sees_only_outside_providers(make_window: WindowFactory) -> None:
    window = make_window("frontdesk")

    window.go_to("Admin")

    assert window.admin_page is not None
    assert window.admin_page.tab_titles() == ["Outside providers"]


def test_admin_permissions_match_tabs() -> None:
    from ui.admin.page import TABS
    from ui.main_window import ADMIN_PERMISSIONS

    assert {permission for _title, permission, _factory in TABS} == set(ADMIN_PERMISSIONS)


def test_status_bar_texts(make_window: WindowFactory, demo_database: Database) -> None:
    window = make_window("frontdesk")

    assert "(Front desk)" in window.user_label.text()
    assert window.user_label.text() != "frontdesk (Front desk)"
    assert (
        window.workstation_label.text() == f"Workstation {window.context.workstation} · Front desk"
    )
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

    assert page.model.rowCount() == len(expected)
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


def _user_id(database: Database, username: str) -> UserId:
    with database.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        return UserId(user.id)


def _demote_manager(database: Database, workstation: str) -> None:
    admin = sign_in_as(database, "admin", workstation)
    with database.transaction() as session:
        manager = get_user_by_username(session, "manager")
        assert manager is not None
        users.update_user(session, admin, UserId(manager.id), manager.display_name, Role.PROVIDER)


def _archive_manager(database: Database, workstation: str) -> None:
    admin = sign_in_as(database, "admin", workstation)
    manager_id = _user_id(database, "manager")
    with database.transaction() as session:
        users.archive_user(session, admin, manager_id)


def test_demoted_user_loses_admin(
    qtbot: QtBot,
    make_window: WindowFactory,
    demo_database: Database,
    ops: OperationRunner,
    workstation: str,
) -> None:
    window = make_window("manager")
    window.go_to("Admin")
    admin_row = shortcuts.NAVIGATION_PAGES.index("Admin")

    _demote_manager(demo_database, workstation)
    ops.changed.emit(Changes.of(ChangeKind.USERS))
    settle(qtbot, ops)

    assert window.context.actor.role == Role.PROVIDER
    assert window.navigation.item(admin_row).isHidden()
    assert window.current_page_name() == "Today"
    assert window.admin_page is None
    assert "(Provider)" in window.user_label.text()


def test_other_changes_keep_role(
    qtbot: QtBot,
    make_window: WindowFactory,
    demo_database: Database,
    ops: OperationRunner,
    workstation: str,
) -> None:
    window = make_window("manager")

    _demote_manager(demo_database, workstation)
    ops.changed.emit(Changes.of(ChangeKind.PATIENTS))
    settle(qtbot, ops)

    assert window.context.actor.role == Role.MANAGER


def test_archived_user_signed_out(
    qtbot: QtBot,
    make_window: WindowFactory,
    demo_database: Database,
    ops: OperationRunner,
    workstation: str,
) -> None:
    window = make_window("manager")

    _archive_manager(demo_database, workstation)
    with qtbot.waitSignal(window.account_closed, timeout=5_000) as closed:
        ops.changed.emit(Changes.of(ChangeKind.USERS))
    settle(qtbot, ops)

    assert closed.args is not None
    assert "archived" in closed.args[0]


@pytest.fixture
def controller(demo_database: Database, workstation: str) -> Iterator[DeskController]:
    """A DeskController on the demo database, torn down without quitting the application."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    desk = DeskController(app, demo_database)
    app.aboutToQuit.disconnect(desk.shut_down)
    desk.workstation = workstation
    yield desk

    if desk.daily_backup is not None:
        desk.daily_backup.stop()
    if desk.sign_in is not None:
        desk.sign_in.rejected.disconnect()
        desk.sign_in.hide()
        desk.sign_in.deleteLater()
    if isinstance(desk.window, MainWindow):
        desk.window.setProperty("quitOnClose", False)
        desk.window.close()
        desk.window.deleteLater()
    desk.ops.wait_for_all()
    desk.setParent(None)
    desk.deleteLater()


def test_controller_signs_out_archived(
    qtbot: QtBot, controller: DeskController, demo_database: Database, workstation: str
) -> None:
    controller._open_main_window(sign_in_as(demo_database, "manager", workstation))
    window = controller.window
    assert isinstance(window, MainWindow)
    qtbot.waitUntil(lambda: not controller.ops.busy, timeout=15_000)

    _archive_manager(demo_database, workstation)
    controller.ops.changed.emit(Changes.of(ChangeKind.USERS))
    qtbot.waitUntil(lambda: controller.sign_in is not None, timeout=5_000)
    qtbot.waitUntil(lambda: not controller.ops.busy, timeout=15_000)

    assert controller.context is not None
    assert not controller.context.user.signed_in
    assert not window.isVisible()
    assert controller.sign_in is not None
    assert "archived" in controller.sign_in.form.message.text()
