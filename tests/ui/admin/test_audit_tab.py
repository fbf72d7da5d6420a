"""The Audit log tab: filters, CSV export and chain verification against a real database."""

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.db.database import Database
from app.security.permissions import Role
from app.services import users
from tests.ui.admin.conftest import add_user
from ui.admin import AdminPage
from ui.admin.audit import AuditTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]
ACTION_COLUMN = 4


def open_audit(qtbot: QtBot, context: AppContext, settle: Settle) -> tuple[AdminPage, AuditTab]:
    page = AdminPage(context)
    qtbot.addWidget(page)
    tab = page.open_tab("Audit log")
    assert isinstance(tab, AuditTab)
    settle(context)
    return page, tab


@pytest.fixture
def archived_user(database: Database, admin_context: AppContext) -> None:
    """Add and archive one account, so the log holds both create and archive events."""
    leaving = add_user(database, admin_context.actor, "leaving", Role.BILLER)
    with database.transaction() as session:
        users.archive_user(session, admin_context.actor, leaving.user_id)


@pytest.mark.usefixtures("archived_user")
def test_filter_by_action(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)
    everything = tab.table.rowCount()

    tab.action.setCurrentIndex(tab.action.findData("archive"))
    tab.apply_button.click()
    settle(admin_context)

    actions = tab.table.column_texts(ACTION_COLUMN)
    assert actions == ["Archive"]
    assert everything > len(actions)


@pytest.mark.usefixtures("archived_user")
def test_filter_by_user(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)

    qtbot.keyClicks(tab.username, "nobody")
    tab.apply_button.click()
    settle(admin_context)

    assert tab.table.rowCount() == 0


def test_bad_patient_id_problem(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)
    rows_before = tab.table.rowCount()

    qtbot.keyClicks(tab.patient_id, "not-an-id")
    tab.apply_button.click()

    assert "not valid" in tab.patient_problem.text()
    assert not admin_context.ops.busy
    assert tab.table.rowCount() == rows_before


def test_verify_chain_intact(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)

    tab.verify_button.click()
    settle(admin_context)

    assert tab.chain_label.text().startswith("Intact")


def test_verify_chain_broken(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    with database.transaction() as session:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("UPDATE audit_event SET detail = 'edited' WHERE sequence = 2"))
    _page, tab = open_audit(qtbot, admin_context, settle)

    tab.verify_button.click()
    settle(admin_context)

    assert tab.chain_label.text().startswith("Broken")
    assert "at event 2" in tab.chain_label.text()


@pytest.mark.usefixtures("archived_user")
def test_export_csv_writes_rows(
    qtbot: QtBot, admin_context: AppContext, settle: Settle, tmp_path: Path
) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)
    shown = tab.table.rowCount()
    target = tmp_path / "audit.csv"

    tab.export_to(target)
    settle(admin_context)

    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "occurred_at"
    assert "action" in rows[0]
    assert len(rows) - 1 == shown
    assert "Exported" in tab.count_label.text()


def test_export_dialog_opens(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    from PySide6.QtWidgets import QFileDialog

    _page, tab = open_audit(qtbot, admin_context, settle)

    tab.export_button.click()

    dialog = tab.findChild(QFileDialog)
    assert dialog is not None
    assert dialog.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    dialog.reject()
