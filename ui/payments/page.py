"""The Payments page: the day's payments, insurance remittances, deposits, adjustments and
refunds, and the day close, one tab each.

A tab loads when it comes to the front and reloads when an operation changes what it
shows; hidden tabs reload when the user turns to them.
"""

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.changes import Changes
from app.security.permissions import Permission
from ui.context import AppContext
from ui.pages.base import Page, heading
from ui.payments import keys
from ui.payments.adjustments_tab import AdjustmentsTab
from ui.payments.day_close_tab import DayCloseTab
from ui.payments.deposits_tab import DepositsTab
from ui.payments.payments_tab import PaymentsTab
from ui.payments.printing import OpenFile
from ui.payments.remittances import RemittancesTab

log = logging.getLogger(__name__)

# The payment keys work only on the Payments tab; the Remittances tab gives Ctrl+P its
# own meaning and shows its own hint.
COMMON_KEYS_TEXT = "F5: reload · Alt + the underlined letter: go to a tab, field or button"
KEYS_TEXT = f"Ctrl+N: take payment · Ctrl+Del: void · Ctrl+P: print receipt · {COMMON_KEYS_TEXT}"
NO_PERMISSION = (
    "Your role cannot take payments. Front desk staff, billers and managers can; ask one "
    "of them or your administrator."
)


class PaymentsPage(Page):
    """Tabs for the front desk's and the biller's money work."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pagePayments")
        self.context = context
        self.payments = PaymentsTab(context)
        self.remittances = RemittancesTab(context)
        self.deposits = DepositsTab(context)
        self.adjustments = AdjustmentsTab(context)
        self.day_close = DayCloseTab(context)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("paymentTabs")
        self.tabs.addTab(self.payments, "Pa&yments")
        self.tabs.addTab(self.remittances, "Re&mittances")
        self.tabs.addTab(self.deposits, "D&eposits")
        self.tabs.addTab(self.adjustments, "Ad&justments and refunds")
        self.tabs.addTab(self.day_close, "Day c&lose")
        self.tabs.currentChanged.connect(lambda _index: self._tab_changed())
        self.denied = QLabel(NO_PERMISSION)
        self.denied.setObjectName("subtleText")
        self.denied.setWordWrap(True)
        self.denied.setVisible(False)
        self.hint = QLabel(KEYS_TEXT)
        self.hint.setObjectName("subtleText")
        self.hint.setWordWrap(True)

        reload_action = QAction("Reload", self)
        reload_action.setShortcut(keys.REFRESH.sequence())
        reload_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        reload_action.triggered.connect(lambda _checked=False: self.refresh())
        self.addAction(reload_action)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Payments"))
        layout.addWidget(self.denied)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hint)

    def send_pdfs_to(self, folder: Path | None, open_file: OpenFile | None) -> None:
        """Write receipts, deposit reports and day sheets to `folder` (None: Documents) and
        hand each written file to `open_file` (None: the PDF viewer)."""
        self.payments.receipt_folder = folder
        self.deposits.report_folder = folder
        self.day_close.sheet_folder = folder
        for tab in (self.payments, self.deposits, self.day_close):
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
        on_payments = self.tabs.currentWidget() is self.payments
        self.hint.setText(KEYS_TEXT if on_payments else COMMON_KEYS_TEXT)
        self.refresh()

    def refresh(self) -> None:
        """Load the tab in front; the others load when the user turns to them."""
        if not self.context.user.signed_in:
            return
        allowed = self.context.can(Permission.PAYMENT_POST)
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
        if self.context.user.signed_in and self.context.can(Permission.PAYMENT_POST):
            call_hook(self.current_tab(), "handle_changes", changes)


def call_hook(tab: QWidget, name: str, *args: object) -> None:
    """Call page hook `name` of `tab` when the tab has it."""
    hook = getattr(tab, name, None)
    if callable(hook):
        hook(*args)
