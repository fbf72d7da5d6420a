"""The duplicate check dialog, the Duplicates page, merging and undo, with real widgets."""

import uuid
from datetime import date

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models import Patient, PatientMerge, User
from app.services.duplicates import DuplicateMatch
from app.services.merge import merge_patients
from app.services.patient_forms import PatientForm
from tests.helpers.duplicate_records import add_patient
from tests.ui.conftest import settle, sign_in_as
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.pages.duplicates import DuplicatesPage, history_cells
from ui.patient.duplicates_dialog import (
    DuplicateAction,
    DuplicateCheckDialog,
    make_duplicate_check,
)
from ui.patient.merge_dialog import UNDONE_TEXT, MergeDialog


def _match(name: str) -> DuplicateMatch:
    return DuplicateMatch(
        uuid.uuid4(), name, date(1981, 3, 4), "TST-000001", "(312) 555-0101", 80,
        ["same date of birth"],
    )  # fmt: skip


def _context(database: Database, ops: OperationRunner, workstation: str, user: str) -> AppContext:
    actor = sign_in_as(database, user, workstation)
    return AppContext(database, ops, SignedInUser(actor), workstation)


def test_dialog_enter_opens_selected(qtbot: QtBot) -> None:
    matches = [_match("Smith, Robert"), _match("Smyth, Bob")]
    dialog = DuplicateCheckDialog(matches)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)

    assert dialog.choice.action is DuplicateAction.OPEN_EXISTING
    assert dialog.choice.patient_id == matches[1].patient_id
    assert "same date of birth" in dialog.list.item(0).text()


def test_dialog_escape_goes_back(qtbot: QtBot) -> None:
    dialog = DuplicateCheckDialog([_match("Smith, Robert")])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    assert dialog.choice.action is DuplicateAction.GO_BACK
    assert dialog.result() == 0


def test_dialog_save_new_dismisses_all(qtbot: QtBot) -> None:
    matches = [_match("Smith, Robert"), _match("Smyth, Bob")]
    dialog = DuplicateCheckDialog(matches)
    qtbot.addWidget(dialog)

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.choice.action is DuplicateAction.SAVE_NEW
    assert dialog.choice.dismissed_ids == [match.patient_id for match in matches]


def _twin_of_first_patient(database: Database) -> tuple[uuid.UUID, uuid.UUID, Patient]:
    """Add a second record of the demo's first patient and return both ids and the original."""
    with database.transaction() as session:
        original = session.scalars(select(Patient).order_by(Patient.chart_number)).first()
        assert original is not None
        session.expunge(original)
        twin = add_patient(
            session, original.first_name, original.last_name, original.date_of_birth,
            phone=original.phone,
        )  # fmt: skip
    return original.id, twin, original


def test_check_hook_shows_matches(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    original_id, _twin, original = _twin_of_first_patient(demo_database)
    context = _context(demo_database, ops, workstation, "frontdesk")
    check = make_duplicate_check(context, None)
    form = PatientForm(
        first_name=original.first_name,
        last_name=original.last_name,
        date_of_birth=original.date_of_birth,
        sex=original.sex,
    )
    seen: list[list[str]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, DuplicateCheckDialog)
        seen.append([str(match.patient_id) for match in dialog.matches])
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)

    QTimer.singleShot(200, answer)
    choice = check(form)

    assert choice.action is DuplicateAction.OPEN_EXISTING
    assert str(original_id) in seen[0]
    assert len(seen[0]) == 2


