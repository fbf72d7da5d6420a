"""The Reports page: the patient lists the front desk works from, one tab each.

Billing reports (day sheets, aging, collections) join these tabs as they are built.
"""

import logging
import uuid
from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.changes import Changes
from ui.context import AppContext
from ui.pages.base import Page
from ui.pages.duplicates import DuplicatesPage
from ui.pages.no_shows import NoShowsPage
from ui.pages.recall import RecallPage

log = logging.getLogger(__name__)

OpenRecord = Callable[[uuid.UUID], object]


class ReportsPage(Page):
    """Recall due, possible duplicates and no-shows, in tabs that load when first shown."""

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
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def _current(self) -> Page:
        page = self.tabs.currentWidget()
        assert isinstance(page, Page)
        return page

    def refresh(self) -> None:
        """Load the tab in front; the others load when the user turns to them."""
        self._current().refresh()

    def clear_data(self) -> None:
        """Drop what every tab shows, as the screen locks."""
        self.recall.clear_data()
        self.duplicates.clear_data()
        self.no_shows.clear_data()

    def handle_changes(self, changes: Changes) -> None:
        """Pass `changes` to the tab in front; hidden tabs reload when shown."""
        self._current().handle_changes(changes)
