"""Keys of the Payments page.

The page binds each as a QAction with a widget-with-children context, so the keys work
while the focus is anywhere on the page and never reach other pages. `PAYMENTS_KEYS` is
the list the page's key hint shows; the F1 help lists it too.
"""

from ui import help as help_keys

# The keys are described in ui.help, so the main help lists them too.
TAKE_PAYMENT = help_keys.PAYMENTS_TAKE
VOID = help_keys.PAYMENTS_VOID
PRINT_RECEIPT = help_keys.PAYMENTS_PRINT
REFRESH = help_keys.PAYMENTS_REFRESH
PAYMENTS_KEYS = help_keys.PAYMENTS_KEYS
