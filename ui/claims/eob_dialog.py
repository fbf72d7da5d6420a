"""The Post EOB dialog: a payer's paper check and what it paid on each claim.

The biller types the check (number, date, payer, amount), adds each claim the EOB lists
by its claim number, and types per line what the payer paid and each adjustment (group,
reason code, amount). Each line shows its patient responsibility (PR) total and its
balance, charge minus paid minus adjustments, which must be 0.00 on every line before
Save is enabled. The service checks everything again and posts all claims or none.
"""

import itertools
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
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

from app.errors import UserError, ValidationError
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Actor
from app.services import admin_records, eob_entry
from app.services.claim_cob import PATIENT_GROUP, AdjustmentForm
from app.services.eob_entry import METHODS, EobClaim, EobForm
from app.services.outcomes import SaveOutcome
from ui.admin.common import run_for
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.fields import DateField, parse_money
from ui.widgets import find_data

log = logging.getLogger(__name__)

# Adjustment slots per line. NOTE: an EOB line with more adjustments than this must be
# entered with the extra amounts combined under one reason code of the same group.
ADJUSTMENT_SLOTS = 4
FIXED_HEADERS = ("Claim", "Line", "Code", "Charge", "Allowed", "Paid")
SLOT_HEADERS = ("Group", "Reason", "Amount")  # the first word sizes the column
TOTAL_HEADERS = ("PR total", "Balance")
DIALOG_SIZE = (1320, 620)
# Room left around the dialog for its title bar and frame, in pixels.
SCREEN_MARGIN = (40, 60)
ZERO_TEXT = "0.00"


@dataclass(slots=True)
class LineRow:
    """The editors of one claim line in the table."""

    claim_id: uuid.UUID
    claim_line_id: uuid.UUID
    charge: Decimal
    allowed: QLineEdit
    paid: QLineEdit
    slots: list[tuple[QLineEdit, QLineEdit, QLineEdit]]
    auto_filled: bool = False


def _edit(placeholder: str = "", max_length: int = 12) -> QLineEdit:
    edit = QLineEdit()
    edit.setMaxLength(max_length)
    edit.setPlaceholderText(placeholder)
    edit.setFrame(False)
    return edit


def _amount(text: str) -> Decimal | None:
    """Return the amount typed (0.00 for an empty field), or None when it is not an amount."""
    if not text.strip():
        return ZERO
    return parse_money(text.replace(",", ""))


