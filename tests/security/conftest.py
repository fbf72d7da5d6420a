"""Fixtures for the security tests: a local workstation, an administrator, more users."""

from collections.abc import Callable

import pytest

from app.db.database import Database
from app.models.system import Workstation
from app.security.permissions import Actor, Role
from app.services import users

WORKSTATION = "TST"
ADMIN_PASSWORD = "Copper-Lantern-2024"
USER_PASSWORD = "Quiet-Harbor-7781"

MakeUser = Callable[..., Actor]


@pytest.fixture
def workstation(database: Database) -> str:
    """The code of this database's own workstation row."""
    with database.transaction() as session:
        session.add(Workstation(code=WORKSTATION, name="Test desk", is_local=True))
    return WORKSTATION


@pytest.fixture
def admin(database: Database, workstation: str) -> Actor:
    """The first administrator, created the way practice set-up creates it."""
    with database.transaction() as session:
        written = users.create_first_administrator(
            session, "admin", "Ada Admin", ADMIN_PASSWORD, workstation
        )
    return Actor(written.user.id, written.user.username, Role.ADMINISTRATOR, workstation)


@pytest.fixture
def make_user(database: Database, admin: Actor) -> MakeUser:
    """Create a user through the service and return an actor for it."""

    def make(username: str, role: Role = Role.FRONT_DESK, password: str = USER_PASSWORD) -> Actor:
        with database.transaction() as session:
            written = users.create_user(session, admin, username, "Test Person", role, password)
        return Actor(written.user.id, written.user.username, role, admin.workstation)

    return make
