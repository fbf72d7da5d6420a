"""The Reminders tab: the outgoing mail server and the reminder templates."""

import logging
import uuid
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError, ValidationError
from app.problems import Problem
from app.progress import Progress
from app.services.mailer import (
    SECURITY_MODES,
    SmtpSettings,
    save_smtp_settings,
    send_test_email,
    smtp_password,
    smtp_settings,
)
from app.services.reminders import (
    CHANNELS,
    PLACEHOLDERS,
    TemplateInput,
    TemplateRow,
    ensure_default_templates,
    list_templates,
    save_template,
)
from ui.admin.common import SPIN_BOX_WIDTH, run_for, show_error
from ui.admin.forms import FieldForm, line, select_data
from ui.context import AppContext

log = logging.getLogger(__name__)

FORM_MAX_WIDTH = 760
SECURITY_LABELS = {
    "starttls": "STARTTLS (usually port 587)",
    "tls": "TLS from the start (usually port 465)",
    "none": "None (only for a server on this computer or network)",
}
CHANNEL_LABELS = {"email": "Email", "letter": "Letter", "postcard": "Postcard"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class SmtpBox(QGroupBox):
    """The outgoing mail server settings, with saving and a test message.

    The password is written to the system keyring and never read back into the form.
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Outgoing email (SMTP)", parent)
        self.context = context
        self.form = FieldForm()
        self.host = line("", 253)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setMaximumWidth(SPIN_BOX_WIDTH)
        self.security = QComboBox()
        for mode in SECURITY_MODES:
            self.security.addItem(SECURITY_LABELS[mode], mode)
        self.username = line("", 254)
        self.password = line("", 200)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Leave empty to keep the stored password")
        self.from_address = line("", 254)
        self.test_address = line("", 254)
        self._add_fields()
        self.save_button = QPushButton("Save &email settings")
        self.save_button.clicked.connect(self.save)
        self.test_button = QPushButton("Send &test email")
        self.test_button.clicked.connect(self.send_test)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Email settings status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("host", "SMTP &host", self.host, "Such as smtp.example.com")
        form.add_field("port", "&Port", self.port, "1 to 65535; usually 587 or 465")
        form.add_field("security", "Se&curity", self.security)
        form.add_field("username", "&User name", self.username, "Empty when the server needs none")
        form.add_field(
            "password", "Pass&word", self.password,
            "Stored in the system keyring, never in the database; it is not shown again",
        )  # fmt: skip
        form.add_field(
            "from_address", "&From address", self.from_address,
            "The sender patients see, such as desk@example.com",
        )  # fmt: skip
        form.add_field(
            "test_address", "Send test &to", self.test_address,
            "Where the test message goes, such as your own address",
        )  # fmt: skip

    def fill(self, settings: SmtpSettings) -> None:
        """Show stored settings; the password field stays empty."""
        self.form.clear_problems()
        self.host.setText(settings.host)
        self.port.setValue(settings.port)
        select_data(self.security, settings.security)
        self.username.setText(settings.username)
        self.password.clear()
        self.from_address.setText(settings.from_address)

    def entered(self) -> SmtpSettings:
        """Return the settings as typed."""
        return SmtpSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            security=str(self.security.currentData()),
            username=self.username.text().strip(),
            from_address=self.from_address.text().strip(),
        )

    def save(self) -> None:
        """Store the settings, and the password in the keyring when one was typed."""
        actor, settings = self.context.actor, self.entered()
        password = self.password.text() or None
        self._start("Saving…")

        def work(session: Session, _progress: Progress) -> Changes:
            save_smtp_settings(session, actor, settings, password)
            return Changes.of(ChangeKind.SETTINGS)

        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, _changes: Changes) -> None:
        self.password.clear()
        self._finish("Saved.")
        log.info("SMTP settings saved")

    def send_test(self) -> None:
        """Send a test message with the settings as typed, off the GUI thread."""
        to_address = self.test_address.text().strip()
        if "@" not in to_address:
            message = "Enter the address to send the test to, such as desk@example.com."
            self.form.show_problems([Problem("test_address", message)])
            return
        settings, typed = self.entered(), self.password.text() or None
        self._start("Sending a test email…")

        def work(_session: Session, _progress: Progress) -> str:
            password = typed if typed is not None else smtp_password(settings.username)
            send_test_email(settings, password, to_address)
            return to_address

        # Read-only, so the SMTP wait (up to the mail timeout) never holds the write lock.
        guarded_run(self, self.context, work, self._test_sent, self._failed)

    def _test_sent(self, to_address: str) -> None:
        self._finish(f"Test email sent to {to_address}. Check that mailbox to confirm.")

    def _start(self, text: str) -> None:
        self.form.clear_problems()
        self.save_button.setEnabled(False)
        self.test_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _finish(self, text: str) -> None:
        self.save_button.setEnabled(True)
        self.test_button.setEnabled(True)
        self.status.setText(text)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self._finish("Not saved: correct the fields marked in red.")
            self.form.show_problems(error.problems)
        elif isinstance(error, UserError):
            self._finish(str(error))
            self.status.setStyleSheet("color: #b3261e;")
        else:
            self._finish("Failed.")
            show_error(self, error)


def guarded_run(
    widget: QWidget,
    context: AppContext,
    work: Callable[[Session, Progress], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Run read-only `work` through the op runner, skipping callbacks once `widget` is gone."""

    def done(result: Any) -> None:
        if shiboken6.isValid(widget):
            on_done(result)

    def failed(error: BaseException) -> None:
        if shiboken6.isValid(widget):
            on_error(error)
        else:
            log.warning("a reminders operation failed after its window closed: %s", error)

    context.ops.run(work, on_done=done, on_error=failed, parent=widget, read_only=True)


class TemplatesBox(QGroupBox):
    """The reminder templates: a list and an editor for the selected one."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Reminder templates", parent)
        self.context = context
        self.rows: dict[uuid.UUID, TemplateRow] = {}
        self.editing: uuid.UUID | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Reminder templates")
        self.list.setMaximumWidth(240)
        self.list.currentItemChanged.connect(self._selected)
        self.form = FieldForm()
        self.name = line("", 80)
        self.channel = QComboBox()
        for channel in CHANNELS:
            self.channel.addItem(CHANNEL_LABELS[channel], channel)
        self.subject = line("", 200)
        self.body = QPlainTextEdit()
        self.body.setMinimumHeight(160)
        self.lead_days = QSpinBox()
        self.lead_days.setRange(0, 30)
        self.lead_days.setSuffix(" days before")
        self.lead_days.setMaximumWidth(SPIN_BOX_WIDTH)
        self._add_fields()
        self.new_button = QPushButton("&New template")
        self.new_button.clicked.connect(self.new_template)
        self.save_button = QPushButton("Save te&mplate")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setAccessibleName("Template status")
        self._lay_out()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("name", "Na&me", self.name, "Such as Email reminder")
        form.add_field(
            "channel", "C&hannel", self.channel,
            "Letter templates also supply the lead days of the call list",
        )  # fmt: skip
        form.add_field("subject", "&Subject", self.subject, "Needed for email")
        form.add_field("body", "&Body", self.body)
        form.add_field("lead_days", "Send &lead time", self.lead_days, "0 to 30 days")
        allowed = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        self.placeholders = QLabel(
            f"Placeholders you may use: {allowed}. Reminders carry no other patient details."
        )
        self.placeholders.setWordWrap(True)

    def _lay_out(self) -> None:
        editor = QVBoxLayout()
        editor.addWidget(self.form)
        editor.addWidget(self.placeholders)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        editor.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(editor, 1)

    def fill(self, rows: list[TemplateRow]) -> None:
        """List `rows`, keeping the template being edited selected when it is still there."""
        keep = self.editing
        self.rows = {row.template_id: row for row in rows}
        self.list.blockSignals(True)
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(f"{row.name} ({CHANNEL_LABELS.get(row.channel, row.channel)})")
            item.setData(ID_ROLE, row.template_id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        target = keep if keep in self.rows else (rows[0].template_id if rows else None)
        for index in range(self.list.count()):
            if self.list.item(index).data(ID_ROLE) == target:
                self.list.setCurrentRow(index)
                return
        self.new_template()

    def _selected(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        row = self.rows[current.data(ID_ROLE)]
        self.editing = row.template_id
        self.form.clear_problems()
        self.status.clear()
        self.name.setText(row.name)
        select_data(self.channel, row.channel)
        self.subject.setText(row.subject)
        self.body.setPlainText(row.body)
        self.lead_days.setValue(row.lead_days)

    def new_template(self) -> None:
        """Clear the editor for a template that is not saved yet."""
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.editing = None
        self.form.clear_problems()
        self.status.setText("New template: not saved yet.")
        self.name.clear()
        self.channel.setCurrentIndex(0)
        self.subject.clear()
        self.body.clear()
        self.lead_days.setValue(2)

    def entered(self) -> TemplateInput:
        """Return the template as typed."""
        return TemplateInput(
            name=self.name.text(),
            channel=str(self.channel.currentData()),
            subject=self.subject.text(),
            body=self.body.toPlainText(),
            lead_days=self.lead_days.value(),
        )

    def save(self) -> None:
        """Validate and store the template being edited."""
        actor, template_id, values = self.context.actor, self.editing, self.entered()
        self.form.clear_problems()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")

        def work(session: Session, _progress: Progress) -> uuid.UUID:
            return save_template(session, actor, template_id, values)

        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, template_id: uuid.UUID) -> None:
        self.editing = template_id
        self.save_button.setEnabled(True)
        self.reload(after="Saved.")

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.status.setText("Not saved: correct the fields marked in red.")
            self.form.show_problems(error.problems)
        else:
            self.status.setText("Not saved.")
            show_error(self, error)

    def reload(self, after: str = "") -> None:
        """Load the templates again (adding the defaults when there are none), then show `after`."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[TemplateRow]:
            ensure_default_templates(session, actor)
            return list_templates(session, actor)

        def loaded(rows: list[TemplateRow]) -> None:
            self.fill(rows)
            if after:
                self.status.setText(after)

        run_for(self, self.context, work, loaded)


class RemindersTab(QWidget):
    """The mail server settings above the reminder templates."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.smtp = SmtpBox(context)
        self.smtp.setMaximumWidth(FORM_MAX_WIDTH)
        self.templates = TemplatesBox(context)
        holder = QWidget()
        inner = QVBoxLayout(holder)
        inner.addWidget(self.smtp)
        inner.addWidget(self.templates)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        self.refresh()

    def refresh(self) -> None:
        """Load the stored mail settings and templates."""

        def work(session: Session, _progress: Progress) -> SmtpSettings:
            return smtp_settings(session)

        run_for(self, self.context, work, self.smtp.fill)
        self.templates.reload()
