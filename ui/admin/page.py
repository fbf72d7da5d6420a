"""The Admin page: one tab per administrative area the signed-in role may use."""

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.security.permissions import Permission
from app.services.ledger import LOCK_PERMISSION
from ui.context import AppContext

log = logging.getLogger(__name__)

TabFactory = Callable[[AppContext], QWidget]


def _users(context: AppContext) -> QWidget:
    from ui.admin.users import UsersTab

    return UsersTab(context)


def _practice(context: AppContext) -> QWidget:
    from ui.admin.practice import PracticeTab

    return PracticeTab(context)


def _providers(context: AppContext) -> QWidget:
    from ui.admin.records import ProvidersTab

    return ProvidersTab(context)


def _locations(context: AppContext) -> QWidget:
    from ui.admin.records import LocationsTab

    return LocationsTab(context)


def _payers(context: AppContext) -> QWidget:
    from ui.admin.payers import PayersTab

    return PayersTab(context)


def _clearinghouses(context: AppContext) -> QWidget:
    from ui.admin.clearinghouses import ClearinghousesTab

    return ClearinghousesTab(context)


def _procedure_codes(context: AppContext) -> QWidget:
    from ui.admin.procedure_codes import ProcedureCodesTab

    return ProcedureCodesTab(context)


def _code_sets(context: AppContext) -> QWidget:
    from ui.admin.code_sets import CodeSetsTab

    return CodeSetsTab(context)


def _fee_schedules(context: AppContext) -> QWidget:
    from ui.admin.fee_schedules import FeeSchedulesTab

    return FeeSchedulesTab(context)


def _visit_types(context: AppContext) -> QWidget:
    from ui.admin.scheduling.visit_types import VisitTypesTab

    return VisitTypesTab(context)


def _working_hours(context: AppContext) -> QWidget:
    from ui.admin.scheduling.hours import WorkingHoursTab

    return WorkingHoursTab(context)


def _blockouts(context: AppContext) -> QWidget:
    from ui.admin.scheduling.blockouts import BlockoutsTab

    return BlockoutsTab(context)


def _resources(context: AppContext) -> QWidget:
    from ui.admin.scheduling.resources import ResourcesTab

    return ResourcesTab(context)


def _scheduling_rules(context: AppContext) -> QWidget:
    from ui.admin.scheduling.rules import SchedulingRulesTab

    return SchedulingRulesTab(context)


def _reminders(context: AppContext) -> QWidget:
    from ui.admin.scheduling.reminders import RemindersTab

    return RemindersTab(context)


def _audit(context: AppContext) -> QWidget:
    from ui.admin.audit import AuditTab

    return AuditTab(context)


def _backups(context: AppContext) -> QWidget:
    from ui.admin.backups import BackupsTab

    return BackupsTab(context)


def _security(context: AppContext) -> QWidget:
    from ui.admin.security import SecurityTab

    return SecurityTab(context)


def _emergency(context: AppContext) -> QWidget:
    from ui.admin.emergency import EmergencyTab

    return EmergencyTab(context)


def _outside_providers(context: AppContext) -> QWidget:
    from ui.admin.outside_providers import OutsideProvidersTab

    return OutsideProvidersTab(context)


def _onboarding_steps(context: AppContext) -> QWidget:
    from ui.admin.onboarding_steps import OnboardingStepsTab

    return OnboardingStepsTab(context)


def _posting_rules(context: AppContext) -> QWidget:
    from ui.admin.posting_rules import PostingRulesTab

    return PostingRulesTab(context)


def _period_lock(context: AppContext) -> QWidget:
    from ui.admin.period_lock import PeriodLockTab

    return PeriodLockTab(context)


def _statements(context: AppContext) -> QWidget:
    from ui.admin.statements import StatementsTab

    return StatementsTab(context)


def _import(context: AppContext) -> QWidget:
    from ui.admin.import_page import ImportTab

    return ImportTab(context)


