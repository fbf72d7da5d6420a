"""The Statements page driven through its widgets: preview, run, the printed batch, email,
an account's history with its PDFs, and the two reports with their CSV exports."""

import csv
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.statements import BillingAccount, Statement
from app.security.permissions import Actor
from app.services import billing_accounts, statement_runs
from app.services.mailer import SmtpSettings, save_smtp_settings
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    INSURED_DUE,
    PERSON_DUE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
)
from tests.services.scheduling_find.test_reminders import Inbox, free_port
from tests.ui.charges.conftest import drain
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.patient.fields import format_date
from ui.statements.page import StatementsPage
from ui.statements.run_tab import SKIPPED_COLOR

ContextFor = Callable[[Actor], AppContext]
SENT_DUE = FAMILY_BALANCE + INSURED_DUE + PERSON_DUE


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


@pytest.fixture
def context_for(
    qtbot: QtBot, database: Database, practice: StatementPractice
) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
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


def show_page(qtbot: QtBot, context: AppContext, folder: Path) -> tuple[StatementsPage, list[Path]]:
    """Show a Statements page wired to changes as the main window does.

    PDFs go to `folder`; the returned list collects each PDF the page would open.
    """
    page = StatementsPage(context)
    qtbot.addWidget(page)
    context.ops.changed.connect(page.handle_changes)
    opened: list[Path] = []
    page.send_pdfs_to(folder, opened.append)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    drain(qtbot, context)
    return page, opened


def focus_page(qtbot: QtBot, page: StatementsPage) -> None:
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)


def preview_on(qtbot: QtBot, context: AppContext, page: StatementsPage, day: date) -> None:
    """Type the statement date and press Enter, which previews."""
    field = page.run_tab.run_date
    field.clear()
    qtbot.keyClicks(field, format_date(day))
    qtbot.keyClick(field, Qt.Key.Key_Return)
    drain(qtbot, context)


def confirm_box(qtbot: QtBot, page: StatementsPage) -> QMessageBox:
    qtbot.waitUntil(lambda: page.run_tab.confirm_box is not None, timeout=5_000)
    box = page.run_tab.confirm_box
    assert box is not None
    qtbot.waitUntil(box.isVisible, timeout=5_000)
    return box


def statements_in(database: Database) -> list[Statement]:
    with database.reading() as session:
        return list(session.scalars(select(Statement).order_by(Statement.statement_number)))


def give_email_consent(database: Database, practice: StatementPractice) -> None:
    """Let Karen Walsh (the person guarantor, who has an email address) get email."""
    with database.transaction() as session:
        account = billing_accounts.account_for_patient(
            session, practice.biller, practice.person_patient
        )
        billing_accounts.set_email_consent(session, practice.biller, account.id, True)


# Statement run


