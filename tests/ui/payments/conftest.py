"""Fixtures for the Payments page: a practice with open lines, two users and a shown page."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, post_entry
from app.services.users import create_user
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_charge_line,
    add_encounter,
    build_ledger_practice,
)
from tests.ui.charges.conftest import drain
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.payments.page import PaymentsPage

ContextFor = Callable[[Actor], AppContext]
# Nguyen's self-pay visits, oldest first.
FIRST_VISIT = date(2026, 2, 2)
SECOND_VISIT = date(2026, 3, 2)
SECOND_MANAGER_PASSWORD = "Second-manager-2024!"


@dataclass(frozen=True)
class PaymentPractice:
    """The ledger practice with two open lines for Nguyen and a second manager.

    Nguyen owes $120 on FIRST_VISIT (99213) and $80 on SECOND_VISIT (97110). The
    desk, biller and manager actors share the administrator's user id; `other_manager`
    is a person of their own, so one user can request a refund and the other approve it.
    """

    database: Database
    ledger: LedgerPractice
    first_line: uuid.UUID
    second_line: uuid.UUID
    other_manager: Actor

    @property
    def desk(self) -> Actor:
        """A front-desk user."""
        return self.ledger.front_desk

    @property
    def manager(self) -> Actor:
        """A manager with the administrator's user id."""
        return self.ledger.manager

    @property
    def nguyen(self) -> uuid.UUID:
        """The self-pay patient with two open lines."""
        return self.ledger.patient_ids[2]


def _post_line(
    database: Database, practice: LedgerPractice, code: str, amount: str, day: date
) -> uuid.UUID:
    patient_id = practice.patient_ids[2]
    with database.transaction() as session:
        encounter = add_encounter(session, practice, patient_id, day, status="posted")
        line = add_charge_line(session, encounter, code, Decimal(amount))
        encounter.posted_at = datetime.now(UTC)
        encounter.posted_by = practice.biller.user_id
        post_entry(
            session,
            practice.biller,
            entry_type="charge",
            amount=Decimal(amount),
            patient_id=patient_id,
            responsible_party=RESPONSIBLE_PATIENT,
            service_date=day,
            source_type=CHARGE_LINE_SOURCE,
            source_id=line.id,
            memo=f"Charge {code}",
            charge_line_id=line.id,
        )
        return line.id


@pytest.fixture
def payment_practice(database: Database) -> PaymentPractice:
    """Build the ledger practice, Nguyen's two open lines and a second manager."""
    practice = build_ledger_practice(database)
    first = _post_line(database, practice, "99213", "120.00", FIRST_VISIT)
    second = _post_line(database, practice, "97110", "80.00", SECOND_VISIT)
    with database.transaction() as session:
        written = create_user(
            session,
            practice.admin,
            "manager2",
            "Second Manager",
            Role.MANAGER,
            SECOND_MANAGER_PASSWORD,
        )
    other = Actor(written.user.id, "manager2", Role.MANAGER, practice.admin.workstation)
    return PaymentPractice(database, practice, first, second, other)


def contexts_on(qtbot: QtBot, database: Database) -> Iterator[ContextFor]:
    """Yield a function making contexts on `database`; close message boxes and drain after."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
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


@pytest.fixture
def context_for(qtbot: QtBot, payment_practice: PaymentPractice) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    yield from contexts_on(qtbot, payment_practice.database)


def show_page(qtbot: QtBot, context: AppContext, folder: Path) -> tuple[PaymentsPage, list[Path]]:
    """Show a Payments page wired to changes as the main window does.

    PDFs go to `folder`; the returned list collects each PDF the page would open.
    """
    page = PaymentsPage(context)
    qtbot.addWidget(page)
    context.ops.changed.connect(page.handle_changes)
    opened: list[Path] = []
    page.send_pdfs_to(folder, opened.append)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    drain(qtbot, context)
    return page, opened
