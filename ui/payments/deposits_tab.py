"""The Deposits tab: money not yet deposited, making a deposit, and the deposits made.

The desk ticks the payments and remittances that go to the bank together; the method
follows what is ticked (cash and checks, card, EFT, or mixed). A manager later types
what the bank statement shows to reconcile each deposit. A deposit made by mistake is
undone, after a confirmation, until it is reconciled.
"""

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import deposit_undo, deposits
from app.services.deposits import DEPOSIT_METHODS, DepositItem, DepositRow
from app.services.outcomes import SaveOutcome
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.admin.forms import ask
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.payments.common import (
    CheckTable,
    MoneyTable,
    action_button,
    date_field,
    money_text,
    plural,
    status_line,
)
from ui.payments.dialogs import ReconcileDialog, open_dialog
from ui.payments.printing import OpenFile, print_pdf
from ui.widgets import find_data

log = logging.getLogger(__name__)

# "Paid on" is the day the desk took a payment, or the payer's check or EFT date of a
# remittance (the import day when the 835 gives none).
ITEM_COLUMNS = ("Paid on", "Kind", "Reference", "From", "Method", "Amount")
DEPOSIT_COLUMNS = (
    "Deposit", "Date", "Method", "Items", "Expected", "Bank", "Difference", "Status", "Note",
)  # fmt: skip
DEPOSIT_MONEY = ("Expected", "Bank", "Difference")
KIND_LABELS = {deposits.ITEM_PAYMENT: "Payment", deposits.ITEM_REMITTANCE: "Insurance"}
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.CLAIMS)


@dataclass(frozen=True, slots=True)
class DepositsLoad:
    """One load of the tab: today, the money not deposited and the deposit list."""

    today: date
    items: list[DepositItem]
    deposits: list[DepositRow]


def method_for(methods: set[str]) -> str:
    """Return the deposit method that carries items of `methods`."""
    if methods <= {"cash", "check"}:
        return "cash_check"
    if methods == {"card"}:
        return "card"
    if methods == {"eft"}:
        return "eft"
    return "mixed"


