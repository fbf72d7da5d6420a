"""Fixtures for the clearinghouse tab and the send, responses and print dialogs."""

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner


@pytest.fixture
def admin_actor(database: Database) -> Actor:
    """The first administrator of a freshly set-up practice."""
    with database.transaction() as session:
        result = initialize_practice(session, sample_setup())
    return result.admin


def drain(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every operation of `context` has reported back on the GUI thread."""
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


@pytest.fixture
def context_for(qtbot: QtBot) -> Iterator[Callable[[Database, Actor], AppContext]]:
    """Return a function making a context signed in as an actor; drained at teardown."""
    made: list[AppContext] = []

    def build(database: Database, actor: Actor) -> AppContext:
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)
