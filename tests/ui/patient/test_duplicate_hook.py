"""The duplicate check runs before the first save of a new patient, and can stop it."""

from collections.abc import Callable
from datetime import date

from pytestqt.qtbot import QtBot

from app.services.patient_forms import PatientForm
from app.services.patient_list import count_patients
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle
from ui.context import AppContext
from ui.patient.form import PatientFormWidget
from ui.patient.record import open_patient

ContextFor = Callable[..., AppContext]


def fill(form: PatientFormWidget) -> None:
    form.name.first_name.setText("Ana")
    form.name.last_name.setText("Lopez")
    form.personal.date_of_birth.setText("03/04/1981")
    form.personal.sex.setCurrentIndex(form.personal.sex.findData("F"))


def open_with_check(
    qtbot: QtBot, context: AppContext, settle: Settle, check: Callable[[PatientForm], bool]
) -> PatientFormWidget:
    window = open_patient(context, None, duplicate_check=check)
    qtbot.waitExposed(window)
    settle(context)
    return window.form


def test_declined_check_saves_nothing(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    seen: list[PatientForm] = []

    def decline(checked: PatientForm) -> bool:
        seen.append(checked)
        return False

    context = context_for(practice.front_desk)
    form = open_with_check(qtbot, context, settle, decline)
    fill(form)

    form.save()
    settle(context)

    assert [(f.last_name, f.date_of_birth) for f in seen] == [("Lopez", date(1981, 3, 4))]
    assert form.current.id is None
    with practice.database.reading() as session:
        assert count_patients(session, practice.admin) == 0


def test_accepted_check_saves_once(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    calls: list[PatientForm] = []

    def accept(checked: PatientForm) -> bool:
        calls.append(checked)
        return True

    context = context_for(practice.front_desk)
    form = open_with_check(qtbot, context, settle, accept)
    fill(form)

    form.save()
    settle(context)
    form.name.middle_name.setText("Maria")
    form.save()
    settle(context)

    assert len(calls) == 1
    assert form.current.chart_number is not None
    with practice.database.reading() as session:
        assert count_patients(session, practice.admin) == 1


def test_check_skipped_with_errors(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    calls: list[PatientForm] = []

    def accept(checked: PatientForm) -> bool:
        calls.append(checked)
        return True

    context = context_for(practice.front_desk)
    form = open_with_check(qtbot, context, settle, accept)
    form.name.first_name.setText("Ana")

    form.save()
    settle(context)

    assert calls == []
    assert form.board.message_for("last_name") != ""
