"""The take-payment dialog: amount, method, kind, and how the money settles open lines.

The lines table starts with the oldest-first allocation the service would make, so the
desk only edits it when the patient wants to pay for one visit in particular. What is not applied
stays on the account as a credit. After saving, the dialog offers the receipt.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.money import ZERO, format_money
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor
from app.services import payments
from app.services.line_balances import OpenLine, open_patient_lines
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import KIND_LABELS, KINDS, METHOD_LABELS
from app.services.payments import oldest_first
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.admin.forms import FieldForm
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.fields import format_amount, money_problems, parse_money
from ui.payments.common import MONEY_FIELD_WIDTH, RIGHT, money_field, plural
from ui.payments.printing import OpenFile, print_pdf
from ui.widgets import find_data

log = logging.getLogger(__name__)

# The desk's methods; EFT arrives from payers and is not taken at the desk.
DESK_METHODS = ("cash", "check", "card", "other")
LINE_COLUMNS = ("Date of service", "Code", "Charge", "Patient owes", "Apply")
APPLY_COLUMN = LINE_COLUMNS.index("Apply")
DIALOG_MIN_WIDTH = 720
# Lines shown before the table scrolls; more keep the dialog inside a 720-pixel screen.
VISIBLE_LINES = 5
ROW_PADDING = 18
NO_LINES = "Nothing is owed on open lines, so the whole amount stays on the account as a credit."
PREPAYMENT_NOTE = "A prepayment is kept as a credit and applied when charges are posted."


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """The starting values of the dialog: the patient, and a check-in copay's visit and amount."""

    patient_id: uuid.UUID
    patient_label: str
    kind: str = "payment"
    amount: Decimal | None = None
    appointment_id: uuid.UUID | None = None


