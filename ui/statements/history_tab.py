"""The History tab: find an account, list its statements and open one as sent.

The account search matches account numbers, guarantor names and patient names or chart
numbers. Selecting an account lists its statements newest first, below the accounts and
across the tab's whole width. Open PDF (or Enter on a statement) opens the PDF kept when
it was printed or sent. A statement that email did not deliver can be printed instead or
queued for email again. The statement reports have a tab of their own
(ui.statements.reports_tab).
"""

import logging
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.money import format_money
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import billing_accounts, statement_delivery, statement_runs
from app.services.billing_accounts import HOLD_LABELS, AccountRow
from app.services.statement_delivery import UNDELIVERED
from app.services.statement_reports import channel_label, status_label
from app.services.statement_runs import HistoryRow
from ui.admin.common import load_zone, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.patient.fields import format_date
from ui.payments.common import action_button, plural, status_line
from ui.payments.printing import OpenFile
from ui.statements import keys
from ui.statements.pdfs import open_stored_pdf
from ui.statements.tables import (
    SortCell,
    StatementTable,
    level_cell,
    timestamp_cell,
    visible_splitter,
)

log = logging.getLogger(__name__)

ACCOUNT_COLUMNS = ("Account", "Guarantor", "Patients", "Balance", "Hold")
STATEMENT_COLUMNS = (
    "Statement", "Date", "Level", "Amount due", "Pending", "Channel", "Status", "Sent",
    "Last error",
)  # fmt: skip
STATEMENT_MONEY = ("Amount due", "Pending")
STATEMENT_DATES = ("Date",)
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.PATIENTS)
# Searching every account for one or two letters would list most of the practice.
MIN_SEARCH_LENGTH = 2


def account_cells(row: AccountRow) -> list[str | SortCell]:
    """Return one account's cells, in ACCOUNT_COLUMNS order."""
    return [
        row.account_number,
        row.guarantor_name,
        SortCell(str(row.patient_count), row.patient_count),
        format_money(row.balance),
        HOLD_LABELS.get(row.hold, row.hold) if row.hold else "",
    ]


def statement_cells(row: HistoryRow, zone: ZoneInfo | None = None) -> list[str | SortCell]:
    """Return one statement's cells, in STATEMENT_COLUMNS order."""
    return [
        row.statement_number,
        format_date(row.statement_date),
        level_cell(row.level, row.level_label),
        format_money(row.amount_due),
        format_money(row.insurance_pending),
        channel_label(row.channel),
        status_label(row.status),
        timestamp_cell(row.sent_at, zone),
        row.last_error or "",
    ]


def statement_table(object_name: str) -> StatementTable:
    """Return an empty table of statements with STATEMENT_COLUMNS."""
    table = StatementTable(STATEMENT_COLUMNS, "Statements", STATEMENT_MONEY, STATEMENT_DATES)
    table.setObjectName(object_name)
    return table


