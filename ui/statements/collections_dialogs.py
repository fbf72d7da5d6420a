"""The dialogs of the Collections tab: placing accounts, recording a recovery, recalling.

Each checks what it can before calling the service and stays open with the problems
next to their fields when the service rejects the input, growing taller so every line
of a problem shows. Enter saves and Esc cancels.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QWidget

from app.money import ZERO, format_money
from app.problems import Problem
from app.services import collections
from app.services.collections import CandidateRow, PlacementRow
from app.services.collections_checks import AGENCY_MAX_LENGTH
from app.services.payment_checks import CHECK_NUMBER_LENGTH
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext
from ui.patient.fields import format_date, money_problems, parse_money
from ui.payments.common import date_field, money_field, plural
from ui.payments.dialogs import Call, FormDialog, reason_box, required_text, text_of

log = logging.getLogger(__name__)

# Wide enough that a problem under a field takes two lines, not three.
DIALOG_WIDTH = 600
# A layout pass can hand the added height to other rows, so fitting may take a few.
MAX_FIT_PASSES = 4


class FittingDialog(FormDialog):
    """A FormDialog that grows to show every line of the problems under its fields.

    A dialog on screen keeps its height when wrapped problem lines appear, so without
    this the lines are cut off and drawn over the next field.
    """

    def __init__(
        self, context: AppContext, title: str, intro: str, ok_text: str, parent: QWidget | None
    ) -> None:
        super().__init__(context, title, intro, ok_text, parent)
        self.setMinimumWidth(DIALOG_WIDTH)

    def accept(self) -> None:
        """Save as FormDialog does, then fit the problems shown."""
        super().accept()
        self.fit_height()

    def _finished(self, result: Any) -> None:
        super()._finished(result)
        self.fit_height()

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        self.fit_height()

    def fit_height(self) -> None:
        """Give every wrapped label its height for its width, growing the dialog to match.

        The form sizes a wrapped label for a wider line than it gets, so a problem of
        three lines gets room for two. Each label's minimum height is set from its
        width now, and the dialog grows to the height the layout then needs.
        """
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        labels = [label for label in self.findChildren(QLabel) if label.wordWrap()]
        for label in labels:
            label.setMinimumHeight(0)
        for _attempt in range(MAX_FIT_PASSES):
            self._relayout()
            short = [
                label
                for label in labels
                if label.isVisibleTo(self) and label.height() < label.heightForWidth(label.width())
            ]
            if not short:
                return
            for label in short:
                label.setMinimumHeight(label.heightForWidth(label.width()))
            self._relayout()
            self.resize(self.width(), max(self.height(), self._needed_height()))

    def _relayout(self) -> None:
        # Nested layouts learn of a changed minimum height through posted events, so
        # those are delivered now and the sizes below are current.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        layout = self.layout()
        assert layout is not None
        layout.invalidate()
        layout.activate()

    def _needed_height(self) -> int:
        layout = self.layout()
        assert layout is not None
        if layout.hasHeightForWidth():
            return layout.totalHeightForWidth(self.width())
        return layout.totalSizeHint().height()


class PlaceDialog(FittingDialog):
    """Dialog that requests the agency name and confirms the count and total before placing."""

    def __init__(
        self,
        context: AppContext,
        candidates: Sequence[CandidateRow],
        placed_on: date,
        parent: QWidget | None = None,
    ) -> None:
        self.account_ids: list[uuid.UUID] = [row.account_id for row in candidates]
        self.total = sum((row.balance for row in candidates), ZERO)
        self.placed_on = placed_on
        count = plural(len(candidates), "account")
        super().__init__(
            context,
            "Place with collection agency",
            f"Place {count} owing {format_money(self.total)} with a collection agency on "
            f"{format_date(placed_on)}. The balances are written off as bad debt, and "
            "statements stop for these accounts. Export the agency file next.",
            f"Place {count} ({format_money(self.total)})",
            parent,
        )
        self.setObjectName("placeDialog")
        self.agency = QLineEdit()
        self.agency.setObjectName("placeAgency")
        self.agency.setMaxLength(AGENCY_MAX_LENGTH)
        self.agency.setPlaceholderText("Such as: Lakeshore Recovery Services")
        self.form.add_field("agency", "&Agency", self.agency)
        self.agency.setFocus()

    def local_problems(self) -> list[Problem]:
        """Require the agency's name."""
        return required_text(
            self.agency, "agency", "Type the name of the collection agency.", "The agency name"
        )

    def call(self) -> Call:
        """Place the accounts with the typed agency."""
        account_ids, agency, placed_on = self.account_ids, text_of(self.agency), self.placed_on
        return lambda session, actor: collections.place_accounts(
            session, actor, account_ids, agency, placed_on
        )


