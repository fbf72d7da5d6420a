"""The Billing account tab of the patient record: the account, email consent, holds and the
statements sent, over the statement test practice."""

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.patients import Patient
from app.models.statements import BillingAccount
from app.security.permissions import Actor
from app.services import statement_runs
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice, build_statement_practice
from tests.ui.admin.conftest import drain, make_context
from ui.context import AppContext
from ui.patient.account_panel import NO_STATEMENT_ACCESS, AccountPanel
from ui.patient.record import (
    WINDOW_FRAME_ALLOWANCE,
    PatientRecordWindow,
    registered_tab_titles,
)
from ui.patient.record_tabs import BILLING_ACCOUNT, install_record_tabs

ContextFor = Callable[[Actor], AppContext]


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


@pytest.fixture
def context_for(qtbot: QtBot, database: Database) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = make_context(database, actor)
        made.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)


def show_panel(
    qtbot: QtBot, context: AppContext, patient_id: uuid.UUID, folder: Path
) -> tuple[AccountPanel, list[Path]]:
    """Show the tab for `patient_id`; PDFs go to `folder` and are collected, not opened."""
    panel = AccountPanel(context, patient_id)
    qtbot.addWidget(panel)
    opened: list[Path] = []
    panel.pdf_folder = folder
    panel.open_file = opened.append
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    drain(qtbot, context)
    return panel, opened


def account_of(database: Database, guarantor_patient_id: uuid.UUID) -> BillingAccount:
    with database.reading() as session:
        account = session.scalars(
            select(BillingAccount).where(
                BillingAccount.guarantor_patient_id == guarantor_patient_id
            )
        ).one()
        session.expunge(account)
        return account


def test_record_lists_billing_account_tab() -> None:
    install_record_tabs()
    assert BILLING_ACCOUNT in registered_tab_titles()


def test_shows_guarantor_account(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.desk)
    # Sofia's bills go to her mother Laura, whose account the tab makes.
    panel, _opened = show_panel(qtbot, context, practice.sofia, tmp_path)

    account = account_of(database, practice.parent)
    assert panel.account_number.text() == account.account_number
    assert panel.guarantor.text() == (
        "Laura Garcia · pays for 3 patients · laura.garcia@example.com"
    )
    assert panel.hold_state.text() == "No hold: statements are sent as usual."
    assert not panel.email_consent.isChecked()
    # The front desk sees no statements and cannot place holds.
    assert panel.statements_note.text() == NO_STATEMENT_ACCESS
    assert not panel.statements_note.isHidden()
    assert panel.statement_table.isHidden()
    assert not panel.place_button.isEnabled()
    assert not panel.release_button.isEnabled()


