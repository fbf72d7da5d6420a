"""The main window: navigation, global patient search, status bar, menus and the lock."""

import logging
import uuid
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security import auth
from app.security.auth import SignInResult
from app.security.permissions import Actor, Permission
from app.services.numbering import local_workstation
from app.services.patient_search import PatientMatch
from app.services.settings import security_settings
from app.services.users import get_user_by_username
from ui import help as shortcuts
from ui.charges.page import ChargesPage
from ui.claims.page import ClaimsPage
from ui.context import AppContext
from ui.errors import set_emergency_requester, show_error
from ui.help import HelpDialog
from ui.icons import app_icon, icon
from ui.lock import IdleWatcher, LockPanel
from ui.pages.base import Page
from ui.pages.patients import PatientsPage
from ui.pages.reports import ReportsPage
from ui.pages.today import TodayPage
from ui.patient.record import open_patient
from ui.patient.record_tabs import install_record_tabs
from ui.payments.page import PaymentsPage
from ui.schedule.page import SchedulePage
from ui.search_popup import PatientSearch
from ui.statements.page import StatementsPage

log = logging.getLogger(__name__)

NAV_ICONS = {
    "Today": "fa6s.house",
    "Schedule": "fa6s.calendar-days",
    "Patients": "fa6s.users",
    "Charges": "fa6s.file-invoice-dollar",
    "Claims": "fa6s.paper-plane",
    "Payments": "fa6s.money-check-dollar",
    "Statements": "fa6s.envelope-open-text",
    "Reports": "fa6s.chart-column",
    "Admin": "fa6s.gear",
}
# Every permission that shows at least one Admin tab (ui.admin.page.TABS); kept here so
# the window need not import the Admin page before it is opened.
ADMIN_PERMISSIONS = (
    Permission.USER_MANAGE,
    Permission.PRACTICE_SETUP,
    Permission.AUDIT_VIEW,
    Permission.BACKUP_RUN,
    Permission.EMERGENCY_REVIEW,
    Permission.PATIENT_EDIT,
    Permission.PATIENT_IMPORT,
    Permission.CODE_SET_EDIT,
    Permission.FEE_SCHEDULE_EDIT,
    Permission.CLAIM_MANAGE,
    Permission.STATEMENT_RUN,
    Permission.PAYMENT_VOID,
)
NAV_ICON_COLOR = "#cfe0f0"  # light, to read on the dark navigation column
SEARCH_DELAY_MS = 250
STATUS_MESSAGE_MS = 10_000
MINUTE_MS = 60_000
ACCOUNT_CLOSED = (
    "Your account was archived, so you were signed out. Ask an administrator if you need "
    "access again."
)


