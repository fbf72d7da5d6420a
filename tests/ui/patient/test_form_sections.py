"""Sections of the registration form: date of death, guarantor and previous names."""

from collections.abc import Callable
from datetime import date

from pytestqt.qtbot import QtBot

from app.services.registration import load_patient_form
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle, open_record, saved_patient
from ui.context import AppContext

ContextFor = Callable[..., AppContext]


def test_death_date_only_when_deceased(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    more = open_record(qtbot, context, settle).form.more
    assert not more.deceased_on.isEnabled()

    more.status.setCurrentIndex(more.status.findData("deceased"))

    assert more.deceased_on.isEnabled()
    more.status.setCurrentIndex(more.status.findData("active"))
    assert not more.deceased_on.isEnabled()


def test_guarantor_person_needs_name(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form

    form.guarantor.person_choice.setChecked(True)
    assert form.guarantor.person.isVisible()
    form.save()
    settle(context)

    assert form.board.message_for("guarantor.person.last_name") != ""
    assert form.guarantor.person.last_name.property("invalid") is True


def test_guarantor_person_and_names_saved(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form
    form.guarantor.person_choice.setChecked(True)
    form.guarantor.person.first_name.setText("Luis")
    form.guarantor.person.last_name.setText("Garcia")
    row = form.name.previous_names.add_row()
    row.fields["first_name"].setText("Maria")  # type: ignore[attr-defined]
    row.fields["last_name"].setText("Ruiz")  # type: ignore[attr-defined]
    row.fields["used_until"].setText("6/1/2005")  # type: ignore[attr-defined]

    form.save()
    settle(context)

    assert form.summary.list.count() == 0
    with practice.database.transaction() as session:
        saved = load_patient_form(session, practice.admin, patient_id)
    assert saved.guarantor.kind == "person"
    assert saved.guarantor.person is not None
    assert saved.guarantor.person.last_name == "Garcia"
    assert [(n.last_name, n.used_until) for n in saved.previous_names] == [
        ("Ruiz", date(2005, 6, 1))
    ]
    assert form.guarantor.kind() == "person"
    assert form.guarantor.person.last_name.text() == "Garcia"
