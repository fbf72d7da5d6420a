"""Pages whose features are not built yet: each says plainly what it will hold."""

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.pages.base import Page, heading


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """The description of a page that is not built yet."""

    title: str
    will_hold: str
    works_today: str


PLANNED_PAGES = {
    "Statements": PlannedPage(
        "Statements",
        "Patient statements: choosing who gets one, printing them as PDF, and recording "
        "when each was sent.",
        "Nothing on this page yet. Statements cannot be run in this version.",
    ),
}


class PlannedFeaturePage(Page):
    """An honest placeholder: what the page will hold and what works today."""

    def __init__(self, planned: PlannedPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page{planned.title}")
        self.planned = planned
        status = QLabel("Not available in this version")
        status.setObjectName("plannedBadge")
        will_hold = QLabel(f"<b>This page will hold:</b> {planned.will_hold}")
        works_today = QLabel(f"<b>What works today:</b> {planned.works_today}")
        for label in (will_hold, works_today):
            label.setWordWrap(True)
            label.setObjectName("plannedText")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(planned.title))
        layout.addWidget(status, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(will_hold)
        layout.addWidget(works_today)
        layout.addStretch(1)
