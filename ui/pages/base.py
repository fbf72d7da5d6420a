"""What every page offers the main window."""

from PySide6.QtWidgets import QLabel, QWidget

from app.changes import Changes


class Page(QWidget):
    """A navigation page; pages that show records override the three hooks."""

    def refresh(self) -> None:
        """Load what the page shows (called when it opens and after unlocking)."""

    def clear_data(self) -> None:
        """Drop every record the page shows (called when the screen locks)."""

    def handle_changes(self, changes: Changes) -> None:
        """Reload when `changes` touches what the page shows."""


def heading(text: str) -> QLabel:
    """Return a page title label styled by the style sheet."""
    label = QLabel(text)
    label.setObjectName("pageHeading")
    return label
