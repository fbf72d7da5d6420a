"""The waitlist panel: entries, Find a time through the waitlist, and freed-time offers."""

from datetime import UTC, date, datetime, time

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.scheduling import Appointment, WaitlistEntry
from app.services import scheduling_settings
from app.services.waitlist import WaitlistInput, add_entry
from tests.helpers.schedule_rows import patients, providers
from tests.ui.conftest import settle
from ui.context import AppContext
from ui.schedule.waitlist_panel import COLUMNS, WaitlistPanel


def loaded_panel(qtbot: QtBot, context: AppContext) -> WaitlistPanel:
    panel = WaitlistPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    settle(qtbot, context.ops)
    return panel


def put_on_list(context: AppContext, values_for: int = 0, **options: object) -> WaitlistEntry:
    with context.database.transaction() as session:
        patient = patients(session)[values_for]
        saved = add_entry(session, context.actor, WaitlistInput(patient.id, 30, **options))  # type: ignore[arg-type]
        entry = session.get(WaitlistEntry, saved.entry_id)
        assert entry is not None
        session.expunge(entry)
        return entry


def test_list_shows_entries(qtbot: QtBot, context: AppContext) -> None:
    put_on_list(context, 0, earliest=time(9), latest=time(11), notes="mornings")
    put_on_list(context, 1, weekdays=(1, 3))
    panel = loaded_panel(qtbot, context)

    assert panel.count.text() == "2 patients waiting"
    assert panel.table.item(0, 1).text() == "Any provider"
    assert panel.table.item(0, 3).text() == "Mon-Fri"
    assert panel.table.item(0, 4).text() == "9:00 AM to 11:00 AM"
    assert panel.table.item(0, 6).text() == "mornings"
    assert panel.table.item(1, 3).text() == "Tue, Thu"
    assert panel.table.item(1, 4).text() == "any time"
    assert panel.find_button.isEnabled()


def test_add_entry_through_form(qtbot: QtBot, context: AppContext) -> None:
    panel = loaded_panel(qtbot, context)
    assert not panel.edit_button.isEnabled()
    panel.add_button.click()
    dialog = panel.entry_dialog
    assert dialog is not None

    # Saving without a patient lists the problem and writes nothing.
    dialog.save()
    assert "Choose a patient" in dialog.problems.text()

    with context.database.reading() as session:
        patient = patients(session)[2]
    dialog.patient.setText(patient.last_name)
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Down)  # search now and select the first match
    settle(qtbot, context.ops)
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Return)
    assert dialog.patient_id is not None
    dialog.duration.setValue(45)
    dialog.weekdays.set_weekdays((2,))
    dialog.save()
    settle(qtbot, context.ops)
    panel.refresh()
    settle(qtbot, context.ops)

    assert len(panel.rows) == 1
    assert panel.rows[0].duration_minutes == 45
    assert panel.rows[0].weekdays == (2,)


def test_invalid_times_listed(qtbot: QtBot, context: AppContext) -> None:
    put_on_list(context)
    panel = loaded_panel(qtbot, context)
    panel.edit_selected()
    dialog = panel.entry_dialog
    assert dialog is not None
    dialog.earliest.set_value(time(14))
    dialog.latest.set_value(time(10))
    dialog.weekdays.set_weekdays(())
    dialog.save()
    settle(qtbot, context.ops)

    assert "latest time must be after" in dialog.problems.text()
    assert "at least one day" in dialog.problems.text()


def test_remove_entry_after_confirm(qtbot: QtBot, context: AppContext) -> None:
    entry = put_on_list(context)
    panel = loaded_panel(qtbot, context)
    panel.confirm_remove()
    assert panel.remove_box is not None
    panel.remove_box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, context.ops)
    panel.refresh()
    settle(qtbot, context.ops)

    assert panel.rows == []
    with context.database.reading() as session:
        row = session.get(WaitlistEntry, entry.id)
        assert row is not None
        assert row.status == "removed"


def test_find_time_books_entry(qtbot: QtBot, context: AppContext, next_monday: date) -> None:
    with context.database.reading() as session:
        provider_id = providers(session)[1]
    entry = put_on_list(
        context, 0, provider_id=provider_id, earliest=time(14), available_from=next_monday
    )
    panel = loaded_panel(qtbot, context)
    panel.find_time()
    dialog = panel.find_dialog
    assert dialog is not None
    settle(qtbot, context.ops)
    assert dialog.checked_providers() == [provider_id]
    assert dialog.duration.value() == 30

    dialog.find_now()
    settle(qtbot, context.ops)
    first = dialog.slots[0]
    assert first.starts_at == datetime.combine(next_monday, time(14))
    qtbot.keyClick(dialog.results, Qt.Key.Key_Return)
    assert dialog.confirm_box is not None
    with qtbot.waitSignal(panel.booked) as booked:
        dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        settle(qtbot, context.ops)

    with context.database.reading() as session:
        saved = session.get(WaitlistEntry, entry.id)
        appointment = session.get(Appointment, booked.args[0])
        assert saved is not None
        assert appointment is not None
        assert saved.status == "booked"
        assert saved.booked_appointment_id == appointment.id
        assert appointment.patient_id == entry.patient_id
        assert appointment.provider_id == provider_id
        assert appointment.starts_at == first.starts_at


def test_offer_book_button(qtbot: QtBot, context: AppContext, next_monday: date) -> None:
    entry = put_on_list(context, 0)
    put_on_list(context, 1, earliest=time(15))  # afternoons only: does not fit 10:00
    with context.database.reading() as session:
        provider_id = providers(session)[0]
    panel = loaded_panel(qtbot, context)
    freed = datetime.combine(next_monday, time(10))
    panel.show_offers(provider_id, freed, 30)
    settle(qtbot, context.ops)

    assert [offer.entry_id for offer in panel.offer_list.offers] == [entry.id]
    assert "30 minutes on Mon" in panel.offer_list.title.text()
    button = panel.offer_list.book_button(0)
    assert button is not None
    with qtbot.waitSignal(panel.booked) as booked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        settle(qtbot, context.ops)

    assert panel.offer_list.table.isHidden()
    with context.database.reading() as session:
        appointment = session.get(Appointment, booked.args[0])
        saved = session.get(WaitlistEntry, entry.id)
        assert appointment is not None
        assert saved is not None
        assert appointment.starts_at == freed
        assert appointment.duration_minutes == 30
        assert saved.status == "booked"


def test_evening_uses_practice_date(
    qtbot: QtBot, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 02:30 UTC on March 10 is 9:30 PM on March 9 in Chicago, the demo practice's zone.
    evening = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    monkeypatch.setattr(scheduling_settings, "utc_now", lambda: evening)
    entry = put_on_list(context)
    with context.database.transaction() as session:
        session.get_one(WaitlistEntry, entry.id).created_at = evening
    panel = loaded_panel(qtbot, context)

    assert panel.table.item(0, COLUMNS.index("Since")).text() == "03/09/2026"
    panel.add_entry()
    dialog = panel.entry_dialog
    assert dialog is not None
    assert dialog.available_from.edit.date() == QDate(2026, 3, 9)
    assert dialog.available_until.edit.date() == QDate(2026, 3, 9)
    dialog.reject()
