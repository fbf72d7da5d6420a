"""Small input widgets shared by the wizard and the Admin forms, and the wheel guard."""

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)

from app.validators import US_STATES, US_TIME_ZONES

log = logging.getLogger(__name__)

STATE_PLACEHOLDER = "Choose a state"

# The zone where most of each state's people live. States split between zones (such as
# Texas or Idaho) get the zone of their largest cities, so this is only a suggestion.
STATE_TIME_ZONES: dict[str, str] = {
    **dict.fromkeys(
        ("CT", "DC", "DE", "FL", "GA", "KY", "MA", "MD", "ME", "NC", "NH", "NJ", "NY", "OH",
         "PA", "RI", "SC", "VA", "VT", "WV", "AA", "AE"),
        "America/New_York",
    ),
    **dict.fromkeys(
        ("AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE", "OK", "SD", "TN",
         "TX", "WI"),
        "America/Chicago",
    ),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), "America/Denver"),
    **dict.fromkeys(("CA", "NV", "OR", "WA"), "America/Los_Angeles"),
    "MI": "America/Detroit",
    "IN": "America/Indiana/Indianapolis",
    "ID": "America/Boise",
    "AZ": "America/Phoenix",
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "AS": "Pacific/Pago_Pago",
    "AP": "Pacific/Guam",
}  # fmt: skip


def state_label(code: str) -> str:
    """Return how a state is shown in pickers, such as "OR — Oregon"."""
    return f"{code} — {US_STATES[code]}"


def state_combo(placeholder: str = STATE_PLACEHOLDER) -> QComboBox:
    """Return a combo of US states and territories whose item data is the 2-letter code.

    The first entry shows `placeholder` and has the data "" (no state chosen).
    """
    combo = QComboBox()
    combo.addItem(placeholder, "")
    for code in sorted(US_STATES):
        combo.addItem(state_label(code), code)
    return combo


def time_zone_combo() -> QComboBox:
    """Return a combo of the offered IANA time zones, shown and stored by their IANA names."""
    combo = QComboBox()
    for zone in US_TIME_ZONES:
        combo.addItem(zone, zone)
    return combo


def suggested_time_zone(state: str) -> str | None:
    """Return the usual time zone of state `state`, or None when there is no single one."""
    return STATE_TIME_ZONES.get(state)


class WheelGuard(QObject):
    """Keeps the mouse wheel from changing combo boxes and spin boxes that lack focus.

    Scrolling a long form would otherwise change whatever value passes under the pointer.
    An ignored wheel event travels on to the parent, so the form still scrolls.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind not in (QEvent.Type.Wheel, QEvent.Type.Polish):
            return False
        if not isinstance(watched, QComboBox | QAbstractSpinBox):
            return False
        if kind == QEvent.Type.Polish:
            # With the default WheelFocus, the wheel would first give the widget focus.
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if watched.hasFocus():
            return False
        event.ignore()
        return True


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install one WheelGuard on `app` (again calls return the installed one)."""
    existing = app.findChild(WheelGuard)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    log.debug("wheel guard installed")
    return guard


def connect_edits(widget: QWidget, callback: Callable[[], None]) -> None:
    """Connect the edit signal of an input widget to `callback`.

    Composite editors take part by offering an `edited` signal.
    """
    edited = getattr(widget, "edited", None)
    if edited is not None:
        edited.connect(callback)
    elif isinstance(widget, QLineEdit):
        widget.textEdited.connect(callback)
    elif isinstance(widget, QPlainTextEdit):
        widget.textChanged.connect(callback)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(callback)
        if widget.isEditable():
            widget.editTextChanged.connect(callback)
    elif isinstance(widget, QAbstractSpinBox):
        value_changed = getattr(widget, "valueChanged", None)
        if value_changed is not None:
            value_changed.connect(callback)
    elif isinstance(widget, QCheckBox):
        widget.toggled.connect(callback)
    elif isinstance(widget, QListWidget):
        model = widget.model()
        model.rowsInserted.connect(callback)
        model.rowsRemoved.connect(callback)
        model.dataChanged.connect(callback)


def find_data(combo: QComboBox, value: object) -> int:
    """Return the index of the item whose data equals `value`, or -1.

    QComboBox.findData compares Python objects by identity, so an equal but distinct
    value (a UUID read in another query) would never be found.
    """
    for index in range(combo.count()):
        if combo.itemData(index) == value:
            return index
    return -1


def documents_path(file_name: str = "") -> str:
    """Return `file_name` in the user's Documents folder, where save and open dialogs start.

    Without it a dialog starts in the program's working folder, which on an installed
    copy is the install folder: no place for PDFs that hold patient data.
    """
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(folder) if folder else Path.home()
    return str(base / file_name) if file_name else str(base)
