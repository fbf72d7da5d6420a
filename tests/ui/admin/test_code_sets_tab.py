"""The Code sets tab: editions and their import, modifiers, modifier rules, places of service."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import admin_records, modifiers
from app.services.admin_records import PayerInput
from tests.helpers.icd10_data import SAMPLE_ORDER_FILE, order_line, write_order_file
from tests.ui.admin.conftest import add_user
from ui.admin.code_sets import (
    CodeSetsTab,
    ImportEditionDialog,
    ModifierDialog,
    ModifierRuleDialog,
)
from ui.context import AppContext

Settle = Callable[[AppContext], None]
TODAY = date(2026, 12, 5)


@pytest.fixture
def manager_context(
    database: Database, admin_actor: Actor, context_for: Callable[[Actor], AppContext]
) -> AppContext:
    """A practice manager (who may edit code sets but not the practice set-up)."""
    with database.transaction() as session:
        admin_records.save_payer(session, admin_actor, None, PayerInput("Aetna", "60054", "CI"))
    return context_for(add_user(database, admin_actor, "mgr", Role.MANAGER))


def open_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> CodeSetsTab:
    tab = CodeSetsTab(context, today=TODAY)
    qtbot.addWidget(tab)
    tab.resize(900, 600)
    tab.show()
    settle(context)
    return tab


def child(parent: QWidget, kind: type) -> object:
    found = parent.findChild(kind)
    assert found is not None, kind.__name__
    return found


def answer(parent: QWidget, text: str) -> None:
    box = parent.findChild(QMessageBox)
    assert box is not None
    next(button for button in box.buttons() if button.text() == text).click()


# ---- editions ----------------------------------------------------------------------------


def test_pages_in_order(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)

    titles = [tab.pages.tabText(index).replace("&", "") for index in range(tab.pages.count())]

    assert titles == [
        "ICD-10-CM editions",
        "Modifiers",
        "Modifier rules",
        "Places of service",
        "CARC/RARC wording",
    ]


def test_alt_keys_open_pages(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    with qtbot.waitActive(tab):
        tab.activateWindow()
    tab.editions.table.setFocus()

    qtbot.keyClick(tab.editions.table, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    assert tab.pages.currentWidget() is tab.rules
    qtbot.keyClick(tab.rules.table, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert tab.pages.currentWidget() is tab.places


def test_bundled_edition_listed(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    table = tab.editions.table

    assert table.column_texts(0) == ["FY2026 (bundled)"]
    assert table.column_texts(1) == ["2025-10-01"]
    assert table.column_texts(2) == ["2026-09-30"]


def test_import_dialog_defaults(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)

    dialog = tab.editions.open_import()

    assert dialog.name.text() == "FY2027"
    assert dialog.valid_from.date() == QDate(2026, 10, 1)
    assert dialog.valid_to.date() == QDate(2027, 9, 30)


def test_import_lists_edition(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    dialog = tab.editions.open_import()
    qtbot.keyClicks(dialog.file.path, str(SAMPLE_ORDER_FILE))

    qtbot.keyClick(dialog.file.path, Qt.Key.Key_Return)
    settle(manager_context)

    assert not shiboken6.isValid(dialog)
    assert tab.editions.table.column_texts(0) == ["FY2027", "FY2026 (bundled)"]
    assert tab.editions.table.column_texts(3)[0] == "11"
    assert tab.editions.table.column_texts(4)[0].startswith("icd10cm_order_sample.txt sha256:")


def test_import_problem_beside_file(
    qtbot: QtBot, manager_context: AppContext, settle: Settle, tmp_path: Path
) -> None:
    path = write_order_file(
        tmp_path, [order_line(1, "E11", False, "Type 2 diabetes mellitus"), "00002 E119 1 short"]
    )
    tab = open_tab(qtbot, manager_context, settle)
    dialog = tab.editions.open_import()
    dialog.file.path.setText(str(path))

    dialog.accept()
    settle(manager_context)

    assert dialog.isVisible()
    assert dialog.form.problem_text("file").startswith("Line 2:")
    assert tab.editions.table.column_texts(0) == ["FY2026 (bundled)"]


def test_import_duplicate_name_shown(
    qtbot: QtBot, manager_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    dialog = tab.editions.open_import()
    dialog.file.path.setText(str(SAMPLE_ORDER_FILE))
    dialog.name.setText("FY2026")

    dialog.accept()
    settle(manager_context)

    assert "already exists" in dialog.form.problem_text("name")
    assert isinstance(child(tab, ImportEditionDialog), ImportEditionDialog)


# ---- modifiers ---------------------------------------------------------------------------


def test_seed_then_edit_label(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    section = tab.modifiers
    tab.pages.setCurrentWidget(section)
    assert section.table.rowCount() == 0

    section.seed_button.click()
    settle(manager_context)
    codes = section.table.column_texts(0)
    row = codes.index("GT")
    section.table.selectRow(row)
    section.edit_record()
    dialog = child(section, ModifierDialog)
    assert isinstance(dialog, ModifierDialog)
    assert dialog.code.isReadOnly()
    dialog.label.setText("Telehealth, audio and video")
    qtbot.keyClick(dialog.label, Qt.Key.Key_Return)
    settle(manager_context)

    assert len(codes) == len(modifiers.STANDARD_MODIFIERS)
    assert "25" not in codes
    assert section.table.item(row, 1).text() == "Telehealth, audio and video"
    assert section.table.item(row, 2).text() == "CMS HCPCS Level II"


def test_add_and_archive_modifier(
    qtbot: QtBot, manager_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    section = tab.modifiers
    section.add_record()
    dialog = child(section, ModifierDialog)
    assert isinstance(dialog, ModifierDialog)
    qtbot.keyClicks(dialog.code, "25")
    qtbot.keyClicks(dialog.label, "Separate visit, same day")
    dialog.accept()
    settle(manager_context)
    assert section.table.column_texts(0) == ["25"]

    section.table.selectRow(0)
    section.archive_button.click()
    answer(section, "Archive")
    settle(manager_context)

    assert section.table.rowCount() == 0
    section.show_archived.setChecked(True)
    settle(manager_context)
    assert section.table.column_texts(0) == ["25 (archived)"]


def test_bad_modifier_code_shown(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    tab.modifiers.add_record()
    dialog = child(tab.modifiers, ModifierDialog)
    assert isinstance(dialog, ModifierDialog)
    qtbot.keyClicks(dialog.code, "2")
    qtbot.keyClicks(dialog.label, "Typo")

    dialog.accept()
    settle(manager_context)

    assert "Modifier 2 is not valid" in dialog.form.problem_text("code")
    assert dialog.isVisible()


# ---- rules -------------------------------------------------------------------------------


def add_rule(
    qtbot: QtBot, tab: CodeSetsTab, context: AppContext, settle: Settle, *, payer: str, typed: str
) -> ModifierRuleDialog:
    section = tab.rules
    section.add_record()
    dialog = child(section, ModifierRuleDialog)
    assert isinstance(dialog, ModifierRuleDialog)
    settle(context)
    qtbot.keyClicks(dialog.procedure_code, "97110")
    dialog.payer.setCurrentIndex(dialog.payer.findText(payer))
    qtbot.keyClicks(dialog.modifiers, typed)
    qtbot.keyClicks(dialog.note, "Therapy plan of care")
    dialog.accept()
    settle(context)
    return dialog


def test_rule_added_for_payer(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    tab.modifiers.seed_button.click()
    settle(manager_context)

    dialog = add_rule(qtbot, tab, manager_context, settle, payer="Aetna", typed="gp kx")

    assert not shiboken6.isValid(dialog)
    table = tab.rules.table
    assert table.column_texts(0) == ["97110"]
    assert table.column_texts(1) == ["Aetna"]
    assert table.column_texts(2) == ["GP KX"]
    assert table.column_texts(3) == ["Therapy plan of care"]


def test_rule_problems_shown(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)

    dialog = add_rule(qtbot, tab, manager_context, settle, payer="All payers", typed="GP")

    assert dialog.isVisible()
    assert "Modifier GP is not in the practice's modifier list" in dialog.form.problem_text(
        "modifiers"
    )
    assert tab.rules.table.rowCount() == 0


def test_rule_edit_and_remove(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    tab.modifiers.seed_button.click()
    settle(manager_context)
    add_rule(qtbot, tab, manager_context, settle, payer="Aetna", typed="GP")
    section = tab.rules
    section.table.selectRow(0)

    section.edit_record()
    dialog = child(section, ModifierRuleDialog)
    assert isinstance(dialog, ModifierRuleDialog)
    settle(manager_context)
    assert dialog.payer.currentText() == "Aetna"
    dialog.modifiers.setText("GP GO")
    dialog.accept()
    settle(manager_context)
    assert section.table.column_texts(2) == ["GP GO"]

    section.table.selectRow(0)
    section.archive_button.click()
    answer(section, "Remove")
    settle(manager_context)
    assert section.table.rowCount() == 0
    assert section.archive_button.text() == "&Remove"


# ---- places of service -------------------------------------------------------------------


def test_places_listed(qtbot: QtBot, manager_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, manager_context, settle)
    table = tab.places.table

    codes = table.column_texts(0)

    assert len(codes) == 52
    assert table.item(codes.index("11"), 1).text() == "Office"
    assert "28" not in codes
