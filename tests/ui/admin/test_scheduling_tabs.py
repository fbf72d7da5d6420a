"""The scheduling set-up tabs: visit types, working hours, blockouts and resources."""

from collections.abc import Callable
from datetime import time

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.scheduling import AppointmentType, Blockout, ProviderHours
from app.security.permissions import Actor, Role
from tests.ui.admin.conftest import add_user
from ui.admin.page import AdminPage
from ui.admin.scheduling.blockouts import BlockoutsTab
from ui.admin.scheduling.hours import HOURS_COLUMN, WorkingHoursTab
from ui.admin.scheduling.visit_types import VisitTypeDialog, VisitTypesTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]
SCHEDULING_TABS = ["Visit types", "Working hours", "Blockouts", "Resources"]


def test_admin_sees_scheduling_tabs(qtbot: QtBot, admin_context: AppContext) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    titles = page.tab_titles()
    start = titles.index("Visit types")
    assert titles[start : start + 4] == SCHEDULING_TABS


def test_manager_lacks_scheduling_tabs(
    qtbot: QtBot,
    database: Database,
    admin_actor: Actor,
    context_for: Callable[[Actor], AppContext],
) -> None:
    manager = add_user(database, admin_actor, "manager", Role.MANAGER)
    page = AdminPage(context_for(manager))
    qtbot.addWidget(page)
    assert not set(SCHEDULING_TABS) & set(page.tab_titles())


def test_visit_type_added_and_listed(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    tab = page.open_tab("Visit types")
    assert isinstance(tab, VisitTypesTab)
    settle(admin_context)

    tab.add_button.click()
    dialog = tab.findChild(VisitTypeDialog)
    assert dialog is not None
    dialog.name.setText("Follow-up")
    dialog.minutes.setValue(20)
    dialog.codes.setText("99213, g0438")
    dialog.accept()
    settle(admin_context)

    assert tab.table.column_texts(0) == ["Follow-up"]
    assert tab.table.column_texts(4) == ["99213, G0438"]
    with database.session() as session:
        assert session.scalars(select(AppointmentType.default_minutes)).all() == [20]


def test_visit_type_problem_shown(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    tab = page.open_tab("Visit types")
    settle(admin_context)
    tab.add_button.click()  # type: ignore[attr-defined]
    dialog = tab.findChild(VisitTypeDialog)
    assert dialog is not None
    dialog.name.setText("Follow-up")
    dialog.color.setText("blue")
    dialog.accept()
    settle(admin_context)

    assert dialog.isVisible()
    assert "not a #RRGGBB color" in dialog.form.problem_text("color")


def test_hours_grid_saves_week(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    tab = page.open_tab("Working hours")
    assert isinstance(tab, WorkingHoursTab)
    settle(admin_context)

    tab.grid.item(0, HOURS_COLUMN).setText("08:00-12:00, 13:00-17:00")
    tab.grid.item(2, HOURS_COLUMN).setText("09:00-12:00")
    tab.save_button.click()
    settle(admin_context)

    with database.session() as session:
        rows = session.scalars(
            select(ProviderHours).order_by(ProviderHours.weekday, ProviderHours.starts)
        ).all()
    assert [(row.weekday, row.starts, row.ends) for row in rows] == [
        (0, time(8), time(12)),
        (0, time(13), time(17)),
        (2, time(9), time(12)),
    ]
    assert tab.period.currentText() == "Always"
    assert tab.grid.item(0, HOURS_COLUMN).text() == "08:00\u201312:00, 13:00\u201317:00"


def test_hours_grid_shows_problems(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    tab = page.open_tab("Working hours")
    assert isinstance(tab, WorkingHoursTab)
    settle(admin_context)

    tab.grid.item(1, HOURS_COLUMN).setText("08:00-12:00, 11:00-13:00")
    tab.grid.item(3, HOURS_COLUMN).setText("9 to 5")
    tab.save_button.click()
    settle(admin_context)

    text = tab.problems.text()
    assert "Tuesday: 08:00\u201312:00 overlaps 11:00\u201313:00" in text
    assert "Thursday: 9 to 5 is not a time range" in text
    with database.session() as session:
        assert session.scalars(select(ProviderHours)).all() == []


def test_holidays_button_adds_once(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    tab = page.open_tab("Blockouts")
    assert isinstance(tab, BlockoutsTab)
    settle(admin_context)

    tab.year.setValue(2099)
    tab.holidays_button.click()
    settle(admin_context)
    first = tab.holidays_result.text()
    tab.holidays_button.click()
    settle(admin_context)

    with database.session() as session:
        count = len(session.scalars(select(Blockout)).all())
    assert first.startswith(f"2099: {count} holidays added, 0 already listed")
    assert tab.holidays_result.text() == f"2099: 0 holidays added, {count} already listed."
    assert tab.table.rowCount() == count
