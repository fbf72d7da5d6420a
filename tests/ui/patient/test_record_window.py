"""The record window: Esc, shortcuts, ZIP suggestions, the SSN button and the alert banner."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.services.patient_forms import AlertEntry
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle, critical_alert, open_record, saved_patient
from ui.context import AppContext
from ui.patient.coverage import CoverageEditor
from ui.patient.fields import index_of
from ui.patient.form import DISCARD_QUESTION
from ui.patient.record import open_records

ContextFor = Callable[..., AppContext]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def message_boxes(text: str) -> list[QMessageBox]:
    return [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QMessageBox) and widget.isVisible() and text in widget.text()
    ]


def test_esc_with_changes_asks(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    window = open_record(qtbot, context, settle)
    qtbot.keyClicks(window.form.name.first_name, "Ana")

    qtbot.keyClick(window.form.name.first_name, Qt.Key.Key_Escape)

    boxes = message_boxes(DISCARD_QUESTION)
    assert len(boxes) == 1
    assert window.isVisible()
    discard = next(b for b in boxes[0].buttons() if b.text() == "Discard")
    discard.click()
    qtbot.waitUntil(lambda: window not in open_records())


def test_discard_question_defaults_cancel(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    window = open_record(qtbot, context, settle)
    qtbot.keyClicks(window.form.name.first_name, "Ana")
    qtbot.keyClick(window.form.name.first_name, Qt.Key.Key_Escape)
    boxes = message_boxes(DISCARD_QUESTION)
    assert len(boxes) == 1
    box = boxes[0]
    assert box.defaultButton() is not None
    assert box.defaultButton().text() == "Cancel"

    qtbot.keyClick(box, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.isVisible()
    assert window.form.name.first_name.text() == "Ana"


def test_esc_without_changes_closes(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    window = open_record(qtbot, context, settle)

    qtbot.keyClick(window.form.name.first_name, Qt.Key.Key_Escape)

    assert message_boxes(DISCARD_QUESTION) == []
    assert window not in open_records()


def test_ctrl_shift_p_adds_phone(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle).form

    qtbot.keyClick(form.name.last_name, Qt.Key.Key_P, CTRL_SHIFT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, CTRL_SHIFT)

    assert len(form.contact.phones.rows) == 2
    assert QApplication.focusWidget() is form.contact.phones.rows[1].number  # type: ignore[attr-defined]


def test_coverage_shortcut_opens_editor(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle).form

    qtbot.keyClick(form.name.first_name, Qt.Key.Key_I, CTRL_SHIFT)

    editor = form.coverages.editor
    assert isinstance(editor, CoverageEditor)
    assert editor.isVisible()
    assert index_of(editor.payer, practice.payer_id) > 0
    assert editor.priority.currentData() == 1
    editor.reject()


def test_zip_fills_empty_city(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    address = open_record(qtbot, context, settle).form.contact.address

    qtbot.keyClicks(address.zip_code, "78701")

    assert address.city.text() == "Austin"
    assert address.state_code() == "TX"
    assert not address.suggestion.isVisible()


def test_zip_offers_other_city(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    address = open_record(qtbot, context, settle).form.contact.address
    address.city.setText("Skokie")

    qtbot.keyClicks(address.zip_code, "60201")

    assert address.city.text() == "Skokie"
    assert address.suggestion.isVisible()
    assert "Evanston, IL" in address.suggestion.text()
    address.suggestion.click()
    assert address.city.text() == "Evanston"
    assert address.state_code() == "IL"


def test_ssn_shown_for_manager(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin, ssn="123-45-6789")
    context = context_for(practice.manager)
    personal = open_record(qtbot, context, settle, patient_id).form.personal
    assert personal.ssn.text() == ""
    assert personal.ssn.placeholderText() == "***-**-6789"

    personal.show_ssn.click()
    settle(context)

    assert personal.ssn.text() == "123-45-6789"
    assert personal.ssn.echoMode() == personal.ssn.EchoMode.Normal
    personal.show_ssn.click()
    assert personal.ssn.text() == ""


def test_ssn_refused_for_front_desk(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin, ssn="123-45-6789")
    context = context_for(practice.front_desk)
    personal = open_record(qtbot, context, settle, patient_id).form.personal

    personal.show_ssn.click()
    settle(context)

    assert personal.ssn.text() == ""
    assert personal.ssn.echoMode() == personal.ssn.EchoMode.Password
    assert len(message_boxes("does not allow")) == 1


def test_alert_banner_on_open(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    alerts = [AlertEntry("Collect balance before visit", "warning")]
    patient_id = saved_patient(practice.database, practice.admin, alerts=alerts)
    context = context_for(practice.front_desk)

    window = open_record(qtbot, context, settle, patient_id)

    assert window.banner.isVisible()
    assert "Collect balance before visit" in window.banner.text()
    assert message_boxes("Collect balance") == []


def test_critical_alert_pops_once(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    alerts = critical_alert("Latex allergy")
    patient_id = saved_patient(practice.database, practice.admin, alerts=alerts)
    context = context_for(practice.front_desk)

    window = open_record(qtbot, context, settle, patient_id)
    boxes = message_boxes("Latex allergy")
    assert len(boxes) == 1
    boxes[0].close()
    window.form.save()
    settle(context)

    assert "Latex allergy" in window.banner.text()
    assert message_boxes("Latex allergy") == []


def test_alt_letter_goes_to_section(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle).form

    qtbot.keyClick(form.name.first_name, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is form.contact.address.line1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is form.coverages.add_button
