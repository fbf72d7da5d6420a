"""The Billing account tab of a patient's record: the guarantor's account and its statements.

It shows the account the patient's bills go to (made when first opened), the guarantor,
whether the guarantor agreed to email statements, and any hold that stops statements.
Billers and managers place and release holds and see the statements sent, with each
one's PDF as it was printed or sent. The front desk records the email consent.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError, ValidationError
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import billing_accounts, statement_runs
from app.services.billing_accounts import HOLD_LABELS, HOLD_REASONS, GuarantorContact
from app.services.statement_runs import HistoryRow
from app.services.today import practice_today
from ui.admin.common import load_zone, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.fields import format_date
from ui.payments.common import action_button, date_field, status_line
from ui.payments.printing import OpenFile
from ui.statements.history_tab import statement_cells, statement_table
from ui.statements.pdfs import open_stored_pdf

log = logging.getLogger(__name__)

WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.PATIENTS, ChangeKind.LEDGER)
NO_ACCOUNT_ACCESS = (
    "Your role cannot see billing accounts. Front desk staff, billers and managers can."
)
NO_STATEMENT_ACCESS = "Billers and managers see the statements sent to this account."


@dataclass(frozen=True, slots=True)
class AccountView:
    """One load of the tab: the account, its guarantor, hold and statements.

    `statements` is None when the user may not see statements. `hold_in_force` is the
    hold reason when the hold applies today (a hold whose last day passed is stored
    but no longer stops statements).
    """

    account_id: uuid.UUID
    account_number: str
    guarantor: GuarantorContact
    patient_count: int
    email_statements: bool
    hold_reason: str | None
    hold_until: date | None
    hold_note: str
    hold_in_force: str | None
    statements: list[HistoryRow] | None
    zone: ZoneInfo | None


def load_account_view(
    session: Session, actor: Actor, patient_id: uuid.UUID, with_statements: bool
) -> AccountView:
    """Read (making it when missing) the patient's billing account and what the tab shows."""
    account = billing_accounts.account_for_patient(session, actor, patient_id)
    statements = (
        statement_runs.statement_history(session, actor, account.id) if with_statements else None
    )
    return AccountView(
        account_id=account.id,
        account_number=account.account_number,
        guarantor=billing_accounts.guarantor_contact(session, account),
        patient_count=len(billing_accounts.account_patient_ids(session, account.id)),
        email_statements=account.email_statements,
        hold_reason=account.hold_reason,
        hold_until=account.hold_until,
        hold_note=account.hold_note,
        hold_in_force=billing_accounts.active_hold(account, practice_today(session)),
        statements=statements,
        zone=load_zone(session),
    )


def hold_text(view: AccountView) -> str:
    """Describe the account's hold, such as "On hold (Bankruptcy) through 07/31/2026"."""
    if view.hold_reason is None:
        return "No hold: statements are sent as usual."
    label = HOLD_LABELS.get(view.hold_reason, view.hold_reason)
    until = (
        f" through {format_date(view.hold_until)}"
        if view.hold_until is not None
        else " until released"
    )
    if view.hold_in_force is None:
        return f"The hold ({label}) ended {format_date(view.hold_until)}; release it to clear it."
    note = f". {view.hold_note}" if view.hold_note else ""
    return f"On hold ({label}){until}: no statements are sent{note}"


