"""Two-step sign-in set-up: the secret as a QR code, and the code that confirms it."""

import logging

import qrcode
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QWidget

from app.errors import AuthenticationError, ValidationError
from app.problems import Problem
from app.security import totp
from app.security.totp import TotpEnrollment
from ui.admin.common import Work, run_for
from ui.admin.forms import RecordDialog
from ui.context import AppContext

log = logging.getLogger(__name__)

# Scanners need a white border ("quiet zone") of four modules around the symbol.
QUIET_ZONE = 4
MODULE_PIXELS = 5


def qr_matrix(text: str) -> list[list[bool]]:
    """Return the QR code modules for `text` (True is dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


class QrCodeWidget(QWidget):
    """Paints a QR code with square modules, scaled to whole pixels so it stays sharp."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = qr_matrix(text)
        self.setAccessibleName("QR code for the authenticator app")
        size = len(self.matrix) * MODULE_PIXELS
        self.setMinimumSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        side = len(self.matrix) * MODULE_PIXELS
        return QSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        count = len(self.matrix)
        scale = max(1, min(self.width(), self.height()) // count)
        left = (self.width() - scale * count) // 2
        top = (self.height() - scale * count) // 2
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        for row_index, row in enumerate(self.matrix):
            for column_index, dark in enumerate(row):
                if dark:
                    cell = QRect(left + column_index * scale, top + row_index * scale, scale, scale)
                    painter.fillRect(cell, QColor("black"))
        painter.end()


def group_secret(secret: str) -> str:
    """Split a base32 secret into groups of four so it is easier to type."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


class TotpEnrollmentDialog(RecordDialog):
    """Shows the new secret and asks for one code from the app before turning it on."""

    def __init__(
        self, context: AppContext, enrollment: TotpEnrollment, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Set up two-step sign-in", parent)
        self.enrollment = enrollment
        steps = QLabel(
            "1. Open an authenticator app on your phone (such as Google Authenticator or "
            "Microsoft Authenticator) and scan this code.\n"
            "2. If you cannot scan it, add an account by hand with the secret key below.\n"
            "3. Type the 6-digit code the app shows and choose Save."
        )
        steps.setWordWrap(True)
        layout = self.layout()
        layout.insertWidget(0, steps)
        self.qr = QrCodeWidget(enrollment.provisioning_uri)
        layout.insertWidget(1, self.qr, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.secret = self._read_only(group_secret(enrollment.secret))
        self.uri = self._read_only(enrollment.provisioning_uri)
        self.code = QLineEdit()
        self.code.setPlaceholderText("123 456")
        self.code.setMaxLength(9)
        self.form.add_field("secret", "Secret &key", self.secret)
        self.form.add_field("uri", "Setup &link", self.uri)
        self.form.add_field("code", "&Code from the app", self.code)
        self.code.setFocus()
        self.finish_building()

    @staticmethod
    def _read_only(text: str) -> QLineEdit:
        field = QLineEdit(text)
        field.setReadOnly(True)
        field.setCursorPosition(0)
        return field

    @classmethod
    def start(cls, context: AppContext, parent: QWidget) -> None:
        """Create a secret for the signed-in user in the background, then open the dialog."""
        actor = context.actor

        def opened(enrollment: TotpEnrollment) -> None:
            cls(context, enrollment, parent).open()

        run_for(parent, context, lambda s, _p: totp.begin_enrollment(s, actor), opened)

    def local_problems(self) -> list[Problem]:
        if self.code.text().strip():
            return []
        return [Problem("code", "Enter the 6-digit code the authenticator app shows now.")]

    def build_work(self) -> Work:
        actor, secret, code = self.context.actor, self.enrollment.secret, self.code.text()
        return lambda session, _progress: totp.confirm_enrollment(session, actor, secret, code)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, AuthenticationError):
            error = ValidationError([Problem("code", str(error))])
        super()._failed(error)