class DepositsTab(Page):
    """Ticks undeposited money into a deposit; lists, reconciles and prints deposits."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("depositsTab")
        self.context = context
        self.items: list[DepositItem] = []
        self.deposit_rows: list[DepositRow] = []
        self.today: date | None = None
        self._request = 0
        self.dialog: QWidget | None = None
        self.report_folder: Path | None = None
        self.open_file: OpenFile | None = None

        self.item_table = CheckTable(
            ITEM_COLUMNS, "Money not yet deposited", ("Amount",), stretch_column="From"
        )
        self.item_table.setObjectName("undepositedTable")
        self.item_table.ticks_changed.connect(self._ticks_changed)
        self.checked_total = QLabel()
        self.checked_total.setObjectName("depositTicked")
        self.deposited_on = date_field("Deposited on")
        self.deposited_on.setObjectName("depositDate")
        self.method = QComboBox()
        self.method.setObjectName("depositMethod")
        self.method.setAccessibleName("Deposit method")
        for code, label in DEPOSIT_METHODS.items():
            self.method.addItem(label, code)
        self.create_button = action_button("Create &deposit", "createDeposit")
        self.create_button.clicked.connect(self.create_deposit)
        self.deposit_table = MoneyTable(DEPOSIT_COLUMNS, "Deposits", DEPOSIT_MONEY)
        self.deposit_table.setObjectName("depositTable")
        self.deposit_table.itemSelectionChanged.connect(self._update_actions)
        self.reconcile_button = action_button("&Reconcile…", "reconcileDeposit")
        self.reconcile_button.clicked.connect(self.reconcile_selected)
        self.print_button = action_button("&Print deposit report", "printDepositReport")
        self.print_button.clicked.connect(self.print_selected)
        self.undo_button = action_button("&Undo deposit…", "undoDeposit")
        self.undo_button.clicked.connect(self.undo_selected)
        self.status = status_line("Last deposit action")
        self._lay_out()
        self._update_actions()

    def _lay_out(self) -> None:
        make = QHBoxLayout()
        make.addWidget(self.checked_total, 1)
        for caption, widget in (("Deposited &on", self.deposited_on), ("Me&thod", self.method)):
            label = QLabel(caption)
            label.setBuddy(widget)
            make.addWidget(label)
            make.addWidget(widget)
        make.addWidget(self.create_button)
        money_box = QGroupBox("Not yet deposited")
        money_layout = QVBoxLayout(money_box)
        money_layout.addWidget(self.item_table, 1)
        money_layout.addLayout(make)

        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.reconcile_button)
        actions.addWidget(self.print_button)
        list_box = QGroupBox("Deposits")
        list_layout = QVBoxLayout(list_box)
        list_layout.addWidget(self.deposit_table, 1)
        list_layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(money_box)
        splitter.addWidget(list_box)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    # Loading

    def refresh(self) -> None:
        """Reload the undeposited money and the deposit list in the background."""
        if not self.context.user.signed_in or not self.context.can(Permission.PAYMENT_POST):
            return
        self._request += 1
        request, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> DepositsLoad:
            return DepositsLoad(
                practice_today(session),
                deposits.undeposited(session, actor),
                deposits.deposit_list(session, actor),
            )

        run_for(
            self, self.context, work, lambda loaded: self._loaded(request, loaded),
            read_only=True,
        )  # fmt: skip

    def _loaded(self, request: int, loaded: DepositsLoad) -> None:
        if request != self._request:
            return
        self.today = loaded.today
        if self.deposited_on.date_value() is None:
            self.deposited_on.set_date(loaded.today)
        self.items = loaded.items
        self.deposit_rows = loaded.deposits
        self._fill_items()
        self.deposit_table.set_rows(
            [(row.deposit_id, deposit_cells(row)) for row in loaded.deposits]
        )
        self._update_actions()

    def _fill_items(self) -> None:
        self.item_table.set_rows(
            [
                (
                    item.item_id,
                    (
                        f"{item.received_on:%m/%d/%Y}",
                        KIND_LABELS.get(item.kind, item.kind),
                        item.reference,
                        item.party,
                        item.method_label,
                        format_money(item.amount),
                    ),
                )
                for item in self.items
            ]
        )

    # Ticking and making a deposit

    def checked_items(self) -> list[DepositItem]:
        """Return the ticked items, in list order."""
        chosen = set(self.item_table.checked_ids())
        return [item for item in self.items if item.item_id in chosen]

    def _ticks_changed(self) -> None:
        chosen = self.checked_items()
        total = sum((item.amount for item in chosen), ZERO)
        self.checked_total.setText(
            f"{plural(len(chosen), 'item')} ticked · {format_money(total)} "
            f"of {plural(len(self.items), 'item')} not deposited"
        )
        if chosen:
            method = method_for({item.method for item in chosen})
            self.method.setCurrentIndex(max(find_data(self.method, method), 0))
        self._update_actions()

    def create_deposit(self) -> None:
        """Put the ticked items into a new deposit dated as typed."""
        chosen = self.checked_items()
        deposited_on = self.deposited_on.date_value()
        if not chosen:
            self.status.setText("Tick the payments and remittances that go to the bank first.")
            return
        if deposited_on is None:
            self.status.setText("Type the deposit date as MM/DD/YYYY.")
            self.deposited_on.setFocus()
            return
        item_ids = [item.item_id for item in chosen]
        method, actor = str(self.method.currentData()), self.context.actor

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            return deposits.create_deposit(session, actor, item_ids, deposited_on, method)

        def done(outcome: SaveOutcome) -> None:
            if not outcome.saved:
                self.status.setText(" ".join(problem.message for problem in outcome.problems))
                self._update_actions()
                return
            total = sum((item.amount for item in chosen), ZERO)
            self.status.setText(
                f"Deposit made: {plural(len(chosen), 'item')}, {format_money(total)}."
            )

        self.create_button.setEnabled(False)
        run_for(self, self.context, work, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        self._update_actions()
        show_error(self, error)

    # Deposits

    def selected_deposit(self) -> DepositRow | None:
        """Return the selected deposit, or None."""
        deposit_id = self.deposit_table.selected_id()
        return next((row for row in self.deposit_rows if row.deposit_id == deposit_id), None)

    def reconcile_selected(self) -> None:
        """Ask for the bank statement's amount of the selected deposit and record it."""
        row = self.selected_deposit()
        if row is None or row.status != deposits.OPEN:
            return
        dialog = ReconcileDialog(
            self.context, row.deposit_id, row.deposit_number, row.expected_amount, self
        )
        dialog.saved.connect(lambda outcome: self._reconciled(row, outcome))
        self.dialog = open_dialog(dialog)

    def _reconciled(self, row: DepositRow, outcome: object) -> None:
        text = f"Deposit {row.deposit_number} reconciled."
        if isinstance(outcome, SaveOutcome) and outcome.problems:
            text += " " + " ".join(problem.message for problem in outcome.problems)
        self.status.setText(text)

    def undo_selected(self) -> None:
        """Ask, then undo the selected deposit: its items go back to the undeposited money.

        For a reconciled deposit the service's rejection, which names the fix, shows
        without a question first.
        """
        row = self.selected_deposit()
        if row is None or row.status == deposits.UNDONE:
            return
        deposit_id, actor = row.deposit_id, self.context.actor

        def work(session: Session, _progress: Progress) -> Changes:
            return deposit_undo.undo_deposit(session, actor, deposit_id)

        def done(_changes: Changes) -> None:
            self.status.setText(
                f"Deposit {row.deposit_number} undone: its items are back in the money not "
                "yet deposited."
            )

        def confirmed() -> None:
            self.undo_button.setEnabled(False)
            run_for(self, self.context, work, done, self._failed)

        if row.status != deposits.OPEN:
            confirmed()
            return
        question = (
            f"Undo deposit {row.deposit_number} of {row.deposited_on:%m/%d/%Y}? Its "
            f"{plural(row.item_count, 'item')} ({format_money(row.expected_amount)}) go back "
            "to the money not yet deposited, and the deposit stays listed as undone. Undo "
            "it only when this money did not go to the bank as this deposit."
        )
        self.dialog = ask(self, "Undo deposit", question, "&Undo deposit", confirmed)

    def print_selected(self) -> None:
        """Write the selected deposit's report to Documents and open it."""
        row = self.selected_deposit()
        if row is None:
            return
        deposit_id = row.deposit_id

        def write(session: Session, actor: Actor, path: Path) -> Path:
            return deposits.write_deposit_report_pdf(session, actor, deposit_id, path)

        print_pdf(
            self.context, self, f"deposit-{row.deposit_number}", write,
            title="Writing the deposit report…", folder=self.report_folder,
            open_file=self.open_file,
        )  # fmt: skip

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.PAYMENT_POST)
        row = self.selected_deposit()
        self.create_button.setEnabled(allowed and bool(self.checked_items()))
        self.reconcile_button.setEnabled(
            self.context.can(Permission.PAYMENT_VOID)
            and row is not None
            and row.status == deposits.OPEN
        )
        if not self.context.can(Permission.PAYMENT_VOID):
            self.reconcile_button.setToolTip("Managers reconcile deposits with the bank statement.")
        self.print_button.setEnabled(allowed and row is not None)
        # A reconciled deposit keeps the button, which then explains why it cannot be undone.
        self.undo_button.setEnabled(allowed and row is not None and row.status != deposits.UNDONE)
        self.undo_button.setToolTip(
            "Put the selected deposit's items back in the money not yet deposited"
        )

    # Page hooks

    def clear_data(self) -> None:
        """Remove every item and deposit from the screen (lock or sign-out)."""
        self._request += 1
        self.items = []
        self.deposit_rows = []
        self.item_table.set_rows([])
        self.deposit_table.set_rows([])
        self.status.clear()
        self._ticks_changed()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments, remittances or deposits change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()


def deposit_cells(row: DepositRow) -> list[str]:
    """Return the cells of one deposit, in DEPOSIT_COLUMNS order."""
    return [
        row.deposit_number,
        f"{row.deposited_on:%m/%d/%Y}",
        DEPOSIT_METHODS.get(row.method, row.method),
        str(row.item_count),
        format_money(row.expected_amount),
        money_text(row.bank_amount),
        money_text(row.difference),
        row.status.capitalize(),
        row.note,
    ]
