"""Saving a record someone else saved since it was opened: summary message, values kept."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.services.patient_forms import PhoneEntry
from app.services.registration import load_patient_form, save_patient
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import TODAY, Settle, open_record, saved_patient
from ui.context import AppContext

ContextFor = Callable[..., AppContext]


def test_stale_save_shows_summary_and_keeps_values(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form

    # Another user adds a phone after this window loaded the record.
    with practice.database.transaction() as session:
        other = load_patient_form(session, practice.admin, patient_id)
        other.phones.append(PhoneEntry("home", "(847) 555-0111"))
        assert save_patient(session, practice.admin, other, TODAY).problems == []
    form.contact.email.setText("typed@example.com")
    form.save()
    settle(context)

    assert form.summary.isVisible()
    assert form.summary.list.count() == 1
    message = form.summary.list.item(0).text()
    assert message.startswith("Someone else saved this patient at ")
    assert "reopen the record" in message
    assert form.contact.email.text() == "typed@example.com"
    with practice.database.reading() as session:
        stored = load_patient_form(session, practice.admin, patient_id)
    assert stored.email != "typed@example.com"
    assert "(847) 555-0111" in [phone.number for phone in stored.phones]
