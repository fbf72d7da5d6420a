"""Keys of the Statements page.

Each tab binds its keys as QActions with a widget-with-children context, so a key works
while the focus is anywhere on that tab and never reaches other tabs or pages.
The keys are defined in ui.help beside the other pages' keys; `STATEMENTS_KEYS` is the
list the page's key hint and the F1 help show.
"""

from ui.help import (
    STATEMENTS_EXPORT,
    STATEMENTS_FIND,
    STATEMENTS_OPEN_BATCH,
    STATEMENTS_OPEN_PDF,
    STATEMENTS_PREVIEW,
    STATEMENTS_RUN,
    STATEMENTS_SEND,
    Shortcut,
)

PREVIEW = STATEMENTS_PREVIEW
RUN = STATEMENTS_RUN
OPEN_BATCH = STATEMENTS_OPEN_BATCH
SEND_EMAILS = STATEMENTS_SEND
FIND_ACCOUNT = STATEMENTS_FIND
OPEN_PDF = STATEMENTS_OPEN_PDF
EXPORT_REPORT = STATEMENTS_EXPORT


def hint_text(shortcuts: tuple[Shortcut, ...]) -> str:
    """Return a key hint line, such as "F5: preview again · Ctrl+P: open the batch"."""
    return " · ".join(f"{shortcut.native_text()}: {_short(shortcut)}" for shortcut in shortcuts)


def _short(shortcut: Shortcut) -> str:
    # The hint drops the "Statements:" prefix that the F1 help needs to name the page.
    return shortcut.action.split(": ", 1)[-1]
