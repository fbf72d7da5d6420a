"""The Payments tab: the day's payments, with Take payment, Void, Print receipt, Apply credit
and Payment plan.

The list shows one business day, by default today, for everyone or for one user; the
user filter offers the people who took payments that day. Voided payments stay in the
list, marked, so the day sheet and the list agree.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services import payments
from app.services.payment_checks import KIND_LABELS, METHOD_LABELS
from app.services.payments import PaymentRow
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.help import Shortcut
from ui.pages.base import Page
from ui.payments import keys
from ui.payments.common import MoneyTable, action_button, date_field, plural, status_line
from ui.payments.dialogs import ReasonDialog, open_dialog
from ui.payments.patient_pick import PatientPickDialog
from ui.payments.printing import OpenFile
from ui.payments.take_payment import (
    PaymentStart,
    TakePaymentDialog,
    open_take_payment,
    print_receipt,
)
from ui.statements.plan_dialog import PlanDialog

log = logging.getLogger(__name__)

COLUMNS = (
    "Receipt", "Patient", "Chart", "Kind", "Method", "Amount", "Applied", "Credit",
    "Taken by", "Status",
)  # fmt: skip
MONEY_COLUMNS = ("Amount", "Applied", "Credit")
EVERYONE = "Everyone"
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.LEDGER, ChangeKind.PATIENTS)
NO_PERMISSION = "Your role cannot take payments. Front desk, billers and managers can."
DAY_CLOSED = (
    "You closed today under your name, so Take payment is off: a payment taken now would "
    "belong to a closed day. Ask a colleague whose day is still open to take it."
)


@dataclass(frozen=True, slots=True)
class DayPayments:
    """One load of the tab: the practice's today and the payments of the day shown."""

    today: date
    day: date
    rows: list[PaymentRow]
    closed_today: bool


def method_text(row: PaymentRow) -> str:
    """Return the method as listed, with the check number or card digits when known."""
    label = METHOD_LABELS.get(row.method, row.method)
    if row.method == "check" and row.check_number:
        return f"{label} #{row.check_number}"
    if row.method == "card" and row.card_last4:
        return f"{label} …{row.card_last4}"
    return label


def row_cells(row: PaymentRow) -> list[str]:
    """Return the cells of one payment, in COLUMNS order."""
    status = f"Voided: {row.void_reason}" if row.voided else "Taken"
    patient = (
        row.patient_name if row.payer_name is None else f"{row.patient_name} ({row.payer_name})"
    )
    return [
        row.receipt_number,
        patient,
        row.chart_number,
        KIND_LABELS.get(row.kind, row.kind),
        method_text(row),
        format_money(row.amount),
        format_money(row.applied),
        format_money(row.credit),
        row.taken_by,
        status,
    ]


