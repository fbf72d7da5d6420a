"""Fixtures for the Claims page: the claim practice, signed-in contexts and a shown page."""

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.ui.charges.conftest import drain
from ui.claims.page import ClaimsPage
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner

ContextFor = Callable[[Actor], AppContext]


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    """The charge practice with one posted visit each for an insured and an uninsured patient."""
    return build_claim_practice(database)


@pytest.fixture
def context_for(qtbot: QtBot, claim_practice: ClaimPractice) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        database = claim_practice.database
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    from ui.charges import windows
    from ui.patient.record import open_records

    for editor in windows.open_editors():
        editor.close_now()
    for record in open_records():
        record.close_now()
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)


def show_page(qtbot: QtBot, context: AppContext, page: ClaimsPage | None = None) -> ClaimsPage:
    """Show a Claims page (a new one by default), wired to changes as the main window does."""
    page = page or ClaimsPage(context)
    qtbot.addWidget(page)
    context.ops.changed.connect(page.handle_changes)
    page.resize(1400, 900)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    drain(qtbot, context)
    return page


def settle(qtbot: QtBot, page: ClaimsPage) -> None:
    """Wait for the page's operations, then for the detail pane's delayed load."""
    drain(qtbot, page.context)
    if page.detail_timer.isActive():
        qtbot.waitUntil(lambda: not page.detail_timer.isActive(), timeout=3_000)
    drain(qtbot, page.context)
