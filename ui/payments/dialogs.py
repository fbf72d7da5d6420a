"""The small dialogs of the Payments page: a reason, a reconciliation, an adjustment, a refund.

Each dialog checks what it can before it calls the service, runs the service call off the
GUI thread, and stays open with every problem next to its field when the call rejects
the input. Enter saves and Esc cancels.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.errors import ValidationError
from app.money import ZERO, format_money
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor
from app.services import account_adjustments, deposits
from app.services.line_balances import OpenLine
from app.services.outcomes import SaveOutcome
from ui.admin.common import run_for
from ui.admin.forms import FieldForm
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.fields import money_problems, parse_money
from ui.payments.common import money_field

log = logging.getLogger(__name__)

DIALOG_MIN_WIDTH = 480
REASON_MAX_LENGTH = 500

# A service call the dialog runs: returns a SaveOutcome or a Changes value.
Call = Callable[[Session, Actor], SaveOutcome | Changes]


class ReasonBox(QPlainTextEdit):
    """A short multi-line box where Enter saves its dialog and Shift+Enter starts a line.

    A reason is usually one line, so Enter does what it does in the dialog's other fields.
    Outside a dialog (the day close note) Enter starts a new line as usual.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        enter = event.key() in {Qt.Key.Key_Return, Qt.Key.Key_Enter}
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        dialog = self.window()
        if enter and not shift and isinstance(dialog, QDialog):
            dialog.accept()
            return
        super().keyPressEvent(event)


def reason_box(placeholder: str) -> QPlainTextEdit:
    """Return a short multi-line box for a reason or note, where Tab moves on."""
    box = ReasonBox()
    box.setTabChangesFocus(True)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(72)
    return box


