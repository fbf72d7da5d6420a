"""The Statements page: statement runs, history, reports, payment plans and collections.

A tab loads when it comes to the front, and reloads when an operation changes what it
shows. Hidden tabs reload when the user turns to them. Opening the page puts the keyboard
focus on the tab in front, so its keys (F5 and the others) work at once.
"""

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget, QVBoxLayout, QWidget

from app.changes import Changes
from app.security.permissions import Permission
from ui.context import AppContext
from ui.help import COLLECTIONS_KEYS
from ui.pages.base import Page, heading
from ui.payments.printing import OpenFile
from ui.statements import keys
from ui.statements.collections_tab import CollectionsTab
from ui.statements.history_tab import HistoryTab
from ui.statements.plans_tab import PlansTab
from ui.statements.reports_tab import ReportsTab
from ui.statements.run_tab import RunTab

log = logging.getLogger(__name__)

COMMON_KEYS_TEXT = "Alt + the underlined letter: go to a tab, field or button"
RUN_KEYS_TEXT = (
    f"{keys.hint_text((keys.PREVIEW, keys.RUN, keys.OPEN_BATCH, keys.SEND_EMAILS))}"
    f" · {COMMON_KEYS_TEXT}"
)
HISTORY_KEYS_TEXT = (
    f"{keys.hint_text((keys.FIND_ACCOUNT, keys.OPEN_PDF, keys.PREVIEW))} · {COMMON_KEYS_TEXT}"
)
REPORTS_KEYS_TEXT = f"{keys.hint_text((keys.EXPORT_REPORT, keys.PREVIEW))} · {COMMON_KEYS_TEXT}"
# The tab bar's Alt letters work on every tab, so none of them is used inside a tab, nor
# is one of the menu bar's (File, Go, Help).
TAB_TITLES = ("&Statement run", "Histor&y", "Repor&ts", "Payment p&lans", "Collect&ions")
COLLECTIONS_KEYS_TEXT = f"{keys.hint_text(COLLECTIONS_KEYS)} · {COMMON_KEYS_TEXT}"
NO_PERMISSION = (
    "Your role cannot run statements. Billers and managers can; ask one of them or your "
    "administrator."
)


class StatementsPage(Page):
    """Tabs for the biller's patient statements, payment plans and collection placements."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageStatements")
        self.context = context
        self.run_tab = RunTab(context)
        self.history = HistoryTab(context)
        self.reports = ReportsTab(context)
        self.plans = PlansTab(context)
        self.collections = CollectionsTab(context)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("statementTabs")
        tabs = (self.run_tab, self.history, self.reports, self.plans, self.collections)
        for tab, title in zip(tabs, TAB_TITLES, strict=True):
            self.tabs.addTab(tab, title)
        self.tabs.currentChanged.connect(lambda _index: self._tab_changed())
        self.denied = QLabel(NO_PERMISSION)
        self.denied.setObjectName("subtleText")
        self.denied.setWordWrap(True)
        self.denied.setVisible(False)
        self.hint = QLabel(RUN_KEYS_TEXT)
        self.hint.setObjectName("subtleText")
        self.hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Statements"))
        layout.addWidget(self.denied)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hint)

    def send_pdfs_to(self, folder: Path | None, open_file: OpenFile | None) -> None:
        """Write opened PDFs to `folder` (None: a temporary folder) and hand each written
        file to `open_file` (None: the PDF viewer)."""
        for tab in (self.run_tab, self.history):
            tab.pdf_folder = folder
            tab.open_file = open_file

    def current_tab(self) -> QWidget:
        """Return the tab in front."""
        tab = self.tabs.currentWidget()
        assert tab is not None
        return tab

    def show_tab(self, tab: QWidget) -> None:
        """Bring `tab` to the front (it loads)."""
        self.tabs.setCurrentWidget(tab)

    def _tab_changed(self) -> None:
        tab = self.tabs.currentWidget()
        if tab is self.run_tab:
            self.hint.setText(RUN_KEYS_TEXT)
        elif tab is self.history:
            self.hint.setText(HISTORY_KEYS_TEXT)
        elif tab is self.reports:
            self.hint.setText(REPORTS_KEYS_TEXT)
        elif tab is self.collections:
            self.hint.setText(COLLECTIONS_KEYS_TEXT)
        else:
            self.hint.setText(COMMON_KEYS_TEXT)
        self.refresh()

    def refresh(self) -> None:
        """Load the tab in front; the others load when the user turns to them."""
        if not self.context.user.signed_in:
            return
        allowed = self.context.can(Permission.STATEMENT_RUN)
        self.denied.setVisible(not allowed)
        self.tabs.setVisible(allowed)
        if allowed:
            call_hook(self.current_tab(), "refresh")
            self._take_focus()

    def focus_target(self) -> QWidget:
        """Return the control of the tab in front that takes the focus when the page opens."""
        tab = self.current_tab()
        targets: dict[QWidget, QWidget] = {
            self.run_tab: self.run_tab.run_date,
            self.history: self.history.search,
            self.reports: self.reports.report,
            self.plans: self.plans.table,
            self.collections: self.collections.candidate_table,
        }
        return targets.get(tab, tab)

    def _take_focus(self) -> None:
        # Opened from the navigation, the focus is still outside the page, where the
        # tab's keys (F5, Ctrl+Return...) do not reach.
        focused = QApplication.focusWidget()
        if self.isVisible() and (focused is None or not self.isAncestorOf(focused)):
            self.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_data(self) -> None:
        """Drop what every tab shows, as the screen locks."""
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            if tab is not None:
                call_hook(tab, "clear_data")

    def handle_changes(self, changes: Changes) -> None:
        """Pass `changes` to the tab in front; hidden tabs reload when shown."""
        if self.context.user.signed_in and self.context.can(Permission.STATEMENT_RUN):
            call_hook(self.current_tab(), "handle_changes", changes)


def call_hook(tab: QWidget, name: str, *args: object) -> None:
    """Call page hook `name` of `tab` when the tab has it."""
    hook = getattr(tab, name, None)
    if callable(hook):
        hook(*args)
