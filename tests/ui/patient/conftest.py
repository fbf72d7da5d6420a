"""Fixtures for the patient record tests: a set-up practice with staff, a payer and contexts."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import admin_records, users
from app.services.admin_records import PayerInput
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.patient import record

STAFF_PASSWORD = "Front-desk-pass-91"


@dataclass(frozen=True)
class Practice:
    database: Database
    admin: Actor
    front_desk: Actor
    manager: Actor
    payer_id: uuid.UUID


def _staff(session: object, admin: Actor, username: str, role: Role) -> Actor:
    written = users.create_user(session, admin, username, username.title(), role, STAFF_PASSWORD)  # type: ignore[arg-type]
    return Actor(written.user.id, username, role, admin.workstation)


@pytest.fixture
def practice(database: Database) -> Practice:
    """A practice with a front desk user, a manager and one payer."""
    payer = PayerInput(
        name="Aetna",
        payer_code="60054",
        claim_filing_indicator="CI",
        timely_filing_days=180,
        address_line1="PO Box 981106",
        city="El Paso",
        state="TX",
        zip_code="79998",
    )
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        front_desk = _staff(session, admin, "frontdesk1", Role.FRONT_DESK)
        manager = _staff(session, admin, "manager1", Role.MANAGER)
        payer_id = admin_records.save_payer(session, admin, None, payer).record_id
    return Practice(database, admin, front_desk, manager, payer_id)


def drain(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every operation of `context` has reported back on the GUI thread."""
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


@pytest.fixture
def context_for(qtbot: QtBot, practice: Practice) -> Iterator[Callable[[Actor], AppContext]]:
    """Return a function making a context signed in as an actor; drained and closed at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        database = practice.database
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    for window in record.open_records():
        window.closing = True
        window.close()
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)


@pytest.fixture
def settle(qtbot: QtBot) -> Callable[[AppContext], None]:
    """Return a function that waits for every background operation of a context."""

    def wait(context: AppContext) -> None:
        drain(qtbot, context)

    return wait
