"""The find-available dialog: searching with the keyboard, choosing and booking a time."""

import uuid
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.scheduling import Appointment
from tests.helpers.schedule_rows import add_visit, patients, providers
from tests.ui.conftest import settle
from ui.context import AppContext
from ui.schedule.find_available_dialog import FindAvailableDialog, SlotPreferences

LUNCH_START = time(12)
LUNCH_END = time(13)


def open_dialog(
    qtbot: QtBot, context: AppContext, preferences: SlotPreferences, **options: uuid.UUID
) -> FindAvailableDialog:
    dialog = FindAvailableDialog(context, None, preferences=preferences, **options)
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot, context.ops)
    return dialog


def first_provider(context: AppContext) -> uuid.UUID:
    with context.database.reading() as session:
        return providers(session)[0]


def test_find_skips_lunch_blockout(qtbot: QtBot, context: AppContext, next_monday: date) -> None:
    provider_id = first_provider(context)
    preferences = SlotPreferences(
        provider_ids=(provider_id,),
        duration_minutes=30,
        weekdays=(0,),
        earliest=time(11),
        start_day=next_monday,
    )
    dialog = open_dialog(qtbot, context, preferences)
    dialog.days.setValue(1)
    qtbot.keyClick(dialog.duration, Qt.Key.Key_Return)  # Enter in the form runs Find
    settle(qtbot, context.ops)

    starts = [slot.starts_at for slot in dialog.slots]
    assert starts
    assert all(slot.provider_id == provider_id for slot in dialog.slots)
    assert starts[0] == datetime.combine(next_monday, time(11))
    for start in starts:
        ends = start + timedelta(minutes=30)
        assert ends.time() <= LUNCH_START or start.time() >= LUNCH_END, start
    assert datetime.combine(next_monday, LUNCH_END) in starts
    assert dialog.results.rowCount() == len(starts)
    assert dialog.results.item(0, 1).text() == "11:00 AM"


def test_unchecked_provider_not_searched(
    qtbot: QtBot, context: AppContext, next_monday: date
) -> None:
    dialog = open_dialog(qtbot, context, SlotPreferences(start_day=next_monday))
    assert dialog.providers.count() >= 2
    assert len(dialog.checked_providers()) == dialog.providers.count()

    # Space on the list's current row unchecks the first provider.
    dialog.providers.setFocus()
    dialog.providers.setCurrentRow(0)
    qtbot.keyClick(dialog.providers.viewport(), Qt.Key.Key_Space)
    dialog.find_now()
    settle(qtbot, context.ops)

    first = dialog.providers.item(0).data(Qt.ItemDataRole.UserRole)
    assert first not in dialog.checked_providers()
    assert dialog.slots
    assert all(slot.provider_id != first for slot in dialog.slots)


def test_enter_emits_slot_and_books(qtbot: QtBot, context: AppContext, next_monday: date) -> None:
    provider_id = first_provider(context)
    with context.database.reading() as session:
        patient_id = patients(session)[0].id
    preferences = SlotPreferences((provider_id,), duration_minutes=20, start_day=next_monday)
    dialog = open_dialog(qtbot, context, preferences, patient_id=patient_id)
    dialog.find_now()
    settle(qtbot, context.ops)

    with qtbot.waitSignal(dialog.slot_chosen) as chosen:
        qtbot.keyClick(dialog.results, Qt.Key.Key_Return)
    assert chosen.args == [provider_id, datetime.combine(next_monday, time(9)), 20]
    assert dialog.confirm_box is not None

    with qtbot.waitSignal(dialog.booked) as booked:
        dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        settle(qtbot, context.ops)
    with context.database.reading() as session:
        row = session.get(Appointment, booked.args[0])
        assert row is not None
        assert row.patient_id == patient_id
        assert row.starts_at == datetime.combine(next_monday, time(9))
        assert row.duration_minutes == 20


def test_blocking_conflict_refuses(qtbot: QtBot, context: AppContext, next_monday: date) -> None:
    provider_id = first_provider(context)
    with context.database.transaction() as session:
        people = patients(session)
        patient_id = people[0].id
    preferences = SlotPreferences((provider_id,), duration_minutes=30, start_day=next_monday)
    dialog = open_dialog(qtbot, context, preferences, patient_id=patient_id)
    dialog.find_now()
    settle(qtbot, context.ops)

    # Someone else takes the 9:00 time after the search, so booking it now overlaps.
    with context.database.transaction() as session:
        add_visit(session, provider_id, people[1].id, datetime.combine(next_monday, time(9)))
    dialog.book(dialog.slots[0], 30)
    settle(qtbot, context.ops)

    assert dialog.status.text().startswith("Not booked.")
    assert "Blocked:" in dialog.status.text()
    with context.database.reading() as session:
        mine = session.scalars(select(Appointment).where(Appointment.patient_id == patient_id))
        assert all(row.starts_at.date() != next_monday for row in mine)
