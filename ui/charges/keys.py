"""Keys of the Charges page and the encounter editor, and the filter that routes them.

The editor's keys are caught by an application event filter rather than by QShortcut,
because line edits take some of them for themselves: on Linux Ctrl+D deletes the
character after the cursor and Ctrl+Delete deletes a word, and a QShortcut never receives
a key that the focused widget claims.
"""

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from ui import help as help_keys
from ui.help import Shortcut

log = logging.getLogger(__name__)

# The keys are described in ui.help, so the main help lists them too.
QUEUE_NEW = help_keys.CHARGES_NEW
QUEUE_SEARCH = help_keys.CHARGES_FIND
SAVE = help_keys.ENCOUNTER_SAVE
ADD_LINE = help_keys.ENCOUNTER_ADD_LINE
ADD_LINE_OTHER = Shortcut("Ctrl+Shift+L", "Encounter: add a service line")
DUPLICATE_LINE = help_keys.ENCOUNTER_DUPLICATE_LINE
REMOVE_LINE = help_keys.ENCOUNTER_REMOVE_LINE
MOVE_UP = help_keys.ENCOUNTER_MOVE_UP
MOVE_DOWN = help_keys.ENCOUNTER_MOVE_DOWN
REMOVE_DIAGNOSIS = help_keys.ENCOUNTER_REMOVE_DIAGNOSIS
EDITOR_HELP = help_keys.ENCOUNTER_HELP
EDITOR_KEYS = help_keys.ENCOUNTER_KEYS

# Both Enter keys post, the one on the main block and the one on the keypad.
POST_SEQUENCES = ("Ctrl+Return", "Ctrl+Enter")
FAVORITE_SEQUENCES = tuple(f"Alt+{number}" for number in range(1, 10))


def sequence_of(event: QKeyEvent) -> QKeySequence:
    """Return the key and modifiers of `event` as one key sequence (keypad flag dropped)."""
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return QKeySequence(event.keyCombination().key() | modifiers)


class KeyRouter(QObject):
    """Runs an action for each bound key pressed inside one window.

    Bindings are (portable key text, action, accepts), where `accepts(widget)` returns
    whether the focused widget takes part, and keys pressed in popups and other windows are
    left alone.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.bindings: list[tuple[QKeySequence, Callable[[], object], Callable[[QWidget], bool]]]
        self.bindings = []
        application = QApplication.instance()
        if application is not None:
            application.installEventFilter(self)

    def bind(
        self,
        keys: str,
        action: Callable[[], object],
        accepts: Callable[[QWidget], bool] = lambda _widget: True,
    ) -> None:
        """Run `action` when `keys` is pressed in a widget `accepts` allows."""
        self.bindings.append((QKeySequence(keys), action, accepts))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or not self._inside(watched):
            return False
        pressed = sequence_of(event)
        for sequence, action, accepts in self.bindings:
            if sequence.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch and accepts(
                watched
            ):
                action()
                return True
        return False

    def _inside(self, widget: QWidget) -> bool:
        # isAncestorOf stops at window borders, so popups and dialogs are not "inside".
        return widget is self.window or self.window.isAncestorOf(widget)
