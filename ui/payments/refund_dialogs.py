"""The refund dialogs of the Adjustments and refunds tab: requesting and issuing a refund."""

import logging
import uuid
from datetime import date
from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.money import ZERO, format_money
from app.problems import Problem
from app.services import refunds
from ui.context import AppContext
from ui.patient.fields import DateField, money_problems, parse_money
from ui.payments.common import money_field
from ui.payments.dialogs import Call, FormDialog, reason_box, required_text, text_of

log = logging.getLogger(__name__)


class RefundRequestDialog(FormDialog):
    """Requests a refund of a patient's credit; a manager approves it before it is issued.

    `credit` is what may still be refunded: the credit less the refunds already pending.
    """

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        patient_label: str,
        parent: QWidget | None = None,
        *,
        credit: Decimal,
    ) -> None:
        super().__init__(
            context,
            "Request refund",
            f"{patient_label} has a credit of {format_money(credit)}. A manager approves "
            "the refund before it is issued.",
            "Request refund",
            parent,
        )
        self.setObjectName("refundRequestDialog")
        self.patient_id = patient_id
        self.credit = credit
        self.amount = money_field("Amount")
        self.amount.setObjectName("refundAmount")
        self.amount.setText(f"{credit:.2f}")
        self.reason = reason_box("Such as: overpaid copay on 03/04")
        self.reason.setObjectName("refundReason")
        self.form.add_field("amount", "&Amount", self.amount)
        self.form.add_field("reason", "&Reason", self.reason)
        self.amount.setFocus()
        self.amount.selectAll()

    def local_problems(self) -> list[Problem]:
        """Require an amount up to the credit, and a reason."""
        problems = money_problems(self.amount, "amount", "The amount")
        amount = parse_money(self.amount.text())
        if not problems and (amount is None or amount <= 0):
            problems.append(Problem("amount", "Type the amount to refund."))
        elif amount is not None and amount > self.credit:
            problems.append(
                Problem(
                    "amount",
                    f"The refund {format_money(amount)} is more than the credit "
                    f"{format_money(self.credit)}; lower it.",
                )
            )
        problems.extend(required_text(self.reason, "reason", "Type the reason.", "The reason"))
        return problems

    def call(self) -> Call:
        """Request the refund as typed."""
        form = refunds.RefundForm(
            patient_id=self.patient_id,
            amount=parse_money(self.amount.text()) or ZERO,
            reason=text_of(self.reason),
        )
        return lambda session, actor: refunds.request_refund(session, actor, form)


REFUND_METHODS = {"check": "Check", "card": "Card (back to the card)", "eft": "EFT"}


class IssueRefundDialog(FormDialog):
    """Records how an approved refund was paid out; this posts the refund to the ledger."""

    def __init__(
        self,
        context: AppContext,
        refund_id: uuid.UUID,
        summary: str,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            context,
            "Issue refund",
            f"{summary} Issuing posts the refund to the account.",
            "Issue refund",
            parent,
        )
        self.setObjectName("issueRefundDialog")
        self.refund_id = refund_id
        self.method = QComboBox()
        self.method.setObjectName("refundMethod")
        for code, label in REFUND_METHODS.items():
            self.method.addItem(label, code)
        self.check_number = QLineEdit()
        self.check_number.setObjectName("refundCheckNumber")
        self.check_number.setMaxLength(30)
        self.issued_on = DateField()
        self.issued_on.setObjectName("refundIssuedOn")
        self.issued_on.set_date(today)
        self.form.add_field("method", "&Method", self.method)
        self.form.add_field("check_number", "Check &number", self.check_number)
        self.form.add_field("issued_on", "&Issued on", self.issued_on)
        self.method.currentIndexChanged.connect(lambda _index: self._method_changed())
        self._method_changed()
        self.method.setFocus()

    def _method_changed(self) -> None:
        holder = self.check_number.parentWidget()
        assert holder is not None
        self.form.layout_.setRowVisible(holder, self.method.currentData() == "check")

    def local_problems(self) -> list[Problem]:
        """Require a check number for a check and a valid date."""
        problems = self.issued_on.problems("issued_on", "The date issued")
        if not problems and self.issued_on.date_value() is None:
            problems.append(Problem("issued_on", "Type the date the refund was issued."))
        if self.method.currentData() == "check" and not text_of(self.check_number):
            problems.append(Problem("check_number", "Type the number of the refund check."))
        return problems

    def call(self) -> Call:
        """Issue the refund as typed."""
        refund_id, method = self.refund_id, str(self.method.currentData())
        number = text_of(self.check_number) if method == "check" else None
        issued_on = self.issued_on.date_value()
        assert issued_on is not None
        return lambda session, actor: refunds.issue_refund(
            session, actor, refund_id, method, number, issued_on
        )