def test_desk_records_email_consent(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.desk)
    panel, _opened = show_panel(qtbot, context, practice.parent, tmp_path)
    assert panel.email_consent.isEnabled()

    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5_000)
    panel.statement_table.setFocus()
    qtbot.keyClick(panel.statement_table, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(panel.email_consent.isChecked, timeout=2_000)
    drain(qtbot, context)

    assert account_of(database, practice.parent).email_statements
    assert panel.status.text() == "Statements go to the guarantor by email."


def test_consent_without_email_reverts(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    with database.transaction() as session:
        laura = session.get(Patient, practice.parent)
        assert laura is not None
        laura.email = None
    context = context_for(practice.desk)
    panel, _opened = show_panel(qtbot, context, practice.parent, tmp_path)
    assert panel.guarantor.text().endswith("no email address on file")

    panel.email_consent.click()
    drain(qtbot, context)

    assert not panel.email_consent.isChecked()
    assert "has no email address" in panel.status.text()
    assert not account_of(database, practice.parent).email_statements


def test_biller_places_and_releases_hold(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    panel, _opened = show_panel(qtbot, context, practice.insured, tmp_path)
    assert panel.place_button.isEnabled()
    assert not panel.release_button.isEnabled()

    panel.hold_reason.setCurrentIndex(panel.hold_reason.findData("dispute"))
    qtbot.keyClicks(panel.hold_note, "Disputes the 99214 visit")
    qtbot.keyClick(panel.hold_note, Qt.Key.Key_Return)
    drain(qtbot, context)

    held = account_of(database, practice.insured)
    assert held.hold_reason == "dispute"
    assert held.hold_until is None
    assert held.hold_note == "Disputes the 99214 visit"
    assert panel.hold_state.text() == (
        "On hold (Balance disputed) until released: no statements are sent. "
        "Disputes the 99214 visit"
    )
    assert panel.release_button.isEnabled()

    panel.release_button.click()
    drain(qtbot, context)

    assert account_of(database, practice.insured).hold_reason is None
    assert panel.hold_state.text() == "No hold: statements are sent as usual."
    assert panel.hold_note.text() == ""


def test_hold_other_needs_note(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    panel, _opened = show_panel(qtbot, context, practice.insured, tmp_path)

    panel.hold_reason.setCurrentIndex(panel.hold_reason.findData("other"))
    panel.place_button.click()
    drain(qtbot, context)

    assert "the reason Other needs a note" in panel.status.text()
    assert account_of(database, practice.insured).hold_reason is None


def test_hold_last_day_shown(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    panel, _opened = show_panel(qtbot, context, practice.insured, tmp_path)
    last_day = date(2099, 1, 31)

    panel.hold_reason.setCurrentIndex(panel.hold_reason.findData("bankruptcy"))
    panel.hold_until.set_date(last_day)
    panel.place_button.click()
    drain(qtbot, context)

    assert account_of(database, practice.insured).hold_until == last_day
    assert panel.hold_state.text() == (
        "On hold (Bankruptcy) through 01/31/2099: no statements are sent"
    )


def test_statements_listed_with_pdf(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    with database.transaction() as session:
        statement_runs.run_statements(session, practice.biller, STATEMENT_DATE)
    context = context_for(practice.biller)
    panel, opened = show_panel(qtbot, context, practice.mateo, tmp_path)

    assert panel.statements_note.isHidden()
    assert panel.statement_table.column_texts(1) == ["06/30/2026"]
    assert panel.statement_table.column_texts(3) == ["$395.00"]
    assert panel.statement_table.column_texts(6) == ["Printed"]

    panel.statement_table.selectRow(0)
    panel.statement_table.setFocus()
    qtbot.keyClick(panel.statement_table, Qt.Key.Key_Return)
    drain(qtbot, context)
    number = panel.statement_table.column_texts(0)[0]
    assert [path.name for path in opened] == [f"statement-{number}.pdf"]
    assert opened[0].read_bytes().startswith(b"%PDF")


def test_outcome_shown_under_actions(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    panel, _opened = show_panel(qtbot, context, practice.insured, tmp_path)

    panel.hold_reason.setCurrentIndex(panel.hold_reason.findData("other"))
    panel.place_button.click()
    drain(qtbot, context)

    assert "the reason Other needs a note" in panel.status.text()
    status_top = panel.status.mapTo(panel, QPoint(0, 0)).y()
    buttons_bottom = panel.place_button.mapTo(panel, QPoint(0, panel.place_button.height())).y()
    table_top = panel.statement_table.mapTo(panel, QPoint(0, 0)).y()
    # Right under the hold buttons, above the statements, not at the foot of the tab.
    assert buttons_bottom <= status_top < table_top
    assert status_top - buttons_bottom <= 40


def test_record_window_fits_screen(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    window = PatientRecordWindow(context, practice.insured)
    qtbot.addWidget(window)
    screen = window.screen()
    assert screen is not None
    available = screen.availableGeometry()

    assert window.width() <= available.width()
    assert window.height() + WINDOW_FRAME_ALLOWANCE <= available.height()
    drain(qtbot, context)
