"""A failed save keeps what was typed and shows every problem beside its field."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.patient_list import count_patients
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle, open_record
from ui.context import AppContext
from ui.patient.form import PatientFormWidget

ContextFor = Callable[..., AppContext]


def fill_with_mistakes(form: PatientFormWidget) -> None:
    """Type a patient with a bad birth date, phone, email and ZIP code."""
    form.name.first_name.setText("Ana")
    form.name.last_name.setText("Lopez")
    form.personal.date_of_birth.setText("02/30/1981")
    form.personal.sex.setCurrentIndex(form.personal.sex.findData("F"))
    form.contact.phones.add_row()
    form.contact.phones.rows[0].number.setText("555-0100")  # type: ignore[attr-defined]
    form.contact.email.setText("ana@")
    form.contact.address.zip_code.setText("6020")


def failed_save(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> PatientFormWidget:
    """Open a new patient, type it with mistakes and save."""
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle).form
    fill_with_mistakes(form)
    form.save()
    settle(context)
    return form


def test_failed_save_keeps_values(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)

    assert form.name.first_name.text() == "Ana"
    assert form.name.last_name.text() == "Lopez"
    assert form.personal.date_of_birth.text() == "02/30/1981"
    assert form.contact.phones.rows[0].number.text() == "555-0100"  # type: ignore[attr-defined]
    assert form.contact.email.text() == "ana@"
    assert form.contact.address.zip_code.text() == "6020"
    with practice.database.reading() as session:
        assert count_patients(session, practice.admin) == 0


def test_every_problem_beside_field(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)

    assert "02/30/1981" in form.board.message_for("date_of_birth")
    assert form.board.message_for("phones[0].number") != ""
    assert form.board.message_for("email") != ""
    assert "6020" in form.board.message_for("zip_code")
    assert form.personal.date_of_birth.property("invalid") is True
    assert form.contact.address.zip_code.property("invalid") is True
    assert form.summary.isVisible()
    assert form.summary.list.count() == 4
    assert form.board.message_for("first_name") == ""


def test_summary_heading_counts_last_save(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)

    heading = form.summary.heading.text()

    assert heading == "Found 4 problems when you last saved. Correct them and save again:"


def test_summary_entry_focuses_field(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)
    entries = [form.summary.list.item(row) for row in range(form.summary.list.count())]
    email_row = next(row for row, item in enumerate(entries) if "Email" in item.text())

    form.summary.list.setFocus()
    form.summary.list.setCurrentRow(email_row)
    qtbot.keyClick(form.summary.list, Qt.Key.Key_Return)

    assert QApplication.focusWidget() is form.contact.email
    assert not form.saving


def test_editing_field_clears_its_mark(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)

    qtbot.keyClicks(form.contact.email, "example.com")

    assert form.board.message_for("email") == ""
    assert form.contact.email.property("invalid") is False
    assert form.board.message_for("zip_code") != ""


def test_fixed_form_saves_after_failure(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    form = failed_save(qtbot, practice, context_for, settle)

    form.personal.date_of_birth.setText("03/04/1981")
    form.contact.phones.rows[0].number.setText("(847) 555-0100")  # type: ignore[attr-defined]
    form.contact.email.setText("ana@example.com")
    form.contact.address.zip_code.clear()
    qtbot.keyClicks(form.contact.address.zip_code, "60201")
    form.save()
    settle(form.context)

    assert form.summary.list.count() == 0
    assert form.current.chart_number is not None
    with practice.database.reading() as session:
        assert count_patients(session, practice.admin) == 1
