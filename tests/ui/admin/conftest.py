"""Fixtures for the Admin page tests: a set-up practice and a signed-in context."""

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.ids import UserId
from app.security.permissions import Actor, Role
from app.services import users
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner

STAFF_PASSWORD = "Front-desk-pass-91"


@pytest.fixture
def admin_actor(database: Database) -> Actor:
    """The first administrator of a freshly set-up practice."""
    with database.transaction() as session:
        result = initialize_practice(session, sample_setup())
    return result.admin


def make_context(database: Database, actor: Actor) -> AppContext:
    """Return a context signed in as `actor` with its own op runner."""
    return AppContext(database, OperationRunner(database), SignedInUser(actor), actor.workstation)


def drain(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every operation has delivered its result on the GUI thread.

    An operation whose result is still queued when its runner is deleted would call into
    a deleted object, so every test context drains before it goes away.
    """
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


@pytest.fixture
def context_for(qtbot: QtBot, database: Database) -> Iterator[Callable[[Actor], AppContext]]:
    """Return a function that makes a context signed in as an actor, drained at teardown."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = make_context(database, actor)
        made.append(context)
        return context

    yield build
    for context in made:
        drain(qtbot, context)


@pytest.fixture
def admin_context(context_for: Callable[[Actor], AppContext], admin_actor: Actor) -> AppContext:
    """A context signed in as the practice's administrator."""
    return context_for(admin_actor)


def add_user(database: Database, admin: Actor, username: str, role: Role) -> Actor:
    """Create an account through the users service and return it as an actor."""
    with database.transaction() as session:
        written = users.create_user(
            session, admin, username, username.title(), role, STAFF_PASSWORD
        )
    return Actor(UserId(written.user.id), written.user.username, role, admin.workstation)


@pytest.fixture
def settle(qtbot: QtBot) -> Callable[[AppContext], None]:
    """Return a function that waits until every background operation has reported back."""

    def wait(context: AppContext) -> None:
        drain(qtbot, context)

    return wait
