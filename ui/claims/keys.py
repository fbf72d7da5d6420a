"""Keys of the Claims page.

The page binds each as a QAction with a widget-with-children context, so the keys work
while the focus is anywhere on the page and never reach other pages. `CLAIMS_KEYS` is
the list the page's key hint and the F1 help show.
"""

from ui import help as help_keys

# The keys are described in ui.help, so the main help lists them too.
OPEN = help_keys.CLAIMS_OPEN
FIND = help_keys.CLAIMS_FIND
REFRESH = help_keys.CLAIMS_REFRESH
BUILD = help_keys.CLAIMS_BUILD
SCRUB = help_keys.CLAIMS_SCRUB
SEND = help_keys.CLAIMS_SEND
PRINT = help_keys.CLAIMS_PRINT
RESPONSES = help_keys.CLAIMS_RESPONSES
ASSIGN = help_keys.CLAIMS_ASSIGN
FOLLOW_UP = help_keys.CLAIMS_FOLLOW_UP
NOTE = help_keys.CLAIMS_NOTE
GO_TO_FIELD = help_keys.CLAIMS_GO_TO_FIELD
POST_EOB = help_keys.CLAIMS_POST_EOB
CLAIMS_KEYS = help_keys.CLAIMS_KEYS
