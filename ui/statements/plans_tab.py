"""The Payment plans tab: the plans with what is paid and due, a new plan, cancelling one.

Each row shows the plan's state today, computed from the payments of every patient on
the account. New plan opens the plan dialog, and anyone who takes payments may set a
plan up. Cancel plan requests the reason. Cancelling, the list and the statement runs
that read it need a biller or manager.
"""

import logging
import uuid
from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QHBoxLayout, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import format_money
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import payment_plans
from app.services.outcomes import SaveOutcome
from app.services.payment_plans import PlanRow
from app.services.plan_schedule import BROKEN, LATE, OPEN_STATUSES
from ui.admin.common import run_for
from ui.context import AppContext
from ui.pages.base import Page
from ui.patient.fields import format_date
from ui.payments.common import action_button, plural, status_line
from ui.payments.dialogs import ReasonDialog, open_dialog
from ui.statements.plan_dialog import PlanDialog
from ui.statements.tables import StatementTable

log = logging.getLogger(__name__)

PLAN_COLUMNS = ("Account", "Guarantor", "Total", "Paid", "Remaining", "Next due", "Status")
PLAN_MONEY = ("Total", "Paid", "Remaining")
PLAN_DATES = ("Next due",)
WATCHED_KINDS = (ChangeKind.PAYMENTS, ChangeKind.PATIENTS)


def plan_cells(row: PlanRow) -> list[str]:
    """Return one plan's cells, in PLAN_COLUMNS order."""
    state = row.state
    status = row.status_label
    if state.status in (LATE, BROKEN) and state.missed_since is not None:
        status = f"{status}, missed {format_date(state.missed_since)}"
    return [
        row.account_number,
        row.guarantor_name,
        format_money(row.total),
        format_money(state.paid_to_date),
        format_money(state.remaining),
        format_date(state.next_due_on),
        status,
    ]


class PlansTab(Page):
    """Lists payment plans; sets up a new one and cancels the selected one."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plansTab")
        self.context = context
        self.rows: list[PlanRow] = []
        self._request = 0
        self.dialog: QWidget | None = None

        self.table = StatementTable(PLAN_COLUMNS, "Payment plans", PLAN_MONEY, PLAN_DATES)
        self.table.setObjectName("planTable")
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.show_closed = QCheckBox("Show c&ompleted and canceled plans")
        self.show_closed.setObjectName("planShowClosed")
        self.show_closed.toggled.connect(lambda _checked: self.refresh())
        self.new_button = action_button("&New plan…", "newPlan")
        self.new_button.clicked.connect(self.new_plan)
        self.cancel_button = action_button("&Cancel plan…", "cancelPlan")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.totals = status_line("Plans listed")
        self.status = status_line("Last payment plan action")
        self._lay_out()
        self._update_actions()

    def _lay_out(self) -> None:
        actions = QHBoxLayout()
        actions.addWidget(self.show_closed)
        actions.addStretch(1)
        actions.addWidget(self.new_button)
        actions.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addLayout(actions)
        layout.addWidget(self.status)

    # Loading

    def refresh(self) -> None:
        """Reload the plans in the background (billers and managers only)."""
        if not self.context.user.signed_in or not self.context.can(Permission.STATEMENT_RUN):
            self._update_actions()
            return
        self._request += 1
        request, actor = self._request, self.context.actor
        include_closed = self.show_closed.isChecked()

        def work(session: Session, _progress: Progress) -> list[PlanRow]:
            return payment_plans.list_plans(session, actor, include_closed)

        run_for(self, self.context, work, lambda rows: self._loaded(request, rows), read_only=True)

    def _loaded(self, request: int, rows: Sequence[PlanRow]) -> None:
        if request != self._request:
            return
        self.rows = list(rows)
        self.table.set_rows([(row.plan_id, plan_cells(row)) for row in self.rows])
        late = sum(1 for row in self.rows if row.state.status in (LATE, BROKEN))
        self.totals.setText(f"{plural(len(self.rows), 'plan')} · {late} late or broken")
        self._update_actions()

    def selected_plan(self) -> PlanRow | None:
        """Return the selected plan, or None."""
        plan_id = self.table.selected_id()
        return next((row for row in self.rows if row.plan_id == plan_id), None)

    # Actions

    def new_plan(self) -> None:
        """Open the plan dialog; the list reloads when the plan is saved."""
        if not self.context.can(Permission.PAYMENT_POST):
            return
        dialog = PlanDialog(self.context, self)
        dialog.saved.connect(self._plan_saved)
        self.dialog = open_dialog(dialog)

    def _plan_saved(self, outcome: object) -> None:
        text = "Payment plan saved."
        if isinstance(outcome, SaveOutcome) and outcome.problems:
            text += " " + " ".join(problem.message for problem in outcome.problems)
        self.status.setText(text)

    def cancel_selected(self) -> None:
        """Ask why, then cancel the selected open plan."""
        row = self.selected_plan()
        if row is None or not self.context.can(Permission.STATEMENT_RUN):
            return
        plan_id = row.plan_id

        def cancel(session: Session, actor: Actor, reason: str) -> Changes:
            return payment_plans.cancel_plan(session, actor, plan_id, reason)

        dialog = ReasonDialog(
            self.context,
            (
                "Cancel payment plan",
                f"Cancel the payment plan of account {row.account_number} "
                f"({row.guarantor_name})? The account's usual notices resume.",
                "Cancel plan",
            ),
            cancel,
            self,
        )
        dialog.reason.setPlaceholderText("Such as: the guarantor asked to pay in full instead")
        # Two buttons labeled "Cancel" would be ambiguous, so the closing one is relabeled.
        keep = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        keep.setText("&Keep the plan")
        dialog.saved.connect(lambda _changes: self._cancelled(row.account_number, plan_id))
        self.dialog = open_dialog(dialog)

    def _cancelled(self, account_number: str, plan_id: uuid.UUID) -> None:
        log.info("payment plan %s cancelled from the tab", plan_id)
        self.status.setText(f"The payment plan of account {account_number} was canceled.")

    def _update_actions(self) -> None:
        row = self.selected_plan()
        self.new_button.setEnabled(self.context.can(Permission.PAYMENT_POST))
        self.cancel_button.setEnabled(
            self.context.can(Permission.STATEMENT_RUN)
            and row is not None
            and row.state.status in OPEN_STATUSES
        )

    # Page hooks

    def clear_data(self) -> None:
        """Remove every plan from the screen (lock or sign-out)."""
        self._request += 1
        self.rows = []
        self.table.set_rows([])
        self.totals.clear()
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments, plans or patients change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()
