"""A receptionist registers a patient with the keyboard alone."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.services.patient_list import list_patients
from app.services.registration import load_patient_form
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import open_record
from ui.context import AppContext

Settle = Callable[[AppContext], None]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ContextFor = Callable[..., AppContext]


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_then_tab(qtbot: QtBot, text: str, tabs: int = 1) -> None:
    if text:
        qtbot.keyClicks(focused(), text)
    for _ in range(tabs):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)


def test_keyboard_registration_saves(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    window = open_record(qtbot, context, settle)
    form = window.form
    assert focused() is form.name.first_name

    type_then_tab(qtbot, "Ana", tabs=2)  # first name, then past the middle name
    type_then_tab(qtbot, "Lopez", tabs=3)  # last name, past suffix and preferred name
    assert focused() is form.name.previous_names.add_button
    type_then_tab(qtbot, "")
    type_then_tab(qtbot, "03/04/1981")
    assert form.personal.age.text().startswith("Age ")
    type_then_tab(qtbot, "F")
    assert focused() is form.personal.gender_identity
    type_then_tab(qtbot, "", tabs=3)  # gender identity, SSN, Show
    assert focused() is form.contact.address.line1
    type_then_tab(qtbot, "1200 Lake Shore Drive", tabs=2)
    assert focused() is form.contact.address.zip_code
    qtbot.keyClicks(focused(), "60201")
    assert form.contact.address.city.text() == "Evanston"
    qtbot.keyClick(
        focused(),
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert focused() is form.contact.phones.rows[0].number  # type: ignore[attr-defined]
    qtbot.keyClicks(focused(), "8475550143")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    settle(context)

    summary = [form.summary.list.item(i).text() for i in range(form.summary.list.count())]
    assert summary == []
    assert form.current.chart_number is not None
    assert form.current.chart_number in form.chart_label.text()
    with practice.database.transaction() as session:
        rows = list_patients(session, practice.admin, "Lopez", 10)
        assert [row.first_name for row in rows] == ["Ana"]
        saved = load_patient_form(session, practice.admin, rows[0].patient_id)
    assert saved.sex == "F"
    assert saved.city == "Evanston"
    assert saved.state == "IL"
    assert [phone.number for phone in saved.phones] == ["(847) 555-0143"]
