"""The Period lock tab: close the ledger through a date, or reopen every day.

Once a month's day sheets and deposits are reconciled, a manager closes it here. From
then on, the services reject a payment, adjustment, refund or charge correction dated
inside it, with a message naming the lock date.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.progress import Progress
from app.services.ledger import ledger_lock_date, set_ledger_lock_date
from app.services.today import practice_today
from ui.admin.common import SPIN_BOX_WIDTH, run_for
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext
from ui.errors import show_error

log = logging.getLogger(__name__)

EXPLANATION = (
    "Payments, adjustments, refunds and charge corrections dated on or before the lock "
    "date are rejected, so the totals of a closed month stay as they were reported. "
    "Close a month once its day sheets and deposits are reconciled. The audit log "
    "records every change of the lock date."
)


@dataclass(frozen=True, slots=True)
class LockState:
    """The stored lock date (None when every day is open) and the practice's today."""

    lock_date: date | None
    today: date


def load_lock_state(session: Session) -> LockState:
    """Return the lock date and today in the practice's zone."""
    return LockState(ledger_lock_date(session), practice_today(session))


def end_of_previous_month(today: date) -> date:
    """Return the last day of the month before `today`'s."""
    return today.replace(day=1) - timedelta(days=1)


def lock_text(lock_date: date | None) -> str:
    """Describe the stored lock date for the status line."""
    if lock_date is None:
        return "No period is closed: every day is open to posting."
    return f"Closed through {lock_date:%m/%d/%Y}: nothing can be posted on or before that day."


def _to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class PeriodLockTab(QWidget):
    """Shows the ledger lock date and closes or reopens periods."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.state: LockState | None = None

        self.current = QLabel()
        self.current.setAccessibleName("Current lock date")
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)

        self.picker = QDateEdit()
        self.picker.setCalendarPopup(True)
        self.picker.setDisplayFormat("MM/dd/yyyy")
        self.picker.setMaximumWidth(SPIN_BOX_WIDTH)
        self.picker.setAccessibleName("Close through")
        self.last_month_button = QPushButton("End of &last month")
        self.last_month_button.clicked.connect(self._pick_last_month)
        picker_row = QHBoxLayout()
        picker_row.addWidget(self.picker)
        picker_row.addWidget(self.last_month_button)
        picker_row.addStretch(1)
        picker_label = QLabel("Close &through")
        picker_label.setBuddy(self.picker)
        form = QFormLayout()
        form.addRow(picker_label, picker_row)
        self.problem = QLabel()
        self.problem.setAccessibleName("Lock date problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problem.hide()
        form.addRow("", self.problem)

        self.close_button = QPushButton("&Close the period")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close_period)
        self.reopen_button = QPushButton("&Reopen every day…")
        self.reopen_button.clicked.connect(self.reopen)
        self.status = QLabel()
        self.status.setAccessibleName("Period lock status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.reopen_button)
        buttons.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.SETTINGS):
            self.refresh()

    def refresh(self) -> None:
        """Load the lock date and today."""
        run_for(
            self,
            self.context,
            lambda session, _p: load_lock_state(session),
            self._fill,
            read_only=True,
        )

    def _fill(self, state: LockState) -> None:
        self.state = state
        self.current.setText(lock_text(state.lock_date))
        # Today can never be closed, so the picker stops at yesterday.
        self.picker.setMaximumDate(_to_qdate(state.today - timedelta(days=1)))
        suggested = state.lock_date or end_of_previous_month(state.today)
        self.picker.setDate(_to_qdate(suggested))
        self.reopen_button.setEnabled(state.lock_date is not None)

    def _pick_last_month(self) -> None:
        if self.state is not None:
            self.picker.setDate(_to_qdate(end_of_previous_month(self.state.today)))

    def chosen_date(self) -> date:
        """Return the date in the picker."""
        return self.picker.date().toPython()  # type: ignore[return-value]

    def close_period(self) -> None:
        """Store the picked date as the lock date."""
        self._store(self.chosen_date())

    def reopen(self) -> None:
        """Clear the lock date after the user confirms."""
        answer = QMessageBox.question(
            self,
            "Reopen every day",
            "Reopen every day to posting? Postings dated in months already reported will "
            "change their totals.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._store(None)

    def _store(self, lock_date: date | None) -> None:
        actor = self.context.actor
        self.problem.hide()
        self.status.clear()

        def work(session: Session, _progress: Progress) -> Changes:
            return set_ledger_lock_date(session, actor, lock_date)

        run_for(self, self.context, work, self._stored, self._failed)

    def _stored(self, changes: Changes) -> None:
        self.status.setText("Saved." if changes.kinds else "Nothing to save.")
        log.info("period lock saved from the Admin tab")

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.problem.setText(" ".join(problem.message for problem in error.problems))
            self.problem.show()
            return
        show_error(self, error)
