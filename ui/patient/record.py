"""The patient record window: alerts on top, then tabs, the first being the registration form.

`open_patient` is the one entry point: it opens a new patient, or brings forward the
window already showing an existing one. Other screens add tabs with `add_tab`, or for
every record with `register_record_tab`.

Record windows are separate top-level windows, so the main window's lock panel does
not cover them. `hide_all_records` and `show_hidden_records` hide them while the screen
is locked; `open_patient` calls them itself when its parent window has a `lock_panel`.
Every record closes when a different user signs in or everyone signs out.
"""

import html
import logging
import uuid
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.security.permissions import Actor
from app.services.patient_forms import AlertEntry, PatientForm
from app.services.registration import SaveOutcome
from ui.admin.forms import ask
from ui.context import AppContext
from ui.patient.fhir_export_action import ACTION_TEXT, export_patient_fhir
from ui.patient.form import DISCARD_QUESTION, DuplicateCheck, PatientFormWidget

log = logging.getLogger(__name__)

# Makes a tab for a saved patient: (context, patient id) to the tab's widget.
TabFactory = Callable[[AppContext, uuid.UUID], QWidget]

SEVERITY_COLORS = {"critical": "#b3261e", "warning": "#8a5a00", "info": "#245c8a"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
WINDOW_WIDTH = 1240
WINDOW_HEIGHT = 820
# The size set excludes the title bar and borders the window manager adds, so this much
# is kept free of the screen's height (a common title bar is 30 to 40 pixels high).
WINDOW_FRAME_ALLOWANCE = 40

_tab_factories: list[tuple[str, TabFactory]] = []
_open_windows: list["PatientRecordWindow"] = []
_hidden_for_lock: list["PatientRecordWindow"] = []


def register_record_tab(title: str, factory: TabFactory) -> None:
    """Add a tab to every record opened from now on (made once the patient is saved)."""
    _tab_factories.append((title, factory))


def registered_tab_titles() -> list[str]:
    """Return the titles of the tabs every saved record gets, in order."""
    return [title for title, _factory in _tab_factories]


def open_records() -> list["PatientRecordWindow"]:
    """Return the record windows open now."""
    return list(_open_windows)


def hide_all_records() -> None:
    """Hide every record window (the screen is locking); their contents stay as typed."""
    for window in _open_windows:
        if window.isVisible():
            window.hide_with_dialogs()
            _hidden_for_lock.append(window)


def show_hidden_records() -> None:
    """Show again the record windows hidden by `hide_all_records` (the same user unlocked)."""
    while _hidden_for_lock:
        window = _hidden_for_lock.pop()
        if window in _open_windows:
            window.show_with_dialogs()


def show_hidden_records_of(actor: Actor | None) -> None:
    """Show the hidden record windows again if `actor` is the user who opened them."""
    for window in list(_hidden_for_lock):
        if window.actor != actor:
            window.close_now()
    show_hidden_records()


class LockFollower(QObject):
    """Hides the record windows while a lock panel is on screen, and shows them after.

    The unlock may sign in a different user, so records come back one event-loop turn
    later, once the signed-in user is known, and only for the user who opened them.
    """

    def __init__(self, lock_panel: QWidget, context: AppContext) -> None:
        super().__init__(lock_panel)
        self.context = context
        self.lock_panel = lock_panel
        lock_panel.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Show:
            hide_all_records()
        elif event.type() == QEvent.Type.Hide:
            QTimer.singleShot(0, self._restore)
        return False

    def _restore(self) -> None:
        # A minimized main window hides the panel too, but only unlocking hides it explicitly.
        if not self.lock_panel.isHidden():
            return
        user = self.context.user
        show_hidden_records_of(user.actor if user.signed_in else None)


def follow_lock_panel(parent: QWidget | None, context: AppContext) -> None:
    """Make record windows follow the lock panel of `parent`'s window, when it has one."""
    window = parent.window() if parent is not None else None
    panel = getattr(window, "lock_panel", None)
    if isinstance(panel, QWidget) and panel.findChild(LockFollower) is None:
        LockFollower(panel, context)


def window_size(window: QWidget) -> QSize:
    """Return the record window's size: WINDOW_WIDTH by WINDOW_HEIGHT, less on a small screen.

    The window must fit the screen's available area (without the taskbar), or its lower
    buttons are out of reach on a 1366 by 768 laptop.
    """
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(WINDOW_WIDTH, WINDOW_HEIGHT)
    available = screen.availableGeometry()
    return QSize(
        min(WINDOW_WIDTH, available.width()),
        min(WINDOW_HEIGHT, available.height() - WINDOW_FRAME_ALLOWANCE),
    )


def alert_text(alerts: list[AlertEntry]) -> str:
    """Return the alerts as banner lines, critical first, such as "CRITICAL: Latex allergy"."""
    ordered = sorted(alerts, key=lambda alert: SEVERITY_ORDER.get(alert.severity, 3))
    lines = []
    for alert in ordered:
        color = SEVERITY_COLORS.get(alert.severity, SEVERITY_COLORS["info"])
        label = f"<b>{alert.severity.upper()}:</b> {html.escape(alert.message)}"
        lines.append(f'<span style="color:{color}">{label}</span>')
    return "<br>".join(lines)


class PatientRecordWindow(QWidget):
    """One patient's record: alert banner, name line and tabs."""

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID | None,
        duplicate_check: DuplicateCheck | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("patientRecord")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context = context
        self.patient_id = patient_id
        self.actor: Actor | None = context.actor if context.user.signed_in else None
        self.critical_shown = False
        self.closing = False
        self.hidden_dialogs: list[QWidget] = []

        self.banner = QLabel()
        self.banner.setObjectName("alertBanner")
        self.banner.setAccessibleName("Patient alerts")
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setStyleSheet("QLabel#alertBanner { background: #fff4e5; padding: 6px; }")
        self.banner.setVisible(False)
        self.heading = QLabel("New patient")
        self.heading.setObjectName("pageHeading")
        self.export_button = QPushButton(ACTION_TEXT)
        self.export_button.setObjectName("exportFhirButton")
        self.export_button.setAccessibleName("Export the patient for a referral as FHIR")
        self.export_button.setEnabled(patient_id is not None)
        self.export_button.clicked.connect(self.export_for_referral)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("recordTabs")

        self.form = PatientFormWidget(context, duplicate_check)
        self.tabs.addTab(self.form, "&Registration")
        self.form.loaded.connect(self._show_patient)
        self.form.saved.connect(self._saved)
        self.form.close_requested.connect(self.close_now)
        context.user.actor_changed.connect(self._on_actor_changed)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.setWindowTitle("New patient")
        self.resize(window_size(self))
        _open_windows.append(self)
        self.destroyed.connect(lambda: _forget(self))
        self.form.load(patient_id)

    def hide_with_dialogs(self) -> None:
        """Hide the window and its open dialogs, which hiding the window alone leaves shown."""
        self.hidden_dialogs = [
            child for child in self.findChildren(QWidget) if child.isWindow() and child.isVisible()
        ]
        for dialog in self.hidden_dialogs:
            dialog.hide()
        self.hide()

    def show_with_dialogs(self) -> None:
        """Show the window and the dialogs `hide_with_dialogs` hid."""
        self.show()
        for dialog in self.hidden_dialogs:
            dialog.show()
        self.hidden_dialogs = []

    def export_for_referral(self) -> None:
        """Ask where to save the patient's FHIR bundle, then write it off the GUI thread."""
        if self.patient_id is not None:
            export_patient_fhir(self.context, self.patient_id, self)

    def add_tab(self, title: str, widget: QWidget) -> int:
        """Add a tab after the existing ones and return its index."""
        return self.tabs.addTab(widget, title)

    def _add_registered_tabs(self, patient_id: uuid.UUID) -> None:
        for title, factory in _tab_factories:
            self.add_tab(title, factory(self.context, patient_id))

    def _show_patient(self, form: PatientForm) -> None:
        name = ", ".join(part for part in (form.last_name, form.first_name) if part)
        if form.chart_number:
            self.heading.setText(f"{name} · chart {form.chart_number}")
            # The title shows in the task bar, so it names the chart rather than the patient.
            self.setWindowTitle(f"Patient record · chart {form.chart_number}")
        self._show_alerts(form.alerts)

    def _show_alerts(self, alerts: list[AlertEntry]) -> None:
        self.banner.setText(alert_text(alerts))
        self.banner.setVisible(bool(alerts))
        critical = [alert for alert in alerts if alert.severity == "critical"]
        if critical and not self.critical_shown:
            self.critical_shown = True
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Critical alert",
                "\n".join(alert.message for alert in critical),
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("criticalAlertBox")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _saved(self, outcome: SaveOutcome) -> None:
        first_save = self.patient_id is None
        self.patient_id = outcome.patient_id
        if first_save and outcome.patient_id is not None:
            self.export_button.setEnabled(True)
            self._add_registered_tabs(outcome.patient_id)

    def _on_actor_changed(self, actor: Actor | None) -> None:
        # Another user must not see, or save, what was opened under someone else's role.
        if actor is None or actor != self.actor:
            log.info("patient record closed: the signed-in user changed")
            self.close_now()

    def close_now(self) -> None:
        """Close without asking, dropping unsaved changes."""
        self.closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.closing or not self.form.dirty:
            _forget(self)
            super().closeEvent(event)
            return
        event.ignore()
        ask(self, "Discard changes?", DISCARD_QUESTION, "Discard", self.close_now)


def _forget(window: PatientRecordWindow) -> None:
    if window in _open_windows:
        _open_windows.remove(window)
    if window in _hidden_for_lock:
        _hidden_for_lock.remove(window)


def open_patient(
    context: AppContext,
    patient_id: uuid.UUID | None,
    parent: QWidget | None = None,
    duplicate_check: DuplicateCheck | None = None,
) -> PatientRecordWindow:
    """Open a patient's record, or an empty one when `patient_id` is None.

    An existing patient already open is brought to the front instead of opened twice.
    `duplicate_check` runs before the first save of a new patient.
    """
    if patient_id is not None:
        for window in _open_windows:
            if window.patient_id == patient_id:
                window.show()
                window.raise_()
                window.activateWindow()
                return window
    follow_lock_panel(parent, context)
    window = PatientRecordWindow(context, patient_id, duplicate_check, parent)
    if patient_id is not None:
        window._add_registered_tabs(patient_id)
    window.show()
    window.activateWindow()
    return window
