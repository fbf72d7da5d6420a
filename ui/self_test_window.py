"""The GUI half of `clinicdesk --self-test`: open the main window offscreen, then run it all.

The service steps live in app/self_test.py. This module adds the one step that needs Qt:
the main window opens with the style sheet, icons and every navigation page, as the
signed-in manager, on Qt's offscreen platform, so nothing appears on screen and no
display is needed.
"""

import logging
import os
import sys

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop
from PySide6.QtWidgets import QApplication

from app.self_test import (
    MANAGER_USER,
    SERVICE_STEPS,
    SelfTestError,
    SelfTestRun,
    SelfTestStep,
    all_passed,
    run_self_test,
)
from ui.ops import OperationRunner

log = logging.getLogger(__name__)

OFFSCREEN_PLATFORM = "offscreen"
# How long background loads (the Today list, user details) may take to report back.
SETTLE_TIMEOUT_MS = 30_000
# The icon every navigation entry shows; it comes from qtawesome's bundled font.
SAMPLE_ICON = "fa6s.house"


def _settle(ops: OperationRunner) -> None:
    """Process events until the operation runner has no work left, or the timeout passes."""
    timer = QElapsedTimer()
    timer.start()
    while ops.busy and timer.elapsed() < SETTLE_TIMEOUT_MS:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    QCoreApplication.processEvents()


def _check_look(app: QApplication) -> str:
    """Raise SelfTestError unless the style sheet, window icon and qtawesome icons load."""
    from ui.application import load_style_sheet
    from ui.icons import app_icon, icon

    if not load_style_sheet():
        raise SelfTestError("the style sheet resources/style.qss did not load")
    if app_icon().pixmap(32, 32).isNull():
        raise SelfTestError("the SVG window icon did not render; the qsvg plug-in is missing")
    if icon(SAMPLE_ICON).pixmap(32, 32).isNull():
        raise SelfTestError(f"the qtawesome icon {SAMPLE_ICON} did not render")
    return f"platform {app.platformName()}, style sheet, SVG and Font Awesome icons"


def open_main_window(run: SelfTestRun) -> str:
    """Open the main window as the manager, show every page, then close it."""
    from ui.application import create_application
    from ui.context import AppContext, SignedInUser
    from ui.help import NAVIGATION_PAGES
    from ui.main_window import MainWindow

    app = create_application(sys.argv[:1])
    look = _check_look(app)
    database = run.open_database()
    ops = OperationRunner(database)
    workstation = run.actor(MANAGER_USER).workstation
    context = AppContext(database, ops, SignedInUser(run.actor(MANAGER_USER)), workstation)
    window = MainWindow(context)
    window.setProperty("quitOnClose", False)
    try:
        window.show()
        _settle(ops)
        for name in NAVIGATION_PAGES:
            window.go_to(name)
            _settle(ops)
            if window.current_page_name() != name:
                raise SelfTestError(f"the {name} page did not open")
    finally:
        window.close()
        ops.wait_for_all()
        window.deleteLater()
        QCoreApplication.processEvents()
    return f"{look}; showed {len(NAVIGATION_PAGES)} pages and closed the window"


WINDOW_STEP = SelfTestStep("open and close the main window offscreen", open_main_window)
STEPS: tuple[SelfTestStep, ...] = (*SERVICE_STEPS, WINDOW_STEP)


def main(verbose: bool = False) -> int:
    """Run every self-test step, printing to stdout; return 0 when all passed, else 1."""
    # Set before the QApplication exists: the window must never appear on a real desktop.
    os.environ["QT_QPA_PLATFORM"] = OFFSCREEN_PLATFORM
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    results = run_self_test(STEPS, sys.stdout)
    return 0 if all_passed(results, STEPS) else 1