def test_preview_lists_sent_and_skipped(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.run_tab
    # The date field starts at the practice's today.
    assert tab.run_date.date_value() is not None

    preview_on(qtbot, context, page, STATEMENT_DATE)

    # By guarantor name, as the service sorts them.
    assert tab.table.column_texts(1) == ["Daniel Brooks", "Karen Walsh", "Laura Garcia"]
    assert tab.table.column_texts(2) == ["Statement"] * 3
    assert tab.table.column_texts(5) == ["$30.00", "$175.00", "$395.00"]
    assert tab.table.column_texts(4) == ["Print", "Print", "Print"]
    assert tab.table.column_texts(6) == ["$150.00", "$0.00", "$0.00"]
    assert tab.summary.text() == (
        f"3 statements to send: 3 printed, 0 by email · ${SENT_DUE:,.2f}\u00a0due · 2\u00a0skipped"
    )

    focus_page(qtbot, page)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(tab.show_skipped.isChecked, timeout=2_000)
    assert tab.table.rowCount() == 5
    skipped = [
        row
        for row in range(5)
        if tab.table.item(row, 2).text() == "Skipped"  # type: ignore[union-attr]
    ]
    assert len(skipped) == 2
    for row in skipped:
        item = tab.table.item(row, 1)
        assert item is not None
        assert item.foreground().color().name() == SKIPPED_COLOR
    names = {tab.table.item(row, 1).text() for row in skipped}  # type: ignore[union-attr]
    assert names == {"Olivia Park", "Henry Cole"}


def test_run_by_keyboard_then_open_batch(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    page, opened = show_page(qtbot, context, tmp_path)
    tab = page.run_tab
    preview_on(qtbot, context, page, STATEMENT_DATE)
    focus_page(qtbot, page)
    tab.table.setFocus()

    qtbot.keyClick(tab.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    box = confirm_box(qtbot, page)
    assert "Run 3 statements dated 06/30/2026?" in box.text()
    assert "3 will be printed and 0 sent by email" in box.text()
    assert f"${SENT_DUE:,.2f} due in all" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).click()
    drain(qtbot, context)

    stored = statements_in(database)
    assert [(row.level, row.status, row.channel) for row in stored] == [
        ("statement", "printed", "print")
    ] * 3
    assert sorted(row.amount_due for row in stored) == [INSURED_DUE, PERSON_DUE, FAMILY_BALANCE]
    assert tab.last_run is not None
    assert tab.status.text().startswith(f"Run {tab.last_run.run_number} made 3 printed statements")
    assert tab.table.rowCount() == 0
    assert not tab.run_button.isEnabled()

    assert tab.batch_button.isEnabled()
    focus_page(qtbot, page)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    drain(qtbot, context)
    assert [path.name for path in opened] == [f"statements-{tab.last_run.run_number}.pdf"]
    assert opened[0].read_bytes().startswith(b"%PDF")


def test_cancelled_confirmation_runs_nothing(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    preview_on(qtbot, context, page, STATEMENT_DATE)

    page.run_tab.run_button.click()
    box = confirm_box(qtbot, page)
    box.button(QMessageBox.StandardButton.Cancel).click()
    drain(qtbot, context)

    assert statements_in(database) == []
    assert page.run_tab.table.rowCount() == 3


def test_run_needs_preview_of_same_date(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.run_tab
    preview_on(qtbot, context, page, STATEMENT_DATE)
    tab.run_date.set_date(date(2026, 7, 1))

    tab.confirm_run()

    assert tab.confirm_box is None
    assert tab.status.text() == "Preview the statements dated 07/01/2026 first (Preview, or F5)."


@pytest.fixture
def inbox(database: Database, practice: StatementPractice) -> Iterator[Inbox]:
    """A local SMTP server that the practice's email settings point at."""
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    with database.transaction() as session:
        settings = SmtpSettings("127.0.0.1", port, "none", "", "billing@example.com")
        save_smtp_settings(session, practice.ledger.admin, settings)
    yield received
    controller.stop()


def test_email_statement_sent(  # noqa: PLR0917 (pytest passes fixtures by position)
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
    inbox: Inbox,
) -> None:
    give_email_consent(database, practice)
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    tab = page.run_tab
    preview_on(qtbot, context, page, STATEMENT_DATE)
    assert tab.table.column_texts(4) == ["Print", "Email", "Print"]

    tab.run_button.click()
    confirm_box(qtbot, page).button(QMessageBox.StandardButton.Yes).click()
    drain(qtbot, context)
    assert tab.last_run is not None
    assert (tab.last_run.printed, tab.last_run.queued) == (2, 1)

    focus_page(qtbot, page)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    drain(qtbot, context)

    assert tab.status.text() == "Sent 1 statement by email."
    assert len(inbox.messages) == 1
    assert "karen.walsh@example.com" in inbox.messages[0]
    emailed = [row for row in statements_in(database) if row.channel == "email"]
    assert [row.status for row in emailed] == ["sent"]


def test_send_without_email_setup(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)

    page.run_tab.send_button.click()
    drain(qtbot, context)

    assert page.run_tab.status.text().startswith("Email is not set up, so nothing was sent")


def test_front_desk_sees_no_tabs(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.desk)
    page, _opened = show_page(qtbot, context, tmp_path)

    assert page.denied.isVisible()
    assert not page.tabs.isVisible()


# History


def run_statements(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        statement_runs.run_statements(session, practice.biller, STATEMENT_DATE)


def test_history_search_and_open_pdf(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    run_statements(database, practice)
    context = context_for(practice.biller)
    page, opened = show_page(qtbot, context, tmp_path)
    history = page.history
    page.show_tab(history)
    drain(qtbot, context)
    assert page.hint.text().startswith("Ctrl+F: search for an account")

    focus_page(qtbot, page)
    history.setFocus()
    qtbot.keyClick(history, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert history.search.hasFocus()
    qtbot.keyClicks(history.search, "Walsh")
    qtbot.keyClick(history.search, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert history.account_table.column_texts(1) == ["Walsh, Karen"]
    assert history.account_table.column_texts(3) == ["$175.00"]
    qtbot.waitUntil(lambda: history.statement_table.rowCount() == 1, timeout=5_000)
    assert history.statement_table.column_texts(1) == ["06/30/2026"]
    assert history.statement_table.column_texts(2) == ["Statement"]
    assert history.statement_table.column_texts(6) == ["Printed"]
    assert not history.print_button.isEnabled()

    history.statement_table.setFocus()
    qtbot.keyClick(history.statement_table, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    drain(qtbot, context)
    number = history.statement_table.column_texts(0)[0]
    assert [path.name for path in opened] == [f"statement-{number}.pdf"]
    assert opened[0].read_bytes().startswith(b"%PDF")


def test_history_prints_email_instead(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    give_email_consent(database, practice)
    run_statements(database, practice)
    context = context_for(practice.biller)
    page, opened = show_page(qtbot, context, tmp_path)
    history = page.history
    page.show_tab(history)
    qtbot.keyClicks(history.search, "Walsh")
    history.find_accounts()
    drain(qtbot, context)
    qtbot.waitUntil(lambda: history.statement_table.rowCount() == 1, timeout=5_000)
    assert history.statement_table.column_texts(6) == ["Queued"]
    assert history.print_button.isEnabled()

    history.print_button.click()
    drain(qtbot, context)

    assert len(opened) == 1
    assert opened[0].read_bytes().startswith(b"%PDF")
    emailed = [row for row in statements_in(database) if row.account_balance == PERSON_DUE]
    assert [(row.channel, row.status) for row in emailed] == [("print", "printed")]
    qtbot.waitUntil(lambda: history.statement_table.column_texts(6) == ["Printed"], timeout=5_000)


# Reports


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_notices_report_and_export(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    run_statements(database, practice)
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    page.show_tab(page.reports)
    drain(qtbot, context)
    reports = page.reports
    assert reports.chosen_levels() == ["second", "third"]
    assert list(reports.level_boxes) == [
        "statement", "second", "third", "final", "collections", "plan_reminder",
    ]  # fmt: skip

    reports.level_boxes["statement"].setChecked(True)
    reports.start.set_date(date(2026, 6, 1))
    reports.end.set_date(date(2026, 6, 30))
    reports.show_button.click()
    drain(qtbot, context)

    assert reports.notice_table.column_texts(1) == ["Laura Garcia", "Daniel Brooks", "Karen Walsh"]
    assert reports.notice_table.column_texts(3) == ["Statement"] * 3
    assert reports.summary.text() == f"3 notices, ${SENT_DUE:,.2f} due when sent."

    target = tmp_path / "notices.csv"
    reports.export_to(target)
    drain(qtbot, context)
    rows = read_csv(target)
    assert len(rows) == 4
    assert rows[1][1] == "Laura Garcia"
    assert rows[1][5] == "395.00"
    assert reports.summary.text() == "Exported 3 notices to notices.csv."


def test_notices_report_rejects_backward_period(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    page.show_tab(page.reports)
    drain(qtbot, context)
    reports = page.reports

    reports.start.set_date(date(2026, 7, 1))
    reports.end.set_date(date(2026, 6, 1))
    reports.show_button.click()
    drain(qtbot, context)

    assert "swap the two dates" in reports.summary.text()


def test_overdue_report_and_export(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    page.show_tab(page.reports)
    drain(qtbot, context)
    reports = page.reports
    reports.report.setCurrentIndex(1)
    assert reports.parameters.currentIndex() == 1

    reports.as_of.set_date(STATEMENT_DATE)
    reports.cutoff.setValue(55)
    reports.show_button.click()
    drain(qtbot, context)

    assert reports.overdue_table.column_texts(1) == ["Laura Garcia", "Daniel Brooks"]
    assert reports.overdue_table.column_texts(0) == ["(none yet)", "(none yet)"]
    assert reports.overdue_table.column_texts(5) == ["150", "60"]
    assert reports.summary.text() == f"2 accounts, ${FAMILY_BALANCE + INSURED_DUE:,.2f} owed."

    target = tmp_path / "overdue.csv"
    reports.export_to(target)
    drain(qtbot, context)
    rows = read_csv(target)
    assert [row[1] for row in rows[1:]] == ["Laura Garcia", "Daniel Brooks"]
    assert rows[1][8] == "never billed (no account yet)"


def test_history_lists_accounts_made_by_search(
    qtbot: QtBot,
    database: Database,
    practice: StatementPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    context = context_for(practice.biller)
    page, _opened = show_page(qtbot, context, tmp_path)
    history = page.history
    page.show_tab(history)
    qtbot.keyClicks(history.search, "Garcia")
    history.find_accounts()
    drain(qtbot, context)

    # The three Garcias share Laura's account, which the search made.
    assert history.account_table.column_texts(1) == ["Garcia, Laura"]
    assert history.account_table.column_texts(2) == ["3"]
    assert history.statement_table.rowCount() == 0
    with database.reading() as session:
        numbers = session.scalars(select(BillingAccount.account_number)).all()
    assert history.account_table.column_texts(0) == list(numbers)
    assert Decimal(history.account_table.column_texts(3)[0].strip("$")) == FAMILY_BALANCE


def test_page_hosts_plans_and_collections(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(practice.manager)
    page, _opened = show_page(qtbot, context, tmp_path)
    titles = [page.tabs.tabText(index) for index in range(page.tabs.count())]
    assert titles == [
        "&Statement run", "Histor&y", "Repor&ts", "Payment p&lans", "Collect&ions",
    ]  # fmt: skip

    focus_page(qtbot, page)
    page.run_tab.table.setFocus()
    qtbot.keyClick(page.run_tab.table, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    drain(qtbot, context)
    assert page.current_tab() is page.collections
    assert page.hint.text().startswith("F5: reload the candidates and placements")

    page.show_tab(page.plans)
    drain(qtbot, context)
    assert page.hint.text() == "Alt + the underlined letter: go to a tab, field or button"