class MainWindow(QMainWindow):
    """Everything after sign-in; `sign_out_requested` asks the application to sign out."""

    sign_out_requested = Signal()
    # The signed-in account was archived or removed. Carries the message for the next sign-in.
    account_closed = Signal(str)

    def __init__(
        self, context: AppContext, idle_timeout_ms: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("ClinicDesk")
        self.setWindowIcon(app_icon())
        self.context = context
        self.display_name = ""
        self.locked = False
        self.locked_actor: Actor | None = None
        self.pages: dict[str, QWidget] = {}
        self.admin_page: QWidget | None = None
        self._fixed_idle_ms = idle_timeout_ms

        install_record_tabs()
        self._build_workspace()
        self._build_search()
        self._build_status_bar()
        self._build_menus()
        self.lock_panel = LockPanel()
        self.lock_panel.unlock_requested.connect(self._unlock)
        self.central = QStackedWidget()
        self.central.addWidget(self.workspace)
        self.central.addWidget(self.lock_panel)
        self.setCentralWidget(self.central)

        self.idle = IdleWatcher(idle_timeout_ms or 10 * MINUTE_MS, self)
        self.idle.idle.connect(self.lock)
        context.ops.changed.connect(self._on_changes)
        context.user.actor_changed.connect(self._on_actor_changed)
        set_emergency_requester(self.request_emergency_access)
        self.resize(1280, 760)
        self._on_actor_changed(context.user.actor if context.user.signed_in else None)

    # Building the window

    def _build_workspace(self) -> None:
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Pages")
        self.navigation.setFixedWidth(190)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        for name in shortcuts.NAVIGATION_PAGES:
            item = QListWidgetItem(icon(NAV_ICONS[name], NAV_ICON_COLOR), name)
            item.setToolTip(f"{name} (Ctrl+{len(self.pages) + 1})")
            self.navigation.addItem(item)
            page = self._make_page(name)
            self.pages[name] = page
            self.stack.addWidget(page)
        self.navigation.currentRowChanged.connect(self._on_navigation)

        self.workspace = QWidget()
        layout = QHBoxLayout(self.workspace)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)

    def _make_page(self, name: str) -> QWidget:
        builders: dict[str, Callable[[], QWidget]] = {
            "Today": lambda: TodayPage(self.context),
            "Patients": lambda: PatientsPage(self.context),
            "Schedule": lambda: SchedulePage(self.context),
            "Charges": lambda: ChargesPage(self.context),
            "Claims": lambda: ClaimsPage(self.context),
            "Payments": lambda: PaymentsPage(self.context),
            "Statements": lambda: StatementsPage(self.context),
            "Reports": lambda: ReportsPage(self.context, open_record=self.open_patient_record),
        }
        if name in builders:
            return builders[name]()
        holder = QWidget()  # the Admin page is built the first time it opens
        holder.setObjectName("pageAdminHolder")
        QHBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        return holder

    def _build_search(self) -> None:
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText(f"Search patients ({shortcuts.SEARCH.native_text()})")
        self.search.setAccessibleName("Search patients by last name or chart number")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(420)
        self.search.addAction(
            icon("fa6s.magnifying-glass"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.patient_search = PatientSearch(
            self.context, self.search, self, lambda: self.locked, SEARCH_DELAY_MS
        )
        self.patient_search.chosen.connect(self.show_patient)
        # Enter with no result selected filters the Patients page by the typed text.
        self.search.returnPressed.connect(self._apply_search)

        toolbar = QToolBar("Search")
        toolbar.setObjectName("searchBar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        self.user_label = QLabel()
        self.user_label.setObjectName("statusUser")
        self.workstation_label = QLabel(f"Workstation {self.context.workstation}")
        self.workstation_label.setObjectName("statusWorkstation")
        self.database_label = QLabel(f"Encrypted database: {self.context.database.path.name}")
        self.database_label.setToolTip(str(self.context.database.path))
        self.sync_label = QLabel("Sync: not configured")
        bar = self.statusBar()
        for label in (
            self.user_label,
            self.workstation_label,
            self.database_label,
            self.sync_label,
        ):
            bar.addPermanentWidget(label)
        self.context.ops.run(
            lambda session, _progress: local_workstation(session).name,
            on_done=self._show_workstation_name,
        )

    def _show_workstation_name(self, name: str) -> None:
        code = self.context.workstation
        self.workstation_label.setText(
            f"Workstation {code} · {name}" if name else f"Workstation {code}"
        )

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.switch_action = self._action("S&witch user…", self.switch_user)
        self.lock_action = self._action("&Lock screen", self.lock, shortcuts.LOCK)
        self.sign_out_action = self._action("Sign &out", self.sign_out_requested.emit)
        self.quit_action = self._action("&Quit", self.close, shortcuts.QUIT)
        for action in (self.switch_action, self.lock_action, self.sign_out_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        self.go_menu = self.menuBar().addMenu("&Go")
        go_menu = self.go_menu
        self.search_action = self._action("&Find patient", self.focus_search, shortcuts.SEARCH)
        go_menu.addAction(self.search_action)
        go_menu.addSeparator()
        self.page_actions: list[QAction] = []
        for row, shortcut in enumerate(shortcuts.NAVIGATION):
            action = self._action(
                shortcut.action, lambda _=False, r=row: self.go_to_row(r), shortcut
            )
            self.page_actions.append(action)
            go_menu.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_help, shortcuts.HELP))
        help_menu.addAction(self._action("&About ClinicDesk", self.show_about))

    def _page_opener(self, row: int) -> Callable[[], None]:
        return lambda: self.go_to_row(row)

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: shortcuts.Shortcut | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut.sequence())
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    # Navigation and search

    def go_to(self, name: str) -> None:
        """Open the page called `name` if the user may see it."""
        self.go_to_row(shortcuts.NAVIGATION_PAGES.index(name))

    def go_to_row(self, row: int) -> None:
        """Open the page at navigation `row` unless it is hidden or the screen is locked."""
        item = self.navigation.item(row)
        if self.locked or item is None or item.isHidden():
            return
        self.navigation.setCurrentRow(row)

    def current_page_name(self) -> str:
        """Return the name of the page on screen."""
        return shortcuts.NAVIGATION_PAGES[self.stack.currentIndex()]

    def _on_navigation(self, row: int) -> None:
        if row < 0:
            return
        name = shortcuts.NAVIGATION_PAGES[row]
        if name == "Admin":
            self._ensure_admin_page()
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.refresh()

    def _ensure_admin_page(self) -> None:
        if self.admin_page is not None:
            return
        try:
            from ui.admin import AdminPage
        except ModuleNotFoundError as exc:
            if exc.name not in {"ui.admin", "ui.admin.page"}:
                raise
            log.info("the Admin page is not part of this build")
            return
        self.admin_page = AdminPage(self.context)
        holder = self.pages["Admin"]
        layout = holder.layout()
        assert layout is not None
        layout.addWidget(self.admin_page)

    def focus_search(self) -> None:
        """Put the cursor in the patient search box (Ctrl+K)."""
        if self.locked:
            return
        self.search.setFocus()
        self.search.selectAll()

    def _apply_search(self) -> None:
        self.patient_search.close()
        if self.locked:
            return
        patients = self.pages["Patients"]
        assert isinstance(patients, PatientsPage)
        if self.current_page_name() != "Patients":
            patients.filter_text = self.search.text().strip()
            self.go_to("Patients")
            return
        patients.set_filter(self.search.text())

    def show_patient(self, match: PatientMatch) -> None:
        """Open `match`'s record and select its row on the Patients page behind it."""
        if self.locked:
            return
        patients = self.pages["Patients"]
        assert isinstance(patients, PatientsPage)
        patients.select_patient(match.patient_id, match.chart_number)
        if self.current_page_name() != "Patients":
            self.go_to("Patients")
        else:
            patients.refresh()
        self.open_patient_record(match.patient_id)

    def open_patient_record(self, patient_id: uuid.UUID) -> QWidget:
        """Open the record window of `patient_id`, or bring its open window forward."""
        return open_patient(self.context, patient_id, self)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        # The popup is placed under the search box once, so a resize would leave it adrift.
        self.patient_search.close()
        super().resizeEvent(event)

    # Users, roles and refreshing

    def _on_actor_changed(self, actor: Actor | None) -> None:
        if actor is None:
            self._clear_pages()
            self.user_label.setText("Not signed in")
            self.idle.stop()
            return
        self.display_name = actor.username
        self._show_user(actor)
        self._apply_role(actor)
        self._load_user_details(actor)
        if not self.locked:
            self._on_navigation(self.navigation.currentRow())

    def _show_user(self, actor: Actor) -> None:
        self.user_label.setText(f"{self.display_name} ({actor.role.label})")

    def _apply_role(self, actor: Actor) -> None:
        admin_row = shortcuts.NAVIGATION_PAGES.index("Admin")
        allowed = any(actor.can(permission) for permission in ADMIN_PERMISSIONS)
        self.navigation.item(admin_row).setHidden(not allowed)
        if self.admin_page is not None:
            # Tabs depend on the role, so the next user gets a freshly built page.
            self.admin_page.setParent(None)
            self.admin_page.deleteLater()
            self.admin_page = None
        if self.navigation.currentRow() in (-1, admin_row):
            self.navigation.setCurrentRow(0)

    def _load_user_details(self, actor: Actor) -> None:
        def work(session: Session, _progress: Progress) -> tuple[str, int]:
            user = get_user_by_username(session, actor.username)
            name = user.display_name if user is not None else actor.username
            return name, security_settings(session).idle_lock_minutes

        self.context.ops.run(work, on_done=lambda result: self._apply_user_details(actor, *result))

    def _apply_user_details(self, actor: Actor, display_name: str, idle_minutes: int) -> None:
        if not self.context.user.signed_in or self.context.actor != actor:
            return
        self.display_name = display_name
        self._show_user(actor)
        self.idle.set_timeout(self._fixed_idle_ms or idle_minutes * MINUTE_MS)
        if not self.locked:
            self.idle.start()

    def _on_changes(self, changes: Changes) -> None:
        if self.locked:
            return
        # Services trust the in-memory actor, so a new role or an archive must reach it now.
        if changes.touches(ChangeKind.USERS) and self.context.user.signed_in:
            self.refresh_actor()
        for page in self.pages.values():
            if isinstance(page, Page):
                page.handle_changes(changes)

    def refresh_actor(self) -> None:
        """Re-read the signed-in account and apply its current role, or sign out if archived."""
        actor = self.context.actor
        self.context.ops.run(
            lambda session, _progress: auth.refresh_actor(session, actor),
            on_done=lambda current: self._apply_refreshed_actor(actor, current),
        )

    def _apply_refreshed_actor(self, before: Actor, current: Actor | None) -> None:
        # Another user may have signed in while the account was being read.
        if not self.context.user.signed_in or self.context.actor != before:
            return
        if current is None:
            log.warning("user %s was archived while signed in; signing out", before.user_id)
            self.account_closed.emit(ACCOUNT_CLOSED)
            return
        if current != before:
            log.info("user %s now has role %s", current.user_id, current.role.value)
            self.context.user.set_actor(current)

    def _clear_pages(self) -> None:
        self.patient_search.close()
        self.search.clear()
        for page in self.pages.values():
            if isinstance(page, Page):
                page.clear_data()

    # Lock, unlock and switch user

    def lock(self, *, switching: bool = False) -> None:
        """Hide every page behind the lock panel and record the lock."""
        if self.locked or not self.context.user.signed_in:
            return
        actor = self.context.actor
        self.locked, self.locked_actor = True, actor
        self.idle.stop()
        self._clear_pages()
        self._set_workspace_enabled(False)
        self.lock_panel.prepare(actor.username, self.display_name, switching=switching)
        self.central.setCurrentWidget(self.lock_panel)
        self.context.ops.run(lambda session, _progress: auth.record_lock(session, actor))
        log.info("screen locked for user %s", actor.user_id)

    def switch_user(self) -> None:
        """Lock the screen so another user can sign in here."""
        self.lock(switching=True)

    def _set_workspace_enabled(self, enabled: bool) -> None:
        self.search.setEnabled(enabled)
        self.go_menu.setEnabled(enabled)
        for action in (
            self.switch_action,
            self.lock_action,
            self.sign_out_action,
            self.search_action,
            *self.page_actions,
        ):
            action.setEnabled(enabled)

    def _unlock(self, username: str, password: str, code: str | None) -> None:
        locked = self.locked_actor
        if locked is None:
            return
        workstation = self.context.workstation
        self.context.ops.run(
            lambda session, _progress: auth.unlock_session(
                session, locked, username, password, workstation, code
            ),
            on_done=self._on_unlock_result,
            on_error=self._on_unlock_error,
        )

    def _on_unlock_result(self, result: SignInResult) -> None:
        self.lock_panel.busy(False)
        if not result.ok or result.actor is None:
            self.lock_panel.form.apply_refusal(result)
            return
        self.locked, self.locked_actor = False, None
        self._set_workspace_enabled(True)
        self.central.setCurrentWidget(self.workspace)
        self.lock_panel.form.reset()
        # result.actor is read from the account, so a role changed while locked applies here.
        if result.actor != self.context.user.actor:
            self.context.user.set_actor(result.actor)
        else:
            self._on_navigation(self.navigation.currentRow())
            self.idle.start()
        log.info("screen unlocked by user %s", result.actor.user_id)

    def _on_unlock_error(self, error: BaseException) -> None:
        self.lock_panel.busy(False)
        show_error(self, error)

    def request_emergency_access(
        self, parent: QWidget | None, permission: Permission, patient_id: uuid.UUID | None
    ) -> QWidget:
        """Open the emergency access request for the signed-in user (from an error message)."""
        from ui.emergency_request import request_emergency_access

        return request_emergency_access(self.context, permission, patient_id, parent or self)

    # Help and closing

    def show_help(self) -> HelpDialog:
        """Open the keyboard shortcut list (F1)."""
        dialog = HelpDialog(self)
        dialog.open()
        return dialog

    def show_about(self) -> None:
        """Show the version and what ClinicDesk is."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("clinicdesk")
        except PackageNotFoundError:
            number = "development build"
        QMessageBox.about(
            self,
            "About ClinicDesk",
            f"<b>ClinicDesk</b> {number}<br>Front office and billing for small medical "
            "practices. Patient data stays in an encrypted database on this computer.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.idle.stop()
        super().closeEvent(event)
        app = QApplication.instance()
        if app is not None and self.property("quitOnClose") is not False:
            app.quit()
