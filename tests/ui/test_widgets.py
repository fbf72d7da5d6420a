"""The wheel guard, the shared state picker, and button rules in the style sheet."""

import re
import uuid

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ui.application import load_style_sheet
from ui.widgets import find_data, install_wheel_guard, state_combo, suggested_time_zone


def _wheel_down(widget: QWidget) -> None:
    center = QPointF(widget.rect().center())
    event = QWheelEvent(
        center,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _form(qtbot: QtBot, field: QWidget) -> tuple[QWidget, QLineEdit]:
    """Show `field` under a line edit; return the window and the line edit."""
    holder = QWidget()
    other = QLineEdit()
    layout = QVBoxLayout(holder)
    layout.addWidget(other)
    layout.addWidget(field)
    qtbot.addWidget(holder)
    holder.show()
    qtbot.waitExposed(holder)
    holder.activateWindow()
    return holder, other


def _spin_box() -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    return spin


def test_wheel_ignored_combo(qtbot: QtBot, qapp: QApplication) -> None:
    install_wheel_guard(qapp)
    combo = state_combo()
    combo.setCurrentIndex(combo.findData("OR"))
    _holder, other = _form(qtbot, combo)
    other.setFocus()

    _wheel_down(combo)

    assert combo.currentData() == "OR"
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_wheel_ignored_spin_box(qtbot: QtBot, qapp: QApplication) -> None:
    install_wheel_guard(qapp)
    spin = _spin_box()
    _holder, other = _form(qtbot, spin)
    other.setFocus()

    _wheel_down(spin)

    assert spin.value() == 50


def test_wheel_works_focused(qtbot: QtBot, qapp: QApplication) -> None:
    install_wheel_guard(qapp)
    spin = _spin_box()
    _holder, _other = _form(qtbot, spin)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2_000)

    _wheel_down(spin)

    assert spin.value() == 49


def test_state_labels() -> None:
    combo = state_combo()

    assert combo.itemText(0) == "Choose a state"
    assert combo.itemData(0) == ""
    assert combo.itemText(combo.findData("OR")) == "OR — Oregon"
    assert suggested_time_zone("AZ") == "America/Phoenix"
    assert suggested_time_zone("PW") is None


def test_button_states_keep_font() -> None:
    # Qt sizes a button for its regular font, so a state that changes the font clips the text.
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", load_style_sheet())
    stateful = [
        (selector.strip(), body)
        for selector, body in rules
        if "QPushButton:" in selector or "QPushButton::" in selector
    ]

    assert stateful != []
    for selector, body in stateful:
        assert "font" not in body, f"{selector} changes the font"


def test_find_data_matches_equal_values(qtbot: QtBot) -> None:
    combo = QComboBox()
    qtbot.addWidget(combo)
    first, second = uuid.uuid4(), uuid.uuid4()
    combo.addItem("First", first)
    combo.addItem("Second", second)

    # An equal UUID made elsewhere, as a value read back from the database would be.
    assert find_data(combo, uuid.UUID(str(second))) == 1
    assert find_data(combo, uuid.uuid4()) == -1
