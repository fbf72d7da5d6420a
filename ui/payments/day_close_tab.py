"""The Day close tab: what the signed-in user's payments say against the cash and checks counted.

Each user closes their own day once. The difference (counted minus expected, cash and
checks together) shows as the counts are typed, and a note is required when it is not
zero. The day sheet prints the day's payments for the user or for everyone.
"""

import logging
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.money import ZERO, format_money
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import day_close
from app.services.day_close import DayTotals
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import METHOD_LABELS, METHODS
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.admin.forms import FieldForm
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.patient.fields import money_problems, parse_money
from ui.payments.common import RIGHT, date_field, money_field, plural, status_line
from ui.payments.dialogs import reason_box, text_of
from ui.payments.printing import OpenFile, print_pdf

log = logging.getLogger(__name__)

WATCHED_KINDS = (ChangeKind.PAYMENTS,)
SHEET_MINE = "My payments"
SHEET_EVERYONE = "Everyone's payments"


def difference_text(difference: Decimal) -> str:
    """Describe a count's difference, such as "$2.00 over" or "none"."""
    if difference == ZERO:
        return "none: the count matches the payments"
    side = "over" if difference > 0 else "short"
    return f"{format_money(abs(difference))} {side}"


class DayCloseTab(Page):
    """Closes the signed-in user's business day and prints the day sheet."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayCloseTab")
        self.context = context
        self.totals: DayTotals | None = None
        self._request = 0
        self.sheet_folder: Path | None = None
        self.open_file: OpenFile | None = None

        self.day = date_field("Business day")
        self.day.setObjectName("closeDay")
        self.day.editingFinished.connect(self.refresh)
        self.expected_labels: dict[str, QLabel] = {}
        self.summary = QLabel()
        self.summary.setObjectName("countCard")
        self.counted_cash = money_field("Cash counted")
        self.counted_cash.setObjectName("countedCash")
        self.counted_checks = money_field("Checks counted")
        self.counted_checks.setObjectName("countedChecks")
        self.difference = QLabel()
        self.difference.setObjectName("closeDifference")
        self.difference.setAccessibleName("Difference")
        self.note = reason_box("Needed when the count differs, such as: $2 given as change twice")
        self.note.setObjectName("closeNote")
        self.form = FieldForm()
        self.form.add_field("counted_cash", "Cash &counted", self.counted_cash)
        self.form.add_field("counted_checks", "Chec&ks counted", self.counted_checks)
        self.form.add_field("difference", "Difference", self.difference)
        self.form.add_field("note", "&Note", self.note)
        self.close_button = QPushButton("Clo&se day")
        self.close_button.setObjectName("closeDayButton")
        self.close_button.clicked.connect(self.close_day)
        self.sheet_scope = QComboBox()
        self.sheet_scope.setObjectName("sheetScope")
        self.sheet_scope.setAccessibleName("Day sheet of")
        self.sheet_scope.addItem(SHEET_MINE, "mine")
        self.print_button = QPushButton("&Print day sheet")
        self.print_button.setObjectName("printDaySheet")
        self.print_button.clicked.connect(self.print_sheet)
        self.status = status_line("Day close outcome")
        for field in (self.counted_cash, self.counted_checks):
            field.textChanged.connect(lambda _text: self._show_difference())
        # Enter in a count saves, as in a dialog.
        for field in (self.counted_cash, self.counted_checks):
            field.returnPressed.connect(self.close_day)
        self._lay_out()
        self._update_actions()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        caption = QLabel("Business &day")
        caption.setBuddy(self.day)
        top.addWidget(caption)
        top.addWidget(self.day)
        top.addWidget(self.summary)
        top.addStretch(1)

        expected_box = QGroupBox("Expected from your payments")
        expected = QFormLayout(expected_box)
        for method in METHODS:
            label = QLabel()
            label.setAlignment(RIGHT)
            label.setObjectName(f"expected_{method}")
            self.expected_labels[method] = label
            expected.addRow(METHOD_LABELS[method], label)

        count_box = QGroupBox("Your count")
        count_layout = QVBoxLayout(count_box)
        count_layout.addWidget(self.form)
        close_row = QHBoxLayout()
        close_row.addStretch(1)
        close_row.addWidget(self.close_button)
        count_layout.addLayout(close_row)

        boxes = QHBoxLayout()
        boxes.addWidget(expected_box, 1)
        boxes.addWidget(count_box, 2)

        sheet = QHBoxLayout()
        sheet_caption = QLabel("Day sheet &of")
        sheet_caption.setBuddy(self.sheet_scope)
        sheet.addWidget(sheet_caption)
        sheet.addWidget(self.sheet_scope)
        sheet.addWidget(self.print_button)
        sheet.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(boxes)
        layout.addLayout(sheet)
        layout.addWidget(self.status)
        layout.addStretch(1)

    # Loading

    def refresh(self) -> None:
        """Reload the signed-in user's totals of the day shown."""
        if not self.context.user.signed_in or not self.context.can(Permission.PAYMENT_POST):
            return
        self._sync_scope()
        problems = self.day.problems("day", "The business day")
        if problems:
            self.status.setText(problems[0].message)
            return
        self._request += 1
        request, actor, chosen = self._request, self.context.actor, self.day.date_value()

        def work(session: Session, _progress: Progress) -> DayTotals:
            day = chosen or practice_today(session)
            return day_close.day_totals(session, actor, day, actor.user_id)

        run_for(
            self, self.context, work, lambda totals: self._loaded(request, totals),
            read_only=True,
        )  # fmt: skip

    def _sync_scope(self) -> None:
        # Everyone's sheet shows other users' payments, so only managers print it.
        index = self.sheet_scope.findData("everyone")
        if self.context.can(Permission.PAYMENT_VOID) and index < 0:
            self.sheet_scope.addItem(SHEET_EVERYONE, "everyone")
        elif not self.context.can(Permission.PAYMENT_VOID) and index >= 0:
            self.sheet_scope.removeItem(index)

    def _loaded(self, request: int, totals: DayTotals) -> None:
        if request != self._request:
            return
        self.totals = totals
        if self.day.date_value() is None:
            self.day.set_date(totals.day)
        for method, label in self.expected_labels.items():
            label.setText(format_money(totals.expected.get(method, ZERO)))
        checks = plural(totals.check_count, "check")
        self.summary.setText(
            f"{plural(totals.payment_count, 'payment')} · {format_money(totals.total)} · {checks}"
            + (f" · {totals.voided_count} voided" if totals.voided_count else "")
        )
        closed = totals.closed
        if closed is not None:
            self.counted_cash.setText(f"{closed.counted_cash:.2f}")
            self.counted_checks.setText(f"{closed.counted_checks:.2f}")
            self.note.setPlainText(closed.note)
            self.status.setText(
                f"You closed {totals.day:%m/%d/%Y} already. Difference: "
                f"{difference_text(closed.difference)}."
            )
        else:
            self.status.clear()
        self._show_difference()
        self._update_actions()

    # Counting

    def current_difference(self) -> Decimal | None:
        """Return counted minus expected for cash and checks, or None until both are typed."""
        if self.totals is None:
            return None
        cash = parse_money(self.counted_cash.text())
        checks = self._counted_checks()
        if cash is None or checks is None:
            return None
        return (cash - self.totals.expected_cash) + (checks - self.totals.expected_checks)

    def _counted_checks(self) -> Decimal | None:
        """Return the checks counted, with a blank count as 0.00 on a day without checks."""
        if not self.counted_checks.text().strip() and self._no_checks_expected():
            return ZERO
        return parse_money(self.counted_checks.text())

    def _no_checks_expected(self) -> bool:
        return self.totals is not None and self.totals.expected_checks == ZERO

    def _show_difference(self) -> None:
        difference = self.current_difference()
        self.difference.setText("" if difference is None else difference_text(difference))

    def local_problems(self) -> list[Problem]:
        """Return the problems of the counts and note before asking the service."""
        problems = money_problems(self.counted_cash, "counted_cash", "The cash counted")
        problems += money_problems(self.counted_checks, "counted_checks", "The checks counted")
        for field, key, what in (
            (self.counted_cash, "counted_cash", "cash"),
            (self.counted_checks, "counted_checks", "checks"),
        ):
            if field is self.counted_checks and self._no_checks_expected():
                continue
            if not field.text().strip():
                problems.append(Problem(key, f"Type the {what} you counted (0.00 when none)."))
        difference = self.current_difference()
        if difference not in (None, ZERO) and not text_of(self.note):
            problems.append(
                Problem("note", "The count differs from the payments; say why in the note.")
            )
        return problems

    def close_day(self) -> None:
        """Record the count of the day shown; a difference needs a note."""
        totals = self.totals
        if totals is None or totals.closed is not None:
            return
        problems = self.local_problems()
        if problems:
            self.form.show_problems(problems)
            return
        self.form.clear_problems()
        day, actor, note = totals.day, self.context.actor, text_of(self.note)
        cash = parse_money(self.counted_cash.text()) or ZERO
        checks = self._counted_checks() or ZERO

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            return day_close.close_day(session, actor, day, cash, checks, note)

        self.close_button.setEnabled(False)
        run_for(self, self.context, work, self._closed, self._failed)

    def _closed(self, outcome: SaveOutcome) -> None:
        if not outcome.saved:
            self.form.show_problems(list(outcome.problems))
            self._update_actions()
            return
        self.status.setText("Day closed.")

    def _failed(self, error: BaseException) -> None:
        self._update_actions()
        if isinstance(error, ValidationError):
            self.form.show_problems(list(error.problems))
        else:
            show_error(self, error)

    # The day sheet

    def print_sheet(self) -> None:
        """Write the day sheet (mine or everyone's) to Documents and open it."""
        day = self.day.date_value() or (self.totals.day if self.totals else None)
        if day is None:
            return
        everyone = self.sheet_scope.currentData() == "everyone"
        user_id = None if everyone else self.context.actor.user_id

        def write(session: Session, actor: Actor, path: Path) -> Path:
            return day_close.write_day_sheet_pdf(session, actor, day, user_id, path)

        stem = f"day-sheet-{day:%Y-%m-%d}" + ("-all" if everyone else "")
        print_pdf(
            self.context, self, stem, write, title="Writing the day sheet…",
            folder=self.sheet_folder, open_file=self.open_file,
        )  # fmt: skip

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.PAYMENT_POST)
        is_open = self.totals is not None and self.totals.closed is None
        for widget in (self.counted_cash, self.counted_checks, self.note):
            widget.setEnabled(allowed and is_open)
        self.close_button.setEnabled(allowed and is_open)
        self.print_button.setEnabled(allowed and self.totals is not None)

    # Page hooks

    def clear_data(self) -> None:
        """Remove the totals and counts from the screen (lock or sign-out)."""
        self._request += 1
        self.totals = None
        for label in self.expected_labels.values():
            label.clear()
        for field in (self.counted_cash, self.counted_checks):
            field.clear()
        self.note.clear()
        self.summary.clear()
        self.status.clear()
        self._update_actions()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments or closes change."""
        if changes.touches(*WATCHED_KINDS):
            self.refresh()
