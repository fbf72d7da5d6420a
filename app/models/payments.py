"""Money received and given back: insurance remittances, front-desk payments, deposits,
day closes, account adjustments, refunds and the rules that post remittances.

Amounts move in the ledger; these tables hold the documents behind the ledger rows (a
check, an 835 claim payment, a refund request), so every ledger row can be traced to
the paper or file it came from.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin


class Deposit(SyncedMixin, Base):
    """One trip to the bank or one EFT: the payments and remittances it carries."""

    __tablename__ = "deposit"

    deposit_number: Mapped[str] = mapped_column(String(20), unique=True)
    deposited_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(10), comment="cash_check, card, eft or mixed")
    expected_amount: Mapped[Decimal] = mapped_column(comment="sum of the items when closed")
    bank_amount: Mapped[Decimal | None] = mapped_column(comment="what the bank statement shows")
    status: Mapped[str] = mapped_column(
        String(12), default="open", comment="open, reconciled or undone"
    )
    reconciled_at: Mapped[datetime | None]
    reconciled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class Remittance(SyncedMixin, Base):
    """One insurance payment: an 835 transaction set, or a paper EOB with its check."""

    __tablename__ = "remittance"
    __table_args__ = (Index("ix_remittance_trace", "trace_number", "payer_identifier"),)

    source: Mapped[str] = mapped_column(String(10), comment="era or paper")
    response_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("x12_response.id"), comment="the 835 file; null for a paper EOB"
    )
    transaction_control_number: Mapped[str | None] = mapped_column(String(9), comment="ST02")
    payer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer.id"), comment="null until the payer in the file is recognized"
    )
    payer_name: Mapped[str] = mapped_column(String(60), comment="as the file or EOB names it")
    payer_identifier: Mapped[str] = mapped_column(
        String(80), default="", comment="TRN03 or the payer id of N1*PR"
    )
    trace_number: Mapped[str] = mapped_column(String(50), comment="TRN02: check or EFT number")
    handling_code: Mapped[str] = mapped_column(String(2), default="C", comment="BPR01")
    payment_method: Mapped[str] = mapped_column(
        String(3), comment="BPR04: ACH, CHK, BOP, FWT or NON"
    )
    payment_amount: Mapped[Decimal] = mapped_column(comment="BPR02, the money received")
    payment_date: Mapped[date | None] = mapped_column(comment="BPR16: check or EFT date")
    status: Mapped[str] = mapped_column(
        String(12), comment="held (does not balance), review, posted or reversed"
    )
    problem: Mapped[str | None] = mapped_column(Text, comment="why it is held, for the biller")
    deposit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deposit.id"), index=True)
    received_at: Mapped[datetime]
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime | None]


class RemittanceClaim(SyncedMixin, Base):
    """One claim payment (CLP loop) of a remittance, matched or waiting for a biller."""

    __tablename__ = "remittance_claim"
    __table_args__ = (UniqueConstraint("remittance_id", "position"),)

    remittance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("remittance.id"), index=True)
    position: Mapped[int] = mapped_column(comment="1-based order in the remittance")
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(38), comment="CLP01")
    status_code: Mapped[str] = mapped_column(String(2), comment="CLP02")
    charge_amount: Mapped[Decimal] = mapped_column(comment="CLP03")
    paid_amount: Mapped[Decimal] = mapped_column(comment="CLP04")
    patient_responsibility: Mapped[Decimal] = mapped_column(comment="CLP05")
    payer_claim_number: Mapped[str | None] = mapped_column(String(50), comment="CLP07")
    patient_name: Mapped[str] = mapped_column(String(120), default="", comment="NM1*QC")
    member_id: Mapped[str] = mapped_column(String(80), default="")
    service_date: Mapped[date | None] = mapped_column(comment="first date of service")
    match_method: Mapped[str | None] = mapped_column(
        String(20), comment="control_number, payer_claim_number, patient_service or manual"
    )
    state: Mapped[str] = mapped_column(
        String(12), comment="posted, review, unapplied, reversed or info (nothing to post)"
    )
    review_reason: Mapped[str | None] = mapped_column(Text, comment="why a biller must look")
    adjudication_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_adjudication.id"), comment="set when posted"
    )
    segments: Mapped[str] = mapped_column(
        Text, comment="the claim loop's X12 text (or the typed EOB as JSON), read again to post"
    )
    posted_at: Mapped[datetime | None]
    posted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ProviderAdjustment(SyncedMixin, Base):
    """One PLB adjustment: money a payer adds or withholds outside any claim line.

    These rows are the provider-level account (interest, recoupments, forwarding
    balances); they never change a claim's or a patient's balance. A positive amount
    reduced the payment, a negative one increased it.
    """

    __tablename__ = "provider_adjustment"

    remittance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("remittance.id"), index=True)
    provider_identifier: Mapped[str] = mapped_column(String(50), comment="PLB01")
    fiscal_period_date: Mapped[date | None] = mapped_column(comment="PLB02")
    reason_code: Mapped[str] = mapped_column(String(2), comment="PLB03-1: WO, FB, L6, 72 ...")
    reference: Mapped[str] = mapped_column(String(50), default="", comment="PLB03-2")
    amount: Mapped[Decimal]
    claim_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("claim.id"), comment="the claim the reference names, when found"
    )


class PostingRule(SyncedMixin, Base):
    """A practice's override of the posting action for one adjustment group and reason code.

    Rules without a payer apply to every payer; a payer's own rule wins. Reason "*"
    matches every reason code of the group.
    """

    __tablename__ = "posting_rule"
    __table_args__ = (UniqueConstraint("payer_id", "group_code", "reason_code"),)

    payer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payer.id"))
    group_code: Mapped[str] = mapped_column(String(2), comment="CO, OA, PI or PR")
    reason_code: Mapped[str] = mapped_column(String(5), comment="CARC, or * for any")
    action: Mapped[str] = mapped_column(
        String(20), comment="write_off, patient, next_payer, denial or review"
    )
    note: Mapped[str] = mapped_column(Text, default="")


class RemarkCode(Base):
    """The wording of an adjustment reason (CARC) or remark (RARC) code, imported by a user.

    X12 and CMS publish these lists under terms that do not let ClinicDesk ship the
    wording, so practices import the list they download.
    """

    __tablename__ = "remark_code"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True, comment="carc or rarc")
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), comment="file name and its SHA-256")


class Payment(SyncedMixin, Base):
    """Money taken at the front desk or sent straight to an account by a third party.

    Card payments are run on an external terminal; only the last four digits and the
    authorization code are kept.
    """

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_received", "received_by", "received_on"),)

    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer.id"), comment="a third party paying directly (attorney, employer)"
    )
    kind: Mapped[str] = mapped_column(String(12), comment="copay, payment or prepayment")
    method: Mapped[str] = mapped_column(String(10), comment="cash, check, card, eft or other")
    amount: Mapped[Decimal]
    check_number: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_authorization: Mapped[str | None] = mapped_column(String(20))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment.id"))
    received_on: Mapped[date] = mapped_column(comment="practice-local business day")
    received_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    memo: Mapped[str] = mapped_column(Text, default="")
    deposit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deposit.id"), index=True)
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)


class DayClose(SyncedMixin, Base):
    """One user's close of a business day: the payments' totals against what was counted."""

    __tablename__ = "day_close"
    __table_args__ = (UniqueConstraint("user_id", "business_date"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    business_date: Mapped[date]
    expected_cash: Mapped[Decimal]
    expected_checks: Mapped[Decimal]
    expected_cards: Mapped[Decimal]
    expected_other: Mapped[Decimal]
    counted_cash: Mapped[Decimal]
    counted_checks: Mapped[Decimal]
    difference: Mapped[Decimal] = mapped_column(comment="counted minus expected, cash and checks")
    note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime]


class AccountAdjustment(SyncedMixin, Base):
    """A write-off or credit a person posts on an account, with its reason."""

    __tablename__ = "account_adjustment"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(20), comment="small_balance, bad_debt, courtesy, administrative or collections"
    )
    amount: Mapped[Decimal] = mapped_column(comment="negative lowers what is owed")
    charge_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("charge_line.id"))
    reason: Mapped[str] = mapped_column(Text)
    posted_on: Mapped[date]
    posted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class Refund(SyncedMixin, Base):
    """Money given back to a patient or a payer: requested, approved, then issued."""

    __tablename__ = "refund"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer.id"), comment="set for a refund of a payer's overpayment"
    )
    amount: Mapped[Decimal] = mapped_column(comment="positive")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(12), default="requested", comment="requested, approved, issued or cancelled"
    )
    method: Mapped[str | None] = mapped_column(String(10), comment="check, card or eft")
    check_number: Mapped[str | None] = mapped_column(String(30))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    issued_on: Mapped[date | None]
