"""Signing in: the sign-in dialog, the shared credentials form and the password change."""

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QSizePolicy,
    QSpacerItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.security import auth
from app.security.auth import SignInResult
from app.security.permissions import Actor
from ui.errors import show_error
from ui.icons import app_icon
from ui.ops import OperationRunner

log = logging.getLogger(__name__)

# Minimum field height in pixels, because layouts nested in the lock card size their
# fields before the style sheet applies.
FIELD_HEIGHT = 32
# The sign-in form keeps this width, so a long message wraps instead of widening the dialog.
SIGN_IN_WIDTH = 400


class CredentialsForm(QWidget):
    """User name, password and (when the account needs it) a 6-digit code."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = QLineEdit()
        self.username.setObjectName("usernameInput")
        self.username.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setObjectName("passwordInput")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.totp = QLineEdit()
        self.totp.setObjectName("totpInput")
        self.totp.setAccessibleName("Six-digit sign-in code")
        self.totp.setPlaceholderText("123 456")
        self.totp.setMaxLength(7)
        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sign-in message")
        self.message.hide()

        self._form = QFormLayout()
        self._form.addRow("&User name:", self.username)
        self._form.addRow("&Password:", self.password)
        self._form.addRow("&Code from app:", self.totp)
        self._form.setRowVisible(self.totp, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Never squeeze the fields below their natural height when a message appears.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addLayout(self._form)
        layout.addWidget(self.message)
        for field in (self.username, self.password, self.totp):
            field.returnPressed.connect(self.submitted)
            field.setMinimumHeight(FIELD_HEIGHT)

    def keep_width(self, width: int) -> None:
        """Keep the form `width` pixels wide with or without a message, which wraps to fit."""
        self.message.setFixedWidth(width)
        # The hidden message takes no room, so this zero-height spacer holds the width then.
        layout = self.layout()
        assert layout is not None
        layout.addItem(QSpacerItem(width, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed))

    def values(self) -> tuple[str, str, str | None]:
        """Return (user name, password, code or None when the code field is hidden)."""
        code = self.totp.text().replace(" ", "") if self.totp_visible() else None
        return self.username.text().strip(), self.password.text(), code or None

    def totp_visible(self) -> bool:
        """True once the account asked for a second factor."""
        return self._form.isRowVisible(self.totp)

    def show_totp(self) -> None:
        """Reveal the code field and put the cursor there."""
        self._form.setRowVisible(self.totp, True)
        self.totp.clear()
        self.totp.setFocus()

    def set_message(self, text: str, *, error: bool = True) -> None:
        """Show `text` under the fields (empty hides it)."""
        self.message.setProperty("tone", "error" if error else "info")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def reset(self, *, keep_username: bool = False) -> None:
        """Clear what was typed and hide the code field."""
        if not keep_username:
            self.username.clear()
        self.password.clear()
        self.totp.clear()
        self._form.setRowVisible(self.totp, False)
        self.set_message("")

    def apply_refusal(self, result: SignInResult) -> None:
        """Show why sign-in did not finish and get the form ready for the next try."""
        self.set_message(result.message, error=not result.needs_totp)
        if result.needs_totp:
            self.show_totp()
            return
        self.password.clear()
        if self.totp_visible():
            self.totp.clear()
        self.password.setFocus()


class SignInDialog(QDialog):
    """Asks for a user name and password and signs in through the operation runner."""

    def __init__(self, ops: OperationRunner, workstation: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to ClinicDesk")
        self.setWindowIcon(app_icon())
        self.ops = ops
        self.workstation = workstation
        self.actor: Actor | None = None
        self.busy = False

        heading = QLabel("Sign in to ClinicDesk")
        heading.setObjectName("dialogHeading")
        database = QLabel(f"Encrypted database: {ops.database.path.name}")
        database.setObjectName("subtleText")
        self.form = CredentialsForm()
        self.form.submitted.connect(self.submit)

        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            "Sign in", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setDefault(True)
        quit_button = self.buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAccessibleName("Quit ClinicDesk")
        self.sign_in_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        # The dialog grows and shrinks with the message under the fields.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(database)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.form.keep_width(SIGN_IN_WIDTH)
        self.form.username.setFocus()

    def submit(self) -> None:
        """Check the typed credentials on a worker thread."""
        username, password, code = self.form.values()
        if not username or not password:
            self.form.set_message("Type your user name and password, then press Enter.")
            self.adjustSize()
            (self.form.password if username else self.form.username).setFocus()
            return
        if self.busy:
            return

        self._set_busy(True)
        workstation = self.workstation
        self.ops.run(
            lambda session, _progress: auth.sign_in(session, username, password, workstation, code),
            on_done=self._on_result,
            on_error=self._on_error,
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.sign_in_button.setEnabled(not busy)

    def _on_result(self, result: SignInResult) -> None:
        self._set_busy(False)
        if not result.ok or result.actor is None:
            self.form.apply_refusal(result)
            self.adjustSize()
            return

        self.actor = result.actor
        if not result.must_change_password:
            self.accept()
            return
        _username, password, _code = self.form.values()
        change = ChangePasswordDialog(self.ops, result.actor, password, self)
        change.accepted.connect(self.accept)
        change.rejected.connect(self._password_change_declined)
        change.open()

    def _password_change_declined(self) -> None:
        self.actor = None
        self.form.reset(keep_username=True)
        self.form.set_message("Your password must be changed before you can continue.")

    def _on_error(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, UserError):
            self.form.set_message(str(error))
            self.adjustSize()
            return
        show_error(self, error)


class ChangePasswordDialog(QDialog):
    """Asks for a new password twice and saves it with auth.change_password."""

    def __init__(
        self, ops: OperationRunner, actor: Actor, current_password: str = "", parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle("Choose a new password")
        self.ops = ops
        self.actor = actor
        intro = QLabel(
            "Choose a new password before you continue. Use at least 10 characters, and "
            "not your user name."
        )
        intro.setWordWrap(True)
        self.current = self._password_field("Current password", current_password)
        self.new = self._password_field("New password")
        self.repeat = self._password_field("New password again")
        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setProperty("tone", "error")
        self.message.setWordWrap(True)
        self.message.hide()

        form = QFormLayout()
        if not current_password:
            form.addRow("&Current password:", self.current)
        form.addRow("&New password:", self.new)
        form.addRow("New password &again:", self.repeat)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.new if current_password else self.current).setFocus(Qt.FocusReason.OtherFocusReason)

    def _password_field(self, name: str, text: str = "") -> QLineEdit:
        field = QLineEdit(text)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        return field

    def submit(self) -> None:
        """Save the new password when both copies match."""
        if self.new.text() != self.repeat.text():
            self._show("The two new passwords are different. Type the same password twice.")
            return
        actor, old, new = self.actor, self.current.text(), self.new.text()
        self.ops.run(
            lambda session, _progress: auth.change_password(session, actor, old, new),
            on_done=lambda _changes: self.accept(),
            on_error=self._on_error,
        )

    def _on_error(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self._show("\n".join(problem.message for problem in error.problems))
        elif isinstance(error, UserError):
            self._show(str(error))
        else:
            show_error(self, error)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
