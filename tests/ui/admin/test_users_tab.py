"""The Users tab: adding, resetting, unlocking and archiving accounts through real dialogs."""

from collections.abc import Callable
from datetime import timedelta

import pyotp
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.clock import utc_now
from app.db.database import Database
from app.models.security import User
from app.security import auth
from app.security.permissions import Actor, Role
from app.services import users
from tests.ui.admin.conftest import add_user
from ui.admin import AdminPage
from ui.admin.totp import QrCodeWidget, TotpEnrollmentDialog, qr_matrix
from ui.admin.users import ResetPasswordDialog, UserDialog, UsersTab
from ui.context import AppContext

# The offscreen platform used in tests warns each time a dialog opens.

Settle = Callable[[AppContext], None]
ContextFor = Callable[[Actor], AppContext]
NEW_PASSWORD = "Temporary-pass-2024"


def open_users(qtbot: QtBot, context: AppContext, settle: Settle) -> tuple[AdminPage, UsersTab]:
    page = AdminPage(context)
    qtbot.addWidget(page)
    tab = page.open_tab("Users")
    assert isinstance(tab, UsersTab)
    settle(context)
    return page, tab


def select_user(tab: UsersTab, username: str) -> None:
    row = tab.table.column_texts(0).index(username)
    tab.table.selectRow(row)


def click_message_button(qtbot: QtBot, parent: object, text: str) -> None:
    box = None

    def box_open() -> bool:
        nonlocal box
        boxes = [b for b in parent.findChildren(QMessageBox) if b.isVisible()]  # type: ignore[attr-defined]
        box = boxes[0] if boxes else None
        return box is not None

    qtbot.waitUntil(box_open)
    assert box is not None
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()


def test_add_user_appears(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_users(qtbot, admin_context, settle)
    tab.buttons["add"].click()
    dialog = tab.findChild(UserDialog)
    assert dialog is not None

    qtbot.keyClicks(dialog.username, "jdoe")
    qtbot.keyClicks(dialog.display_name, "Jane Doe")
    dialog.role.setCurrentIndex(list(Role).index(Role.BILLER))
    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.repeat_password, NEW_PASSWORD)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    settle(admin_context)

    assert "jdoe" in tab.table.column_texts(0)
    row = tab.table.column_texts(0).index("jdoe")
    assert tab.table.item(row, 2).text() == "Biller"
    assert tab.table.item(row, 3).text() == "Active"


def test_add_user_problems_beside_fields(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_users(qtbot, admin_context, settle)
    tab.add_user()
    dialog = tab.findChild(UserDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.username, "x")
    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.repeat_password, NEW_PASSWORD)

    dialog.accept()
    settle(admin_context)

    assert "not valid" in dialog.form.problem_text("username")
    assert "name" in dialog.form.problem_text("display_name")
    assert dialog.isVisible()
    assert dialog.username.text() == "x"
    assert dialog.password.text() == NEW_PASSWORD


def test_add_user_mismatched_passwords(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_users(qtbot, admin_context, settle)
    tab.add_user()
    dialog = tab.findChild(UserDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.repeat_password, NEW_PASSWORD + "x")

    dialog.accept()

    assert "differ" in dialog.form.problem_text("repeat_password")
    assert not admin_context.ops.busy


def test_reset_password(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    add_user(database, admin_context.actor, "frontdesk", Role.FRONT_DESK)
    _page, tab = open_users(qtbot, admin_context, settle)
    select_user(tab, "frontdesk")
    tab.buttons["reset_password"].click()
    dialog = tab.findChild(ResetPasswordDialog)
    assert dialog is not None

    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.repeat_password, NEW_PASSWORD)
    dialog.accept()
    settle(admin_context)

    with database.transaction() as session:
        result = auth.sign_in(session, "frontdesk", NEW_PASSWORD, "TST")
    assert result.ok
    assert result.must_change_password


def test_archive_hides_user(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    add_user(database, admin_context.actor, "leaving", Role.BILLER)
    _page, tab = open_users(qtbot, admin_context, settle)
    select_user(tab, "leaving")

    tab.buttons["archive"].click()
    click_message_button(qtbot, tab, "Archive")
    settle(admin_context)

    assert "leaving" not in tab.table.column_texts(0)
    tab.show_archived.setChecked(True)
    settle(admin_context)
    row = tab.table.column_texts(0).index("leaving")
    assert tab.table.item(row, 3).text() == "Archived"


def test_unlock_locked_user(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    locked = add_user(database, admin_context.actor, "lockedout", Role.FRONT_DESK)
    with database.transaction() as session:
        session.get(User, locked.user_id).locked_until = utc_now() + timedelta(minutes=5)
    _page, tab = open_users(qtbot, admin_context, settle)
    select_user(tab, "lockedout")
    row = tab.table.column_texts(0).index("lockedout")
    assert tab.table.item(row, 3).text() == "Locked"

    tab.buttons["unlock"].click()
    settle(admin_context)

    row = tab.table.column_texts(0).index("lockedout")
    assert tab.table.item(row, 3).text() == "Active"


def test_front_desk_no_users_tab(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: ContextFor
) -> None:
    clerk = add_user(database, admin_actor, "clerk", Role.FRONT_DESK)
    context = context_for(clerk)
    page = AdminPage(context)
    qtbot.addWidget(page)

    assert "Users" not in page.tab_titles()
    assert page.tab_titles() == ["Outside providers"]


def test_manager_sees_codes_audit_backups(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: ContextFor
) -> None:
    manager = add_user(database, admin_actor, "manager", Role.MANAGER)
    context = context_for(manager)
    page = AdminPage(context)
    qtbot.addWidget(page)

    assert page.tab_titles() == [
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


def test_qr_matrix_has_quiet_zone() -> None:
    matrix = qr_matrix("otpauth://totp/ClinicDesk:admin?secret=JBSWY3DPEHPK3PXP")

    assert len(matrix) == len(matrix[0])
    assert not any(matrix[0])
    assert any(matrix[4])


def test_enroll_self_with_code(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_users(qtbot, admin_context, settle)
    tab.buttons["enroll"].click()
    settle(admin_context)
    dialog = tab.findChild(TotpEnrollmentDialog)
    assert dialog is not None
    assert dialog.findChild(QrCodeWidget) is not None

    qtbot.keyClicks(dialog.code, "000000")
    dialog.accept()
    settle(admin_context)
    assert "does not match" in dialog.form.problem_text("code")

    dialog.code.setText(pyotp.TOTP(dialog.enrollment.secret).now())
    dialog.accept()
    settle(admin_context)

    with database.transaction() as session:
        listed = users.list_users(session, admin_context.actor)
    assert [user.totp_enabled for user in listed] == [True]
    row = tab.table.column_texts(0).index("admin")
    assert tab.table.item(row, 4).text() == "On"


def test_reset_totp_turns_it_off(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    other = add_user(database, admin_context.actor, "twostep", Role.BILLER)
    with database.transaction() as session:
        session.get(User, other.user_id).totp_secret = pyotp.random_base32()
    _page, tab = open_users(qtbot, admin_context, settle)
    select_user(tab, "twostep")
    assert tab.buttons["reset_totp"].isEnabled()

    tab.buttons["reset_totp"].click()
    click_message_button(qtbot, tab, "Turn off")
    settle(admin_context)

    row = tab.table.column_texts(0).index("twostep")
    assert tab.table.item(row, 4).text() == "Off"


def test_cannot_archive_self(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_users(qtbot, admin_context, settle)
    select_user(tab, "admin")

    assert not tab.buttons["archive"].isEnabled()
    assert isinstance(tab.buttons["archive"], QPushButton)
