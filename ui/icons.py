"""Icons: the application icon from our SVG, and Font Awesome icons through qtawesome.

qtawesome costs about a third of a second to import, so it is loaded on first use, after
the sign-in window is already on screen.
"""

import logging
from functools import cache

from PySide6.QtGui import QIcon

from ui.resources import resource_path

log = logging.getLogger(__name__)

APP_ICON_FILE = ("icons", "clinicdesk.svg")


@cache
def app_icon() -> QIcon:
    """Return the ClinicDesk window icon."""
    return QIcon(str(resource_path(*APP_ICON_FILE)))


def icon(name: str, color: str = "#35506b") -> QIcon:
    """Return the qtawesome icon `name` (such as "fa6s.house"), or an empty icon."""
    try:
        import qtawesome
    except ImportError:
        log.warning("qtawesome is not installed; navigation shows no icons")
        return QIcon()
    try:
        found: QIcon = qtawesome.icon(name, color=color)
    except Exception:
        # An unknown icon name must not stop the window from opening.
        log.warning("icon %s is not available", name, exc_info=True)
        return QIcon()
    return found
