"""The Audit log table fits a 1366-pixel screen: short ids, and Detail visible at the right."""

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Role
from tests.ui.admin.conftest import add_user
from tests.ui.admin.test_audit_tab import open_audit
from ui.admin.audit import HEADERS
from ui.context import AppContext

Settle = Callable[[AppContext], None]
# A 1366-pixel screen, less the 190-pixel navigation column and the window's margins.
TAB_WIDTH = 1366 - 190 - 40
OBJECT_COLUMN = HEADERS.index("Object")


def test_detail_visible(
    qtbot: QtBot, admin_context: AppContext, settle: Settle, database: Database
) -> None:
    add_user(database, admin_context.actor, "newclerk", Role.FRONT_DESK)
    page, tab = open_audit(qtbot, admin_context, settle)
    page.resize(TAB_WIDTH, 700)
    page.show()
    qtbot.waitExposed(page)
    tab.refresh()
    settle(admin_context)

    detail = HEADERS.index("Detail")
    assert detail == len(HEADERS) - 1
    start = tab.table.columnViewportPosition(detail)
    assert 0 <= start < tab.table.viewport().width() - 100


def test_object_id_shortened(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    _page, tab = open_audit(qtbot, admin_context, settle)

    texts = [text for text in tab.table.column_texts(OBJECT_COLUMN) if "user " in text]
    assert texts != []
    item = tab.table.item(tab.table.column_texts(OBJECT_COLUMN).index(texts[0]), OBJECT_COLUMN)
    assert item is not None
    kind, short = item.text().split(" ")
    assert len(item.text()) < len(item.toolTip())
    assert item.toolTip().startswith(f"{kind} ")
    assert item.toolTip().endswith(short.lstrip("…"))
