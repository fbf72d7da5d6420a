"""Fixtures for the charge-entry screens: a practice with codes, fees and a finished visit."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services import encounters
from tests.helpers import charge_data
from tests.helpers.scheduling_data import SchedulingPractice, add_weekday_hours, wall
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner


@dataclass(frozen=True)
class ChargePractice:
    """The charge-entry practice and the checked-out visit the editor bills.

    The visit is a follow-up, whose visit type bills 99213, so its draft starts with
    that line. The patient has Aetna as primary coverage.
    """

    database: Database
    charges: charge_data.ChargePractice
    appointment_id: uuid.UUID
    service_date: date

    @property
    def scheduling(self) -> SchedulingPractice:
        """The practice's providers, patients and front desk."""
        return self.charges.scheduling

    @property
    def biller(self) -> Actor:
        """A biller: may post charges, may not change a fee."""
        return self.charges.biller

    @property
    def manager(self) -> Actor:
        """A manager: may post charges and change fees."""
        return self.charges.manager

    @property
    def patient_id(self) -> uuid.UUID:
        """The visit's patient."""
        return self.charges.patient_id


def check_out_visit(
    database: Database, practice: charge_data.ChargePractice, hour: int
) -> uuid.UUID:
    """Book a follow-up on the visit day at `hour`, check it out and return its id.

    Check-out creates the draft encounter; asking for it again returns that draft, so
    this data does not depend on the check-out hook.
    """
    day = charge_data.VISIT_DAY
    appointment_id = charge_data.book_visit(
        database, practice, wall(day.year, day.month, day.day, hour)
    )
    charge_data.check_in_and_out(database, practice, appointment_id)
    with database.transaction() as session:
        encounters.encounter_for_appointment(session, practice.biller, appointment_id)
    return appointment_id


@pytest.fixture
def charge_practice(database: Database) -> ChargePractice:
    """The charge-entry practice with a follow-up visit checked out at 9 AM."""
    charges = charge_data.build_charge_practice(database)
    add_weekday_hours(database, charges.scheduling)
    appointment_id = check_out_visit(database, charges, 9)
    return ChargePractice(database, charges, appointment_id, charge_data.VISIT_DAY)


def drain(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every operation of `context` has reported back on the GUI thread."""
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


@pytest.fixture
def context_for(
    qtbot: QtBot, charge_practice: ChargePractice
) -> Iterator[Callable[[Actor], AppContext]]:
    """Return a function making a context signed in as an actor; drained and closed at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        database = charge_practice.database
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    from ui.charges import windows

    for editor in windows.open_editors():
        editor.close_now()
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)


def focused() -> QWidget:
    """Return the widget with the keyboard focus."""
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier | None = None) -> None:
    """Press `key` (with `modifiers`) in the focused widget."""
    if modifiers is None:
        qtbot.keyClick(focused(), key)
    else:
        qtbot.keyClick(focused(), key, modifiers)


def type_text(qtbot: QtBot, text: str) -> None:
    """Type `text` into the focused widget."""
    qtbot.keyClicks(focused(), text)


def wait_for_focus(qtbot: QtBot, widget: QWidget) -> None:
    """Wait until `widget` has the keyboard focus (a new window activates asynchronously)."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=3000)
