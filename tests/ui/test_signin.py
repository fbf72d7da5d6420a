"""The sign-in dialog against a real demo database."""

import time

import pyotp
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security import totp
from tests.ui.conftest import DEMO_PASSWORD, settle, sign_in_as
from ui.ops import OperationRunner
from ui.signin import SignInDialog

# The offscreen platform used in tests cannot resize windows to their size hints.


def _dialog(qtbot: QtBot, ops: OperationRunner, workstation: str) -> SignInDialog:
    dialog = SignInDialog(ops, workstation)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(dialog: SignInDialog, username: str, password: str) -> None:
    dialog.form.username.setText(username)
    dialog.form.password.setText(password)


def test_sign_in_success(qtbot: QtBot, ops: OperationRunner, workstation: str) -> None:
    dialog = _dialog(qtbot, ops, workstation)
    _type(dialog, "frontdesk", DEMO_PASSWORD)

    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.submit()

    assert dialog.actor is not None
    assert dialog.actor.username == "frontdesk"


def test_sign_in_wrong_password(qtbot: QtBot, ops: OperationRunner, workstation: str) -> None:
    dialog = _dialog(qtbot, ops, workstation)
    _type(dialog, "frontdesk", "not-the-password")

    dialog.submit()
    settle(qtbot, ops)

    assert dialog.actor is None
    assert "not correct" in dialog.form.message.text()
    assert dialog.form.message.isVisible()
    assert dialog.form.password.text() == ""


def test_sign_in_enter_submits(qtbot: QtBot, ops: OperationRunner, workstation: str) -> None:
    dialog = _dialog(qtbot, ops, workstation)
    _type(dialog, "frontdesk", DEMO_PASSWORD)

    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.form.password.returnPressed.emit()

    assert dialog.result() == SignInDialog.DialogCode.Accepted


def test_sign_in_empty_fields(qtbot: QtBot, ops: OperationRunner, workstation: str) -> None:
    dialog = _dialog(qtbot, ops, workstation)

    dialog.submit()

    assert "Type your user name and password" in dialog.form.message.text()
    assert not ops.busy


def test_sign_in_asks_for_totp(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    biller = sign_in_as(demo_database, "biller", workstation)
    with demo_database.transaction() as session:
        enrollment = totp.begin_enrollment(session, biller)
        secret = enrollment.secret
        totp.confirm_enrollment(session, biller, secret, pyotp.TOTP(secret).at(time.time() - 30))
    dialog = _dialog(qtbot, ops, workstation)
    _type(dialog, "biller", DEMO_PASSWORD)

    dialog.submit()
    settle(qtbot, ops)

    assert dialog.form.totp_visible()
    assert dialog.actor is None
    dialog.form.totp.setText(pyotp.TOTP(secret).now())
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.submit()
    assert dialog.actor is not None
    assert dialog.actor.username == "biller"
