"""The appointment dialog's billing buttons: charges after check-out, the superbill always."""

from dataclasses import replace

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from tests.helpers.scheduling_data import wall
from tests.ui.test_schedule_details import _block
from ui.schedule.dialogs import AppointmentDialog


def _button(dialog: AppointmentDialog, text: str) -> QPushButton:
    return next(button for button in dialog.findChildren(QPushButton) if button.text() == text)


@pytest.mark.parametrize(
    ("status", "can_charge", "enabled"),
    [("checked_out", True, True), ("arrived", True, False), ("checked_out", False, False)],
)
def test_charges_button_enabled(qtbot: QtBot, status: str, can_charge: bool, enabled: bool) -> None:
    block = replace(_block(wall(2026, 2, 2, 9)), status=status)
    dialog = AppointmentDialog(block, True, can_charge=can_charge)
    qtbot.addWidget(dialog)

    assert _button(dialog, "C&harges…").isEnabled() is enabled


def test_superbill_button_sets_action(qtbot: QtBot) -> None:
    dialog = AppointmentDialog(_block(wall(2026, 2, 2, 9)), False)
    qtbot.addWidget(dialog)

    _button(dialog, "Print &superbill…").click()

    assert dialog.action == "superbill"