class EobDialog(QDialog):
    """Types a paper EOB for one or more claims of one payer, then posts it."""

    def __init__(
        self,
        context: AppContext,
        payers: list[tuple[uuid.UUID, str]],
        first: EobClaim | None,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eobDialog")
        self.setWindowTitle("Post EOB")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context = context
        self.claims: list[EobClaim] = []
        self.rows: list[LineRow] = []
        self.saving = False
        self.outcome: SaveOutcome | None = None
        self._build_header(payers, today)
        self._build_table()
        self._lay_out()
        self._fit_to_screen()
        if first is not None:
            self.payer.setCurrentIndex(max(0, find_data(self.payer, first.next_payer_id)))
            self.add_claim(first)
        self.check_number.setFocus()
        self.update_totals()

    # ---- building -----------------------------------------------------------------------

    def _build_header(self, payers: list[tuple[uuid.UUID, str]], today: date) -> None:
        self.payer = QComboBox()
        self.payer.setObjectName("eobPayer")
        for payer_id, name in payers:
            self.payer.addItem(name, payer_id)
        self.check_number = QLineEdit()
        self.check_number.setObjectName("eobCheckNumber")
        self.check_number.setMaxLength(eob_entry.CHECK_NUMBER_MAX_LENGTH)
        self.check_number.setPlaceholderText("Check or EFT trace number as printed")
        self.check_date = DateField()
        self.check_date.setObjectName("eobCheckDate")
        self.check_date.set_date(today)
        self.amount = QLineEdit()
        self.amount.setObjectName("eobAmount")
        self.amount.setPlaceholderText("Such as 1,240.00")
        self.method = QComboBox()
        self.method.setObjectName("eobMethod")
        for code, label in METHODS.items():
            self.method.addItem(label, code)
        self.claim_number = QLineEdit()
        self.claim_number.setObjectName("eobClaimNumber")
        self.claim_number.setPlaceholderText("Claim number from the EOB, then Add claim")
        self.add_button = QPushButton("&Add claim")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.find_claim)
        self.claim_number.returnPressed.connect(self.find_claim)
        for edit in (self.check_number, self.amount):
            edit.textChanged.connect(self.update_totals)
        self.method.currentIndexChanged.connect(self.update_totals)

    def _build_table(self) -> None:
        headers = [*FIXED_HEADERS]
        for slot in range(1, ADJUSTMENT_SLOTS + 1):
            headers += [f"{name} {slot}" for name in SLOT_HEADERS]
        headers += TOTAL_HEADERS
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName("eobLines")
        self.table.setAccessibleName("EOB lines")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.totals = QLabel()
        self.totals.setObjectName("eobTotals")
        self.totals.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("fieldProblem")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problems.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Save and post")
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        header = QFormLayout()
        header.addRow(self._caption("&Payer", self.payer), self.payer)
        header.addRow(self._caption("Check &number", self.check_number), self.check_number)
        header.addRow(self._caption("Check &date", self.check_date), self.check_date)
        header.addRow(self._caption("A&mount", self.amount), self.amount)
        header.addRow(self._caption("Me&thod", self.method), self.method)
        add_row = QHBoxLayout()
        add_row.addWidget(self._caption("C&laim number", self.claim_number))
        add_row.addWidget(self.claim_number, 1)
        add_row.addWidget(self.add_button)
        hint = QLabel(
            "Type what the EOB shows for each line: paid, then each adjustment as group "
            "(CO, PR, OA or PI), reason code and amount. Typing the allowed amount fills "
            "the contractual write-off (CO 45) into an empty first adjustment."
        )
        hint.setObjectName("subtleText")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(add_row)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)

    @staticmethod
    def _caption(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        buddy.setAccessibleName(text.replace("&", ""))
        return label

    # ---- claims and lines ---------------------------------------------------------------

    def find_claim(self) -> None:
        """Look up the claim number typed and add its lines."""
        number = self.claim_number.text().strip()
        if not number:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> EobClaim:
            return eob_entry.find_eob_claim(session, actor, number)

        run_for(self, self.context, work, self._found, self._lookup_failed)

    def _found(self, claim: EobClaim) -> None:
        if any(existing.claim_id == claim.claim_id for existing in self.claims):
            self.show_problem(f"Claim {claim.claim_number} is already on this EOB.")
            return
        payer_index = find_data(self.payer, claim.next_payer_id)
        if not self.claims and payer_index >= 0:
            # Until a claim is on the EOB the payer is only a guess, so the first claim sets
            # it to the payer the claim waits on. After a crossover that is the payer the
            # claim was forwarded to.
            self.payer.setCurrentIndex(payer_index)
        if not claim.accepts(self.payer.currentData()):
            self.show_problem(claim.payer_problem(self.payer.currentText()))
            return
        self.claim_number.clear()
        self.add_claim(claim)

    def _lookup_failed(self, error: BaseException) -> None:
        if isinstance(error, UserError):
            self.show_problem(str(error))
        else:
            show_error(self, error)

    def add_claim(self, claim: EobClaim) -> None:
        """Add one row per line of `claim`, each line still unpaid."""
        self.claims.append(claim)
        self.payer.setEnabled(False)
        for line in claim.lines:
            self._add_line(claim, line)
        self.update_totals()
        if self.rows:
            self.rows[len(self.rows) - len(claim.lines)].paid.setFocus()

    def _add_line(self, claim: EobClaim, line: eob_entry.EobLine) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        modifiers = "-".join(line.modifiers)
        code = f"{line.procedure_code}-{modifiers}" if modifiers else line.procedure_code
        fixed = (claim.claim_number, str(line.line_number), code, format_money(line.charge))
        for column, text in enumerate(fixed):
            item = QTableWidgetItem(text)
            item.setToolTip(f"{claim.patient_name}, {line.service_date:%m/%d/%Y}")
            self.table.setItem(row, column, item)
        allowed = _edit("optional")
        paid = _edit(ZERO_TEXT)
        slots = [(_edit("", 2), _edit("", 5), _edit()) for _slot in range(ADJUSTMENT_SLOTS)]
        editors = [allowed, paid, *[edit for slot in slots for edit in slot]]
        for offset, edit in enumerate(editors):
            self.table.setCellWidget(row, len(FIXED_HEADERS) - 2 + offset, edit)
            edit.textChanged.connect(self.update_totals)
            edit.setAccessibleName(f"Line {line.line_number} {self._header(offset)}")
        for column in range(len(editors) + len(FIXED_HEADERS) - 2, self.table.columnCount()):
            self.table.setItem(row, column, QTableWidgetItem(""))
        self._size_columns()
        line_row = LineRow(claim.claim_id, line.claim_line_id, line.charge, allowed, paid, slots)
        allowed.textChanged.connect(lambda _text: self._fill_contractual(line_row))
        self.rows.append(line_row)
        self._chain_tabs()

    def _fit_to_screen(self) -> None:
        """Take DIALOG_SIZE, or less on a smaller screen, so Save and Cancel stay on it."""
        available = self.screen().availableGeometry()
        width = min(DIALOG_SIZE[0], available.width() - SCREEN_MARGIN[0])
        height = min(DIALOG_SIZE[1], available.height() - SCREEN_MARGIN[1])
        self.resize(width, height)

    def _size_columns(self) -> None:
        # Narrow editor columns keep the PR total and Balance columns on screen at the
        # dialog's default width, without scrolling sideways.
        for column in range(len(FIXED_HEADERS) - 2):
            self.table.resizeColumnToContents(column)
        widths = {"Allowed": 72, "Paid": 72, "Group": 50, "Reason": 56, "Amount": 72}
        for column in range(len(FIXED_HEADERS) - 2, self.table.columnCount()):
            item = self.table.horizontalHeaderItem(column)
            name = item.text().split(" ")[0] if item is not None else ""
            self.table.setColumnWidth(column, widths.get(name, 84))

    def _header(self, offset: int) -> str:
        item = self.table.horizontalHeaderItem(len(FIXED_HEADERS) - 2 + offset)
        return item.text() if item is not None else ""

    def _chain_tabs(self) -> None:
        # Tab walks each line's fields left to right, then the next line, then Save.
        editors = [
            edit
            for row in self.rows
            for edit in (row.allowed, row.paid, *[e for slot in row.slots for e in slot])
        ]
        chain = [self.claim_number, self.add_button, *editors, self.save_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _fill_contractual(self, row: LineRow) -> None:
        """Put charge minus allowed as CO 45 in the first adjustment, unless the user typed one."""
        group, reason, amount = row.slots[0]
        typed = group.text() or reason.text() or amount.text()
        if typed and not row.auto_filled:
            return
        allowed = _amount(row.allowed.text()) if row.allowed.text().strip() else None
        if allowed is None or allowed >= row.charge:
            values = ("", "", "")
        else:
            values = ("CO", "45", f"{row.charge - allowed:.2f}")
        for edit, value in zip((group, reason, amount), values, strict=True):
            edit.setText(value)
        row.auto_filled = bool(values[0])

    # ---- totals -------------------------------------------------------------------------

    def line_adjustments(self, row: LineRow) -> list[AdjustmentForm] | None:
        """Return the adjustments typed on a line, or None when an amount is not money."""
        adjustments: list[AdjustmentForm] = []
        for group, reason, amount in row.slots:
            if not (group.text().strip() or reason.text().strip() or amount.text().strip()):
                continue
            value = _amount(amount.text())
            if value is None:
                return None
            adjustments.append(
                AdjustmentForm(group.text().strip().upper(), reason.text().strip().upper(), value)
            )
        return adjustments

    def line_balance(self, row: LineRow) -> tuple[Decimal, Decimal] | None:
        """Return (PR total, balance) of a line, or None when an amount is not money."""
        paid = _amount(row.paid.text())
        adjustments = self.line_adjustments(row)
        if paid is None or adjustments is None:
            return None
        adjusted = sum((item.amount for item in adjustments), ZERO)
        patient = sum(
            (item.amount for item in adjustments if item.group_code == PATIENT_GROUP), ZERO
        )
        return patient, row.charge - paid - adjusted

    def update_totals(self) -> None:
        """Show each line's PR total and balance, the paid total, and enable Save."""
        balanced = bool(self.rows)
        paid_total = ZERO
        for index, row in enumerate(self.rows):
            result = self.line_balance(row)
            pr_item = self.table.item(index, self.table.columnCount() - 2)
            balance_item = self.table.item(index, self.table.columnCount() - 1)
            assert pr_item is not None and balance_item is not None, "set in _add_line"
            if result is None:
                balanced = False
                pr_item.setText("")
                balance_item.setText("not an amount")
                balance_item.setForeground(QColor(ERROR_COLOR))
                continue
            patient, balance = result
            paid_total += _amount(row.paid.text()) or ZERO
            pr_item.setText(format_money(patient))
            balance_item.setText(format_money(balance))
            balance_item.setForeground(QColor(ERROR_COLOR) if balance else QColor("#1b5e20"))
            balanced = balanced and balance == ZERO
        self._show_totals(paid_total, balanced)
        self.save_button.setEnabled(balanced and not self.saving)

    def _show_totals(self, paid_total: Decimal, balanced: bool) -> None:
        amount = _amount(self.amount.text())
        parts = [f"Paid on the lines: {format_money(paid_total)}"]
        color = ""
        if amount is None:
            parts.append("the check amount is not an amount")
            color = ERROR_COLOR
        elif self.amount.text().strip():
            parts.append(f"check amount {format_money(amount)}")
            if amount != paid_total:
                parts.append(f"difference {format_money(amount - paid_total)}")
                color = ERROR_COLOR
        if self.rows and not balanced:
            parts.append("every line's balance must be $0.00 before saving")
            color = ERROR_COLOR
        if not self.rows:
            parts.append("add the claims the EOB lists")
        self.totals.setText("; ".join(parts) + ".")
        self.totals.setStyleSheet(f"color: {color};" if color else "")

    # ---- saving -------------------------------------------------------------------------

    def show_problem(self, text: str) -> None:
        """Show what stops the lookup or the save, above the buttons."""
        self.problems.setText(text)
        self.problems.setVisible(bool(text))

    def eob_form(self) -> EobForm | None:
        """Return the EOB as typed, or None (with the problem shown) when it cannot be read."""
        check_date = self.check_date.date_value()
        amount = _amount(self.amount.text())
        if check_date is None:
            self.show_problem("The check date is missing or not a date; type it as MM/DD/YYYY.")
            return None
        if amount is None:
            self.show_problem("The check amount is not an amount; type it as 1,240.00.")
            return None
        forms = []
        for claim in self.claims:
            form = claim.template
            form.adjudicated_on = check_date
            lines = {line.claim_line_id: line for line in form.lines}
            for row in self.rows:
                if row.claim_id != claim.claim_id:
                    continue
                line = lines[row.claim_line_id]
                line.paid_amount = _amount(row.paid.text()) or ZERO
                line.adjustments = self.line_adjustments(row) or []
            form.paid_amount = sum((line.paid_amount for line in form.lines), ZERO)
            forms.append(form)
        return EobForm(
            payer_id=self.payer.currentData(),
            check_number=self.check_number.text(),
            check_date=check_date,
            amount=amount,
            method=str(self.method.currentData()),
            claims=forms,
        )

    def accept(self) -> None:
        """Post the EOB; the dialog closes only when everything posted."""
        if self.saving or not self.save_button.isEnabled():
            return
        form = self.eob_form()
        if form is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = eob_entry.post_paper_eob(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        self.saving = True
        self.save_button.setEnabled(False)
        self.show_problem("")
        run_for(self, self.context, work, self._saved, self._failed, title="Posting the EOB")

    def _saved(self, outcome: SaveOutcome) -> None:
        self.saving = False
        self.outcome = outcome
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.update_totals()
        if isinstance(error, ValidationError):
            self.show_problem("\n".join(problem.message for problem in error.problems))
        else:
            show_error(self, error)

    def summary(self) -> str:
        """Return what the last save posted, for the Claims page's status line."""
        paid = _amount(self.amount.text()) or ZERO
        noun = "claim" if len(self.claims) == 1 else "claims"
        return (
            f"Posted check {self.check_number.text().strip()} for {format_money(paid)} on "
            f"{len(self.claims)} {noun}."
        )


def load_payers(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Return the active payers by name, for the dialog's payer list."""
    payers = admin_records.list_payers(session, actor, include_archived=False)
    return [(payer.id, payer.name) for payer in payers]