class HistoryTab(Page):
    """Searches accounts, lists an account's statements and opens their PDFs."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementHistoryTab")
        self.context = context
        self.accounts: list[AccountRow] = []
        self.statements: list[HistoryRow] = []
        self._search_request = 0
        self._history_request = 0
        self.pdf_folder: Path | None = None
        self.open_file: OpenFile | None = None

        self.search = QLineEdit()
        self.search.setObjectName("accountSearch")
        self.search.setAccessibleName("Account, guarantor or patient")
        self.search.setPlaceholderText("Account number, guarantor, patient name or chart number")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_accounts)
        self.find_button = action_button("Fin&d", "findAccounts")
        self.find_button.clicked.connect(self.find_accounts)
        self.account_table = StatementTable(ACCOUNT_COLUMNS, "Accounts found", ("Balance",))
        self.account_table.setObjectName("accountTable")
        self.account_table.itemSelectionChanged.connect(self.load_history)
        self.statement_table = statement_table("statementTable")
        self.statement_table.itemSelectionChanged.connect(self._update_actions)
        self.statement_table.activated.connect(lambda _index: self.open_selected())
        self.open_button = action_button("&Open PDF", "openStatementPdf")
        self.open_button.clicked.connect(self.open_selected)
        self.print_button = action_button("&Print instead", "printInstead")
        self.print_button.setToolTip("Print a statement that was not emailed, and mark it printed")
        self.print_button.clicked.connect(self.print_instead)
        self.retry_button = action_button("E&mail again", "retryEmail")
        self.retry_button.setToolTip("Queue the statement for email at the next Send emails")
        self.retry_button.clicked.connect(self.retry_email)
        self.status = status_line("Last history action")
        self._bind_keys()
        self._lay_out()
        self._update_actions()

    def _bind_keys(self) -> None:
        for shortcut, slot in (
            (keys.PREVIEW, self.refresh_history),
            (keys.FIND_ACCOUNT, self.focus_search),
            (keys.OPEN_PDF, self.open_selected),
        ):
            action = QAction(shortcut.action, self)
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, call=slot: call())
            self.addAction(action)

    def _lay_out(self) -> None:
        search_row = QHBoxLayout()
        caption = QLabel("&Account, guarantor or patient")
        caption.setBuddy(self.search)
        search_row.addWidget(caption)
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.find_button)

        open_row = QHBoxLayout()
        open_row.addWidget(self.status, 1)
        open_row.addWidget(self.retry_button)
        open_row.addWidget(self.print_button)
        open_row.addWidget(self.open_button)

        # The statements get the whole width, so Status, Sent and Last error show, and
        # most of the height: a search usually finds one or two accounts.
        self.splitter = visible_splitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.account_table)
        self.splitter.addWidget(self.statement_table)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(search_row)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(open_row)

    # Accounts

    def focus_search(self) -> None:
        """Put the cursor in the account search, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def find_accounts(self) -> None:
        """Search accounts by the text typed (off the GUI thread)."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        text = self.search.text().strip()
        if len(text) < MIN_SEARCH_LENGTH:
            self.status.setText(
                f"Type at least {MIN_SEARCH_LENGTH} characters of an account number, "
                "guarantor or patient."
            )
            return
        self._search_request += 1
        request, actor = self._search_request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[AccountRow]:
            return billing_accounts.find_accounts(session, actor, text)

        run_for(self, self.context, work, lambda rows: self._found(request, rows))

    def _found(self, request: int, rows: list[AccountRow]) -> None:
        if request != self._search_request:
            return
        self.accounts = rows
        self.account_table.set_rows([(row.account_id, account_cells(row)) for row in rows])
        self.status.setText(f"{plural(len(rows), 'account')} found.")
        if len(rows) == 1:
            self.account_table.selectRow(0)
        elif not rows:
            self._show_history(self._history_request, [], None)

    def selected_account(self) -> AccountRow | None:
        """Return the selected account, or None."""
        account_id = self.account_table.selected_id()
        return next((row for row in self.accounts if row.account_id == account_id), None)

    # Statements

    def load_history(self) -> None:
        """List the selected account's statements (off the GUI thread)."""
        account = self.selected_account()
        self._history_request += 1
        request = self._history_request
        if account is None:
            self._show_history(request, [], None)
            return
        account_id, actor = account.account_id, self.context.actor

        def work(session: Session, _progress: Progress) -> tuple[list[HistoryRow], ZoneInfo | None]:
            return statement_runs.statement_history(session, actor, account_id), load_zone(session)

        run_for(
            self, self.context, work,
            lambda loaded: self._show_history(request, loaded[0], loaded[1]),
        )  # fmt: skip

    def refresh_history(self) -> None:
        """Search again with the text shown, or reload the statements of the account."""
        if self.selected_account() is not None:
            self.load_history()
        elif self.search.text().strip():
            self.find_accounts()

    def _show_history(self, request: int, rows: list[HistoryRow], zone: ZoneInfo | None) -> None:
        if request != self._history_request:
            return
        self.statements = rows
        self.statement_table.set_rows(
            [(row.statement_id, statement_cells(row, zone)) for row in rows]
        )
        if rows:
            self.statement_table.selectRow(0)
        self._update_actions()

    def selected_statement(self) -> HistoryRow | None:
        """Return the selected statement, or None."""
        statement_id = self.statement_table.selected_id()
        return next((row for row in self.statements if row.statement_id == statement_id), None)

    def open_selected(self) -> None:
        """Open the selected statement's PDF as it was printed or sent."""
        row = self.selected_statement()
        if row is None:
            self.status.setText("Select a statement first.")
            return
        statement_id: uuid.UUID = row.statement_id

        def fetch(session: Session, actor: Actor) -> bytes:
            return statement_runs.statement_pdf(session, actor, statement_id)

        open_stored_pdf(
            self.context, self, f"statement-{row.statement_number}", fetch,
            title="Opening the statement…", folder=self.pdf_folder,
            open_file=self.open_file, on_error=self._failed,
        )  # fmt: skip

    def print_instead(self) -> None:
        """Mark the selected undelivered statement printed and open its PDF to print."""
        row = self.selected_statement()
        if row is None or row.status not in UNDELIVERED:
            self.status.setText("Select a statement that is queued, failed or to be printed.")
            return
        statement_id, number = row.statement_id, row.statement_number

        def fetch(session: Session, actor: Actor) -> bytes | None:
            return statement_delivery.print_instead(session, actor, statement_id)

        def cancelled() -> None:
            self.status.setText(
                f"Statement {number} was canceled instead of printed, because nothing is "
                "owed anymore or a hold or collection placement now stops it."
            )

        open_stored_pdf(
            self.context, self, f"statement-{number}", fetch,
            title="Printing the statement…", folder=self.pdf_folder,
            open_file=self.open_file, on_error=self._failed, on_empty=cancelled,
            after=self.load_history,
        )  # fmt: skip

    def retry_email(self) -> None:
        """Queue the selected undelivered statement for email at the next send."""
        row = self.selected_statement()
        if row is None or row.status not in UNDELIVERED:
            self.status.setText("Select a statement that is queued, failed or to be printed.")
            return
        statement_id, number, actor = row.statement_id, row.statement_number, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return statement_delivery.retry_statement(session, actor, statement_id)

        def done(_changes: Changes) -> None:
            self.status.setText(
                f"Statement {number} is queued for email; Send emails on the Statement run "
                "tab sends it."
            )

        run_for(self, self.context, work, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, UserError):
            self.status.setText(str(error))
            self.load_history()
        else:
            show_error(self, error)

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.STATEMENT_RUN)
        selected = self.selected_statement()
        undelivered = selected is not None and selected.status in UNDELIVERED
        self.find_button.setEnabled(allowed)
        self.open_button.setEnabled(allowed and selected is not None)
        self.print_button.setEnabled(allowed and undelivered)
        self.retry_button.setEnabled(allowed and undelivered)

    # Page hooks

    def refresh(self) -> None:
        """Reload the statements shown."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        if self.selected_account() is not None:
            self.load_history()

    def clear_data(self) -> None:
        """Remove accounts and statements from the screen (lock or sign-out)."""
        self._search_request += 1
        self._history_request += 1
        self.accounts = []
        self.statements = []
        self.search.clear()
        self.account_table.set_rows([])
        self.statement_table.set_rows([])
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload the statements shown after statements or payments change."""
        if changes.touches(*WATCHED_KINDS) and self.selected_account() is not None:
            self.load_history()
