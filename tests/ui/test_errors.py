"""The error presenter: user messages, validation lists and the report dialog."""

import sys

import pytest
from PySide6.QtWidgets import QMessageBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.errors import DatabaseLockedError, ValidationError
from app.problems import Problem
from ui import errors
from ui.errors import REPORT_TITLE, show_error

# The offscreen platform used in tests cannot resize windows to their size hints.


def test_user_error_shows_message(qtbot: QtBot) -> None:
    dialog = show_error(None, DatabaseLockedError("The database x.db is already open."))

    assert isinstance(dialog, QMessageBox)
    assert dialog.isVisible()
    assert dialog.text() == "The database x.db is already open."
    dialog.close()


def test_validation_error_lists_problems(qtbot: QtBot) -> None:
    problems = [Problem("npi", "NPI fails the check digit."), Problem("zip", "ZIP is missing.")]

    dialog = show_error(None, ValidationError(problems))

    assert isinstance(dialog, QMessageBox)
    assert "NPI fails the check digit." in dialog.text()
    assert "ZIP is missing." in dialog.text()
    dialog.close()


def test_bug_shows_report(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise KeyError("missing-key")
    except KeyError as exc:
        dialog = show_error(None, exc)

    assert dialog.windowTitle() == REPORT_TITLE
    details = dialog.findChild(QPlainTextEdit, "errorDetails")
    assert details is not None
    assert "KeyError" in details.toPlainText()
    assert "Traceback" in details.toPlainText()
    assert "unexpected error: KeyError" in caplog.text
    dialog.close()


def test_excepthook_installed(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)

    errors.install_excepthook()

    assert sys.excepthook is errors._excepthook