class AccountPanel(QWidget):
    """Shows and edits a patient's billing account: consent, hold and statements."""

    def __init__(
        self, context: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountPanel")
        self.context = context
        self.patient_id = patient_id
        self.view: AccountView | None = None
        self._request = 0
        self._loaded_once = False
        self.pdf_folder: Path | None = None
        self.open_file: OpenFile | None = None

        self.account_number = QLabel()
        self.account_number.setObjectName("accountNumber")
        self.guarantor = QLabel()
        self.guarantor.setObjectName("accountGuarantor")
        self.guarantor.setWordWrap(True)
        self.email_consent = QCheckBox("&Email statements to the guarantor")
        self.email_consent.setObjectName("emailConsent")
        self.email_consent.clicked.connect(self.save_consent)

        self.hold_state = QLabel()
        self.hold_state.setObjectName("holdState")
        self.hold_state.setWordWrap(True)
        self.hold_reason = QComboBox()
        self.hold_reason.setObjectName("holdReason")
        self.hold_reason.setAccessibleName("Hold reason")
        for reason in HOLD_REASONS:
            self.hold_reason.addItem(HOLD_LABELS[reason], reason)
        self.hold_until = date_field("Last day of the hold")
        self.hold_until.setObjectName("holdUntil")
        self.hold_until.setToolTip("Leave empty for a hold that lasts until it is released")
        self.hold_note = QLineEdit()
        self.hold_note.setObjectName("holdNote")
        self.hold_note.setAccessibleName("Hold note")
        self.hold_note.setPlaceholderText("Why, such as: disputes the 03/02 visit")
        self.hold_note.setMaxLength(500)
        self.hold_note.returnPressed.connect(self.place_hold)
        self.place_button = action_button("Place &hold", "placeHold")
        self.place_button.clicked.connect(self.place_hold)
        self.release_button = action_button("Rele&ase hold", "releaseHold")
        self.release_button.clicked.connect(self.release_hold)

        self.statements_note = QLabel(NO_STATEMENT_ACCESS)
        self.statements_note.setObjectName("subtleText")
        self.statement_table = statement_table("accountStatements")
        self.statement_table.itemSelectionChanged.connect(self._update_actions)
        self.statement_table.activated.connect(lambda _index: self.open_selected())
        self.open_button = action_button("Open &PDF", "openAccountStatement")
        self.open_button.clicked.connect(self.open_selected)
        self.status = status_line("Billing account outcome")
        self._lay_out()
        self._update_actions()
        context.ops.changed.connect(self._on_changed)

    def _lay_out(self) -> None:
        account_box = QGroupBox("Account")
        account_form = QFormLayout(account_box)
        account_form.addRow("Account number", self.account_number)
        account_form.addRow("Guarantor", self.guarantor)
        account_form.addRow("", self.email_consent)

        hold_box = QGroupBox("Hold")
        hold_layout = QVBoxLayout(hold_box)
        hold_layout.addWidget(self.hold_state)
        hold_form = QFormLayout()
        for text, field in (
            ("Hold rea&son", self.hold_reason),
            ("Last &day (optional)", self.hold_until),
            ("&Note", self.hold_note),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            hold_form.addRow(label, field)
        hold_layout.addLayout(hold_form)
        hold_buttons = QHBoxLayout()
        hold_buttons.addStretch(1)
        hold_buttons.addWidget(self.place_button)
        hold_buttons.addWidget(self.release_button)
        hold_layout.addLayout(hold_buttons)

        top = QHBoxLayout()
        top.addWidget(account_box, 1)
        top.addWidget(hold_box, 1)

        statements_box = QGroupBox("Statements")
        statements_layout = QVBoxLayout(statements_box)
        statements_layout.addWidget(self.statements_note)
        statements_layout.addWidget(self.statement_table, 1)
        open_row = QHBoxLayout()
        open_row.addStretch(1)
        open_row.addWidget(self.open_button)
        statements_layout.addLayout(open_row)

        # The outcome of the consent and hold actions shows right under their buttons
        # rather than below the statements, far from where the user clicked.
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(statements_box, 1)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Load the account the first time the tab shows.

        Opening a record builds every tab, and loading makes the account when it is
        missing, so a record opened only for its registration makes no account.
        """
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.refresh()

    # Loading

    def refresh(self) -> None:
        """Reload the account in the background; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        if not self.context.can(Permission.PAYMENT_POST):
            self.status.setText(NO_ACCOUNT_ACCESS)
            self._update_actions()
            return
        self._request += 1
        request, actor, patient_id = self._request, self.context.actor, self.patient_id
        with_statements = self.context.can(Permission.STATEMENT_RUN)

        def work(session: Session, _progress: Progress) -> AccountView:
            return load_account_view(session, actor, patient_id, with_statements)

        run_for(self, self.context, work, lambda view: self._show(request, view), self._failed)

    def _show(self, request: int, view: AccountView) -> None:
        if request != self._request:
            return
        self.view = view
        self.account_number.setText(view.account_number)
        self.guarantor.setText(guarantor_text(view))
        self.email_consent.setChecked(view.email_statements)
        self.hold_state.setText(hold_text(view))
        if view.hold_reason is not None:
            self.hold_reason.setCurrentIndex(max(0, self.hold_reason.findData(view.hold_reason)))
            self.hold_until.set_date(view.hold_until)
            self.hold_note.setText(view.hold_note)
        rows = view.statements or []
        self.statement_table.set_rows(
            [(row.statement_id, statement_cells(row, view.zone)) for row in rows]
        )
        self.statements_note.setVisible(view.statements is None)
        self.statement_table.setVisible(view.statements is not None)
        self._update_actions()

    def _failed(self, error: BaseException) -> None:
        self._update_actions()
        if isinstance(error, ValidationError):
            self.status.setText(" ".join(problem.message for problem in error.problems))
        elif isinstance(error, UserError):
            self.status.setText(str(error))
        else:
            show_error(self, error)

    # Email consent and holds

    def save_consent(self, checked: bool) -> None:
        """Record whether the guarantor agreed to email statements (reverts when rejected)."""
        view = self.view
        if view is None:
            return
        account_id, actor = view.account_id, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return billing_accounts.set_email_consent(session, actor, account_id, checked)

        def failed(error: BaseException) -> None:
            self.email_consent.setChecked(not checked)
            self._failed(error)

        def done(_changes: Changes) -> None:
            self.status.setText(
                "Statements go to the guarantor by email."
                if checked
                else "Statements go to the guarantor by mail."
            )

        run_for(self, self.context, work, done, failed)

    def place_hold(self) -> None:
        """Stop statements to the account for the reason chosen, until the day typed."""
        view = self.view
        if view is None or not self.context.can(Permission.STATEMENT_RUN):
            return
        problems = self.hold_until.problems("until", "The hold's last day")
        if problems:
            self.status.setText(problems[0].message)
            self.hold_until.setFocus()
            return
        account_id, actor = view.account_id, self.context.actor
        reason = str(self.hold_reason.currentData())
        until, note = self.hold_until.date_value(), self.hold_note.text().strip()

        def work(session: Session, _progress: Progress) -> Changes:
            return billing_accounts.set_hold(session, actor, account_id, reason, until, note)

        def done(_changes: Changes) -> None:
            self.status.setText(f"Account {view.account_number} is on hold.")
            self.refresh()

        run_for(self, self.context, work, done, self._failed)

    def release_hold(self) -> None:
        """End the account's hold now, so the next run considers it again."""
        view = self.view
        if view is None or view.hold_reason is None:
            return
        account_id, actor = view.account_id, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return billing_accounts.release_hold(session, actor, account_id)

        def done(_changes: Changes) -> None:
            self.hold_until.clear()
            self.hold_note.clear()
            self.status.setText(f"The hold on account {view.account_number} is released.")
            self.refresh()

        run_for(self, self.context, work, done, self._failed)

    # Statements

    def selected_statement(self) -> HistoryRow | None:
        """Return the selected statement, or None."""
        statement_id = self.statement_table.selected_id()
        rows = self.view.statements if self.view is not None and self.view.statements else []
        return next((row for row in rows if row.statement_id == statement_id), None)

    def open_selected(self) -> None:
        """Open the selected statement's PDF as it was printed or sent."""
        row = self.selected_statement()
        if row is None:
            return
        statement_id = row.statement_id

        def fetch(session: Session, actor: Actor) -> bytes:
            return statement_runs.statement_pdf(session, actor, statement_id)

        open_stored_pdf(
            self.context, self, f"statement-{row.statement_number}", fetch,
            title="Opening the statement…", folder=self.pdf_folder,
            open_file=self.open_file, on_error=self._failed,
        )  # fmt: skip

    def _update_actions(self) -> None:
        view = self.view
        loaded = view is not None
        may_bill = self.context.can(Permission.STATEMENT_RUN)
        self.email_consent.setEnabled(loaded and self.context.can(Permission.PATIENT_EDIT))
        for widget in (self.hold_reason, self.hold_until, self.hold_note, self.place_button):
            widget.setEnabled(loaded and may_bill)
        self.release_button.setEnabled(
            loaded and may_bill and view is not None and view.hold_reason is not None
        )
        if not may_bill:
            self.place_button.setToolTip("Billers and managers place and release holds.")
        self.open_button.setEnabled(may_bill and self.selected_statement() is not None)
        self.open_button.setVisible(may_bill)

    def _on_changed(self, changes: Changes) -> None:
        if self._loaded_once and changes.touches(*WATCHED_KINDS):
            self.refresh()


def guarantor_text(view: AccountView) -> str:
    """Describe the guarantor, such as "Laura Garcia · pays for 3 patients · laura@…"."""
    parts = [view.guarantor.name]
    if view.patient_count > 1:
        parts.append(f"pays for {view.patient_count} patients")
    parts.append(view.guarantor.email or "no email address on file")
    return " · ".join(parts)
