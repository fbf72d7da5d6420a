"""Keys of the Claims page.

The page binds each as a QAction with a widget-with-children context, so the keys work
while the focus is anywhere on the page and never reach other pages. `CLAIMS_KEYS` is
the list the page's key hint and the F1 help show.
"""

from ui.help import Shortcut

OPEN = Shortcut("Enter", "Claims: open the selected claim's details")
FIND = Shortcut("Ctrl+F", "Claims: search by claim number, patient or chart")
REFRESH = Shortcut("F5", "Claims: reload the worklist")
BUILD = Shortcut("Ctrl+B", "Claims: build claims from every posted charge, then scrub them")
SCRUB = Shortcut("Ctrl+R", "Claims: scrub the selected claims again")
SEND = Shortcut("Ctrl+E", "Claims: send the selected ready claims to the clearinghouse")
PRINT = Shortcut("Ctrl+P", "Claims: print the selected claims on CMS-1500 forms")
RESPONSES = Shortcut("Ctrl+Shift+R", "Claims: fetch or import the clearinghouse's responses")
ASSIGN = Shortcut("Ctrl+T", "Claims: assign the selected claims to a user")
FOLLOW_UP = Shortcut("Ctrl+U", "Claims: set a follow-up date and note")
NOTE = Shortcut("Ctrl+Shift+N", "Claims: add a note to the selected claims")
GO_TO_FIELD = Shortcut("Ctrl+G", "Claims: go to the field of the selected finding")

CLAIMS_KEYS = (
    OPEN,
    FIND,
    REFRESH,
    BUILD,
    SCRUB,
    SEND,
    PRINT,
    RESPONSES,
    ASSIGN,
    FOLLOW_UP,
    NOTE,
    GO_TO_FIELD,
)
