"""The form scrolls to whatever takes the focus, and the add-row keys focus a text box."""

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle, open_record
from ui.context import AppContext
from ui.patient.form import PatientFormWidget

ContextFor = Callable[..., AppContext]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def on_screen(form: PatientFormWidget, widget: QWidget) -> bool:
    """Return whether all of `widget` lies inside the form's visible scroll area."""
    viewport = form.scroll_area.viewport()
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return viewport.rect().contains(rect)


def short_form(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> PatientFormWidget:
    """Open a new patient in a window too short to show the whole form."""
    context = context_for(practice.front_desk)
    window = open_record(qtbot, context, settle)
    window.resize(1000, 420)
    qtbot.waitUntil(lambda: window.height() == 420)
    form = window.form
    qtbot.waitUntil(lambda: form.scroll_area.verticalScrollBar().maximum() > 0)
    form.scroll_area.verticalScrollBar().setValue(0)
    return form


def test_add_phone_key_focuses_number(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = short_form(qtbot, practice, context_for, settle)
    form.name.first_name.setFocus()

    qtbot.keyClick(form.name.first_name, Qt.Key.Key_P, CTRL_SHIFT)

    number = form.contact.phones.rows[0].number  # type: ignore[attr-defined]
    assert QApplication.focusWidget() is number
    qtbot.waitUntil(lambda: on_screen(form, number))


def test_add_alert_key_focuses_text(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = short_form(qtbot, practice, context_for, settle)
    form.name.first_name.setFocus()

    qtbot.keyClick(form.name.first_name, Qt.Key.Key_A, CTRL_SHIFT)

    message = form.alerts.alerts.rows[0].message  # type: ignore[attr-defined]
    assert QApplication.focusWidget() is message
    qtbot.waitUntil(lambda: on_screen(form, message))


def test_add_previous_name_focuses_first(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = short_form(qtbot, practice, context_for, settle)
    names = form.name.previous_names

    qtbot.mouseClick(names.add_button, Qt.MouseButton.LeftButton)

    first_name = names.rows[0].first_name  # type: ignore[attr-defined]
    assert QApplication.focusWidget() is first_name
    qtbot.waitUntil(lambda: on_screen(form, first_name))


def test_focus_far_down_scrolls(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = short_form(qtbot, practice, context_for, settle)
    recall = form.more.recall
    assert not on_screen(form, recall)

    recall.setFocus(Qt.FocusReason.TabFocusReason)

    qtbot.waitUntil(lambda: on_screen(form, recall))


def test_problem_in_row_scrolls(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = short_form(qtbot, practice, context_for, settle)
    form.name.first_name.setText("Ana")
    form.name.last_name.setText("Lopez")
    for _ in range(4):
        form.contact.phones.add_row()
    last_phone = form.contact.phones.rows[-1].number  # type: ignore[attr-defined]
    last_phone.setText("555-0100")
    form.save()
    settle(form.context)
    qtbot.waitUntil(lambda: form.summary.list.count() > 0)
    form.scroll_area.verticalScrollBar().setValue(0)
    entries = [form.summary.list.item(row) for row in range(form.summary.list.count())]
    phone_row = next(row for row, item in enumerate(entries) if "not a valid number" in item.text())
    assert not on_screen(form, last_phone)

    form.summary.list.setFocus()
    form.summary.list.setCurrentRow(phone_row)
    qtbot.keyClick(form.summary.list, Qt.Key.Key_Return)

    assert QApplication.focusWidget() is last_phone
    qtbot.waitUntil(lambda: on_screen(form, last_phone))
