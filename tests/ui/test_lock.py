"""Idle auto-lock, unlocking as the same user, and switching to another user."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.ids import UserId
from app.models.security import AuditEvent
from app.security.audit import AuditAction
from app.security.permissions import Role
from app.services import users
from app.services.users import get_user_by_username
from tests.ui.conftest import DEMO_PASSWORD, settle, sign_in_as
from ui.help import NAVIGATION_PAGES
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.patients import PatientsPage

# The offscreen platform used in tests cannot resize windows to their size hints.

WindowFactory = Callable[..., MainWindow]


def _locked_window(qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner) -> MainWindow:
    window = make_window("frontdesk", idle_ms=300)
    window.go_to("Patients")
    settle(qtbot, ops)
    window.search.setText("a")
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    settle(qtbot, ops)
    return window


def _unlock(qtbot: QtBot, window: MainWindow, ops: OperationRunner, username: str) -> None:
    window.lock_panel.form.username.setText(username)
    window.lock_panel.form.password.setText(DEMO_PASSWORD)
    window.lock_panel.unlock_button.click()
    settle(qtbot, ops)


def _patients(window: MainWindow) -> PatientsPage:
    page = window.pages["Patients"]
    assert isinstance(page, PatientsPage)
    return page


def test_idle_lock_hides_patients(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = _locked_window(qtbot, make_window, ops)

    assert window.central.currentWidget() is window.lock_panel
    assert not window.workspace.isVisible()
    assert _patients(window).model.rowCount() == 0
    assert window.search.text() == ""
    assert not window.search.isEnabled()


def test_lock_is_audited(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, demo_database: Database
) -> None:
    _locked_window(qtbot, make_window, ops)

    with demo_database.transaction() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert AuditAction.LOCK.value in actions


def test_unlock_same_user_restores(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = _locked_window(qtbot, make_window, ops)

    _unlock(qtbot, window, ops, "frontdesk")

    assert not window.locked
    assert window.central.currentWidget() is window.workspace
    assert window.current_page_name() == "Patients"
    assert _patients(window).model.rowCount() > 0
    assert window.context.actor.username == "frontdesk"


def test_unlock_wrong_password(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = _locked_window(qtbot, make_window, ops)
    window.lock_panel.form.password.setText("wrong-password")

    window.lock_panel.unlock_button.click()
    settle(qtbot, ops)

    assert window.locked
    assert "not correct" in window.lock_panel.form.message.text()


def test_another_user_switches_in(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = _locked_window(qtbot, make_window, ops)

    _unlock(qtbot, window, ops, "manager")

    assert not window.locked
    assert window.context.actor.username == "manager"
    assert "(Manager)" in window.user_label.text()


def test_ctrl_l_locks_at_once(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("admin")

    window.lock_action.trigger()

    assert window.locked
    assert window.lock_panel.form.username.text() == "admin"


def test_unlock_applies_new_role(
    qtbot: QtBot,
    make_window: WindowFactory,
    ops: OperationRunner,
    demo_database: Database,
    workstation: str,
) -> None:
    window = make_window("manager", idle_ms=300)
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    settle(qtbot, ops)
    admin = sign_in_as(demo_database, "admin", workstation)
    with demo_database.transaction() as session:
        manager = get_user_by_username(session, "manager")
        assert manager is not None
        users.update_user(session, admin, UserId(manager.id), manager.display_name, Role.PROVIDER)

    _unlock(qtbot, window, ops, "manager")

    admin_row = NAVIGATION_PAGES.index("Admin")
    assert not window.locked
    assert window.context.actor.role == Role.PROVIDER
    assert window.navigation.item(admin_row).isHidden()


def test_unlock_archived_rejected(
    qtbot: QtBot,
    make_window: WindowFactory,
    ops: OperationRunner,
    demo_database: Database,
    workstation: str,
) -> None:
    window = make_window("manager", idle_ms=300)
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    settle(qtbot, ops)
    admin = sign_in_as(demo_database, "admin", workstation)
    with demo_database.transaction() as session:
        manager = get_user_by_username(session, "manager")
        assert manager is not None
        users.archive_user(session, admin, UserId(manager.id))

    _unlock(qtbot, window, ops, "manager")

    assert window.locked
    assert "archived" in window.lock_panel.form.message.text()
