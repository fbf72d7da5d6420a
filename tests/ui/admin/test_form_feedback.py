"""Field problems clear while the user fixes them, and Enter keeps saving after a failure."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.admin.users import UserDialog
from ui.context import AppContext

Settle = Callable[[AppContext], None]
GOOD_PASSWORD = "Front-desk-pass-77"


def _dialog(qtbot: QtBot, context: AppContext) -> UserDialog:
    dialog = UserDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _fill(dialog: UserDialog, username: str) -> None:
    dialog.username.setText(username)
    dialog.display_name.setText("Sam Rivera")
    dialog.password.setText(GOOD_PASSWORD)
    dialog.repeat_password.setText(GOOD_PASSWORD)


def test_problem_clears_on_edit(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    dialog = _dialog(qtbot, admin_context)
    _fill(dialog, "x")
    dialog.accept()
    settle(admin_context)
    assert dialog.form.problem_text("username") != ""

    qtbot.keyClicks(dialog.username, "yz")

    assert dialog.form.problem_text("username") == ""
    assert dialog.username.property("invalid") is False


def test_problem_stays_on_other_edit(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    dialog = _dialog(qtbot, admin_context)
    _fill(dialog, "x")
    dialog.accept()
    settle(admin_context)

    qtbot.keyClicks(dialog.display_name, "a")

    assert dialog.form.problem_text("username") != ""


def test_enter_saves_after_failure(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    dialog = _dialog(qtbot, admin_context)
    _fill(dialog, "x")
    dialog.username.setFocus()
    qtbot.keyClick(dialog.username, Qt.Key.Key_Return)
    settle(admin_context)
    assert dialog.isVisible()
    assert dialog.form.problem_text("username") != ""

    focused = QApplication.focusWidget()
    assert focused is not None
    dialog.username.setText("sam.rivera")
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        qtbot.keyClick(focused, Qt.Key.Key_Return)
    settle(admin_context)
