"""Collect the Alt letters a window offers, to check that no two controls share one.

Qt fires the Alt shortcut of a visible, enabled control, and when two visible controls
of a window share a letter the key only cycles the focus between them. So each check
gathers the letters of one window as it shows now: its menu bar, its visible tab bars,
buttons and check boxes, and labels with a buddy (a label without one shows "&" as text).
"""

from PySide6.QtWidgets import QAbstractButton, QLabel, QMenuBar, QTabBar, QWidget

from ui.statements.keys import mnemonic_of


def window_mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Return each Alt letter of `window` with the captions that use it."""
    found: dict[str, list[str]] = {}

    def add(text: str) -> None:
        letter = mnemonic_of(text)
        if letter is not None:
            found.setdefault(letter, []).append(text)

    for bar in window.findChildren(QMenuBar):
        for action in bar.actions():
            add(action.text())
    for tabs in window.findChildren(QTabBar):
        if tabs.isVisibleTo(window):
            for index in range(tabs.count()):
                add(tabs.tabText(index))
    for button in window.findChildren(QAbstractButton):
        if button.isVisibleTo(window):
            add(button.text())
    for label in window.findChildren(QLabel):
        if label.buddy() is not None and label.isVisibleTo(window):
            add(label.text())
    return found


def shared_mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Return the Alt letters of `window` that more than one caption uses."""
    return {
        letter: captions
        for letter, captions in window_mnemonics(window).items()
        if len(captions) > 1
    }
