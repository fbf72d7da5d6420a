"""The Procedure codes and Fee schedules tabs, their dialogs and the import preview."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services import fee_schedules, procedure_codes
from app.services.procedure_codes import ProcedureCodeForm
from tests.helpers.fee_data import SAMPLE_CODES, add_schedule
from ui.admin.fee_import import FeeImportDialog
from ui.admin.fee_schedules import FeeItemDialog, FeeScheduleDialog, FeeSchedulesTab
from ui.admin.procedure_codes import ProcedureCodeDialog, ProcedureCodesTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]


@dataclass(frozen=True)
class FeeScreen:
    """The database, its administrator and a signed-in context with its settle function."""

    database: Database
    admin: Actor
    context: AppContext
    settle: Settle


@pytest.fixture
def screen(
    database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> FeeScreen:
    return FeeScreen(database, admin_actor, admin_context, settle)


def add_codes(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        for code, description in SAMPLE_CODES:
            form = ProcedureCodeForm(code=code, description=description)
            procedure_codes.save_procedure_code(session, admin, form).raise_if_rejected()


def codes_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> ProcedureCodesTab:
    tab = ProcedureCodesTab(context)
    qtbot.addWidget(tab)
    settle(context)
    return tab


def fees_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> FeeSchedulesTab:
    tab = FeeSchedulesTab(context)
    qtbot.addWidget(tab)
    settle(context)
    return tab


def select_schedule(tab: FeeSchedulesTab, settle: Settle, name: str) -> None:
    row = tab.table.column_texts(0).index(name)
    tab.table.selectRow(row)
    settle(tab.context)


def test_code_added_with_enter(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = codes_tab(qtbot, admin_context, settle)
    tab.add_record()
    dialog = tab.findChild(ProcedureCodeDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.code, "j7030")
    qtbot.keyClicks(dialog.description, "Saline infusion")

    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    settle(admin_context)

    assert tab.table.column_texts(0) == ["J7030"]
    assert tab.table.column_texts(1) == ["HCPCS"]
    assert tab.table.column_texts(5) == ["typed"]


def test_code_problem_beside_field(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = codes_tab(qtbot, admin_context, settle)
    tab.add_record()
    dialog = tab.findChild(ProcedureCodeDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.code, "9921")

    dialog.accept()

    assert "CPT codes are 5 digits" in dialog.form.problem_text("code")
    assert "missing" in dialog.form.problem_text("description")
    assert dialog.isVisible()


def test_code_search_and_restore(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_codes(database, admin_actor)
    tab = codes_tab(qtbot, admin_context, settle)
    assert tab.table.column_texts(0) == ["99213", "99214", "J1100"]

    qtbot.keyClicks(tab.search, "level 4")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    settle(admin_context)
    assert tab.table.column_texts(0) == ["99214"]

    with database.transaction() as session:
        row = procedure_codes.find_procedure_code(session, "99214")
        assert row is not None
        procedure_codes.archive_procedure_code(session, admin_actor, row.id)
    tab.show_archived.setChecked(True)
    settle(admin_context)
    tab.table.selectRow(0)
    assert tab.table.column_texts(0) == ["99214 (archived)"]
    assert tab.restore_button.isEnabled()

    tab.restore_button.click()
    settle(admin_context)
    settle(admin_context)
    assert tab.table.column_texts(0) == ["99214"]


def test_schedule_overlap_beside_dates(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_schedule(database, admin_actor, "Charges 2026", date(2026, 1, 1))
    tab = fees_tab(qtbot, admin_context, settle)
    tab.add_record()
    dialog = tab.findChild(FeeScheduleDialog)
    assert dialog is not None
    settle(admin_context)
    qtbot.keyClicks(dialog.fields.name, "Charges mid 2026")
    dialog.fields.effective_from.setDate(QDate(2026, 6, 1))

    dialog.accept()
    settle(admin_context)

    assert "overlaps Charges 2026 (01/01/2026 to open)" in dialog.form.problem_text(
        "effective_from"
    )
    assert tab.table.column_texts(0) == ["Charges 2026"]


def test_schedule_added_with_end_date(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = fees_tab(qtbot, admin_context, settle)
    tab.add_record()
    dialog = tab.findChild(FeeScheduleDialog)
    assert dialog is not None
    settle(admin_context)
    qtbot.keyClicks(dialog.fields.name, "Charges 2025")
    dialog.fields.effective_from.setDate(QDate(2025, 1, 1))
    dialog.fields.effective_to.open_ended.setChecked(False)
    dialog.fields.effective_to.picker.setDate(QDate(2025, 12, 31))

    qtbot.keyClick(dialog.fields.name, Qt.Key.Key_Return)
    settle(admin_context)

    assert tab.table.column_texts(0) == ["Charges 2025"]
    assert tab.table.column_texts(3) == ["01/01/2025"]
    assert tab.table.column_texts(4) == ["12/31/2025"]


def test_price_added_to_schedule(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_codes(database, admin_actor)
    add_schedule(
        database, admin_actor, "Charges 2026", date(2026, 1, 1), prices={("99213", ""): "120"}
    )
    tab = fees_tab(qtbot, admin_context, settle)
    select_schedule(tab, settle, "Charges 2026")
    assert tab.item_table.column_texts(2) == ["$120.00"]

    tab.add_item()
    dialog = tab.findChild(FeeItemDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.code, "99214")
    qtbot.keyClicks(dialog.amount, "$1,180.00")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    settle(admin_context)
    settle(admin_context)

    assert tab.item_table.column_texts(0) == ["99213", "99214"]
    assert tab.item_table.column_texts(2) == ["$120.00", "$1,180.00"]
    assert tab.item_table.column_texts(3)[1] == "Office visit, est. level 4"


def test_import_blocked_by_errors(qtbot: QtBot, screen: FeeScreen, tmp_path: Path) -> None:
    database, admin_actor = screen.database, screen.admin
    admin_context, settle = screen.context, screen.settle
    add_codes(database, admin_actor)
    add_schedule(database, admin_actor, "Charges 2026", date(2026, 1, 1))
    path = tmp_path / "fees.csv"
    path.write_text("code,description,fee\n99213,Visit,120\n99214,Visit 4,12;50\n")
    tab = fees_tab(qtbot, admin_context, settle)
    select_schedule(tab, settle, "Charges 2026")

    dialog = tab.import_file(path)
    settle(admin_context)

    assert dialog.status_texts() == ["New code", "Error"]
    assert "Row 3, column fee: Fee 12;50 is not an amount" in dialog.table.column_texts(6)[1]
    assert not dialog.import_button.isEnabled()
    dialog.run_import()
    settle(admin_context)
    with database.session() as session:
        assert fee_schedules.fee_for(session, "99213", [], date(2026, 2, 1)) is None
    dialog.reject()


def test_import_into_new_schedule(qtbot: QtBot, screen: FeeScreen, tmp_path: Path) -> None:
    database = screen.database
    admin_context, settle = screen.context, screen.settle
    path = tmp_path / "fees.csv"
    path.write_text('code,description,fee\n99213,Visit,120\nJ7030,Saline,"$1,234.50"\n')
    tab = fees_tab(qtbot, admin_context, settle)
    dialog = tab.import_file(path)
    settle(admin_context)
    assert dialog.new_group.isVisibleTo(dialog)
    assert not dialog.import_button.isEnabled()

    qtbot.keyClicks(dialog.fields.name, "Charges 2026")
    dialog.fields.effective_from.setDate(QDate(2026, 1, 1))
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    settle(admin_context)
    assert dialog.status_texts() == ["New code", "New code"]
    assert dialog.import_button.isEnabled()

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(admin_context)
    settle(admin_context)

    qtbot.waitUntil(lambda: tab.findChild(FeeImportDialog) is None)
    assert tab.status.text().startswith("Imported into Charges 2026: 2 prices added")
    assert tab.table.column_texts(0) == ["Charges 2026"]
    assert tab.item_table.column_texts(0) == ["99213", "J7030"]
    with database.session() as session:
        assert fee_schedules.fee_for(session, "J7030", [], date(2026, 2, 1)) is not None


def test_export_writes_file(qtbot: QtBot, screen: FeeScreen, tmp_path: Path) -> None:
    database, admin_actor = screen.database, screen.admin
    admin_context, settle = screen.context, screen.settle
    add_codes(database, admin_actor)
    add_schedule(
        database, admin_actor, "Charges 2026", date(2026, 1, 1), prices={("J1100", ""): "4.5"}
    )
    tab = fees_tab(qtbot, admin_context, settle)
    select_schedule(tab, settle, "Charges 2026")
    target = tmp_path / "out.csv"

    tab.export_to(target)
    settle(admin_context)

    assert target.read_text(encoding="utf-8").splitlines()[1] == (
        "J1100,Dexamethasone injection,4.50,,1,no,hcpcs"
    )
    assert tab.status.text() == f"Wrote 1 prices of Charges 2026 to {target}."


def test_remove_price_asks_first(
    qtbot: QtBot, database: Database, admin_actor: Actor, admin_context: AppContext, settle: Settle
) -> None:
    add_codes(database, admin_actor)
    add_schedule(
        database, admin_actor, "Charges 2026", date(2026, 1, 1), prices={("J1100", ""): "4.5"}
    )
    tab = fees_tab(qtbot, admin_context, settle)
    select_schedule(tab, settle, "Charges 2026")
    tab.item_table.selectRow(0)

    tab.remove_item()
    box = tab.findChild(QMessageBox)
    assert box is not None
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    remove.click()
    settle(admin_context)
    settle(admin_context)

    assert tab.item_table.rowCount() == 0
