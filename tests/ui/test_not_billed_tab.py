"""The "Not billed" report tab: rows oldest first, Enter to open an encounter, CSV export."""

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.db.database import Database
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_encounter,
    add_visit,
    build_ledger_practice,
)
from tests.helpers.scheduling_data import wall
from tests.ui.admin.conftest import drain, make_context
from ui.context import AppContext
from ui.pages.not_billed import NotBilledPage


@pytest.fixture
def practice(database: Database) -> LedgerPractice:
    return build_ledger_practice(database)


@pytest.fixture
def context(qtbot: QtBot, database: Database, practice: LedgerPractice) -> Iterator[AppContext]:
    made = make_context(database, practice.biller)
    yield made
    drain(qtbot, made)


def _visits(database: Database, practice: LedgerPractice) -> tuple[uuid.UUID, uuid.UUID]:
    """Check out two visits and start a draft encounter for the later one."""
    with database.transaction() as session:
        later = add_visit(session, practice, wall(2026, 2, 3, 9), patient=1)
        add_encounter(
            session, practice, practice.patient_ids[1], date(2026, 2, 3), appointment_id=later
        )
        earlier = add_visit(session, practice, wall(2026, 2, 2, 10))
    return earlier, later


def _open_page(qtbot: QtBot, context: AppContext) -> NotBilledPage:
    page = NotBilledPage(context)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    drain(qtbot, context)
    return page


def test_rows_oldest_first(
    qtbot: QtBot, database: Database, practice: LedgerPractice, context: AppContext
) -> None:
    _visits(database, practice)
    page = _open_page(qtbot, context)

    assert page.table.column_texts(0) == ["02/02/2026", "02/03/2026"]
    assert page.table.column_texts(2) == ["Rivera, Maria", "Chen, Maria"]
    assert page.table.column_texts(6)[0] == "None yet"
    assert page.table.column_texts(6)[1].endswith("(draft)")
    assert page.summary.text().startswith("2 checked-out visits have no posted charges")


def test_empty_report_summary(qtbot: QtBot, context: AppContext) -> None:
    page = _open_page(qtbot, context)

    assert page.table.rowCount() == 0
    assert page.summary.text() == "Every checked-out visit has posted charges."


def test_enter_opens_encounter(
    qtbot: QtBot, database: Database, practice: LedgerPractice, context: AppContext
) -> None:
    earlier, _later = _visits(database, practice)
    page = _open_page(qtbot, context)
    page.table.selectRow(0)

    with qtbot.waitSignal(page.open_encounter) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)

    assert blocker.args == [earlier]


def test_export_writes_file(
    qtbot: QtBot,
    database: Database,
    practice: LedgerPractice,
    context: AppContext,
    tmp_path: Path,
) -> None:
    _visits(database, practice)
    page = _open_page(qtbot, context)
    target = tmp_path / "not-billed.csv"

    page.export_to(target)
    drain(qtbot, context)

    assert target.read_text(encoding="utf-8").count("\n") == 3
    assert page.summary.text() == "Exported 2 visits to not-billed.csv."


def test_clear_data_empties_table(
    qtbot: QtBot, database: Database, practice: LedgerPractice, context: AppContext
) -> None:
    _visits(database, practice)
    page = _open_page(qtbot, context)

    page.clear_data()

    assert page.table.rowCount() == 0
    assert page.summary.text() == ""


def test_reports_tab_follows_the_user(
    qtbot: QtBot, context: AppContext, practice: LedgerPractice
) -> None:
    from ui.pages.reports import ReportsPage

    page = ReportsPage(context, open_record=lambda _patient_id: None)
    qtbot.addWidget(page)
    shown_to_biller = page.tabs.indexOf(page.not_billed) >= 0

    context.user.set_actor(practice.front_desk)
    page.refresh()
    shown_to_front_desk = page.tabs.indexOf(page.not_billed) >= 0
    context.user.set_actor(practice.biller)
    page.refresh()

    assert shown_to_biller
    assert not shown_to_front_desk
    assert page.tabs.indexOf(page.not_billed) >= 0
    drain(qtbot, context)
