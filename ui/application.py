"""Start the GUI: the QApplication, then wizard or passphrase, sign-in and main window.

`run(database_path)` returns the process exit code. A database that another ClinicDesk
process holds open is reported with its DatabaseLockedError message and ends the start.
"""

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QDir, QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.db.database import Database
from app.errors import UserError
from app.paths import APP_AUTHOR, APP_NAME, default_database_path
from app.security import auth
from app.security.permissions import Actor
from app.services.numbering import local_workstation
from ui.context import AppContext, SignedInUser
from ui.daily_backup import DailyBackup
from ui.errors import build_error_dialog, install_excepthook, set_log_file, show_error
from ui.garbage import MainThreadGarbageCollector
from ui.icons import app_icon
from ui.ops import OperationRunner
from ui.passphrase import open_with_passphrase_retries
from ui.resources import resource_path
from ui.signin import SignInDialog
from ui.widgets import install_wheel_guard

log = logging.getLogger(__name__)

STYLE_SHEET = "style.qss"
# The style sheet names its arrow images as "icons:arrow-down.svg" and so on.
ICON_SEARCH_PREFIX = "icons"


def load_style_sheet() -> str:
    """Return the bundled style sheet, or "" (Qt's own look) when it cannot be read."""
    path = resource_path(STYLE_SHEET)
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet %s could not be read; using the default look", path)
        return ""


def create_application(argv: list[str]) -> QApplication:
    """Return the QApplication, set up with name, icon, high-DPI policy and style."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (125 %, 150 %) keep text sharp instead of rounding up.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    QDir.addSearchPath(ICON_SEARCH_PREFIX, str(resource_path("icons")))
    app.setStyleSheet(load_style_sheet())
    install_wheel_guard(app)
    # Windows come and go (sign-in, sign-out, wizard); quitting is decided explicitly.
    app.setQuitOnLastWindowClosed(False)
    MainThreadGarbageCollector(app)
    return app


class DeskController(QObject):
    """Walks from an open database through sign-in to the main window, and back on sign-out."""

    def __init__(self, app: QApplication, database: Database) -> None:
        super().__init__(app)
        self.app = app
        self.database = database
        self.ops = OperationRunner(database, self)
        self.ops.failed.connect(lambda error: show_error(QApplication.activeWindow(), error))
        self.context: AppContext | None = None
        self.window: QObject | None = None
        self.sign_in: SignInDialog | None = None
        self.workstation = ""
        self.daily_backup: DailyBackup | None = None
        app.aboutToQuit.connect(self.shut_down)

    def start(self) -> None:
        """Find this workstation's code, then ask for a sign-in."""
        self.ops.run(
            lambda session, _progress: local_workstation(session).code,
            on_done=self._workstation_found,
            on_error=self._fatal,
        )

    def _workstation_found(self, code: str) -> None:
        self.workstation = code
        self.show_sign_in()

    def _fatal(self, error: BaseException) -> None:
        dialog = show_error(None, error)
        dialog.finished.connect(lambda _result: self.app.exit(1))

    def show_sign_in(self) -> SignInDialog:
        """Show the sign-in dialog; Quit there ends the application."""
        dialog = SignInDialog(self.ops, self.workstation)
        dialog.accepted.connect(lambda: self._signed_in(dialog.actor))
        dialog.rejected.connect(self.app.quit)
        self.sign_in = dialog
        dialog.open()
        return dialog

    def _signed_in(self, actor: Actor | None) -> None:
        if actor is None:
            return
        if self.context is None:
            self._open_main_window(actor)
            return
        self.context.user.set_actor(actor)
        assert self.window is not None
        self.window.show()  # type: ignore[attr-defined]

    def _open_main_window(self, actor: Actor) -> None:
        from ui.main_window import MainWindow

        self.context = AppContext(self.database, self.ops, SignedInUser(actor), self.workstation)
        window = MainWindow(self.context)
        window.sign_out_requested.connect(self.sign_out)
        window.account_closed.connect(self.sign_out)
        self.window = window
        window.show()
        self._start_daily_backup(window)

    def _start_daily_backup(self, window: QWidget) -> None:
        assert self.context is not None
        scheduler = DailyBackup(self.context, parent=self)
        scheduler.failed.connect(lambda error: show_error(window, error))
        scheduler.start()
        self.daily_backup = scheduler

    def sign_out(self, message: str = "") -> None:
        """Record the sign-out, hide the window and ask for the next sign-in.

        A non-empty `message` is shown in the sign-in dialog, saying why the session ended.
        """
        if self.context is None or not self.context.user.signed_in:
            return
        actor = self.context.actor
        self.ops.run(lambda session, _progress: auth.sign_out(session, actor))
        self.context.user.set_actor(None)
        assert self.window is not None
        self.window.hide()  # type: ignore[attr-defined]
        dialog = self.show_sign_in()
        if message:
            dialog.form.set_message(message)

    def shut_down(self) -> None:
        """Record the sign-out, let running work finish and close the database."""
        if self.context is not None and self.context.user.signed_in:
            actor = self.context.actor
            self.ops.run(lambda session, _progress: auth.sign_out(session, actor))
        if self.daily_backup is not None:
            self.daily_backup.stop()
        self.ops.wait_for_all()
        self.database.close()
        log.info("database closed at exit")


def _open_existing(path: Path) -> Database | None:
    try:
        return open_with_passphrase_retries(path)
    except UserError as error:
        log.warning("could not open the database: %s", type(error).__name__)
        build_error_dialog(None, error).exec()
        return None


def _create_with_wizard(path: Path) -> Database | None:
    from ui.wizard import SetupWizard

    wizard = SetupWizard(path)
    accepted = wizard.exec() == QDialog.DialogCode.Accepted
    if wizard.database is not None and not accepted:
        log.info("wizard closed before the passphrase was confirmed; the database is kept")
    return wizard.database


def _configure_logging(verbose: bool) -> None:
    from app.logging_setup import configure_logging

    set_log_file(configure_logging(verbose))


def run(
    database_path: Path | None = None, argv: list[str] | None = None, *, verbose: bool = False
) -> int:
    """Run the GUI until the user quits; return the exit code.

    `verbose` records DEBUG in the log file and shows INFO on the console.
    """
    app = create_application(argv if argv is not None else sys.argv[:1])
    _configure_logging(verbose)
    install_excepthook()
    path = (database_path or default_database_path()).expanduser().resolve()

    database = _open_existing(path) if path.exists() else _create_with_wizard(path)
    if database is None:
        return 1
    controller = DeskController(app, database)
    controller.start()
    return app.exec()
