"""The one place that shows errors to the user.

A `UserError` is an expected condition whose message is written for the user, so it is
shown as it is. A `ValidationError` lists every problem. A permission error that emergency
access can overcome also offers "Request emergency access…" once the main window has
installed a requester. Anything else is a bug: it is logged with its traceback and shown
in a report dialog with the details and the log file.
"""

import logging
import sys
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import PermissionDeniedError, UserError, ValidationError
from app.security.emergency import EMERGENCY_PERMISSIONS
from app.security.permissions import Denial, Permission

log = logging.getLogger(__name__)

REPORT_TITLE = "Something went wrong inside ClinicDesk"

EMERGENCY_BUTTON_TEXT = "Request emergency access…"

# Opens the request dialog: (parent, permission, patient id or None).
EmergencyRequester = Callable[[QWidget | None, Permission, uuid.UUID | None], object]

_log_file: Path | None = None
_emergency_requester: EmergencyRequester | None = None


def set_log_file(path: Path | None) -> None:
    """Name the log file that the report dialog points the user to."""
    global _log_file  # noqa: PLW0603 (one log file per process, set once at start)
    _log_file = path


def set_emergency_requester(requester: EmergencyRequester | None) -> None:
    """Set what "Request emergency access…" opens (None removes the button)."""
    global _emergency_requester  # noqa: PLW0603 (one signed-in window per process installs it)
    _emergency_requester = requester


def build_error_dialog(parent: QWidget | None, error: BaseException) -> QDialog:
    """Return the dialog that presents `error`, not yet shown."""
    if isinstance(error, ValidationError):
        return _validation_box(parent, error)
    denial = _emergency_denial(error)
    if denial is not None:
        return _permission_box(parent, str(error), denial)
    if isinstance(error, UserError):
        return _message_box(parent, "ClinicDesk", str(error))
    log.error(
        "unexpected error: %s",
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__),
    )
    return _report_dialog(parent, error)


def show_error(parent: QWidget | None, error: BaseException) -> QDialog:
    """Show `error` without blocking and return the dialog (tests find and close it)."""
    dialog = build_error_dialog(parent, error)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def _message_box(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("userErrorBox")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return box


def _emergency_denial(error: BaseException) -> Denial | None:
    """Return the denial when emergency access could allow what `error` refused."""
    if _emergency_requester is None or not isinstance(error, PermissionDeniedError):
        return None
    denial = error.denial
    if not isinstance(denial, Denial) or denial.permission not in EMERGENCY_PERMISSIONS:
        return None
    return denial


def _permission_box(parent: QWidget | None, text: str, denial: Denial) -> QMessageBox:
    box = _message_box(parent, "ClinicDesk", text)
    box.setObjectName("permissionErrorBox")
    request = box.addButton(EMERGENCY_BUTTON_TEXT, QMessageBox.ButtonRole.ActionRole)
    request.setObjectName("emergencyRequestButton")
    box.setDefaultButton(QMessageBox.StandardButton.Ok)
    requester = _emergency_requester

    def clicked(button: object) -> None:
        if button is request and requester is not None:
            requester(parent, denial.permission, denial.patient_id)

    box.buttonClicked.connect(clicked)
    return box


def _validation_box(parent: QWidget | None, error: ValidationError) -> QMessageBox:
    lines = "\n".join(f"• {problem.message}" for problem in error.problems)
    box = _message_box(parent, "Please correct the following", lines or str(error))
    box.setObjectName("validationErrorBox")
    return box


def _report_dialog(parent: QWidget | None, error: BaseException) -> QDialog:
    dialog = QDialog(parent)
    dialog.setObjectName("errorReportDialog")
    dialog.setWindowTitle(REPORT_TITLE)
    log_text = str(_log_file) if _log_file else "the ClinicDesk log folder"
    intro = QLabel(
        f"<b>{REPORT_TITLE}.</b><br>What you were doing was not finished. Nothing you saved "
        "earlier is affected. Please send the details below and the log file "
        f"<code>{log_text}</code> to your ClinicDesk support contact."
    )
    intro.setWordWrap(True)
    intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    details = QPlainTextEdit("".join(traceback.format_exception(error)))
    details.setObjectName("errorDetails")
    details.setReadOnly(True)
    details.setAccessibleName("Error details")
    details.setMinimumSize(560, 220)

    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
    copy.clicked.connect(lambda: QApplication.clipboard().setText(details.toPlainText()))
    buttons.rejected.connect(dialog.reject)

    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addWidget(details)
    layout.addWidget(buttons)
    return dialog


def _excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    if error.__traceback__ is None:
        error = error.with_traceback(trace)
    if QApplication.instance() is None:
        log.error("uncaught error", exc_info=(kind, error, trace))
        return
    show_error(QApplication.activeWindow(), error)


def install_excepthook() -> None:
    """Route uncaught exceptions (also those raised in Qt slots) to the report dialog."""
    sys.excepthook = _excepthook
