"""The encounter editor: keyboard charge entry, problems, fees, posting and corrections."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.charges import Encounter
from app.models.ledger import LedgerEntry
from app.security.permissions import Actor
from app.services import encounters
from app.services.encounter_forms import LineForm
from tests.ui.charges.conftest import (
    ChargePractice,
    drain,
    focused,
    press,
    type_text,
    wait_for_focus,
)
from ui.charges import windows
from ui.charges.editor import EncounterEditor
from ui.charges.page import ChargesPage, open_encounter_for_appointment
from ui.charges.posted import COLUMNS, CorrectLineDialog, ReasonDialog
from ui.context import AppContext

ContextFor = Callable[[Actor], AppContext]
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
STATUS = COLUMNS.index("Status")


def open_draft(qtbot: QtBot, context: AppContext, practice: ChargePractice) -> EncounterEditor:
    open_encounter_for_appointment(context, practice.appointment_id, None)
    drain(qtbot, context)
    editors = windows.open_editors()
    assert len(editors) == 1
    editor = editors[0]
    qtbot.waitExposed(editor)
    editor.activateWindow()
    # The editor puts the cursor in its first field once its window is active.
    qtbot.waitUntil(lambda: editor.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    return editor


def draft_id(practice: ChargePractice) -> uuid.UUID:
    with practice.database.transaction() as session:
        return encounters.encounter_for_appointment(
            session, practice.biller, practice.appointment_id
        )


def posted_encounter(practice: ChargePractice) -> uuid.UUID:
    """Post the visit's encounter with 99213 ($120) and 99214 ($175) for diagnosis E11.9."""
    encounter_id = draft_id(practice)
    with practice.database.transaction() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
        form.diagnoses = ["E119"]
        form.lines = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")]
        outcome = encounters.save_encounter(session, practice.biller, form)
        outcome.raise_if_rejected()
        encounters.post_encounter(session, practice.biller, encounter_id)
    return encounter_id


def open_posted(qtbot: QtBot, context: AppContext, practice: ChargePractice) -> EncounterEditor:
    """Post the visit's encounter, open it and select its first line."""
    encounter_id = posted_encounter(practice)
    editor = windows.open_encounter(context, encounter_id)
    drain(qtbot, context)
    qtbot.waitExposed(editor)
    editor.posted.table.selectRow(0)
    return editor


def charge_rows(practice: ChargePractice) -> list[tuple[str, Decimal, bool]]:
    """Return the ledger rows as (entry type, amount, is a reversal), oldest first."""
    with practice.database.transaction() as session:
        rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.posted_at)).all()
        return [(row.entry_type, row.amount, row.reverses_id is not None) for row in rows]


def pick_diagnosis(qtbot: QtBot, text: str) -> None:
    """Type a full code in the focused ICD-10-CM picker and pick it with Enter."""
    type_text(qtbot, text)
    press(qtbot, Qt.Key.Key_Return)


def type_code(qtbot: QtBot, context: AppContext, code: str) -> None:
    """Type a procedure code in the focused code box, leave it with Tab and wait for its price."""
    type_text(qtbot, code)
    press(qtbot, Qt.Key.Key_Tab)
    drain(qtbot, context)


def summary_texts(editor: EncounterEditor) -> list[str]:
    summary = editor.summary.list
    return [summary.item(row).text() for row in range(summary.count())]


def test_keyboard_flow_posts_charges(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = ChargesPage(context)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    drain(qtbot, context)
    page.table.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)
    editor = windows.open_editors()[0]
    qtbot.waitExposed(editor)
    editor.activateWindow()
    assert focused() is editor.diagnoses.picker

    pick_diagnosis(qtbot, "E11.9")
    assert editor.diagnoses.codes() == ["E119"]
    assert editor.total_label.text() == "1 line · total $120.00"  # the visit type's 99213
    press(qtbot, Qt.Key.Key_Insert)
    row = editor.grid.rows[-1]
    assert focused() is row.code
    type_code(qtbot, context, "97110")
    assert focused() is row.modifiers[0]
    type_text(qtbot, "GP")
    assert row.fee_box.text() == "40.00"
    assert row.units.value() == 2
    assert editor.total_label.text() == "2 lines · total $200.00"
    press(qtbot, Qt.Key.Key_Return, CTRL)
    drain(qtbot, context)
    box = editor.confirm_box
    assert box is not None
    assert "Post 2 lines totaling $200.00" in box.text()
    assert "Aetna's allowed amounts do not list every code" in box.text()  # 97110 has none
    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert editor.status == "posted"
    assert charge_rows(charge_practice) == [
        ("charge", Decimal("120.00"), False),
        ("charge", Decimal("80.00"), False),
    ]
    with charge_practice.database.transaction() as session:
        sources = session.scalars(select(LedgerEntry.source_type)).all()
        stored = session.get(Encounter, editor.encounter_id)
        assert stored is not None
        assert stored.status == "posted"
    assert set(sources) == {"charge_line"}
    assert editor.posted.isVisibleTo(editor)
    assert not editor.grid.isVisibleTo(editor)


