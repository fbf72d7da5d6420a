"""The Adjustments and refunds tab: write-offs, small balances, credit balances and refunds.

Left: "Post adjustment…" for one account, the small balances under a threshold,
ticked and written off together, and the refund requests, which a manager other than
the requester approves before anyone issues them. Right: the accounts in credit, where
a refund of the patient's or a payer's credit is requested.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services import account_adjustments, refunds
from app.services.account_adjustments import SmallBalanceRow
from app.services.line_balances import OpenLine, open_patient_lines
from app.services.payer_refunds import PayerRefundChoice, payer_refund_choice
from app.services.refunds import CreditRow, RefundRow
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.patient.fields import format_amount, money_problems, parse_money
from ui.payments.common import (
    CheckTable,
    FittedMoneyTable,
    action_button,
    money_field,
    plural,
    status_line,
)
from ui.payments.dialogs import AdjustmentDialog, ReasonDialog, open_dialog
from ui.payments.patient_pick import PatientPickDialog
from ui.payments.refund_dialogs import (
    IssueRefundDialog,
    PayerRefundDialog,
    RefundRequestDialog,
    insurance_warning,
)

log = logging.getLogger(__name__)

SMALL_COLUMNS = ("Patient", "Chart", "Balance")
# The "Insurance owes" column sits next to the credit, where a narrow window still shows it.
CREDIT_COLUMNS = ("Patient", "Chart", "Credit", "Insurance owes", "Whose money", "Pending refunds")
REFUND_COLUMNS = ("Patient", "Amount", "Status", "Requested by", "Reason")
# Maximum width of a fitted column in half a 1280-pixel window. Longer text shows in its tooltip.
COLUMN_LIMIT = 140
REFUND_STATUS = {
    "requested": "Waiting for approval",
    "approved": "Approved, to issue",
    "issued": "Issued",
    "cancelled": "Cancelled",
}
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.LEDGER, ChangeKind.SETTINGS)


@dataclass(frozen=True, slots=True)
class CreditLine:
    """One bucket of an account in credit: the patient's own money or one payer's.

    `responsible_party` is the payer's place in the payment order ("primary",
    "secondary" or "tertiary"), None for the patient's credit.
    """

    account: CreditRow
    amount: Decimal
    payer_id: uuid.UUID | None
    whose: str
    responsible_party: str | None = None


def credit_lines(rows: list[CreditRow]) -> list[CreditLine]:
    """Split each account in credit into its patient credit and its payer credits."""
    lines: list[CreditLine] = []
    for row in rows:
        if row.patient_credit > 0:
            lines.append(CreditLine(row, row.patient_credit, None, "Patient"))
        lines.extend(
            CreditLine(
                row, credit.amount, credit.payer_id, credit.payer_name, credit.responsible_party
            )
            for credit in row.payer_credits
        )
    return lines


@dataclass(frozen=True, slots=True)
class AdjustmentsLoad:
    """One load of the tab."""

    today: date
    threshold: Decimal
    small_balances: list[SmallBalanceRow]
    credits: list[CreditRow]
    refunds: list[RefundRow]


def _hidden_note() -> QLabel:
    note = QLabel()
    note.setObjectName("subtleText")
    note.setWordWrap(True)
    note.setVisible(False)
    return note


class AdjustmentsTab(Page):
    """Posts adjustments, writes off small balances and works refund requests."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adjustmentsTab")
        self.context = context
        self.today: date | None = None
        self.threshold_used: Decimal | None = None
        self.small_rows: list[SmallBalanceRow] = []
        self.credit_rows: list[CreditLine] = []
        self.refund_rows: list[RefundRow] = []
        self._request = 0
        self.dialog: QWidget | None = None

        self.adjust_button = QPushButton("Post &adjustment…")
        self.adjust_button.setObjectName("postAdjustment")
        self.adjust_button.clicked.connect(self.post_adjustment)
        self.threshold = money_field("Small-balance threshold", "5.00")
        self.threshold.setObjectName("smallBalanceThreshold")
        self.threshold.returnPressed.connect(self.refresh)
        # Wide enough for "1,000.00" with the style sheet's padding.
        self.threshold.setMinimumWidth(
            self.threshold.fontMetrics().horizontalAdvance("0,000.000") + 24
        )
        self.find_button = action_button("&Find", "findSmallBalances")
        self.find_button.clicked.connect(self.refresh)
        self.small_table = CheckTable(
            SMALL_COLUMNS, "Small balances", ("Balance",), stretch_column="Patient"
        )
        self.small_table.setObjectName("smallBalanceTable")
        # Says the search ran and found nothing, which an empty table does not.
        self.small_empty = _hidden_note()
        self.small_table.ticks_changed.connect(self._update_actions)
        self.save_threshold_button = self._threshold_button()
        self.write_off_button = action_button("&Write off ticked", "writeOffSmall")
        self.write_off_button.clicked.connect(self.write_off_ticked)

        self.credit_table = FittedMoneyTable(
            CREDIT_COLUMNS,
            "Accounts in credit",
            ("Credit", "Insurance owes", "Pending refunds"),
            stretched=("Patient",),
            limit=COLUMN_LIMIT,
            wrapped=("Insurance owes", "Whose money", "Pending refunds"),
        )
        self.credit_table.setObjectName("creditTable")
        self.credit_table.itemSelectionChanged.connect(self._update_actions)
        # Shown for a selected patient credit on an account that insurance still owes on.
        self.insurance_note = _hidden_note()
        self.insurance_note.setObjectName("creditInsuranceNote")
        self.request_button = QPushButton("Re&quest refund…")
        self.request_button.setObjectName("requestRefund")
        self.request_button.clicked.connect(self.request_refund)
        self.refund_table = FittedMoneyTable(
            REFUND_COLUMNS,
            "Refund requests",
            ("Amount",),
            stretched=("Reason",),
            limit=COLUMN_LIMIT,
            wrapped=("Requested by",),
        )
        self.refund_table.setObjectName("refundTable")
        self.refund_table.itemSelectionChanged.connect(self._update_actions)
        self.approve_button = QPushButton("A&pprove")
        self.approve_button.setObjectName("approveRefund")
        self.approve_button.clicked.connect(self.approve_selected)
        self.issue_button = QPushButton("Iss&ue…")
        self.issue_button.setObjectName("issueRefund")
        self.issue_button.clicked.connect(self.issue_selected)
        self.cancel_button = QPushButton("&Cancel request…")
        self.cancel_button.setObjectName("cancelRefund")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.status = status_line("Last adjustment or refund action")
        self._lay_out()
        self._update_actions()

    def _threshold_button(self) -> QPushButton:
        # The stored threshold is what the desk may write off without a manager, so only
        # managers see the button that changes it.
        button = action_button("Sa&ve as the practice limit", "saveSmallBalanceThreshold")
        button.setToolTip(
            "Store this amount as the practice's small-balance threshold: the desk may write "
            "off balances up to it without a manager."
        )
        button.clicked.connect(self.save_threshold)
        button.setVisible(self.context.can(Permission.PAYMENT_VOID))
        return button

    def _lay_out(self) -> None:
        adjust_row = QHBoxLayout()
        intro = QLabel("Write off or credit part of one account, on a line or the whole account.")
        intro.setWordWrap(True)
        adjust_row.addWidget(intro, 1)
        adjust_row.addWidget(self.adjust_button)

        lists = QSplitter(Qt.Orientation.Vertical)
        lists.setObjectName("smallRefundSplitter")
        lists.addWidget(self._small_box())
        lists.addWidget(self._refund_box())
        # Halves to start with: the splitter would otherwise follow the size hints, which
        # leave the small balances a single row.
        lists.setSizes([1, 1])
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(adjust_row)
        left_layout.addWidget(lists, 1)

        # Equal halves: the credit and refund tables need as much width as the small balances.
        halves = QHBoxLayout()
        halves.addWidget(left, 1)
        halves.addWidget(self._credit_box(), 1)
        layout = QVBoxLayout(self)
        layout.addLayout(halves, 1)
        layout.addWidget(self.status)

    def _small_box(self) -> QGroupBox:
        threshold_row = QHBoxLayout()
        caption = QLabel("Balances up &to")
        caption.setBuddy(self.threshold)
        threshold_row.addWidget(caption)
        threshold_row.addWidget(self.threshold)
        threshold_row.addWidget(self.find_button)
        threshold_row.addStretch(1)

        # The buttons sit under the table, because half of a 1280-pixel window has no
        # room for them beside the threshold with their full text.
        small_buttons = QHBoxLayout()
        small_buttons.addWidget(self.save_threshold_button)
        small_buttons.addStretch(1)
        small_buttons.addWidget(self.write_off_button)

        small_box = QGroupBox("Small balances")
        small_layout = QVBoxLayout(small_box)
        small_layout.addLayout(threshold_row)
        small_layout.addWidget(self.small_empty)
        small_layout.addWidget(self.small_table, 1)
        small_layout.addLayout(small_buttons)
        return small_box

    def _refund_box(self) -> QGroupBox:
        refund_box = QGroupBox("Refund requests")
        refund_layout = QVBoxLayout(refund_box)
        refund_layout.addWidget(self.refund_table, 1)
        refund_buttons = QHBoxLayout()
        refund_buttons.addStretch(1)
        for button in (self.approve_button, self.issue_button, self.cancel_button):
            refund_buttons.addWidget(button)
        refund_layout.addLayout(refund_buttons)
        return refund_box

    def _credit_box(self) -> QGroupBox:
        # The accounts in credit get the whole right column: they are the list the desk
        # works through, and at 720 pixels high a shared column showed only two rows.
        credit_box = QGroupBox("Accounts in credit")
        credit_layout = QVBoxLayout(credit_box)
        credit_layout.addWidget(self.credit_table, 1)
        credit_layout.addWidget(self.insurance_note)
        credit_buttons = QHBoxLayout()
        credit_buttons.addStretch(1)
        credit_buttons.addWidget(self.request_button)
        credit_layout.addLayout(credit_buttons)
        return credit_box

    # Loading

    def refresh(self) -> None:
        """Reload the small balances, credits and refund requests in the background."""
        if not self.context.user.signed_in or not self.context.can(Permission.PAYMENT_POST):
            return
        problems = money_problems(self.threshold, "threshold", "The threshold")
        if problems:
            self.status.setText(problems[0].message)
            return
        self._request += 1
        request, actor = self._request, self.context.actor
        threshold = parse_money(self.threshold.text())

        def work(session: Session, _progress: Progress) -> AdjustmentsLoad:
            limit = threshold or account_adjustments.small_balance_threshold(session)
            return AdjustmentsLoad(
                practice_today(session),
                limit,
                account_adjustments.small_balance_candidates(session, actor, limit),
                refunds.credit_balances(session, actor),
                refunds.refund_list(session, actor),
            )

        run_for(
            self, self.context, work, lambda loaded: self._loaded(request, loaded),
            read_only=True,
        )  # fmt: skip

    def _loaded(self, request: int, loaded: AdjustmentsLoad) -> None:
        if request != self._request:
            return
        self.today = loaded.today
        self.threshold_used = loaded.threshold
        if not self.threshold.text().strip():
            self.threshold.setText(format_amount(loaded.threshold))
        self.small_rows = loaded.small_balances
        self.credit_rows = credit_lines(loaded.credits)
        self.refund_rows = loaded.refunds
        self.small_table.set_rows(
            [
                (row.patient_id, (row.patient_name, row.chart_number, format_money(row.balance)))
                for row in loaded.small_balances
            ]
        )
        self.small_empty.setText(
            f"No patient owes {format_money(loaded.threshold)} or less on an account that "
            "insurance has settled. Raise the amount and press Find to see more."
        )
        self.small_empty.setVisible(not loaded.small_balances)
        self.credit_table.set_rows(
            [(index, credit_cells(line)) for index, line in enumerate(self.credit_rows)]
        )
        self.refund_table.set_rows([(row.refund_id, refund_cells(row)) for row in loaded.refunds])
        self._update_actions()

    # Selection

    def selected_credit(self) -> CreditLine | None:
        """Return the selected account in credit, or None."""
        index = self.credit_table.selected_id()
        # While a reload replaces the rows, the table may still select a row that is gone.
        if not isinstance(index, int) or not 0 <= index < len(self.credit_rows):
            return None
        return self.credit_rows[index]

    def selected_refund(self) -> RefundRow | None:
        """Return the selected refund request, or None."""
        refund_id = self.refund_table.selected_id()
        return next((row for row in self.refund_rows if row.refund_id == refund_id), None)

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.PAYMENT_POST)
        manager = self.context.can(Permission.PAYMENT_VOID)
        refund = self.selected_refund()
        status = refund.status if refund is not None else ""
        credit = self.selected_credit()
        self.adjust_button.setEnabled(allowed)
        self.write_off_button.setEnabled(allowed and bool(self.small_table.checked_ids()))
        self.request_button.setEnabled(allowed and credit is not None)
        self.request_button.setToolTip(
            "Request a refund of the payer's overpayment, naming the claim it overpaid"
            if credit is not None and credit.payer_id is not None
            else "Request a refund of the selected patient credit"
        )
        self._show_insurance_note(credit)
        # The service also rejects an approval by the person who requested the refund.
        self.approve_button.setEnabled(manager and status == "requested")
        self.approve_button.setToolTip("A manager other than the requester approves a refund.")
        self.issue_button.setEnabled(allowed and status == "approved")
        self.cancel_button.setEnabled(allowed and status in ("requested", "approved"))

    def _show_insurance_note(self, credit: CreditLine | None) -> None:
        note = insurance_note(credit)
        self.insurance_note.setText(note)
        self.insurance_note.setVisible(bool(note))

    # Adjustments

    def post_adjustment(self) -> None:
        """Ask for the patient, then for the adjustment."""
        pick = PatientPickDialog(self.context, self)
        pick.setWindowTitle("Post adjustment: choose the patient")
        pick.accepted.connect(lambda: self._adjust_patient(pick))
        self.dialog = open_dialog(pick)

    def _adjust_patient(self, pick: PatientPickDialog) -> None:
        match = pick.patient
        if match is None:
            return
        patient_id = match.patient_id
        label = f"{match.display_name} (chart {match.chart_number})"

        def work(session: Session, _progress: Progress) -> list[OpenLine]:
            return open_patient_lines(session, patient_id)

        def opened(lines: list[OpenLine]) -> None:
            dialog = AdjustmentDialog(self.context, patient_id, label, lines, self)
            dialog.saved.connect(lambda _outcome: self.status.setText("Adjustment posted."))
            self.dialog = open_dialog(dialog)

        run_for(self, self.context, work, opened, self.show_error, read_only=True)

    def save_threshold(self) -> None:
        """Store the typed amount as the practice's small-balance threshold."""
        problems = money_problems(self.threshold, "threshold", "The threshold")
        if problems:
            self.status.setText(problems[0].message)
            return
        amount = parse_money(self.threshold.text())
        if amount is None:
            self.status.setText("Type the threshold, such as 5.00, then save it.")
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return account_adjustments.set_small_balance_threshold(session, actor, amount)

        def done(_changes: Changes) -> None:
            self.status.setText(
                f"The practice's small-balance threshold is now {format_money(amount)}."
            )

        run_for(self, self.context, work, done, self.show_error, title="Saving the threshold")

    def write_off_ticked(self) -> None:
        """Write off the ticked small balances."""
        patient_ids: list[uuid.UUID] = self.small_table.checked_ids()
        # The list was found with this threshold; the service checks each balance again.
        threshold = self.threshold_used
        if not patient_ids or threshold is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return account_adjustments.write_off_small_balances(
                session, actor, patient_ids, threshold
            )

        ticked = [row for row in self.small_rows if row.patient_id in patient_ids]
        total = sum((row.balance for row in ticked), ZERO)

        def done(_changes: Changes) -> None:
            self.status.setText(
                f"Wrote off {plural(len(ticked), 'small balance')}, {format_money(total)}."
            )

        run_for(self, self.context, work, done, self.show_error, title="Writing off balances")

    # Refunds

    def request_refund(self) -> None:
        """Ask for the amount and reason of a refund of the selected credit.

        For a payer's credit the dialog also requests the claim the payer overpaid.
        """
        line = self.selected_credit()
        if line is None:
            return
        if line.payer_id is not None and line.responsible_party is not None:
            self._request_payer_refund(line, line.payer_id, line.responsible_party)
            return
        row = line.account
        dialog = RefundRequestDialog(
            self.context,
            row.patient_id,
            f"{row.patient_name} (chart {row.chart_number})",
            self,
            credit=line.amount - row.pending_patient_refunds,
            insurance_owed=row.insurance_pending,
            safe=row.refundable_after_insurance,
        )
        dialog.saved.connect(lambda _outcome: self.status.setText("Refund requested."))
        self.dialog = open_dialog(dialog)

    def _request_payer_refund(
        self, line: CreditLine, payer_id: uuid.UUID, responsible_party: str
    ) -> None:
        row, actor = line.account, self.context.actor

        def work(session: Session, _progress: Progress) -> PayerRefundChoice:
            return payer_refund_choice(session, actor, row.patient_id, payer_id, responsible_party)

        def opened(choice: PayerRefundChoice) -> None:
            label = f"{row.patient_name} (chart {row.chart_number})"
            dialog = PayerRefundDialog(self.context, row.patient_id, label, choice, self)
            dialog.saved.connect(
                lambda _outcome: self.status.setText(f"Refund to {choice.payer_name} requested.")
            )
            self.dialog = open_dialog(dialog)

        run_for(self, self.context, work, opened, self.show_error, read_only=True)

    def approve_selected(self) -> None:
        """Approve the selected refund request (a manager who did not request it)."""
        row = self.selected_refund()
        if row is None:
            return
        refund_id, actor = row.refund_id, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return refunds.approve_refund(session, actor, refund_id)

        def done(_changes: Changes) -> None:
            self.status.setText(f"Approved the refund of {format_money(row.amount)}.")

        run_for(self, self.context, work, done, self.show_error)

    def issue_selected(self) -> None:
        """Ask how the approved refund was paid, then issue it."""
        row = self.selected_refund()
        if row is None or self.today is None:
            return
        summary = f"Refund of {format_money(row.amount)} to {row.patient_name}."
        dialog = IssueRefundDialog(self.context, row.refund_id, summary, self.today, self)
        dialog.saved.connect(lambda _changes: self.status.setText("Refund issued."))
        self.dialog = open_dialog(dialog)

    def cancel_selected(self) -> None:
        """Ask why, then cancel the selected refund request."""
        row = self.selected_refund()
        if row is None:
            return
        refund_id = row.refund_id
        dialog = ReasonDialog(
            self.context,
            (
                "Cancel refund",
                f"Cancel the refund of {format_money(row.amount)} to {row.patient_name}? "
                "The credit stays on the account.",
                "Cancel refund",
            ),
            lambda session, actor, reason: refunds.cancel_refund(session, actor, refund_id, reason),
            self,
        )
        dialog.saved.connect(lambda _changes: self.status.setText("Refund request cancelled."))
        self.dialog = open_dialog(dialog)

    def show_error(self, error: BaseException) -> None:
        """Show a failed load or action in the error dialog."""
        show_error(self, error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove every account and refund from the screen (lock or sign-out)."""
        self._request += 1
        self.small_rows, self.credit_rows, self.refund_rows = [], [], []
        self.small_table.set_rows([])
        self.credit_table.set_rows([])
        self.refund_table.set_rows([])
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments, the ledger or the threshold setting change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()


def credit_cells(line: CreditLine) -> list[str]:
    """Return the cells of one credit, in CREDIT_COLUMNS order."""
    row = line.account
    insurance = format_money(row.insurance_pending) if row.insurance_pending else ""
    pending = format_money(row.pending_refunds) if row.pending_refunds else ""
    return [
        row.patient_name,
        row.chart_number,
        format_money(line.amount),
        insurance,
        line.whose,
        pending,
    ]


def insurance_note(line: CreditLine | None) -> str:
    """Return the warning for a patient credit on an account insurance still owes on.

    Returns an empty text for a payer's credit, or when insurance owes nothing.
    """
    if line is None or line.payer_id is not None or not line.account.insurance_pending:
        return ""
    row = line.account
    return insurance_warning(row.insurance_pending, row.refundable_after_insurance)


def refund_cells(row: RefundRow) -> list[str]:
    """Return the cells of one refund request, in REFUND_COLUMNS order."""
    return [
        row.patient_name,
        format_money(row.amount),
        REFUND_STATUS.get(row.status, row.status),
        row.requested_by,
        row.reason,
    ]
