"""The Statement run tab: preview who gets which notice, run the statements, print, email.

Preview lists every account with a balance: the level each would get and why, or why it
is skipped (skipped rows are gray and hidden unless "Show skipped" is ticked). Run
statements makes the statements the preview chose, after a confirmation naming their
count and total. The printed ones come back as one batch PDF to open and print. The
email ones are queued until Send emails hands them to the practice's mail server.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.clock import utc_now
from app.errors import UserError
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import statement_delivery, statement_runs
from app.services.mailer import SmtpTransport, smtp_password, smtp_settings
from app.services.statement_delivery import DeliverySummary
from app.services.statement_reports import channel_label
from app.services.statement_runs import PreviewRow, RunOutcome
from app.services.today import practice_today
from ui.admin.common import ID_ROLE, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.patient.fields import format_date
from ui.payments.common import action_button, date_field, plural, status_line
from ui.payments.printing import OpenFile
from ui.statements import keys
from ui.statements.pdfs import open_stored_pdf
from ui.statements.tables import SortCell, StatementTable, level_cell

log = logging.getLogger(__name__)

PREVIEW_COLUMNS = (
    "Account", "Guarantor", "Level", "Reason", "Channel", "Amount due", "Pending", "Balance",
)  # fmt: skip
PREVIEW_MONEY = ("Amount due", "Pending", "Balance")
SKIPPED_COLOR = "#5f6368"
NO_BREAK = "\u00a0"


@dataclass(frozen=True, slots=True)
class SendReport:
    """The outcome of one Send emails: the counts, or that email is not set up."""

    summary: DeliverySummary | None
    changes: Changes


def is_sent(row: PreviewRow) -> bool:
    """Return True when the run makes a statement for the row (skipped rows have no level)."""
    return row.level is not None


def preview_cells(row: PreviewRow) -> list[str | SortCell]:
    """Return one preview row's cells, in PREVIEW_COLUMNS order."""
    return [
        row.account_number,
        row.guarantor_name,
        level_cell(row.level, row.level_label if is_sent(row) else "Skipped"),
        row.reason,
        channel_label(row.channel) if is_sent(row) else "",
        format_money(row.amount_due),
        format_money(row.insurance_pending),
        format_money(row.balance),
    ]


def preview_summary(rows: list[PreviewRow]) -> str:
    """Return the line above the table, such as "3 statements to send: 2 printed, …".

    When the line wraps, a figure stays on one line with its word ("$3,293.05 due"),
    because those spaces are no-break spaces.
    """
    chosen = [row for row in rows if is_sent(row)]
    printed = sum(1 for row in chosen if row.channel == "print")
    total = sum((row.amount_due for row in chosen), ZERO)
    return (
        f"{plural(len(chosen), 'statement')} to send: {printed} printed, "
        f"{len(chosen) - printed} by email · {format_money(total)}{NO_BREAK}due · "
        f"{len(rows) - len(chosen)}{NO_BREAK}skipped"
    )


def future_date_message(run_on: date, today: date) -> str:
    """Return why a statement date after today is rejected, in the words of the run's error."""
    return (
        f"The statement date {run_on:%m/%d/%Y} is after today ({today:%m/%d/%Y}); "
        "run statements dated today or earlier."
    )


def preview_if_not_future(
    session: Session, actor: Actor, run_on: date, progress: Progress
) -> list[PreviewRow]:
    """Preview a run dated `run_on`, or raise UserError when that day is after today.

    The run itself rejects such a date, so the preview says so before the biller
    reads a list that could never be sent.
    """
    today = practice_today(session)
    if run_on > today:
        raise UserError(future_date_message(run_on, today))
    return statement_runs.preview_run(session, actor, run_on, progress)


def send_message(summary: DeliverySummary) -> str:
    """Return the sentence that reports one Send emails."""
    parts = [f"Sent {plural(summary.sent, 'statement')} by email."]
    if summary.waiting:
        parts.append(f"{summary.waiting} waiting to be tried again later.")
    if summary.failed:
        parts.append(
            f"{plural(summary.failed, 'email')} failed after repeated tries; print them "
            "from History."
        )
    if summary.moved_to_print:
        parts.append(
            f"{summary.moved_to_print} could not go by email and are listed for printing "
            "(see History)."
        )
    if summary.cancelled:
        parts.append(
            f"{summary.cancelled} canceled because nothing is owed anymore or the account "
            "is on hold or with collections."
        )
    return " ".join(parts)


