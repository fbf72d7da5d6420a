"""The Statements page: statement runs, history and reports, payment plans and collections.

A tab loads when it comes to the front, and reloads when an operation changes what it
shows. Hidden tabs reload when the user turns to them.
"""

import logging
from pathlib import Path

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

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
from ui.statements.run_tab import RunTab

log = logging.getLogger(__name__)

COMMON_KEYS_TEXT = "Alt + the underlined letter: go to a tab, field or button"
RUN_KEYS_TEXT = (
    f"{keys.hint_text((keys.PREVIEW, keys.RUN, keys.OPEN_BATCH, keys.SEND_EMAILS))}"
    f" · {COMMON_KEYS_TEXT}"
)
HISTORY_KEYS_TEXT = (
    f"{keys.hint_text((keys.FIND_ACCOUNT, keys.OPEN_PDF, keys.EXPORT_REPORT, keys.PREVIEW))}"
    f" · {COMMON_KEYS_TEXT}"
)
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
        self.plans = PlansTab(context)
        self.collections = CollectionsTab(context)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("statementTabs")
        self.tabs.addTab(self.run_tab, "&Statement run")
        self.tabs.addTab(self.history, "&History")
        self.tabs.addTab(self.plans, "Payment p&lans")
        self.tabs.addTab(self.collections, "Collect&ions")
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
