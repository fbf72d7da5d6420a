"""Requesting emergency access from a permission error, through to the recorded grant."""

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.security import EmergencyAccess
from app.security.permissions import Denial, Permission
from tests.ui.conftest import settle
from ui.emergency_request import EmergencyRequestDialog
from ui.errors import build_error_dialog, set_emergency_requester
from ui.main_window import MainWindow
from ui.ops import OperationRunner

WindowFactory = Callable[..., MainWindow]
REASON = "Patient at the desk, provider needs the insurance card now"


@pytest.fixture(autouse=True)
def _forget_requester() -> Iterator[None]:
    yield
    set_emergency_requester(None)


def _denied(window: MainWindow, permission: Permission) -> PermissionDeniedError:
    return PermissionDeniedError(
        "Your role does not allow this.", Denial(window.context.actor, permission)
    )


def _request_button(box: object) -> QPushButton | None:
    assert isinstance(box, QMessageBox)
    return box.findChild(QPushButton, "emergencyRequestButton")


def _open_request(qtbot: QtBot, window: MainWindow) -> EmergencyRequestDialog:
    box = build_error_dialog(window, _denied(window, Permission.PATIENT_VIEW_SSN))
    qtbot.addWidget(box)
    button = _request_button(box)
    assert button is not None
    button.click()
    dialog = window.findChild(EmergencyRequestDialog)
    assert isinstance(dialog, EmergencyRequestDialog)
    return dialog


def test_button_for_patient_permission(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("frontdesk")

    box = build_error_dialog(window, _denied(window, Permission.PATIENT_VIEW_SSN))
    qtbot.addWidget(box)

    assert _request_button(box) is not None


def test_no_button_for_admin_permission(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window("frontdesk")

    box = build_error_dialog(window, _denied(window, Permission.USER_MANAGE))
    qtbot.addWidget(box)

    assert _request_button(box) is None


def test_short_reason_problem(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner
) -> None:
    window = make_window("frontdesk")
    dialog = _open_request(qtbot, window)

    dialog.reason.setPlainText("urgent")
    dialog.accept()
    settle(qtbot, ops)

    assert dialog.isVisible()
    assert "15 characters" in dialog.form.problem_text("reason")


def test_grant_recorded(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, demo_database: Database
) -> None:
    window = make_window("frontdesk")
    dialog = _open_request(qtbot, window)

    dialog.reason.setPlainText(REASON)
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.accept()
    settle(qtbot, ops)

    with demo_database.transaction() as session:
        grants = list(session.scalars(select(EmergencyAccess)))
    assert [grant.permission for grant in grants] == [Permission.PATIENT_VIEW_SSN.value]
    assert grants[0].user_id == window.context.actor.user_id
    notice = window.findChild(QMessageBox, "emergencyGrantedBox")
    assert isinstance(notice, QMessageBox)
    assert "60 minutes" in notice.text()
    assert "audit log" in notice.text()
