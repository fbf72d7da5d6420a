"""Opening encounter editors: one window per encounter, hidden while the screen is locked.

Editors are top-level windows like patient records, so the main window's lock panel
does not cover them. When the parent window has a `lock_panel`, editors hide while it
shows and come back after the same user unlocks; another user's unlock closes them.
"""

import logging
import uuid
from datetime import date

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from ui.charges.editor import EncounterEditor
from ui.context import AppContext

log = logging.getLogger(__name__)

_open_editors: list[EncounterEditor] = []
_hidden_for_lock: list[EncounterEditor] = []


def open_editors() -> list[EncounterEditor]:
    """Return the encounter editors open now."""
    return list(_open_editors)


def open_encounter(
    context: AppContext, encounter_id: uuid.UUID, parent: QWidget | None = None
) -> EncounterEditor:
    """Open a saved encounter, or bring forward the editor already showing it."""
    for editor in _open_editors:
        if editor.encounter_id == encounter_id:
            editor.show()
            editor.raise_()
            editor.activateWindow()
            return editor
    editor = _new_editor(context, parent)
    editor.load(encounter_id)
    return editor


def open_new_encounter(
    context: AppContext,
    patient_id: uuid.UUID,
    service_date: date | None = None,
    parent: QWidget | None = None,
) -> EncounterEditor:
    """Open an unsaved encounter for a patient on `service_date` (the practice's today)."""
    editor = _new_editor(context, parent)
    editor.start_new(patient_id, service_date)
    return editor


def _new_editor(context: AppContext, parent: QWidget | None) -> EncounterEditor:
    _follow_lock_panel(parent, context)
    editor = EncounterEditor(context, parent)
    _open_editors.append(editor)
    editor.destroyed.connect(lambda: _forget(editor))
    editor.show()
    editor.activateWindow()
    return editor


def _forget(editor: EncounterEditor) -> None:
    if editor in _open_editors:
        _open_editors.remove(editor)
    if editor in _hidden_for_lock:
        _hidden_for_lock.remove(editor)


def hide_editors() -> None:
    """Hide every editor (the screen is locking); what was typed stays."""
    for editor in _open_editors:
        if editor.isVisible():
            editor.hide()
            _hidden_for_lock.append(editor)


def show_hidden_editors(context: AppContext) -> None:
    """Show the editors hidden for the lock again, closing those of another user."""
    actor = context.user.actor if context.user.signed_in else None
    while _hidden_for_lock:
        editor = _hidden_for_lock.pop()
        if editor not in _open_editors:
            continue
        if editor.actor != actor:
            editor.close_now()
        else:
            editor.show()


class EditorLockFollower(QObject):
    """Hides the editors while a lock panel shows, and shows them after the unlock."""

    def __init__(self, lock_panel: QWidget, context: AppContext) -> None:
        super().__init__(lock_panel)
        self.context = context
        self.lock_panel = lock_panel
        lock_panel.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Show:
            hide_editors()
        elif event.type() == QEvent.Type.Hide:
            # The unlock may sign in another user, who is known one event-loop turn later.
            QTimer.singleShot(0, self._restore)
        return False

    def _restore(self) -> None:
        # Minimizing the main window hides the panel too, but only an unlock hides it itself.
        if self.lock_panel.isHidden():
            show_hidden_editors(self.context)


def _follow_lock_panel(parent: QWidget | None, context: AppContext) -> None:
    window = parent.window() if parent is not None else None
    panel = getattr(window, "lock_panel", None)
    if isinstance(panel, QWidget) and panel.findChild(EditorLockFollower) is None:
        EditorLockFollower(panel, context)
