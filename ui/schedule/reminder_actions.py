"""Front-desk reminder actions: send the due reminders, print the call list and letters.

Each action runs its service calls through the op runner and reports one plain sentence
to `on_message`, or in a message box when no callback is given.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget
from sqlalchemy.orm import Session

from app.changes import Changes
from app.clock import utc_now
from app.errors import UserError
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services.mailer import SmtpTransport, smtp_password, smtp_settings
from app.services.reminder_printing import PrintOutcome, print_reminder_letters
from app.services.reminder_printing import print_call_list as write_call_list
from app.services.reminders import queue_due_reminders, send_queued
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.ops import Operation

log = logging.getLogger(__name__)

Message = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SendReport:
    """Counts from one "Send reminders" run, and what changed."""

    queued: int
    sent: int
    retrying: int
    failed: int
    email_ready: bool
    changes: Changes


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def send_message(report: SendReport) -> str:
    """Return the status sentence for a send run.

    Such as "Queued 3 new reminders. Sent 2 emails."
    """
    parts = [f"Queued {_plural(report.queued, 'new reminder')}."]
    if not report.email_ready:
        parts.append("Email is not set up (Admin, Reminders tab), so no email was sent.")
    else:
        parts.append(f"Sent {_plural(report.sent, 'email')}.")
    if report.retrying:
        parts.append(f"{_plural(report.retrying, 'email')} failed and will be retried.")
    if report.failed:
        parts.append(f"{_plural(report.failed, 'email')} failed for good after repeated tries.")
    return " ".join(parts)


def _send(session: Session, actor: Actor) -> SendReport:
    now = utc_now()
    queued = queue_due_reminders(session, actor, now)
    settings = smtp_settings(session)
    if not settings.configured:
        return SendReport(queued.queued, 0, 0, 0, False, queued.changes)

    # NOTE: the send runs inside the unit of work, so other writers wait for the mail
    # server (at most the mail timeout per connection step).
    with SmtpTransport(settings, smtp_password(settings.username)) as transport:
        sent = send_queued(session, actor, now, transport)
    changes = queued.changes if not sent.changes.kinds else sent.changes
    return SendReport(queued.queued, sent.sent, sent.retrying, sent.failed, True, changes)


def _reporter(parent: QWidget, on_message: Message | None, title: str) -> Message:
    if on_message is not None:
        return on_message

    def show(text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    return show


def _failed(parent: QWidget, report: Message) -> Callable[[BaseException], None]:
    def failed(error: BaseException) -> None:
        if isinstance(error, UserError):
            report(str(error))
        else:
            show_error(parent, error)

    return failed


def send_reminders_now(
    context: AppContext, parent: QWidget, on_message: Message | None = None
) -> Operation:
    """Queue the due reminders and send the email ones, then report the counts."""
    report = _reporter(parent, on_message, "Reminders")
    actor = context.actor

    def done(result: SendReport) -> None:
        log.info("reminders run: %d queued, %d sent", result.queued, result.sent)
        report(send_message(result))

    return run_for(
        parent,
        context,
        lambda session, _progress: _send(session, actor),
        done,
        _failed(parent, report),
        title="Sending reminders…",
    )


def _file_name(prefix: str, day: date | None) -> str:
    return f"{prefix}.pdf" if day is None else f"{prefix}-{day:%Y-%m-%d}.pdf"


def _choose_path(parent: QWidget, default_name: str) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(
        parent, "Save PDF", default_name, "PDF files (*.pdf)"
    )
    return Path(name) if name else None


def _print(
    context: AppContext,
    parent: QWidget,
    work: Callable[[Session, Progress], PrintOutcome],
    describe: Callable[[PrintOutcome], str],
    on_message: Message | None,
) -> Operation:
    report = _reporter(parent, on_message, "Reminders")
    return run_for(
        parent,
        context,
        work,
        lambda outcome: report(describe(outcome)),
        _failed(parent, report),
        title="Writing the PDF…",
    )


def print_call_list(
    context: AppContext,
    parent: QWidget,
    day: date | None,
    path: Path | None = None,
    on_message: Message | None = None,
) -> Operation | None:
    """Queue due reminders (when allowed), then save the call list PDF from `day` on.

    Without `path` a save dialog requests the file, and None is returned when it is cancelled.
    `day` None means the practice's today.
    """
    target = path or _choose_path(parent, _file_name("reminder-calls", day))
    if target is None:
        return None
    actor, can_queue = context.actor, context.can(Permission.SCHEDULE_EDIT)

    def work(session: Session, _progress: Progress) -> PrintOutcome:
        first = day or practice_today(session)
        if can_queue:
            queue_due_reminders(session, actor, utc_now())
        return write_call_list(session, actor, first, target)

    def describe(outcome: PrintOutcome) -> str:
        return f"Saved {outcome.path.name} with {_plural(outcome.count, 'call')}."

    return _print(context, parent, work, describe, on_message)


def print_letters(
    context: AppContext,
    parent: QWidget,
    day: date | None,
    path: Path | None = None,
    on_message: Message | None = None,
) -> Operation | None:
    """Queue due reminders, save the letters PDF and mark the printed letters sent."""
    target = path or _choose_path(parent, _file_name("reminder-letters", day))
    if target is None:
        return None
    actor = context.actor

    def work(session: Session, _progress: Progress) -> PrintOutcome:
        first = day or practice_today(session)
        queue_due_reminders(session, actor, utc_now())
        return print_reminder_letters(session, actor, first, target)

    def describe(outcome: PrintOutcome) -> str:
        letters = _plural(outcome.count, "letter")
        return f"Saved {outcome.path.name} with {letters}, now marked sent. Print and mail them."

    return _print(context, parent, work, describe, on_message)


class ReminderButtons(QWidget):
    """A row of "Send reminders", "Print call list" and "Print letters" with a status label.

    `current_day` returns the day the host page shows (None before it loads), which
    becomes the first visit day the printouts cover.
    """

    def __init__(
        self,
        context: AppContext,
        current_day: Callable[[], date | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.current_day = current_day
        self.send_button = QPushButton("Send reminders")
        self.send_button.setToolTip("Queue the due reminders and send the email ones now")
        self.send_button.clicked.connect(self.send)
        self.calls_button = QPushButton("Print call list")
        self.calls_button.setToolTip("Save a PDF of the patients to call about their visits")
        self.calls_button.clicked.connect(self.print_calls)
        self.letters_button = QPushButton("Print letters")
        self.letters_button.setToolTip("Save a PDF of reminder letters and mark them sent")
        self.letters_button.clicked.connect(self.print_letters)
        self.status = QLabel()
        self.status.setObjectName("subtleText")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Reminder status")
        can_edit = context.can(Permission.SCHEDULE_EDIT)
        self.send_button.setVisible(can_edit)
        self.letters_button.setVisible(can_edit)
        self.calls_button.setVisible(context.can(Permission.SCHEDULE_VIEW))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.send_button, self.calls_button, self.letters_button):
            row.addWidget(button)
        row.addWidget(self.status, 1)

    def send(self) -> None:
        """Queue and send the due reminders."""
        self.status.setText("Sending reminders…")
        send_reminders_now(self.context, self, self.status.setText)

    def print_calls(self, path: Path | None = None) -> None:
        """Save the call list PDF (asking for the file unless `path` is given)."""
        print_call_list(self.context, self, self.current_day(), path, self.status.setText)

    def print_letters(self, path: Path | None = None) -> None:
        """Save the reminder letters PDF (asking for the file unless `path` is given)."""
        print_letters(self.context, self, self.current_day(), path, self.status.setText)