def test_problems_beside_cell_and_summary(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.diagnoses.add_code("E119")
    editor.diagnoses.add_code("E11")  # a category, not billable
    editor.grid.rows[0].pointers.setFocus()
    editor.grid.rows[0].pointers.selectAll()
    type_text(qtbot, "3")
    press(qtbot, Qt.Key.Key_Insert)
    type_code(qtbot, context, "97110")  # Aetna wants GP or GO on it

    press(qtbot, Qt.Key.Key_Return, CTRL)
    drain(qtbot, context)

    # Saving before the check reloads the draft, which rebuilds the rows.
    row = editor.grid.rows[0]
    pointer_message = editor.board.message_for("lines[0].pointers")
    assert pointer_message
    assert row.problem.isVisibleTo(editor)
    assert pointer_message in row.problem.text()
    assert bool(row.pointers.property("invalid"))
    assert pointer_message in summary_texts(editor)
    diagnosis_message = editor.board.message_for("diagnoses[1]")
    assert "E11" in diagnosis_message
    modifier_message = editor.board.message_for("lines[1].modifiers")
    assert "GP" in modifier_message
    assert modifier_message in editor.grid.rows[1].problem.text()
    assert editor.confirm_box is None
    assert focused() is editor.summary.list

    pointer_row = summary_texts(editor).index(pointer_message)
    editor.summary.list.setCurrentRow(pointer_row)
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is row.pointers

    editor.summary.list.setFocus()
    editor.summary.list.setCurrentRow(summary_texts(editor).index(diagnosis_message))
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is editor.diagnoses.list
    assert editor.diagnoses.list.currentRow() == 1


def test_pointers_follow_diagnosis_moves(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    editor = open_draft(qtbot, context_for(charge_practice.biller), charge_practice)
    for code in ("E11.9", "Z79.4", "I10"):
        editor.diagnoses.picker.setFocus()
        pick_diagnosis(qtbot, code)
    row = editor.grid.rows[0]
    row.pointers.setText("1 3")

    editor.diagnoses.select_index(2)
    editor.diagnoses.move_selected(-1)  # I10 becomes 2, Z79.4 becomes 3
    moved = row.pointers.text()
    editor.diagnoses.select_index(0)
    editor.diagnoses.remove_selected()  # E11.9 goes; I10 becomes 1

    assert editor.diagnoses.codes() == ["I10", "Z794"]
    assert moved == "1 2"
    assert row.pointers.text() == "1"


def test_fee_read_only_for_biller(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    row = editor.grid.rows[0]

    assert row.fee_box.isReadOnly()
    row.fee_box.setFocus()
    type_text(qtbot, "1")
    assert row.fee_box.text() == "120.00"
    row.units.setFocus()
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is row.pointers


def test_fee_typed_by_manager(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.manager)
    editor = open_draft(qtbot, context, charge_practice)
    row = editor.grid.rows[0]
    row.units.setFocus()
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is row.fee_box
    assert not row.fee_box.isReadOnly()

    row.fee_box.selectAll()
    type_text(qtbot, "99.50")

    assert row.value().unit_fee == Decimal("99.50")
    assert row.total.text() == "$99.50"


def test_reverse_line_strikes_through(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_posted(qtbot, context, charge_practice)
    assert editor.status == "posted"
    assert not editor.header.service_date.isEnabled()

    editor.posted.reverse.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    dialog = editor.posted_actions.reason_dialog
    assert isinstance(dialog, ReasonDialog)
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    wait_for_focus(qtbot, dialog.reason)
    type_text(qtbot, "Billed in error")
    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert charge_rows(charge_practice)[-1] == ("reversal", Decimal("-120.00"), True)
    reversed_index = editor.posted.model.index(0, 1)
    assert editor.posted.model.rows[0].reversed
    assert reversed_index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert editor.posted.model.index(0, STATUS).data() == "Reversed"
    editor.posted.table.selectRow(0)
    assert not editor.posted.reverse.isEnabled()


def test_correct_line_posts_replacement(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_posted(qtbot, context, charge_practice)

    editor.posted.correct.click()
    dialog = editor.posted_actions.correct_dialog
    assert isinstance(dialog, CorrectLineDialog)
    wait_for_focus(qtbot, dialog.row.code)
    dialog.row.code.selectAll()
    type_code(qtbot, context, "99214")
    assert dialog.row.fee_box.text() == "175.00"
    dialog.reason.setFocus()
    wait_for_focus(qtbot, dialog.reason)
    type_text(qtbot, "Level 4 documented")
    press(qtbot, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert charge_rows(charge_practice)[2:] == [
        ("reversal", Decimal("-120.00"), True),
        ("charge", Decimal("175.00"), False),
    ]
    statuses = [editor.posted.model.index(row, STATUS).data() for row in range(3)]
    assert statuses == ["Reversed", "Posted", "Posted, replaces line 1"]
    assert editor.total_label.text() == "2 lines · total $350.00"


def test_stale_save_keeps_other_save(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    encounter_id = editor.encounter_id
    assert encounter_id is not None
    qtbot.wait(20)
    with charge_practice.database.transaction() as session:
        form = encounters.load_encounter(session, charge_practice.manager, encounter_id)
        form.note = "Saved elsewhere"
        encounters.save_encounter(session, charge_practice.manager, form).raise_if_rejected()

    editor.header.note.setFocus()
    type_text(qtbot, "Mine")
    press(qtbot, Qt.Key.Key_S, CTRL)
    drain(qtbot, context)

    assert any("Someone else saved" in text for text in summary_texts(editor))
    assert editor.dirty
    with charge_practice.database.transaction() as session:
        stored = encounters.load_encounter(session, charge_practice.manager, encounter_id)
    assert stored.note == "Saved elsewhere"


def test_escape_asks_before_discarding(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.header.note.setFocus()
    type_text(qtbot, "Unsaved")

    press(qtbot, Qt.Key.Key_Escape)

    assert editor.discard_box.isVisible()
    editor.discard_box.reject()
    assert editor.isVisible()


def test_escape_closes_unchanged(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.header.note.setFocus()

    press(qtbot, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: windows.open_editors() == [], timeout=2000)


def test_alt_arrows_reorder_diagnoses(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.diagnoses.add_code("E119")
    editor.diagnoses.add_code("I10")
    editor.diagnoses.list.setFocus()
    editor.diagnoses.list.setCurrentRow(1)

    press(qtbot, Qt.Key.Key_Up, ALT)
    assert editor.diagnoses.codes() == ["I10", "E119"]
    assert editor.diagnoses.list.item(0).text().startswith("1. I10")
    press(qtbot, Qt.Key.Key_Down, ALT)
    assert editor.diagnoses.codes() == ["E119", "I10"]
    press(qtbot, Qt.Key.Key_Delete)
    assert editor.diagnoses.codes() == ["E119"]
    assert editor.dirty


def test_duplicate_and_remove_lines(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.grid.rows[0].units.setFocus()

    press(qtbot, Qt.Key.Key_D, CTRL)
    assert [line.procedure_code for line in editor.grid.values()] == ["99213", "99213"]
    assert [line.id is None for line in editor.grid.values()] == [False, True]
    assert focused() is editor.grid.rows[1].code
    assert editor.grid.rows[1].fee_box.text() == "120.00"
    assert editor.total_label.text() == "2 lines · total $240.00"

    press(qtbot, Qt.Key.Key_Delete, CTRL)
    assert len(editor.grid.rows) == 1
    assert editor.total_label.text() == "1 line · total $120.00"


def test_favorite_key_adds_line(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    provider_id = charge_practice.scheduling.provider_ids[0]
    with charge_practice.database.transaction() as session:
        encounters.set_favorite_codes(
            session, charge_practice.biller, provider_id, ["99214", "97110"]
        )
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    assert "Alt+1 99214" in editor.favorites.strip.text()

    press(qtbot, Qt.Key.Key_2, ALT)
    drain(qtbot, context)

    assert [line.procedure_code for line in editor.grid.values()] == ["99213", "97110"]
    assert editor.grid.rows[1].fee_box.text() == "40.00"


def test_ndc_fields_for_drug_code(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    press(qtbot, Qt.Key.Key_Insert)
    row = editor.grid.rows[-1]
    assert not row.ndc_row.isVisibleTo(row)

    type_code(qtbot, context, "J1100")

    assert row.ndc_row.isVisibleTo(row)
    assert row.ndc_code in editor.focus_chain()


def test_copy_previous_visit_lines(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    posted_encounter(charge_practice)
    context = context_for(charge_practice.biller)
    later = charge_practice.service_date + timedelta(days=7)
    editor = windows.open_new_encounter(context, charge_practice.patient_id, later)
    drain(qtbot, context)
    qtbot.waitExposed(editor)
    editor.activateWindow()
    wait_for_focus(qtbot, editor.diagnoses.picker)
    before = [line.procedure_code for line in editor.grid.values()]

    press(qtbot, Qt.Key.Key_Y, ALT)
    # A mnemonic clicks its button after a short animation, then the copy runs.
    qtbot.waitUntil(lambda: len(editor.grid.rows) == len(before) + 2, timeout=3000)
    drain(qtbot, context)

    codes = [line.procedure_code for line in editor.grid.values()]
    assert codes == [*before, "99213", "99214"]
    assert [row.fee_box.text() for row in editor.grid.rows[-2:]] == ["120.00", "175.00"]
    assert all(line.id is None for line in editor.grid.values())
    assert "Copied 2 lines" in editor.state_label.text()


def test_save_codes_as_favorites(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    press(qtbot, Qt.Key.Key_Insert)
    type_code(qtbot, context, "97110")

    editor.favorites.save_requested.emit()
    drain(qtbot, context)

    provider_id = charge_practice.scheduling.provider_ids[0]
    with charge_practice.database.transaction() as session:
        saved = encounters.favorite_codes(session, charge_practice.biller, provider_id)
    assert [code.code for code in saved] == ["99213", "97110"]
    assert "Alt+2 97110" in editor.favorites.strip.text()


def test_mnemonics_reach_fields(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)

    press(qtbot, Qt.Key.Key_D, ALT)
    assert focused() is editor.header.service_date
    press(qtbot, Qt.Key.Key_L, ALT)
    assert focused() is editor.grid.rows[0].code
    press(qtbot, Qt.Key.Key_G, ALT)
    assert focused() is editor.diagnoses.picker


def test_posting_refreshes_queue(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    page = ChargesPage(context)
    qtbot.addWidget(page)
    context.ops.changed.connect(page.handle_changes)
    page.refresh()
    drain(qtbot, context)
    assert len(page.model.rows) == 1
    editor = open_draft(qtbot, context, charge_practice)
    editor.diagnoses.add_code("E119")

    editor.post()
    drain(qtbot, context)
    box = editor.confirm_box
    assert box is not None
    box.defaultButton().click()
    drain(qtbot, context)

    assert editor.status == "posted"
    assert page.model.rows == []
    page.set_status_filter("posted")
    drain(qtbot, context)
    assert [row.status for row in page.model.rows] == ["posted"]


def test_lock_hides_editors(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)

    windows.hide_editors()
    assert not editor.isVisible()
    windows.show_hidden_editors(context)
    assert editor.isVisible()

    windows.hide_editors()
    context.user.set_actor(charge_practice.manager)
    qtbot.waitUntil(lambda: windows.open_editors() == [], timeout=2000)


def test_walkout_prints_saved_encounter(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    assert editor.walkout_button.isEnabled()
    opened: list[Path] = []

    editor.print_walkout(tmp_path / "walkout.pdf", opened.append)
    drain(qtbot, context)

    assert opened == [tmp_path / "walkout.pdf"]
    assert opened[0].read_bytes().startswith(b"%PDF")


def test_save_keeps_cursor_place(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    context = context_for(charge_practice.biller)
    editor = open_draft(qtbot, context, charge_practice)
    editor.diagnoses.add_code("E119")
    editor.grid.rows[0].note.setFocus()
    type_text(qtbot, "Reviewed")

    press(qtbot, Qt.Key.Key_S, CTRL)
    drain(qtbot, context)

    assert not editor.dirty
    assert editor.state_label.text() == "Draft saved."
    assert focused() is editor.grid.rows[0].note
    assert editor.grid.rows[0].note.text() == "Reviewed"


def test_front_desk_reads_only(
    qtbot: QtBot, charge_practice: ChargePractice, context_for: ContextFor
) -> None:
    encounter_id = draft_id(charge_practice)
    context = context_for(charge_practice.charges.front_desk)
    editor = windows.open_encounter(context, encounter_id)
    drain(qtbot, context)

    assert editor.status == "draft"
    assert not editor.header.service_date.isEnabled()
    assert not editor.grid.isEnabled()
    assert not editor.save_button.isEnabled()
    assert not editor.post_button.isEnabled()
    assert "read-only" in editor.state_label.text()
    editor.save()
    assert not editor.busy