# (tab title, permission that shows it, factory) in display order.
TABS: tuple[tuple[str, Permission, TabFactory], ...] = (
    ("Users", Permission.USER_MANAGE, _users),
    ("Practice", Permission.PRACTICE_SETUP, _practice),
    ("Providers", Permission.PRACTICE_SETUP, _providers),
    ("Locations", Permission.PRACTICE_SETUP, _locations),
    ("Payers", Permission.PRACTICE_SETUP, _payers),
    # Billers too: the SFTP password is kept in each workstation's own keyring.
    ("Clearinghouses", Permission.CLAIM_MANAGE, _clearinghouses),
    # Billers read the rules that post their remittances; only managers change them.
    ("Posting rules", Permission.CLAIM_MANAGE, _posting_rules),
    # Notice levels, messages and the statement settings; billers see them read-only.
    ("Statements", Permission.STATEMENT_RUN, _statements),
    # The same permission the ledger service requires to move the lock date.
    ("Period lock", LOCK_PERMISSION, _period_lock),
    ("Procedure codes", Permission.CODE_SET_EDIT, _procedure_codes),
    ("Code sets", Permission.CODE_SET_EDIT, _code_sets),
    ("Fee schedules", Permission.FEE_SCHEDULE_EDIT, _fee_schedules),
    ("Visit types", Permission.PRACTICE_SETUP, _visit_types),
    ("Working hours", Permission.PRACTICE_SETUP, _working_hours),
    ("Blockouts", Permission.PRACTICE_SETUP, _blockouts),
    ("Resources", Permission.PRACTICE_SETUP, _resources),
    ("Scheduling rules", Permission.PRACTICE_SETUP, _scheduling_rules),
    ("Reminders", Permission.PRACTICE_SETUP, _reminders),
    ("Outside providers", Permission.PATIENT_EDIT, _outside_providers),
    ("Onboarding checklist", Permission.PRACTICE_SETUP, _onboarding_steps),
    ("Import", Permission.PATIENT_IMPORT, _import),
    ("Audit log", Permission.AUDIT_VIEW, _audit),
    ("Backups", Permission.BACKUP_RUN, _backups),
    ("Security", Permission.PRACTICE_SETUP, _security),
    ("Emergency access", Permission.EMERGENCY_REVIEW, _emergency),
)


def can_open_admin(context: AppContext) -> bool:
    """Return True when the signed-in role may see at least one Admin tab."""
    return any(context.can(permission) for _title, permission, _factory in TABS)


class AdminPage(QWidget):
    """Tabs for users, practice set-up, audit, backups and security, filtered by role.

    A tab is built the first time it is shown, so opening Admin loads only one list.
    The services check every permission again; hiding a tab only spares the user an error.
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Administration areas")
        self.tabs.setDocumentMode(True)
        self._factories: dict[str, TabFactory] = {}
        self._built: dict[str, QWidget] = {}
        for title, permission, factory in TABS:
            if context.can(permission):
                self._factories[title] = factory
                placeholder = QWidget()
                placeholder.setAccessibleName(title)
                self.tabs.addTab(placeholder, title)
        self.tabs.currentChanged.connect(self._build_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        if not self._factories:
            empty = QLabel("Your role has no administration areas. Ask an administrator.")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(empty)
            self.tabs.hide()
        self._build_current()
        log.info("admin page opened with %d tabs", self.tabs.count())

    def tab_titles(self) -> list[str]:
        """Return the titles of the tabs this user can see, in order."""
        return [self.tabs.tabText(index) for index in range(self.tabs.count())]

    def open_tab(self, title: str) -> QWidget:
        """Switch to the tab titled `title` and return its widget (built on first use)."""
        index = self.tab_titles().index(title)
        self.tabs.setCurrentIndex(index)
        self._build_current()
        return self._built[title]

    def _build_current(self) -> None:
        index = self.tabs.currentIndex()
        if index < 0:
            return
        title = self.tabs.tabText(index)
        if title in self._built:
            return
        widget = self._factories[title](self.context)
        widget.setAccessibleName(title)
        self._built[title] = widget
        placeholder = self.tabs.widget(index)
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        placeholder.deleteLater()
        self.tabs.insertTab(index, widget, title)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
