"""Keys of the Statements page.

Each tab binds its keys as QActions with a widget-with-children context, so a key works
while the focus is anywhere on that tab and never reaches other tabs or pages.
`STATEMENTS_KEYS` is the list the page's key hint and the F1 help show.
"""

from ui.help import Shortcut

PREVIEW = Shortcut("F5", "Statements: preview the run again, or reload the tab in front")
RUN = Shortcut("Ctrl+Return", "Statements: run the previewed statements (asks first)")
OPEN_BATCH = Shortcut("Ctrl+P", "Statements: open the printed batch of the last run")
SEND_EMAILS = Shortcut("Ctrl+E", "Statements: send the statements queued for email")
FIND_ACCOUNT = Shortcut("Ctrl+F", "Statements history: search for an account")
OPEN_PDF = Shortcut("Ctrl+O", "Statements history: open the selected statement's PDF")
EXPORT_REPORT = Shortcut("Ctrl+Shift+S", "Statements history: export the report shown as CSV")
STATEMENTS_KEYS = (PREVIEW, RUN, OPEN_BATCH, SEND_EMAILS, FIND_ACCOUNT, OPEN_PDF, EXPORT_REPORT)


def hint_text(shortcuts: tuple[Shortcut, ...]) -> str:
    """Return a key hint line, such as "F5: preview again · Ctrl+P: open the batch"."""
    return " · ".join(f"{shortcut.native_text()}: {_short(shortcut)}" for shortcut in shortcuts)


def _short(shortcut: Shortcut) -> str:
    # The hint drops the "Statements:" prefix that the F1 help needs to name the page.
    return shortcut.action.split(": ", 1)[-1]