class RunTab(Page):
    """Previews and runs statements, then opens the printed batch and sends the emails."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementRunTab")
        self.context = context
        self.rows: list[PreviewRow] = []
        self.previewed_on: date | None = None
        self.last_run: RunOutcome | None = None
        self._request = 0
        self.pdf_folder: Path | None = None
        self.open_file: OpenFile | None = None
        self.confirm_box: QMessageBox | None = None

        self.run_date = date_field("Statement date")
        self.run_date.setObjectName("statementDate")
        self.run_date.returnPressed.connect(self.preview)
        self.preview_button = action_button("&Preview", "previewStatements")
        self.preview_button.clicked.connect(self.preview)
        self.show_skipped = QCheckBox("Show s&kipped")
        self.show_skipped.setObjectName("showSkipped")
        self.show_skipped.toggled.connect(lambda _checked: self._fill())
        self.summary = QLabel()
        self.summary.setObjectName("countCard")
        # The summary wraps inside the room left beside the date, so a long one never
        # widens the window. The tooltip repeats it in full.
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(1)
        self.table = StatementTable(PREVIEW_COLUMNS, "Statement preview", PREVIEW_MONEY)
        self.table.setObjectName("previewTable")
        self.run_button = action_button("&Run statements…", "runStatements")
        self.run_button.clicked.connect(self.confirm_run)
        self.batch_button = action_button("Open printed &batch", "openBatch")
        self.batch_button.clicked.connect(self.open_batch)
        self.send_button = action_button("Send &emails", "sendEmails")
        self.send_button.clicked.connect(self.send_emails)
        self.status = status_line("Last statement action")
        self._bind_keys()
        self._lay_out()
        self._update_actions()

    def _bind_keys(self) -> None:
        for shortcut, slot in (
            (keys.PREVIEW, self.preview),
            (keys.RUN, self.confirm_run),
            (keys.OPEN_BATCH, self.open_batch),
            (keys.SEND_EMAILS, self.send_emails),
        ):
            action = QAction(shortcut.action, self)
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, call=slot: call())
            self.addAction(action)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        caption = QLabel("Statement &date")
        caption.setBuddy(self.run_date)
        top.addWidget(caption)
        top.addWidget(self.run_date)
        top.addWidget(self.preview_button)
        top.addWidget(self.show_skipped)
        top.addWidget(self.summary, 1)

        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.run_button)
        actions.addWidget(self.batch_button)
        actions.addWidget(self.send_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)

    # Loading and previewing

    def refresh(self) -> None:
        """Put the practice's today in the date field when it is empty (no preview runs)."""
        if not self.context.can(Permission.STATEMENT_RUN) or self.run_date.text().strip():
            return

        def work(session: Session, _progress: Progress) -> date:
            return practice_today(session)

        def done(today: date) -> None:
            if not self.run_date.text().strip():
                self.run_date.set_date(today)

        run_for(self, self.context, work, done, read_only=True)

    def chosen_date(self) -> date | None:
        """Return the statement date typed, or None after saying what is wrong with it."""
        problems = self.run_date.problems("run_on", "The statement date")
        chosen = self.run_date.date_value()
        if problems or chosen is None:
            text = problems[0].message if problems else "Type the statement date as MM/DD/YYYY."
            self.status.setText(text)
            self.run_date.setFocus()
            return None
        return chosen

    def preview(self) -> None:
        """List who a run dated as typed would send which notice (off the GUI thread)."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        run_on = self.chosen_date()
        if run_on is None:
            return
        self._request += 1
        request, actor = self._request, self.context.actor

        def work(session: Session, progress: Progress) -> list[PreviewRow]:
            return preview_if_not_future(session, actor, run_on, progress)

        self.preview_button.setEnabled(False)
        run_for(
            self, self.context, work, lambda rows: self._previewed(request, run_on, rows),
            self._preview_failed, title="Previewing statements…",
        )  # fmt: skip

    def _previewed(self, request: int, run_on: date, rows: list[PreviewRow]) -> None:
        if request != self._request:
            return
        self.rows = rows
        self.previewed_on = run_on
        self._fill()
        self.status.setText(f"Preview of the statements dated {format_date(run_on)}.")
        log.info("statement preview lists %d accounts", len(rows))
        self._update_actions()

    def shown_rows(self) -> list[PreviewRow]:
        """Return the rows the table shows: every row, or the chosen ones only."""
        if self.show_skipped.isChecked():
            return list(self.rows)
        return [row for row in self.rows if is_sent(row)]

    def _fill(self) -> None:
        visible = self.shown_rows()
        self.table.set_rows([(row.account_id, preview_cells(row)) for row in visible])
        self._gray_skipped()
        summary = preview_summary(self.rows) if self.previewed_on else ""
        self.summary.setText(summary)
        self.summary.setToolTip(summary)

    def _gray_skipped(self) -> None:
        # The table may be sorted by a header click, so rows are matched by their id.
        skipped = {row.account_id for row in self.rows if not is_sent(row)}
        gray = QBrush(QColor(SKIPPED_COLOR))
        for index in range(self.table.rowCount()):
            first = self.table.item(index, 0)
            if first is None or first.data(ID_ROLE) not in skipped:
                continue
            for column in range(self.table.columnCount()):
                item = self.table.item(index, column)
                if item is not None:
                    item.setForeground(gray)

    def chosen_rows(self) -> list[PreviewRow]:
        """Return the preview rows the run will make statements for."""
        return [row for row in self.rows if is_sent(row)]

    # Running

    def confirm_run(self) -> None:
        """Ask before running the previewed statements, naming their count and total."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        run_on = self.chosen_date()
        if run_on is None:
            return

        if run_on != self.previewed_on:
            self.status.setText(
                f"Preview the statements dated {format_date(run_on)} first (Preview, or F5)."
            )
            return
        chosen = self.chosen_rows()
        if not chosen:
            self.status.setText("The preview has no statement to send.")
            return

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Run statements",
            confirmation_text(run_on, chosen),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("&Run")

        # A message box closes with the clicked button's code, so the button is checked.
        account_ids = [row.account_id for row in chosen]
        box.buttonClicked.connect(
            lambda button: self.run(run_on, account_ids) if button is yes else None
        )
        box.finished.connect(box.deleteLater)
        self.confirm_box = box
        box.open()

    def run(self, run_on: date, account_ids: list[uuid.UUID]) -> None:
        """Make the statements of `account_ids` dated `run_on` (off the GUI thread)."""
        actor = self.context.actor

        def work(session: Session, progress: Progress) -> RunOutcome:
            return statement_runs.run_statements(session, actor, run_on, account_ids, progress)

        self.run_button.setEnabled(False)
        run_for(self, self.context, work, self._ran, self._failed, title="Running statements…")

    def _ran(self, outcome: RunOutcome) -> None:
        self.last_run = outcome
        # The preview is out of date once its statements exist.
        self.rows = []
        self.previewed_on = None
        self._fill()
        self.status.setText(
            f"Run {outcome.run_number} made {plural(outcome.printed, 'printed statement')} "
            f"and queued {plural(outcome.queued, 'email')}, {format_money(outcome.total_due)} "
            "due in all. Open the printed batch to print it; send the emails when ready."
        )
        log.info("statement run %s finished", outcome.run_id)
        self._update_actions()

    def _failed(self, error: BaseException) -> None:
        self._update_actions()
        if isinstance(error, UserError):
            self.status.setText(str(error))
        else:
            show_error(self, error)

    def _preview_failed(self, error: BaseException) -> None:
        self._failed(error)
        if isinstance(error, UserError):
            self.run_date.setFocus()
            self.run_date.selectAll()

    # Printing and email

    def open_batch(self) -> None:
        """Write the last run's printed batch to a temporary file and open it."""
        outcome = self.last_run
        if outcome is None or not outcome.printed:
            self.status.setText("Run statements first; the last run printed nothing.")
            return
        run_id = outcome.run_id

        def fetch(session: Session, actor: Actor) -> bytes:
            return statement_runs.run_batch_pdf(session, actor, run_id)

        open_stored_pdf(
            self.context, self, f"statements-{outcome.run_number}", fetch,
            title="Opening the printed batch…", folder=self.pdf_folder,
            open_file=self.open_file, on_error=self._failed,
        )  # fmt: skip

    def send_emails(self) -> None:
        """Send every statement queued for email through the practice's mail server."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        actor = self.context.actor

        def work(session: Session, progress: Progress) -> SendReport:
            settings = smtp_settings(session)
            if not settings.configured:
                return SendReport(None, Changes())
            # NOTE: the send runs inside the unit of work, so other writers wait for the
            # mail server (at most the mail timeout per connection step).
            with SmtpTransport(settings, smtp_password(settings.username)) as transport:
                summary = statement_delivery.send_queued_statements(
                    session, actor, transport, utc_now(), progress
                )
            return SendReport(summary, summary.changes)

        self.send_button.setEnabled(False)
        run_for(self, self.context, work, self._sent, self._failed, title="Sending statements…")

    def _sent(self, report: SendReport) -> None:
        self._update_actions()
        if report.summary is None:
            self.status.setText(
                "Email is not set up, so nothing was sent: enter the mail server in Admin "
                "(Reminders tab), then send again."
            )
            return
        self.status.setText(send_message(report.summary))

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.STATEMENT_RUN)
        self.preview_button.setEnabled(allowed)
        self.run_button.setEnabled(allowed and bool(self.chosen_rows()))
        self.batch_button.setEnabled(
            allowed and self.last_run is not None and self.last_run.printed > 0
        )
        self.send_button.setEnabled(allowed)

    # Page hooks

    def clear_data(self) -> None:
        """Remove the preview and the last run from the screen (lock or sign-out)."""
        self._request += 1
        self.rows = []
        self.previewed_on = None
        self.last_run = None
        self.table.set_rows([])
        self.summary.clear()
        self.summary.setToolTip("")
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Keep the preview: a run changes what it shows, and the user previews again."""


def confirmation_text(run_on: date, chosen: list[PreviewRow]) -> str:
    """Return the question asked before a run, naming the counts and the total due."""
    printed = sum(1 for row in chosen if row.channel == "print")
    total: Decimal = sum((row.amount_due for row in chosen), ZERO)
    return (
        f"Run {plural(len(chosen), 'statement')} dated {format_date(run_on)}? "
        f"{printed} will be printed and {len(chosen) - printed} sent by email, "
        f"{format_money(total)} due in all. Each statement is kept with its PDF as sent, "
        "and the next run counts it as the account's last statement."
    )