def test_front_desk_cannot_merge(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    _twin_of_first_patient(demo_database)
    page = DuplicatesPage(_context(demo_database, ops, workstation, "frontdesk"))
    qtbot.addWidget(page)
    page.show()

    page.run_report()
    qtbot.waitUntil(lambda: bool(page.pairs), timeout=15_000)
    page.table.selectRow(0)

    assert not page.merge_button.isEnabled()
    assert page.different_button.isEnabled()
    assert "may be the same person" in page.summary.text()


def test_different_people_hides_pair(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    _original, twin, _ = _twin_of_first_patient(demo_database)
    page = DuplicatesPage(_context(demo_database, ops, workstation, "frontdesk"))
    qtbot.addWidget(page)
    page.run_report()
    qtbot.waitUntil(lambda: bool(page.pairs), timeout=15_000)
    count = len(page.pairs)
    row = next(
        i for i, p in enumerate(page.pairs) if twin in (p.first.patient_id, p.second.patient_id)
    )
    page.table.selectRow(row)

    page.mark_different()
    qtbot.waitUntil(lambda: len(page.pairs) == count - 1, timeout=15_000)
    page.run_report()
    settle(qtbot, ops)

    assert all(twin not in (p.first.patient_id, p.second.patient_id) for p in page.pairs)


@pytest.mark.parametrize("use_other_name", [False, True])
def test_merge_dialog_merges_and_undoes(
    qtbot: QtBot,
    demo_database: Database,
    ops: OperationRunner,
    workstation: str,
    use_other_name: bool,
) -> None:
    original_id, twin, original = _twin_of_first_patient(demo_database)
    with demo_database.transaction() as session:
        record = session.get(Patient, twin)
        assert record is not None
        record.first_name = "Zebulon"
    context = _context(demo_database, ops, workstation, "manager")
    dialog = MergeDialog(context, original_id, twin)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=15_000)
    assert "first_name" in dialog.choices
    dialog.choices["first_name"].setChecked(use_other_name)

    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.done_message is not None, timeout=15_000)
    message = dialog.done_message
    assert isinstance(message, QMessageBox)
    qtbot.addWidget(message)
    undo = next(b for b in message.buttons() if b.text() == "&Undo merge")

    with demo_database.transaction() as session:
        merged = session.get(Patient, twin)
        kept = session.get(Patient, original_id)
        assert merged is not None and kept is not None
        assert merged.merged_into_id == original_id
        assert kept.first_name == ("Zebulon" if use_other_name else original.first_name)

    with qtbot.waitSignal(dialog.undone, timeout=15_000):
        undo.click()
    settle(qtbot, ops)
    with demo_database.transaction() as session:
        merge = session.scalars(select(PatientMerge)).one()
        restored = session.get(Patient, twin)
        assert merge.undone_at is not None
        assert restored is not None and not restored.archived


def test_page_history_undo(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    from app.services.merge import merge_patients

    original_id, twin, _ = _twin_of_first_patient(demo_database)
    context = _context(demo_database, ops, workstation, "manager")
    with demo_database.transaction() as session:
        merge_patients(session, context.actor, original_id, twin, {})
    page = DuplicatesPage(context)
    qtbot.addWidget(page)

    page.refresh()
    qtbot.waitUntil(lambda: bool(page.history), timeout=15_000)
    page.history_table.selectRow(0)
    assert page.undo_button.isEnabled()
    page.undo_selected()
    settle(qtbot, ops)

    with demo_database.transaction() as session:
        assert session.scalars(select(PatientMerge)).one().undone_at is not None
    qtbot.waitUntil(lambda: page.summary.text() == UNDONE_TEXT, timeout=15_000)


def test_history_shows_charts_and_user(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    original_id, twin, _ = _twin_of_first_patient(demo_database)
    context = _context(demo_database, ops, workstation, "manager")
    with demo_database.transaction() as session:
        merge_patients(session, context.actor, original_id, twin, {})
        kept = session.get(Patient, original_id)
        merged = session.get(Patient, twin)
        user = session.get(User, context.actor.user_id)
        assert kept is not None
        assert merged is not None
        assert user is not None
        charts = (kept.chart_number, merged.chart_number)
        user_name = user.display_name
    assert user_name != "manager"
    page = DuplicatesPage(context)
    qtbot.addWidget(page)

    page.refresh()
    qtbot.waitUntil(lambda: bool(page.history), timeout=15_000)

    cells = history_cells(page.history[0])
    assert f"({charts[0]})" in cells[1]
    assert f"({charts[1]})" in cells[2]
    assert cells[3] == user_name


def test_merge_table_shows_labels(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, workstation: str
) -> None:
    original_id, twin, _ = _twin_of_first_patient(demo_database)
    context = _context(demo_database, ops, workstation, "manager")
    dialog = MergeDialog(context, original_id, twin)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=15_000)
    table = dialog.table
    shown = {
        table.item(row, 0).text(): table.item(row, 1).text() for row in range(table.rowCount())
    }

    assert shown["Sex"] in {"Female", "Male", "Unknown"}
    assert shown["Address"].count(",") >= 2
    assert not shown["Address"].endswith(tuple(f", {digit}" for digit in "0123456789"))


@pytest.mark.parametrize(
    ("count", "intro"),
    [(1, "1 existing record may be this patient."), (2, "2 existing records may be this patient.")],
)
def test_dialog_intro_plural(qtbot: QtBot, count: int, intro: str) -> None:
    dialog = DuplicateCheckDialog([_match(f"Smith, Robert {n}") for n in range(count)])
    qtbot.addWidget(dialog)

    texts = [label.text() for label in dialog.findChildren(QLabel)]

    assert any(text.startswith(intro) for text in texts)
