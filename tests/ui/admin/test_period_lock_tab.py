"""The Period lock tab against a real database: close a month, refuse today, reopen."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services.ledger import ledger_lock_date
from app.services.today import practice_today
from tests.ui.admin.conftest import add_user
from ui.admin import AdminPage
from ui.admin.period_lock import PeriodLockTab, end_of_previous_month
from ui.context import AppContext

Settle = Callable[[AppContext], None]
ContextFor = Callable[[Actor], AppContext]


def open_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> tuple[AdminPage, PeriodLockTab]:
    """Return the page with the tab open; the caller keeps the page, which owns the tab."""
    page = AdminPage(context)
    qtbot.addWidget(page)
    tab = page.open_tab("Period lock")
    assert isinstance(tab, PeriodLockTab)
    settle(context)
    return page, tab


def stored_lock(database: Database) -> date | None:
    with database.reading() as session:
        return ledger_lock_date(session)


def today(database: Database) -> date:
    with database.reading() as session:
        return practice_today(session)


def test_end_of_previous_month() -> None:
    assert end_of_previous_month(date(2026, 3, 15)) == date(2026, 2, 28)
    assert end_of_previous_month(date(2026, 1, 1)) == date(2025, 12, 31)


def test_close_last_month(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle)
    assert tab.current.text().startswith("No period is closed")
    assert not tab.reopen_button.isEnabled()

    tab.last_month_button.click()
    tab.close_button.click()
    settle(admin_context)

    expected = end_of_previous_month(today(database))
    assert stored_lock(database) == expected
    assert tab.current.text().startswith(f"Closed through {expected:%m/%d/%Y}")
    assert tab.status.text() == "Saved."
    assert tab.reopen_button.isEnabled()


def test_picker_stops_at_yesterday(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle)
    day = today(database)

    tab.picker.setDate(QDate(day.year, day.month, day.day))

    assert tab.chosen_date() == day - timedelta(days=1)


def test_reopen_clears_lock(
    qtbot: QtBot,
    database: Database,
    admin_context: AppContext,
    settle: Settle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle)
    tab.close_button.click()
    settle(admin_context)
    assert stored_lock(database) is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)

    tab.reopen_button.click()
    settle(admin_context)

    assert stored_lock(database) is None
    assert tab.current.text().startswith("No period is closed")


def test_reopen_canceled_keeps_lock(
    qtbot: QtBot,
    database: Database,
    admin_context: AppContext,
    settle: Settle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _page, tab = open_tab(qtbot, admin_context, settle)
    tab.close_button.click()
    settle(admin_context)
    locked = stored_lock(database)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Cancel)

    tab.reopen_button.click()
    settle(admin_context)

    assert locked is not None
    assert stored_lock(database) == locked


def test_tab_hidden_from_billers(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: ContextFor
) -> None:
    biller = add_user(database, admin_actor, "biller", Role.BILLER)
    page = AdminPage(context_for(biller))
    qtbot.addWidget(page)

    assert "Period lock" not in page.tab_titles()
