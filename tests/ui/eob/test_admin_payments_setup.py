"""The Posting rules tab, the payer editor's kind and ERA posting mode, and CARC/RARC import."""

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import admin_records, posting_rules, remark_codes
from app.services.admin_records import PayerInput
from app.services.posting_rules import PostingRuleForm
from tests.ui.admin.conftest import add_user
from ui.admin.code_sets import CodeSetsTab
from ui.admin.payers import PayerDialog, PayersTab
from ui.admin.posting_rules import PostingRuleDialog, PostingRulesTab
from ui.admin.remark_codes import ImportRemarkCodesDialog
from ui.context import AppContext
from ui.widgets import find_data

Settle = Callable[[AppContext], None]


def add_payer(database: Database, admin: Actor, name: str = "Aetna") -> None:
    with database.transaction() as session:
        admin_records.save_payer(session, admin, None, PayerInput(name, "60054", "CI"))


def open_rules(qtbot: QtBot, context: AppContext, settle: Settle) -> PostingRulesTab:
    tab = PostingRulesTab(context)
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    settle(context)
    return tab


def closed(dialog: QWidget) -> bool:
    """Return True when a dialog closed (those with WA_DeleteOnClose are deleted then)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def answer(parent: PostingRulesTab, text: str) -> None:
    box = parent.findChild(QMessageBox)
    assert box is not None
    next(button for button in box.buttons() if button.text() == text).click()


# ---- posting rules ---------------------------------------------------------------------


def test_rules_tab_lists_built_in_table(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_rules(qtbot, admin_context, settle)

    assert tab.table.rowCount() == 0
    assert tab.empty.isVisibleTo(tab)
    assert "PR: Patient responsibility" in tab.built_in.column_texts(0)
    assert "Bill the next payer, else the patient" in tab.built_in.column_texts(2)


def test_rule_added_by_keyboard(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_payer(database, admin_actor)
    tab = open_rules(qtbot, admin_context, settle)

    dialog = tab.add_rule()
    assert isinstance(dialog, PostingRuleDialog)
    dialog.group.setCurrentIndex(find_data(dialog.group, "CO"))
    qtbot.keyClicks(dialog.reason, "97")
    built_in = dialog.built_in.text()
    dialog.action.setCurrentIndex(find_data(dialog.action, "write_off"))
    qtbot.keyClicks(dialog.note, "Contract pays bundled services as one")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    settle(admin_context)

    assert built_in.startswith("Without a rule, posting does: Write off and flag for a biller.")
    assert closed(dialog)
    assert tab.table.column_texts(0) == ["Any payer"]
    assert tab.table.column_texts(2) == ["97"]
    assert tab.table.column_texts(3) == ["Write off"]
    assert tab.table.column_texts(4) == ["Write off and flag for a biller"]


def test_rule_problem_shown_in_dialog(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_rules(qtbot, admin_context, settle)
    dialog = tab.add_rule()
    assert dialog is not None
    qtbot.keyClicks(dialog.reason, "4-5")

    dialog.accept()
    settle(admin_context)

    assert "Reason code 4-5 is not valid" in dialog.form.problem_text("reason_code")
    assert dialog.isVisible()


def test_rule_edited_and_deleted(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    with database.transaction() as session:
        posting_rules.save_rule(
            session, admin_actor, PostingRuleForm("OA", "*", "write_off", note="old")
        )
    tab = open_rules(qtbot, admin_context, settle)
    tab.table.selectRow(0)

    dialog = tab.edit_rule()
    assert dialog is not None
    dialog.action.setCurrentIndex(find_data(dialog.action, "review"))
    dialog.accept()
    settle(admin_context)
    assert tab.table.column_texts(3) == ["Hold for review"]

    tab.table.selectRow(0)
    tab.delete_button.click()
    answer(tab, "Delete")
    settle(admin_context)
    assert tab.table.rowCount() == 0


def test_rules_read_only_for_biller(
    qtbot: QtBot,
    database: Database,
    admin_actor: Actor,
    context_for: Callable[[Actor], AppContext],
    settle: Settle,
) -> None:
    with database.transaction() as session:
        posting_rules.save_rule(session, admin_actor, PostingRuleForm("CO", "45", "review"))
    biller = context_for(add_user(database, admin_actor, "biller1", Role.BILLER))
    tab = open_rules(qtbot, biller, settle)
    tab.table.selectRow(0)

    assert tab.table.rowCount() == 1
    assert not tab.add_button.isEnabled()
    assert not tab.edit_button.isEnabled()
    assert not tab.delete_button.isEnabled()
    assert tab.permission_note.isVisibleTo(tab)
    assert tab.edit_rule() is None


# ---- payer kind and ERA posting mode ----------------------------------------------------


def test_payer_kind_and_mode_saved(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_payer(database, admin_actor, "State Workers Comp Fund")
    tab = PayersTab(admin_context)
    qtbot.addWidget(tab)
    settle(admin_context)
    tab.table.selectRow(0)
    tab.edit_button.click()
    dialog = tab.findChild(PayerDialog)
    assert dialog is not None
    assert dialog.payer_kind.currentData() == "commercial"
    assert dialog.era_posting_mode.currentData() == "matched"

    dialog.payer_kind.setCurrentIndex(find_data(dialog.payer_kind, "workers_comp"))
    dialog.era_posting_mode.setCurrentIndex(find_data(dialog.era_posting_mode, "review"))
    dialog.accept()
    settle(admin_context)

    with database.reading() as session:
        (payer,) = admin_records.list_payers(session, admin_actor)
    assert payer.payer_kind == "workers_comp"
    assert payer.era_posting_mode == "review"
    assert tab.table.column_texts(len(PayersTab.headers) - 1) == ["Workers' compensation"]


def test_payer_unknown_mode_rejected(database: Database, admin_actor: Actor) -> None:
    problems = admin_records.payer_problems(
        PayerInput("Aetna", "60054", "CI", era_posting_mode="x")
    )

    assert [problem.field for problem in problems] == ["payer.era_posting_mode"]


# ---- CARC/RARC wording ------------------------------------------------------------------


def test_wording_imported_from_code_sets(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle, tmp_path: Path
) -> None:
    path = tmp_path / "rarc.csv"
    path.write_text("Code,Description\nN130,Sample remark wording\n", encoding="utf-8")
    tab = CodeSetsTab(admin_context)
    qtbot.addWidget(tab)
    settle(admin_context)
    tab.pages.setCurrentWidget(tab.remark_codes)
    assert tab.remark_codes.table.column_texts(1) == ["None imported", "None imported"]

    tab.remark_codes.table.selectRow(1)
    dialog = tab.remark_codes.open_import()
    assert isinstance(dialog, ImportRemarkCodesDialog)
    assert dialog.kind.currentData() == "rarc"
    import_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert import_button.text() == "&Import"
    qtbot.keyClicks(dialog.file.path, str(path))
    qtbot.keyClick(dialog.file.path, Qt.Key.Key_Return)
    settle(admin_context)

    assert closed(dialog)
    assert tab.remark_codes.table.column_texts(1) == ["None imported", "1"]
    with database.reading() as session:
        assert remark_codes.describe(session, "rarc", "N130") == "Sample remark wording"


def test_wording_import_shows_problem(
    qtbot: QtBot, admin_context: AppContext, settle: Settle, tmp_path: Path
) -> None:
    path = tmp_path / "carc.csv"
    path.write_text("45\n", encoding="utf-8")
    tab = CodeSetsTab(admin_context)
    qtbot.addWidget(tab)
    settle(admin_context)

    dialog = tab.remark_codes.open_import()
    qtbot.keyClicks(dialog.file.path, str(path))
    dialog.accept()
    settle(admin_context)

    assert dialog.isVisible()
    assert "code 45 has no description" in dialog.form.problem_text("file")
