"""Keys of the Payments page.

The page binds each as a QAction with a widget-with-children context, so the keys work
while the focus is anywhere on the page and never reach other pages. `PAYMENTS_KEYS` is
the list the page's key hint shows; the F1 help can list it too.
"""

from ui.help import Shortcut

TAKE_PAYMENT = Shortcut("Ctrl+N", "Payments: take a payment (pick the patient, then Enter)")
VOID = Shortcut("Ctrl+Del", "Payments: void the selected payment (asks for a reason)")
PRINT_RECEIPT = Shortcut("Ctrl+P", "Payments: print the selected payment's receipt")
REFRESH = Shortcut("F5", "Payments: reload the tab in front")
PAYMENTS_KEYS = (TAKE_PAYMENT, VOID, PRINT_RECEIPT, REFRESH)
