"""The Reports page: the patient and visit lists the front desk and billers work from,
one tab each.
"""

import logging
import uuid
from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.changes import Changes
from app.security.permissions import Permission
from ui.charges.page import open_encounter_for_appointment
from ui.context import AppContext
from ui.pages.base import Page
from ui.pages.duplicates import DuplicatesPage
from ui.pages.no_shows import NoShowsPage
from ui.pages.not_billed import NotBilledPage
from ui.pages.recall import RecallPage

log = logging.getLogger(__name__)

OpenRecord = Callable[[uuid.UUID], object]


class ReportsPage(Page):
    """Report tabs that load when first shown: recall due, possible duplicates, no-shows,
    and visits not billed (only for roles that bill or read reports)."""

    def __init__(
        self, context: AppContext, open_record: OpenRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pageReports")
        self.recall = RecallPage(context)
        self.recall.open_patient_requested.connect(open_record)
        self.duplicates = DuplicatesPage(context, open_record=open_record)
        self.no_shows = NoShowsPage(context)
        self.no_shows.open_patient_requested.connect(open_record)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reportTabs")
        self.tabs.addTab(self.recall, "&Recall due")
        self.tabs.addTab(self.duplicates, "Possible &duplicates")
        self.tabs.addTab(self.no_shows, "&No-shows")
        # Built for every user, but shown only to roles that bill or read reports: the
        # window stays open when another user signs in, so the tab follows the user.
        self.not_billed = NotBilledPage(context)
        self.not_billed.open_encounter.connect(
            lambda appointment_id: open_encounter_for_appointment(context, appointment_id, self)
        )
        self.context = context
        self._sync_billing_tab()
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def _billing_allowed(self) -> bool:
        return self.context.can(Permission.REPORT_VIEW) or self.context.can(Permission.CHARGE_POST)

    def _sync_billing_tab(self) -> None:
        index = self.tabs.indexOf(self.not_billed)
        if self._billing_allowed() and index < 0:
            self.tabs.addTab(self.not_billed, "Not &billed")
        elif not self._billing_allowed() and index >= 0:
            self.tabs.removeTab(index)
            self.not_billed.clear_data()

    def _current(self) -> Page:
        page = self.tabs.currentWidget()
        assert isinstance(page, Page)
        return page

    def refresh(self) -> None:
        """Load the tab in front; the others load when the user turns to them."""
        self._sync_billing_tab()
        self._current().refresh()

    def clear_data(self) -> None:
        """Drop what every tab shows, as the screen locks."""
        self.recall.clear_data()
        self.duplicates.clear_data()
        self.no_shows.clear_data()
        self.not_billed.clear_data()

    def handle_changes(self, changes: Changes) -> None:
        """Pass `changes` to the tab in front; hidden tabs reload when shown."""
        self._sync_billing_tab()
        self._current().handle_changes(changes)
