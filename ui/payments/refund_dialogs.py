"""The refund dialogs of the Adjustments and refunds tab: requesting a refund of a
patient's or a payer's credit, and issuing an approved refund."""

import logging
import uuid
from datetime import date
from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.money import ZERO, format_money
from app.problems import Problem
from app.services import refunds
from app.services.payer_refunds import OverpaidClaim, PayerRefundChoice
from ui.context import AppContext
from ui.patient.fields import DateField, money_problems, parse_money
from ui.payments.common import money_field
from ui.payments.dialogs import Call, FormDialog, reason_box, required_text, text_of

log = logging.getLogger(__name__)


def insurance_warning(owed: Decimal, safe: Decimal) -> str:
    """Return the warning for a patient credit on an account that insurance still owes on.

    `owed` is what the payers still owe, and `safe` the part of the credit that stays a
    credit even if they pay nothing more.
    """
    return (
        f"Insurance still owes {format_money(owed)}. If it pays less, the patient owes the "
        f"rest, so refund at most {format_money(safe)} until it pays."
    )


def refund_intro(patient_label: str, credit: Decimal, owed: Decimal, safe: Decimal) -> str:
    """Return the request dialog's opening text, with the insurance warning when it owes."""
    intro = (
        f"{patient_label} has a credit of {format_money(credit)}. A manager approves the "
        "refund before it is issued."
    )
    if owed <= ZERO:
        return intro
    if safe <= ZERO:
        start = "No part of the credit is safe to refund yet, so the amount starts empty."
    else:
        start = f"The amount starts at {format_money(safe)}, and you may raise it to the credit."
    return f"{intro}\n\n{insurance_warning(owed, safe)} {start}"


class RefundRequestDialog(FormDialog):
    """Requests a refund of a patient's credit; a manager approves it before it is issued.

    `credit` is what may still be refunded: the credit less the refunds already pending.
    `insurance_owed` is what the payers still owe on the account, and `safe` the part of
    `credit` that stays a credit even if they pay nothing more. While insurance owes, the
    amount starts at `safe` (empty when that is zero) but may still go up to `credit`.
    """

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        patient_label: str,
        parent: QWidget | None = None,
        *,
        credit: Decimal,
        insurance_owed: Decimal = ZERO,
        safe: Decimal | None = None,
    ) -> None:
        safe = credit if safe is None else min(safe, credit)
        super().__init__(
            context,
            "Request refund",
            refund_intro(patient_label, credit, insurance_owed, safe),
            "Request refund",
            parent,
        )
        self.setObjectName("refundRequestDialog")
        self.patient_id = patient_id
        self.credit = credit
        self.amount = money_field("Amount")
        self.amount.setObjectName("refundAmount")
        start = safe if insurance_owed > ZERO else credit
        self.amount.setText(f"{start:.2f}" if start > ZERO else "")
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


def claim_label(claim: OverpaidClaim) -> str:
    """Return a claim as the payer refund dialog lists it."""
    credit_text = (
        f"its lines hold {format_money(claim.credit)} of the credit"
        if claim.credit > ZERO
        else "no credit on its lines"
    )
    return f"Claim {claim.claim_number} · {claim.service_date:%m/%d/%Y} · {credit_text}"


class PayerRefundDialog(FormDialog):
    """Requests a refund of a payer's overpayment, naming the claim the payer overpaid.

    The claim list comes from `payer_refund_choice`, claims holding the most credit
    first. The request then follows the approve and issue steps of a patient refund.
    """

    def __init__(
        self,
        context: AppContext,
        patient_id: uuid.UUID,
        patient_label: str,
        choice: PayerRefundChoice,
        parent: QWidget | None = None,
    ) -> None:
        payer = choice.payer_name or "The payer"
        super().__init__(
            context,
            "Request payer refund",
            f"{payer} overpaid on the account of {patient_label}: "
            f"{format_money(choice.available)} can be refunded. Choose the claim it overpaid. "
            "A manager approves the refund before it is issued.",
            "Request refund",
            parent,
        )
        self.setObjectName("payerRefundDialog")
        self.patient_id = patient_id
        self.choice = choice
        self.claim = QComboBox()
        self.claim.setObjectName("payerRefundClaim")
        for claim in choice.claims:
            self.claim.addItem(claim_label(claim), claim.claim_id)
        self.amount = money_field("Amount")
        self.amount.setObjectName("payerRefundAmount")
        self.reason = reason_box("Such as: paid twice for the 03/04 visit")
        self.reason.setObjectName("payerRefundReason")
        self.form.add_field("claim_id", "&Claim", self.claim)
        self.form.add_field("amount", "&Amount", self.amount)
        self.form.add_field("reason", "&Reason", self.reason)
        self.claim.currentIndexChanged.connect(lambda _index: self._suggest_amount())
        self._suggest_amount()
        self.claim.setFocus()

    def selected_claim(self) -> OverpaidClaim | None:
        """Return the chosen claim, or None when the patient has none to this payer."""
        index = self.claim.currentIndex()
        return self.choice.claims[index] if 0 <= index < len(self.choice.claims) else None

    def _suggest_amount(self) -> None:
        # The claim's own credit when its lines hold one, else all that may be refunded.
        claim = self.selected_claim()
        amount = self.choice.available
        if claim is not None and ZERO < claim.credit < amount:
            amount = claim.credit
        self.amount.setText(f"{amount:.2f}")
        self.amount.selectAll()

    def local_problems(self) -> list[Problem]:
        """Require a claim, an amount up to the credit left to refund, and a reason."""
        problems: list[Problem] = []
        if self.selected_claim() is None:
            problems.append(
                Problem(
                    "claim_id",
                    f"No claim to {self.choice.payer_name or 'this payer'} was found for "
                    "this patient at this place in the payment order, so the refund cannot "
                    "name one; refund it by hand and post an account adjustment.",
                )
            )
        problems.extend(money_problems(self.amount, "amount", "The amount"))
        amount = parse_money(self.amount.text())
        if not any(problem.field == "amount" for problem in problems):
            if amount is None or amount <= 0:
                problems.append(Problem("amount", "Type the amount to refund, such as 15.00."))
            elif amount > self.choice.available:
                problems.append(
                    Problem(
                        "amount",
                        f"The refund {format_money(amount)} is more than the "
                        f"{format_money(self.choice.available)} that can be refunded to "
                        f"{self.choice.payer_name or 'the payer'}; lower it.",
                    )
                )
        problems.extend(required_text(self.reason, "reason", "Type the reason.", "The reason"))
        return problems

    def call(self) -> Call:
        """Request the payer refund as typed, naming the chosen claim."""
        claim = self.selected_claim()
        form = refunds.RefundForm(
            patient_id=self.patient_id,
            amount=parse_money(self.amount.text()) or ZERO,
            reason=text_of(self.reason),
            payer_id=self.choice.payer_id,
            claim_id=claim.claim_id if claim is not None else None,
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
