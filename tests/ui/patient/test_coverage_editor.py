"""The coverage editor: checks with the service, keeps the card picture, saves with the form."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.patients import Coverage
from app.services.patient_forms import CoverageForm
from app.services.registration import list_documents, load_patient_form
from app.services.scheduling_settings import practice_now
from tests.ui.patient.conftest import Practice
from tests.ui.patient.helpers import Settle, open_record, saved_patient
from ui.context import AppContext
from ui.patient.coverage import CoverageEditor
from ui.patient.fields import index_of
from ui.patient.form import PatientFormWidget

ContextFor = Callable[..., AppContext]


def card_file(tmp_path: Path) -> Path:
    image = QImage(320, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#2a6fb0"))
    path = tmp_path / "card-front.png"
    assert image.save(str(path))
    return path


def open_editor(form: PatientFormWidget) -> CoverageEditor:
    editor = form.coverages.add_coverage()
    assert isinstance(editor, CoverageEditor)
    return editor


def test_missing_member_id_shown(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form
    editor = open_editor(form)
    editor.subscriber.person_choice.setChecked(True)

    editor.accept()
    settle(context)

    assert editor.isVisible()
    assert editor.board.message_for("coverages[0].payer_id") != ""
    assert editor.board.message_for("coverages[0].member_id") != ""
    assert editor.board.message_for("coverages[0].subscriber.person.date_of_birth") != ""
    assert form.coverages.values() == []
    editor.dirty = False
    editor.reject()


def test_editor_opens_on_payer(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle).form

    editor = open_editor(form)

    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.payer)
    editor.reject()


def test_person_subscriber_not_self(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    editor = open_editor(open_record(qtbot, context, settle).form)
    assert editor.relationship.currentData() == "18"
    assert not editor.relationship.isEnabled()

    editor.subscriber.person_choice.setChecked(True)

    assert editor.relationship.isEnabled()
    assert editor.relationship.currentData() is None
    editor.dirty = False
    editor.reject()


def test_coverage_with_card_saves(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle, tmp_path: Path
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form
    editor = open_editor(form)
    editor.payer.setCurrentIndex(index_of(editor.payer, practice.payer_id))
    editor.member_id.setText("W123456789")
    editor.plan_type.setCurrentIndex(index_of(editor.plan_type, "12"))
    editor.effective_date.setText("01/01/2026")
    editor.copays["copay_office"].setText("25")
    editor.card_front.attach_file(card_file(tmp_path))
    assert not editor.card_front.thumbnail.pixmap().isNull()

    editor.accept()
    settle(context)
    assert form.coverages.editor is None
    assert "W123456789" in form.coverages.list.item(0).text()
    form.save()
    settle(context)

    assert form.summary.list.count() == 0
    with practice.database.transaction() as session:
        saved = load_patient_form(session, practice.admin, patient_id)
        documents = list_documents(session, practice.admin, patient_id)
    assert [coverage.member_id for coverage in saved.coverages] == ["W123456789"]
    assert saved.coverages[0].plan_type == "12"
    assert str(saved.coverages[0].copay_office) == "25.00"
    assert [document.kind for document in documents] == ["card_front"]
    assert documents[0].coverage_id == saved.coverages[0].id


def test_stored_card_shown_on_edit(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle, tmp_path: Path
) -> None:
    patient_id = saved_patient(practice.database, practice.admin)
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form
    editor = open_editor(form)
    editor.payer.setCurrentIndex(index_of(editor.payer, practice.payer_id))
    editor.member_id.setText("W123456789")
    editor.card_front.attach_file(card_file(tmp_path))
    editor.accept()
    settle(context)
    form.save()
    settle(context)

    again = form.coverages.edit_current()
    settle(context)

    assert again is not None
    assert again.card_front.image is None
    assert again.card_front.stored is not None
    assert not again.card_front.thumbnail.pixmap().isNull()
    again.reject()


def test_mark_eligibility_checked_today(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    coverage = CoverageForm(payer_id=practice.payer_id, member_id="W123456789")
    patient_id = saved_patient(practice.database, practice.admin, coverages=[coverage])
    context = context_for(practice.front_desk)
    form = open_record(qtbot, context, settle, patient_id).form
    editor = form.coverages.edit_current()
    assert editor is not None
    settle(context)
    assert editor.eligibility.text() == "Eligibility never checked"
    assert editor.mark_checked.isEnabled()

    editor.mark_checked.click()
    settle(context)

    with practice.database.reading() as session:
        stored = session.scalars(select(Coverage).where(Coverage.patient_id == patient_id)).one()
        today = practice_now(session).date()
        assert stored.eligibility_checked_on == today
        assert stored.eligibility_checked_by == practice.front_desk.user_id
    expected = f"Eligibility last checked {today:%m/%d/%Y} by frontdesk1"
    assert editor.eligibility.text() == expected
    editor.reject()


def test_new_coverage_cannot_mark_checked(
    qtbot: QtBot, practice: Practice, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(practice.front_desk)
    editor = open_editor(open_record(qtbot, context, settle).form)
    settle(context)

    assert not editor.mark_checked.isEnabled()
    assert editor.eligibility.text().startswith("Save the patient first")
    editor.reject()
