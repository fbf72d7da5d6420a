"""Address fields with a city and state suggested from the ZIP code."""

import logging

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

from app.contact import ZipSuggestion, suggest_city_state
from ui.admin.forms import select_data
from ui.widgets import state_combo

log = logging.getLogger(__name__)


class AddressFields(QObject):
    """Line 1 and 2, city, state and ZIP, and the button that offers the ZIP's city.

    Typing a ZIP code found in the bundled table fills city and state when both are
    empty. When either already contains something else, the suggestion shows on a button
    instead, so a typed city is never overwritten without a click.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.line1 = QLineEdit()
        self.line1.setMaxLength(55)
        self.line1.setPlaceholderText("Street address")
        self.line2 = QLineEdit()
        self.line2.setMaxLength(55)
        self.line2.setPlaceholderText("Apartment, suite, unit")
        self.city = QLineEdit()
        self.city.setMaxLength(30)
        self.state: QComboBox = state_combo()

        self.zip_code = QLineEdit()
        self.zip_code.setMaxLength(10)
        self.zip_code.setPlaceholderText("12345 or 12345-6789")
        self.suggestion = QPushButton()
        self.suggestion.setObjectName("zipSuggestion")
        self.suggestion.setFlat(True)
        self.suggestion.setAutoDefault(True)
        self.suggestion.setVisible(False)
        self.suggestion.clicked.connect(self.accept_suggestion)
        self.offered: ZipSuggestion | None = None

        for widget, label in (
            (self.line1, "address line 1"),
            (self.line2, "address line 2"),
            (self.city, "city"),
            (self.state, "state"),
            (self.zip_code, "ZIP code"),
        ):
            widget.setAccessibleName(f"{name} {label}".strip().capitalize())
        self.suggestion.setAccessibleName(f"{name} city and state suggested by the ZIP code")
        self.zip_code.textEdited.connect(self._zip_edited)

    def _zip_edited(self, text: str) -> None:
        suggestion = suggest_city_state(text)
        self.offered = suggestion
        if suggestion is None:
            self.suggestion.setVisible(False)
            return
        city, state = self.city.text().strip(), self.state_code()
        if not city and not state:
            self.accept_suggestion()
            return
        if city.casefold() == suggestion.city.casefold() and state == suggestion.state:
            self.suggestion.setVisible(False)
            return
        self.suggestion.setText(f"Use {suggestion.city}, {suggestion.state} for this ZIP")
        self.suggestion.setVisible(True)

    def accept_suggestion(self) -> None:
        """Fill city and state from the ZIP code's suggestion."""
        if self.offered is None:
            return
        self.city.setText(self.offered.city)
        select_data(self.state, self.offered.state)
        self.suggestion.setVisible(False)
        # setText does not emit textEdited, so listeners learn of the change here.
        self.city.textEdited.emit(self.city.text())

    def state_code(self) -> str:
        """Return the chosen state's two-letter code ("" when none)."""
        return str(self.state.currentData() or "")

    def set_values(self, line1: str, line2: str, city: str, state: str, zip_code: str) -> None:
        """Show a stored address."""
        self.line1.setText(line1)
        self.line2.setText(line2)
        self.city.setText(city)
        if state:
            select_data(self.state, state)
        else:
            self.state.setCurrentIndex(0)
        self.zip_code.setText(zip_code)
        self.suggestion.setVisible(False)

    def focus_chain(self) -> list[QWidget]:
        """Return the fields in Tab order (the ZIP first, because it fills city and state)."""
        return [self.line1, self.line2, self.zip_code, self.suggestion, self.city, self.state]