class FormDialog(QDialog):
    """A form whose OK runs one service call; problems show next to their fields.

    Subclasses add fields to `self.form` and implement `call()`. `saved` carries the
    call's result once it is saved; the dialog then closes.
    """

    saved = Signal(object)

    def __init__(
        self, context: AppContext, title: str, intro: str, ok_text: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.context = context
        self.saving = False
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = FieldForm()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        # Set once the button is inside the dialog, so the dialog keeps it as its main
        # default: Enter still saves after Tab has visited and left the buttons.
        self.ok_button.setDefault(True)

    def local_problems(self) -> list[Problem]:
        """Return the problems found without the database."""
        return []

    def call(self) -> Call:
        """Return the service call that saves what is typed."""
        raise NotImplementedError

    def accept(self) -> None:
        """Run the service call; close only when it saved."""
        if self.saving:
            return
        problems = self.local_problems()
        if problems:
            self.form.show_problems(problems)
            return
        self.form.clear_problems()
        call = self.call()
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> SaveOutcome | Changes:
            return call(session, actor)

        self.saving = True
        self.buttons.setEnabled(False)
        run_for(self, self.context, work, self._finished, self._failed)

    def _finished(self, result: Any) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        self.ok_button.setDefault(True)
        if isinstance(result, SaveOutcome) and not result.saved:
            self.form.show_problems(list(result.problems))
            return
        self.saved.emit(result)
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        self.ok_button.setDefault(True)
        if isinstance(error, ValidationError):
            self.form.show_problems(list(error.problems))
        else:
            show_error(self, error)


def text_of(box: QPlainTextEdit | QLineEdit) -> str:
    """Return what is typed in `box`, without surrounding blanks."""
    text = box.toPlainText() if isinstance(box, QPlainTextEdit) else box.text()
    return text.strip()


def required_text(
    box: QPlainTextEdit | QLineEdit, key: str, missing: str, label: str
) -> list[Problem]:
    """Return a problem when `box` is empty or longer than REASON_MAX_LENGTH."""
    text = text_of(box)
    if not text:
        return [Problem(key, missing)]
    if len(text) > REASON_MAX_LENGTH:
        return [
            Problem(key, f"{label} is {len(text):,} characters; shorten it to {REASON_MAX_LENGTH}.")
        ]
    return []


class ReasonDialog(FormDialog):
    """Asks why (voiding a payment, cancelling a refund), then runs `act` with the reason."""

    def __init__(
        self,
        context: AppContext,
        texts: tuple[str, str, str],
        act: Callable[[Session, Actor, str], SaveOutcome | Changes],
        parent: QWidget | None = None,
    ) -> None:
        title, intro, ok_text = texts
        super().__init__(context, title, intro, ok_text, parent)
        self.setObjectName("reasonDialog")
        self.act = act
        self.reason = reason_box("Such as: entered twice, or the patient paid by card instead")
        self.reason.setObjectName("reason")
        self.form.add_field("reason", "&Reason", self.reason)
        self.reason.setFocus()

    def local_problems(self) -> list[Problem]:
        """Require a reason: the audit log and the day sheet show it."""
        return required_text(self.reason, "reason", "Type the reason first.", "The reason")

    def call(self) -> Call:
        """Run the action with the typed reason."""
        reason, act = text_of(self.reason), self.act
        return lambda session, actor: act(session, actor, reason)


class ReconcileDialog(FormDialog):
    """Records what the bank statement shows for a deposit; the difference shows live."""

    def __init__(
        self,
        context: AppContext,
        deposit_id: uuid.UUID,
        deposit_number: str,
        expected: Decimal,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            context,
            "Reconcile deposit",
            f"Deposit {deposit_number} should show {format_money(expected)} on the bank "
            "statement. Type what the statement shows.",
            "Reconcile",
            parent,
        )
        self.setObjectName("reconcileDialog")
        self.deposit_id = deposit_id
        self.expected = expected
        self.bank_amount = money_field("Bank amount")
        self.bank_amount.setObjectName("bankAmount")
        self.difference = QLabel()
        self.difference.setObjectName("reconcileDifference")
        self.note = reason_box("Needed when the amounts differ, such as: bank fee")
        self.note.setObjectName("reconcileNote")
        self.form.add_field("bank_amount", "&Bank amount", self.bank_amount)
        self.form.add_field("difference", "Difference", self.difference)
        self.form.add_field("note", "&Note", self.note)
        self.bank_amount.textChanged.connect(lambda _text: self._show_difference())
        self._show_difference()
        self.bank_amount.setFocus()

    def _show_difference(self) -> None:
        amount = parse_money(self.bank_amount.text())
        if amount is None:
            self.difference.setText("")
            return
        difference = amount - self.expected
        text = "none" if difference == ZERO else format_money(difference)
        self.difference.setText(text)

    def local_problems(self) -> list[Problem]:
        """Require a readable bank amount, and a note when it differs from the expected."""
        problems = money_problems(self.bank_amount, "bank_amount", "The bank amount")
        amount = parse_money(self.bank_amount.text())
        if not problems and amount is None:
            problems.append(Problem("bank_amount", "Type the amount the bank statement shows."))
        if amount is not None and amount != self.expected and not text_of(self.note):
            problems.append(
                Problem(
                    "note", "The amounts differ; say why, such as a bank fee or a returned check."
                )
            )
        return problems

    def call(self) -> Call:
        """Reconcile the deposit with the typed bank amount and note."""
        deposit_id, note = self.deposit_id, text_of(self.note)
        amount = parse_money(self.bank_amount.text()) or ZERO
        return lambda session, actor: deposits.reconcile_deposit(
            session, actor, deposit_id, amount, note
        )


def line_combo(lines: Sequence[OpenLine]) -> QComboBox:
    """Return a combo of the patient's open lines, led by "Whole account (no line)"."""
    combo = QComboBox()
    combo.addItem("Whole account (no line)", None)
    for line in lines:
        combo.addItem(
            f"{line.service_date:%m/%d/%Y} {line.procedure_code} · patient owes "
            f"{format_money(line.patient_balance)}",
            line.charge_line_id,
        )
    return combo


class AdjustmentDialog(FormDialog):
    """Posts a write-off or credit on a patient's account, optionally on one line."""

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        patient_label: str,
        lines: Sequence[OpenLine],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            context,
            "Post adjustment",
            f"Lower what {patient_label} owes. Bad-debt and courtesy adjustments need a "
            "manager; small balances need one above the practice's threshold.",
            "Post adjustment",
            parent,
        )
        self.setObjectName("adjustmentDialog")
        self.patient_id = patient_id
        self.kind = QComboBox()
        self.kind.setObjectName("adjustmentKind")
        for code in account_adjustments.ADJUSTMENT_KINDS:
            self.kind.addItem(code.replace("_", " ").capitalize(), code)
        self.amount = money_field("Amount")
        self.amount.setObjectName("adjustmentAmount")
        self.line = line_combo(lines)
        self.line.setObjectName("adjustmentLine")
        self.reason = reason_box("Such as: balance under $5 after insurance")
        self.reason.setObjectName("adjustmentReason")
        self.form.add_field("kind", "&Kind", self.kind)
        self.form.add_field("amount", "&Amount", self.amount)
        self.form.add_field("charge_line_id", "&Line", self.line)
        self.form.add_field("reason", "&Reason", self.reason)
        self.kind.setFocus()

    def local_problems(self) -> list[Problem]:
        """Require a positive amount and a reason."""
        problems = money_problems(self.amount, "amount", "The amount")
        amount = parse_money(self.amount.text())
        if not problems and (amount is None or amount <= 0):
            problems.append(Problem("amount", "Type the amount to write off, such as 4.50."))
        problems.extend(required_text(self.reason, "reason", "Type the reason.", "The reason"))
        return problems

    def call(self) -> Call:
        """Post the adjustment as typed."""
        form = account_adjustments.AdjustmentForm(
            kind=str(self.kind.currentData()),
            patient_id=self.patient_id,
            amount=parse_money(self.amount.text()) or ZERO,
            reason=text_of(self.reason),
            charge_line_id=self.line.currentData(),
        )
        return lambda session, actor: account_adjustments.post_account_adjustment(
            session, actor, form
        )


def open_dialog(dialog: QDialog) -> QDialog:
    """Open `dialog` window-modal, deleted when closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.activateWindow()
    return dialog