class RecoveryDialog(FittingDialog):
    """Dialog for money the agency collected and the fee it kept, showing the payment posted."""

    def __init__(
        self,
        context: AppContext,
        placement: PlacementRow,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            context,
            "Record collections recovery",
            f"{placement.agency} has {format_money(placement.outstanding)} of account "
            f"{placement.account_number} ({placement.guarantor_name}) left to recover. The "
            "amount collected goes back on the account, the money received is posted as a "
            "payment and the fee as an adjustment, so the balance stays the same.",
            "Record recovery",
            parent,
        )
        self.setObjectName("recoveryDialog")
        self.placement_id = placement.placement_id

        self.gross = money_field("Amount collected")
        self.gross.setObjectName("recoveryGross")
        self.fee = money_field("Agency fee")
        self.fee.setObjectName("recoveryFee")
        self.fee.setText("0.00")
        self.received_on = date_field("Date received")
        self.received_on.setObjectName("recoveryReceivedOn")
        self.received_on.set_date(today)
        self.check_number = QLineEdit()
        self.check_number.setObjectName("recoveryCheckNumber")
        self.check_number.setMaxLength(CHECK_NUMBER_LENGTH)
        self.check_number.setPlaceholderText("Leave empty when the agency paid by transfer")
        self.net = QLabel()
        self.net.setObjectName("recoveryNet")
        self.net.setWordWrap(True)

        self.form.add_field("gross", "Amount &collected", self.gross)
        self.form.add_field("fee", "Agency &fee", self.fee)
        self.form.add_field("net", "Payment posted", self.net)
        self.form.add_field("received_on", "Date &received", self.received_on)
        self.form.add_field("check_number", "Agency's chec&k number", self.check_number)

        for field in (self.gross, self.fee):
            field.textChanged.connect(lambda _text: self._show_net())
        self._show_net()
        self.gross.setFocus()

    def _show_net(self) -> None:
        gross = parse_money(self.gross.text())
        fee = parse_money(self.fee.text()) or ZERO
        text, is_error = net_text(gross, fee)
        self.net.setText(text)
        self.net.setStyleSheet(f"color: {ERROR_COLOR};" if is_error else "")
        self.fit_height()

    def local_problems(self) -> list[Problem]:
        """Require readable amounts and a date. The service checks them against the placement."""
        problems = money_problems(self.gross, "gross", "The amount collected")
        problems += money_problems(self.fee, "fee", "The agency fee")
        if not problems and parse_money(self.gross.text()) is None:
            problems.append(Problem("gross", "Type the amount the agency collected."))
        problems += self.received_on.problems("received_on", "The date received")
        if not problems and self.received_on.date_value() is None:
            problems.append(Problem("received_on", "Type the day the agency's money arrived."))
        return problems

    def call(self) -> Call:
        """Record the recovery as typed."""
        placement_id = self.placement_id
        gross = parse_money(self.gross.text()) or ZERO
        fee: Decimal = parse_money(self.fee.text()) or ZERO
        received_on = self.received_on.date_value()
        assert received_on is not None, "local_problems requires the date"
        check_number = text_of(self.check_number)
        return lambda session, actor: collections.record_recovery(
            session, actor, placement_id, gross, fee, received_on, check_number
        )


class RecallDialog(FittingDialog):
    """Dialog for the reason of a recall and whether the unrecovered balance comes back."""

    def __init__(
        self, context: AppContext, placement: PlacementRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            context,
            "Recall from collections",
            f"Take account {placement.account_number} ({placement.guarantor_name}) back "
            f"from {placement.agency}. Tell the agency to stop collecting.",
            "Recall",
            parent,
        )
        self.setObjectName("recallDialog")
        self.placement_id = placement.placement_id
        self.reason = reason_box("Such as: the patient disputes the bill")
        self.reason.setObjectName("recallReason")
        self.reinstate = QCheckBox(
            f"Put the {format_money(placement.outstanding)} not recovered back on the "
            "account, so statements resume"
        )
        self.reinstate.setObjectName("recallReinstate")
        self.reinstate.setChecked(True)
        self.reinstate.setToolTip("Leave it unticked to keep the balance written off as bad debt.")
        self.form.add_field("reason", "&Reason", self.reason)
        self.form.add_field("reinstate", "&Balance", self.reinstate)
        self.reason.setFocus()

    def local_problems(self) -> list[Problem]:
        """Require a reason: the ledger and the audit log keep it."""
        return required_text(self.reason, "reason", "Type the reason first.", "The reason")

    def call(self) -> Call:
        """Recall the placement with the typed reason."""
        placement_id, reason = self.placement_id, text_of(self.reason)
        reinstate = self.reinstate.isChecked()
        return lambda session, actor: collections.recall_placement(
            session, actor, placement_id, reason, reinstate_balance=reinstate
        )


def net_text(gross: Decimal | None, fee: Decimal) -> tuple[str, bool]:
    """Return the payment a recovery posts, or why it cannot, and whether that is an error.

    The fee comes out of the amount collected, so a fee above it would post a negative
    payment; that is reported instead of a figure.
    """
    if gross is None:
        return "", False
    if fee > gross:
        return (
            f"None: the agency fee {format_money(fee)} is more than the "
            f"{format_money(gross)} collected; check both amounts.",
            True,
        )
    return format_money(gross - fee), False