class TakePaymentDialog(QDialog):
    """Takes one payment for a patient; Enter saves, Esc cancels.

    `saved` carries the new payment's id. The dialog then stays open and offers
    "Print receipt"; `receipt_folder` and `open_file` redirect the receipt (tests).
    `today` is the practice's date, which the payment is dated with.
    """

    saved = Signal(object)  # uuid.UUID of the payment

    def __init__(
        self,
        context: AppContext,
        start: PaymentStart,
        lines: Sequence[OpenLine],
        parent: QWidget | None = None,
        *,
        today: date,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("takePaymentDialog")
        self.today = today
        self.setWindowTitle("Take payment")
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.context = context
        self.start = start
        self.lines = list(lines)
        self.payment_id: uuid.UUID | None = None
        self.saving = False
        # Once the desk edits an Apply cell, a new amount no longer refills the column.
        self.allocation_edited = False
        self.receipt_folder: Path | None = None
        self.open_file: OpenFile | None = None

        self.heading = QLabel(f"Payment from {start.patient_label}")
        self.heading.setObjectName("takePaymentHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.form = FieldForm()
        self._build_fields()
        self.table = self._build_table()
        self.form.add_field("allocations", "Apply to &lines", self.table)
        self._show_field("allocations", bool(self.lines))
        self.summary = QLabel()
        self.summary.setObjectName("allocationSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Applied and left as credit")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Save payment")
        self.save_button.setDefault(True)
        self.print_button = QPushButton("&Print receipt")
        self.print_button.setObjectName("printReceipt")
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        # Hidden after it joins the box, which shows the buttons it is given.
        self.print_button.setVisible(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(self.print_receipt)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self._fill(start)
        self.amount.setFocus()
        self.amount.selectAll()

    # Building

    def _build_fields(self) -> None:
        self.amount = money_field("Amount")
        self.amount.setObjectName("paymentAmount")
        self.method = QComboBox()
        self.method.setObjectName("paymentMethod")
        for code in DESK_METHODS:
            self.method.addItem(METHOD_LABELS[code], code)
        self.check_number = QLineEdit()
        self.check_number.setObjectName("checkNumber")
        self.check_number.setMaxLength(30)
        self.card_last4 = QLineEdit()
        self.card_last4.setObjectName("cardLast4")
        self.card_last4.setMaxLength(4)
        self.card_last4.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}")))
        self.card_last4.setPlaceholderText("1234")
        self.card_last4.setMaximumWidth(MONEY_FIELD_WIDTH)
        self.card_authorization = QLineEdit()
        self.card_authorization.setObjectName("cardAuthorization")
        self.card_authorization.setMaxLength(20)
        self.kind = QComboBox()
        self.kind.setObjectName("paymentKind")
        for code in KINDS:
            self.kind.addItem(KIND_LABELS[code], code)
        self.memo = QLineEdit()
        self.memo.setObjectName("paymentMemo")
        self.memo.setMaxLength(200)
        # The desk takes money on the day it arrives, so the date is shown, not typed. The
        # row gives the service's date problems (a closed day or period) a place to show.
        self.received_on = QLabel(f"{self.today:%m/%d/%Y} (today)")
        self.received_on.setObjectName("paymentReceivedOn")

        form = self.form
        form.add_field("amount", "&Amount", self.amount)
        form.add_field("method", "&Method", self.method)
        form.add_field("check_number", "Check &number", self.check_number)
        form.add_field("card_last4", "Card &last 4 digits", self.card_last4)
        form.add_field(
            "card_authorization",
            "A&uthorization",
            self.card_authorization,
            "The approval code the card terminal printed",
        )
        form.add_field("kind", "&Kind", self.kind)
        form.add_field("memo", "M&emo", self.memo)
        form.add_field("received_on", "Date received", self.received_on)
        self.amount.textEdited.connect(lambda _text: self._amount_changed())
        self.method.currentIndexChanged.connect(lambda _index: self._method_changed())
        self.kind.currentIndexChanged.connect(lambda _index: self._kind_changed())

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(len(self.lines), len(LINE_COLUMNS))
        table.setObjectName("allocationTable")
        table.setHorizontalHeaderLabels(list(LINE_COLUMNS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.apply_fields: dict[uuid.UUID, QLineEdit] = {}
        for row, line in enumerate(self.lines):
            cells = (
                f"{line.service_date:%m/%d/%Y}",
                line.procedure_code,
                format_money(line.charge),
                format_money(line.patient_balance),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(RIGHT)
                table.setItem(row, column, item)
            field = money_field(f"Apply to the {line.procedure_code} line of {cells[0]}", "")
            field.textEdited.connect(lambda _text: self._allocation_changed())
            table.setCellWidget(row, APPLY_COLUMN, field)
            self.apply_fields[line.charge_line_id] = field
        # The Apply cells hold line edits, whose style-sheet padding (not yet applied
        # here) makes them taller than a text row.
        row_height = table.fontMetrics().height() + ROW_PADDING
        table.verticalHeader().setDefaultSectionSize(row_height)
        rows_shown = min(max(len(self.lines), 1), VISIBLE_LINES)
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 4
        table.setFixedHeight(height + rows_shown * row_height)
        return table

    def _fill(self, start: PaymentStart) -> None:
        self.kind.setCurrentIndex(max(find_data(self.kind, start.kind), 0))
        if start.amount is not None:
            self.amount.setText(format_amount(start.amount))
        self._method_changed()
        self._kind_changed()
        self._amount_changed()

    # Live updates

    def _method_changed(self) -> None:
        method = self.method.currentData()
        self._show_field("check_number", method == "check")
        self._show_field("card_last4", method == "card")
        self._show_field("card_authorization", method == "card")

    def _show_field(self, key: str, visible: bool) -> None:
        holder = self.form.fields[key].parentWidget()
        assert holder is not None
        self.form.layout_.setRowVisible(holder, visible)
        if not visible:
            self.form.clear_problem(key)

    def _kind_changed(self) -> None:
        prepayment = self.kind.currentData() == "prepayment"
        for field in self.apply_fields.values():
            field.setEnabled(not prepayment)
        self._amount_changed()

    def _amount_changed(self) -> None:
        if not self.allocation_edited:
            self._prefill_allocation()
        self._update_summary()

    def _allocation_changed(self) -> None:
        self.allocation_edited = True
        self.form.clear_problem("allocations")
        self._update_summary()

    def _prefill_allocation(self) -> None:
        amount = parse_money(self.amount.text()) or ZERO
        # The service leaves a copay or prepayment unapplied unless lines are named.
        applied = oldest_first(amount, self.lines) if self.kind.currentData() == "payment" else {}
        for line_id, field in self.apply_fields.items():
            share = applied.get(line_id)
            field.setText(format_amount(share) if share else "")

    def _update_summary(self) -> None:
        amount = parse_money(self.amount.text()) or ZERO
        applied = sum(self.typed_allocations().values(), ZERO)
        left = amount - applied
        if self.is_prepayment():
            text = f"{PREPAYMENT_NOTE} Credit: {format_money(amount)}."
        elif not self.lines:
            text = NO_LINES
        elif left < 0:
            text = (
                f"Applied {format_money(applied)} is {format_money(-left)} more than the "
                f"amount {format_money(amount)}. Lower an Apply cell or raise the amount."
            )
        else:
            text = f"Applied {format_money(applied)} · left as credit {format_money(left)}"
        self.summary.setText(text)

    # Values

    def amount_value(self) -> Decimal:
        """Return the amount typed (zero when empty or unreadable)."""
        return parse_money(self.amount.text()) or ZERO

    def is_prepayment(self) -> bool:
        """True when the kind is a prepayment, which is never applied to lines."""
        return bool(self.kind.currentData() == "prepayment")

    def typed_allocations(self) -> dict[uuid.UUID, Decimal]:
        """Return the amounts typed in the Apply cells (empty or unreadable cells skipped)."""
        typed: dict[uuid.UUID, Decimal] = {}
        for line_id, field in self.apply_fields.items():
            value = parse_money(field.text())
            if value:
                typed[line_id] = value
        return typed

    def payment_form(self) -> payments.PaymentForm:
        """Return the service form for what is typed."""
        method = str(self.method.currentData())
        allocations: dict[uuid.UUID, Decimal] | None = None
        if self.is_prepayment():
            allocations = {}
        elif self.allocation_edited:
            allocations = self.typed_allocations()
        return payments.PaymentForm(
            patient_id=self.start.patient_id,
            amount=parse_money(self.amount.text()) or ZERO,
            method=method,
            kind=str(self.kind.currentData()),
            check_number=self.check_number.text().strip() or None if method == "check" else None,
            card_last4=self._card_digits() if method == "card" else None,
            card_authorization=(
                self.card_authorization.text().strip() or None if method == "card" else None
            ),
            appointment_id=self.start.appointment_id,
            allocations=allocations,
            memo=self.memo.text().strip(),
        )

    def _card_digits(self) -> str | None:
        return self.card_last4.text().strip() or None

    def local_problems(self) -> list[Problem]:
        """Return the problems found before calling the service: unreadable or missing amounts."""
        problems = money_problems(self.amount, "amount", "The amount")
        amount = parse_money(self.amount.text())
        if not problems and (amount is None or amount <= 0):
            problems.append(Problem("amount", "Type the amount received, such as 25.00."))
        for line, field in zip(self.lines, self.apply_fields.values(), strict=True):
            label = f"The amount applied to {line.procedure_code} of {line.service_date:%m/%d/%Y}"
            problems.extend(money_problems(field, "allocations", label))
        if amount is not None and not self.is_prepayment():
            applied = sum(self.typed_allocations().values(), ZERO)
            if applied > amount:
                problems.append(
                    Problem(
                        "allocations",
                        f"The lines get {format_money(applied)} but the amount is "
                        f"{format_money(amount)}; lower an Apply cell or raise the amount.",
                    )
                )
        return problems

    # Saving

    def accept(self) -> None:
        """Save the payment; the dialog stays open with the problems when the save fails."""
        if self.saving:
            return
        if self.payment_id is not None:
            super().accept()
            return
        problems = self.local_problems()
        if problems:
            self.form.show_problems(problems)
            return
        self.form.clear_problems()
        form = self.payment_form()
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            return payments.take_payment(session, actor, form)

        self.saving = True
        self.buttons.setEnabled(False)
        log.info("taking a %s payment for patient %s", form.method, form.patient_id)
        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, outcome: SaveOutcome) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        if not outcome.saved:
            self._show_rejected(outcome.problems)
            return
        self.payment_id = outcome.record_id
        self._show_done()
        self.saved.emit(outcome.record_id)

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        self.save_button.setDefault(True)
        if isinstance(error, ValidationError):
            self._show_rejected(tuple(error.problems))
        else:
            show_error(self, error)

    def _show_rejected(self, problems: Sequence[Problem]) -> None:
        self.save_button.setDefault(True)
        # The dialog has no appointment field: a copay's visit comes from check-in, so
        # that problem shows next to the kind the desk can change.
        shown = [
            Problem("kind", problem.message, problem.severity)
            if problem.field == "appointment_id"
            else problem
            for problem in problems
        ]
        self.form.show_problems(shown)

    def _show_done(self) -> None:
        """Lock the form and offer the receipt: Enter prints it, Esc closes."""
        amount = parse_money(self.amount.text()) or ZERO
        method = METHOD_LABELS[str(self.method.currentData())].lower()
        self.form.setEnabled(False)
        self.heading.setText(
            f"Saved: {format_money(amount)} {method} from {self.start.patient_label}. "
            "Press Enter to print the receipt or Esc to close."
        )
        self.save_button.setVisible(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Close")
        self.print_button.setVisible(True)
        self.print_button.setDefault(True)
        self.print_button.setFocus()

    def print_receipt(self) -> None:
        """Write the saved payment's receipt to Documents and open it."""
        payment_id = self.payment_id
        if payment_id is None:
            return
        print_receipt(self.context, self, payment_id, self.receipt_folder, self.open_file)


def print_receipt(
    context: AppContext,
    parent: QWidget,
    payment_id: uuid.UUID,
    folder: Path | None = None,
    open_file: OpenFile | None = None,
) -> None:
    """Write the receipt PDF of `payment_id` to Documents (or `folder`) and open it."""

    def write(session: Session, actor: Actor, path: Path) -> Path:
        return payments.write_receipt_pdf(session, actor, payment_id, path)

    stem = f"receipt-{str(payment_id)[-8:]}"
    print_pdf(
        context, parent, stem, write, title="Writing the receipt…", folder=folder,
        open_file=open_file,
    )  # fmt: skip


def open_take_payment(
    context: AppContext,
    start: PaymentStart,
    parent: QWidget,
    on_open: Callable[[TakePaymentDialog], None] | None = None,
) -> None:
    """Read the patient's open lines, then open the take-payment dialog (window-modal).

    `on_open` receives the dialog once it shows, so the caller can keep it or listen to
    `saved`.
    """
    patient_id = start.patient_id

    def work(session: Session, _progress: Progress) -> tuple[list[OpenLine], date]:
        return open_patient_lines(session, patient_id), practice_today(session)

    def opened(loaded: tuple[list[OpenLine], date]) -> None:
        lines, today = loaded
        dialog = TakePaymentDialog(context, start, lines, parent, today=today)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.activateWindow()
        log.info("take-payment dialog opened with %s", plural(len(lines), "open line"))
        if on_open is not None:
            on_open(dialog)

    run_for(parent, context, work, opened, read_only=True)