class PaymentsTab(Page):
    """Lists the day's payments and takes, voids and prints them."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentsTab")
        self.context = context
        self.rows: list[PaymentRow] = []
        self.today: date | None = None
        self.closed_today = False
        self._request = 0
        self._select_after: uuid.UUID | None = None
        self.receipt_folder: Path | None = None
        self.open_file: OpenFile | None = None
        self.dialog: QWidget | None = None
        self.take_dialog: TakePaymentDialog | None = None

        self.day = date_field("Day")
        self.day.setObjectName("paymentsDay")
        self.day.editingFinished.connect(self.refresh)
        self.user = QComboBox()
        self.user.setObjectName("paymentsUser")
        self.user.setAccessibleName("Taken by")
        self.user.addItem(EVERYONE, None)
        self.user.currentIndexChanged.connect(lambda _index: self._show_rows())
        self.table = MoneyTable(COLUMNS, "Payments of the day", MONEY_COLUMNS)
        self.table.setObjectName("paymentsTable")
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.totals = QLabel()
        self.totals.setObjectName("countCard")
        self.status = status_line("Last payment action")
        # Says why Take payment is off once the signed-in user has closed today.
        self.closed_note = status_line("Why Take payment is off")
        self.closed_note.setObjectName("dayClosedNote")
        self.closed_note.setVisible(False)

        self.take_action = self._action("&Take payment…", self.take_payment, keys.TAKE_PAYMENT)
        self.void_action = self._action("&Void…", self.void_selected, keys.VOID)
        self.print_action = self._action("&Print receipt", self.print_selected, keys.PRINT_RECEIPT)
        self.credit_action = self._action("Apply &credit", self.apply_credit_selected, None)
        # The desk agrees installments with the patient at the window, so the plan dialog
        # opens here too, not only on the Statements page billers use.
        self.plan_action = self._action("Payment pla&n…", self.new_plan, None)
        self._lay_out()
        self._update_actions()

    def _action(self, text: str, slot: object, shortcut: Shortcut | None) -> QAction:
        action = QAction(text, self)
        plain = text.replace("&", "").rstrip("…")
        if shortcut is not None:
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{plain} ({shortcut.native_text()})")
        action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
        self.addAction(action)
        return action

    def _button(self, action: QAction, name: str) -> QPushButton:
        button = action_button(action.text(), name)
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        action.changed.connect(lambda: button.setEnabled(action.isEnabled()))
        button.setEnabled(action.isEnabled())
        return button

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        for caption, widget in (("&Day", self.day), ("Taken &by", self.user)):
            label = QLabel(caption)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.totals)
        buttons = QHBoxLayout()
        self.take_button = self._button(self.take_action, "takePaymentButton")
        buttons.addWidget(self.take_button)
        for action, name in (
            (self.void_action, "voidPaymentButton"),
            (self.print_action, "printReceiptButton"),
            (self.credit_action, "applyCreditButton"),
            (self.plan_action, "newPlanButton"),
        ):
            buttons.addWidget(self._button(action, name))
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(buttons)
        layout.addWidget(self.closed_note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    # Loading

    def refresh(self) -> None:
        """Reload the day's payments in the background; an older result is dropped."""
        if not self.context.user.signed_in:
            return
        if not self.context.can(Permission.PAYMENT_POST):
            self.status.setText(NO_PERMISSION)
            self._update_actions()
            return
        problems = self.day.problems("day", "The day")
        if problems:
            self.status.setText(problems[0].message)
            return
        self._take_focus()
        self._request += 1
        request, actor, chosen = self._request, self.context.actor, self.day.date_value()

        def work(session: Session, _progress: Progress) -> DayPayments:
            today = practice_today(session)
            day = chosen or today
            return DayPayments(
                today,
                day,
                payments.payments_for_day(session, actor, day, None),
                payments.closed_today(session, actor),
            )

        run_for(
            self, self.context, work, lambda loaded: self._loaded(request, loaded),
            read_only=True,
        )  # fmt: skip

    def _take_focus(self) -> None:
        # Opened from the navigation, the focus is still outside the page, where its keys
        # (Ctrl+N, Ctrl+P...) do not reach.
        focused = QApplication.focusWidget()
        if self.isVisible() and (focused is None or not self.isAncestorOf(focused)):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _loaded(self, request: int, loaded: DayPayments) -> None:
        if request != self._request:
            return
        self.today = loaded.today
        self.closed_today = loaded.closed_today
        if self.day.date_value() is None:
            self.day.set_date(loaded.day)
        self.rows = loaded.rows
        self._fill_users()
        self._show_rows()

    def _fill_users(self) -> None:
        chosen = self.user.currentData()
        users = {row.taken_by_id: row.taken_by for row in self.rows}
        me = self.context.actor.user_id
        if me is not None:
            users.setdefault(me, self.context.actor.username)
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem(EVERYONE, None)
        for user_id, name in sorted(users.items(), key=lambda item: item[1].casefold()):
            self.user.addItem(name, user_id)
        index = next(
            (number for number in range(self.user.count()) if self.user.itemData(number) == chosen),
            0,
        )
        self.user.setCurrentIndex(index)
        self.user.blockSignals(False)

    def shown_rows(self) -> list[PaymentRow]:
        """Return the payments the user filter leaves, in the order taken."""
        user_id = self.user.currentData()
        return [row for row in self.rows if user_id is None or row.taken_by_id == user_id]

    def _show_rows(self) -> None:
        rows = self.shown_rows()
        self.table.set_rows([(row.payment_id, row_cells(row)) for row in rows])
        for number, row in enumerate(rows):
            if row.voided:
                for column in range(self.table.columnCount()):
                    item = self.table.item(number, column)
                    if item is not None:
                        font = item.font()
                        font.setStrikeOut(column != COLUMNS.index("Status"))
                        item.setFont(font)
        taken = [row for row in rows if not row.voided]
        total = sum((row.amount for row in taken), ZERO)
        voided = len(rows) - len(taken)
        # Voided payments are listed but not counted, as on the day sheet.
        text = f"{plural(len(taken), 'payment')} · {format_money(total)}"
        self.totals.setText(text + (f" · {voided} voided" if voided else ""))
        if self._select_after is not None:
            self.table.select_id(self._select_after)
            self._select_after = None
        elif rows and self.table.selected_id() is None:
            self.table.selectRow(len(rows) - 1)
        self._update_actions()

    def selected_row(self) -> PaymentRow | None:
        """Return the selected payment, or None."""
        payment_id = self.table.selected_id()
        return next((row for row in self.rows if row.payment_id == payment_id), None)

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.PAYMENT_POST)
        row = self.selected_row()
        self.take_action.setEnabled(allowed and not self.closed_today)
        self.take_button.setToolTip(DAY_CLOSED if self.closed_today else self.take_action.toolTip())
        self.closed_note.setText(DAY_CLOSED if self.closed_today else "")
        self.closed_note.setVisible(self.closed_today)
        self.plan_action.setEnabled(allowed)
        self.void_action.setEnabled(allowed and row is not None and not row.voided)
        self.print_action.setEnabled(allowed and row is not None)
        self.credit_action.setEnabled(
            allowed and row is not None and not row.voided and row.credit > ZERO
        )

    # Actions

    def take_payment(self) -> None:
        """Ask for the patient, then open the take-payment dialog for them."""
        if not self.context.can(Permission.PAYMENT_POST) or self.closed_today:
            return
        pick = PatientPickDialog(self.context, self)
        pick.accepted.connect(lambda: self._patient_chosen(pick))
        self.dialog = open_dialog(pick)

    def new_plan(self) -> None:
        """Open the payment plan dialog, which searches for the patient itself."""
        if not self.context.can(Permission.PAYMENT_POST):
            return
        dialog = PlanDialog(self.context, self)
        dialog.saved.connect(lambda _outcome: self.status.setText("Payment plan saved."))
        self.dialog = open_dialog(dialog)

    def _patient_chosen(self, pick: PatientPickDialog) -> None:
        match = pick.patient
        if match is None:
            return
        label = f"{match.display_name} (chart {match.chart_number})"
        self.start_payment(PaymentStart(match.patient_id, label))

    def start_payment(self, start: PaymentStart) -> None:
        """Open the take-payment dialog for `start` (its open lines load first)."""
        open_take_payment(self.context, start, self, self._dialog_opened)

    def _dialog_opened(self, dialog: TakePaymentDialog) -> None:
        self.take_dialog = dialog
        dialog.receipt_folder = self.receipt_folder
        dialog.open_file = self.open_file
        dialog.saved.connect(self._payment_saved)

    def _payment_saved(self, payment_id: uuid.UUID) -> None:
        self._select_after = payment_id
        self.status.setText("Payment saved.")

    def void_selected(self) -> None:
        """Ask why, then void the selected payment (its ledger rows are reversed)."""
        row = self.selected_row()
        if row is None or row.voided:
            return
        payment_id = row.payment_id
        dialog = ReasonDialog(
            self.context,
            (
                "Void payment",
                f"Void receipt {row.receipt_number}, {format_money(row.amount)} "
                f"{METHOD_LABELS.get(row.method, row.method).lower()} from {row.patient_name}? "
                "Its ledger rows are reversed; the payment stays listed as voided.",
                "Void payment",
            ),
            lambda session, actor, reason: payments.void_payment(
                session, actor, payment_id, reason
            ),
            self,
        )
        dialog.setObjectName("voidPaymentDialog")
        dialog.saved.connect(
            lambda _result: self.status.setText(f"Voided receipt {row.receipt_number}.")
        )
        self.dialog = open_dialog(dialog)

    def print_selected(self) -> None:
        """Write the selected payment's receipt to Documents and open it."""
        row = self.selected_row()
        if row is not None:
            print_receipt(self.context, self, row.payment_id, self.receipt_folder, self.open_file)

    def apply_credit_selected(self) -> None:
        """Apply the selected patient's unapplied credit to their open lines, oldest first."""
        row = self.selected_row()
        if row is None:
            return
        patient_id, actor = row.patient_id, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return payments.apply_credit(session, actor, patient_id)

        def done(_changes: Changes) -> None:
            self.status.setText(f"Applied {row.patient_name}'s credit to open services.")

        run_for(self, self.context, work, done, self.show_error)

    def show_error(self, error: BaseException) -> None:
        """Show a failed load or action in the error dialog."""
        show_error(self, error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove every payment from the screen (lock or sign-out)."""
        self._request += 1
        self.rows = []
        self.closed_today = False
        self.table.set_rows([])
        self.totals.clear()
        self.status.clear()
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem(EVERYONE, None)
        self.user.blockSignals(False)
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments or the ledger change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()
