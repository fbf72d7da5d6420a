"""Idle auto-lock: watch for keyboard and mouse activity, and the panel that unlocks.

`IdleWatcher` is an application-wide event filter. Any key press, click, wheel turn or
mouse move restarts its timer. When the timer runs out it emits `idle`, and the main
window swaps its pages for a `LockPanel`. The same user signs in again to continue, or
another user signs in to switch.
"""

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from ui.signin import CredentialsForm

log = logging.getLogger(__name__)

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Emits `idle` after `timeout_ms` without user activity anywhere in the application."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_timeout(timeout_ms)
        self._installed = False

    def set_timeout(self, timeout_ms: int) -> None:
        """Change the idle time (milliseconds) and start counting again."""
        self._timer.setInterval(max(1, timeout_ms))
        if self._timer.isActive():
            self._timer.start()

    def timeout_ms(self) -> int:
        """Return the idle time in milliseconds."""
        return self._timer.interval()

    def start(self) -> None:
        """Begin watching every window of the application."""
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        self._timer.start()

    def stop(self) -> None:
        """Stop counting (while the screen is locked) and stop watching events."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def active(self) -> bool:
        """True while the countdown runs."""
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in ACTIVITY_EVENTS and self._timer.isActive():
            self._timer.start()
        return False


class LockPanel(QWidget):
    """Shown in place of every page while the screen is locked."""

    unlock_requested = Signal(str, str, object)  # user name, password, code or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPanel")
        # Plain QWidget subclasses paint a style-sheet background only with this attribute.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.heading = QLabel("ClinicDesk is locked")
        self.heading.setObjectName("lockHeading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explanation = QLabel()
        self.explanation.setObjectName("lockExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A wrapped label's size hint assumes a wider line than the card has, so reserve
        # room for the three lines the explanation takes at the card's width.
        self.explanation.setMinimumHeight(self.explanation.fontMetrics().lineSpacing() * 4)
        self.form = CredentialsForm()
        self.form.submitted.connect(self._submit)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)

        card = QWidget()
        card.setObjectName("lockCard")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card.setFixedWidth(440)
        card_layout = QVBoxLayout(card)
        card_layout.setSpacing(12)
        card_layout.setContentsMargins(28, 24, 28, 24)
        card_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        card_layout.addWidget(self.heading)
        card_layout.addWidget(self.explanation)
        card_layout.addWidget(self.form)
        card_layout.addWidget(self.unlock_button)

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def prepare(self, locked_username: str, locked_display: str, *, switching: bool) -> None:
        """Clear the form and explain who the screen belongs to."""
        self.form.reset()
        if switching:
            self.heading.setText("Switch user")
            text = f"{locked_display} is still signed in. Sign in as the next user to switch."
        else:
            self.heading.setText("ClinicDesk is locked")
            text = (
                f"Locked for {locked_display}. Sign in again to continue, or sign in as "
                "another user to switch."
            )
            self.form.username.setText(locked_username)
        self.explanation.setText(text)
        self.busy(False)
        field = self.form.password if self.form.username.text() else self.form.username
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    def busy(self, busy: bool) -> None:
        """Disable the button while the unlock check runs."""
        self.unlock_button.setEnabled(not busy)

    def _submit(self) -> None:
        username, password, code = self.form.values()
        if not username or not password:
            self.form.set_message("Type a user name and password, then press Enter.")
            return
        if self.unlock_button.isEnabled():
            self.busy(True)
            self.unlock_requested.emit(username, password, code)
