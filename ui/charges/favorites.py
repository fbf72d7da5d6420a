"""The rendering provider's favorite procedure codes: a menu and a numbered strip.

Alt with a number adds that favorite as a line. The strip under the grid shows which
number is which code, and the menu (Alt+V) lists the same entries with the same numbers.
"""

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QWidget

from ui.charges.editor_data import CodeOption

log = logging.getLogger(__name__)

# Alt+1 to Alt+9 reach the first nine favorites.
MAX_QUICK_KEYS = 9


def favorite_label(number: int, option: CodeOption) -> str:
    """Return a menu entry with its number as mnemonic, such as "&1  99213  Office visit"."""
    return f"&{number}  {option.label}"


def strip_text(favorites: list[CodeOption]) -> str:
    """Return the strip under the grid, such as "Alt+1 99213 · Alt+2 99214"."""
    if not favorites:
        return "No favorite codes for this provider yet (Favorites → Save as favorites)."
    shown = favorites[:MAX_QUICK_KEYS]
    return "Favorites: " + " · ".join(
        f"Alt+{number} {option.code}" for number, option in enumerate(shown, start=1)
    )


class FavoritesButton(QPushButton):
    """A button with the favorites menu; `chosen` carries the code picked.

    `save_requested` requests that the draft's codes become the provider's favorites.
    """

    chosen = Signal(object)  # CodeOption
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Fa&vorites", parent)
        self.setObjectName("favoritesButton")
        self.setAccessibleName("Favorite procedure codes of the rendering provider")
        self.favorites: list[CodeOption] = []
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self.strip = QLabel()
        self.strip.setObjectName("subtleText")
        self.strip.setWordWrap(True)
        self.set_favorites([])

    def set_favorites(self, favorites: list[CodeOption]) -> None:
        """Show `favorites` in the menu and the strip, in the provider's order."""
        self.favorites = list(favorites)
        self.menu_.clear()
        for number, option in enumerate(self.favorites[:MAX_QUICK_KEYS], start=1):
            action = QAction(favorite_label(number, option), self.menu_)
            action.triggered.connect(lambda _checked=False, chosen=option: self.chosen.emit(chosen))
            self.menu_.addAction(action)
        if self.favorites:
            self.menu_.addSeparator()
        save = QAction("&Save this draft's codes as the provider's favorites", self.menu_)
        save.triggered.connect(self.save_requested.emit)
        self.menu_.addAction(save)
        self.strip.setText(strip_text(self.favorites))

    def choose_number(self, number: int) -> None:
        """Emit `chosen` for favorite `number` (1-based); nothing when there is none."""
        if 1 <= number <= min(len(self.favorites), MAX_QUICK_KEYS):
            self.chosen.emit(self.favorites[number - 1])
