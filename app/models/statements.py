"""Patient billing: guarantor accounts, notice levels, statement runs and the statements
sent, payment plans and collection placements.

A billing account belongs to one guarantor: a patient who pays for themselves (and
perhaps others), or a person who is not a patient. Every patient whose bills that
guarantor pays is on the account, and one statement covers them all. A statement row
keeps the PDF exactly as it was printed or sent, so "what did we send and when" is read
back, never rebuilt.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import Base, SyncedMixin


class BillingAccount(SyncedMixin, Base):
    """One guarantor's account: the unit statements, plans and collections work on."""

    __tablename__ = "billing_account"

    account_number: Mapped[str] = mapped_column(String(20), unique=True)
    guarantor_patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id"), unique=True, comment="the guarantor when they are a patient"
    )
    guarantor_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id"), unique=True, comment="the guarantor when they are not a patient"
    )
    email_statements: Mapped[bool] = mapped_column(
        default=False, comment="the guarantor agreed to receive statements by email"
    )
    hold_reason: Mapped[str | None] = mapped_column(
        String(20),
        comment="dispute, bankruptcy, deceased, estimate_dispute or other; null when none",
    )
    hold_until: Mapped[date | None] = mapped_column(comment="last day of the hold; null if open")
    hold_note: Mapped[str] = mapped_column(Text, default="")


class NoticeLevel(SyncedMixin, Base):
    """One step of the dunning ladder, with the wait before it and its message."""

    __tablename__ = "notice_level"

    code: Mapped[str] = mapped_column(
        String(12), unique=True, comment="statement, second, third, final or collections"
    )
    position: Mapped[int] = mapped_column(comment="1 for the first statement, rising")
    label: Mapped[str] = mapped_column(String(40), comment="as printed, such as 2nd notice")
    days_after_previous: Mapped[int] = mapped_column(
        comment="days since the previous statement before this level is sent"
    )
    message: Mapped[str] = mapped_column(Text, comment="printed on the statement")
    active: Mapped[bool] = mapped_column(default=True)


class StatementRun(SyncedMixin, Base):
    """One statement run: the statements made together, and the printed batch."""

    __tablename__ = "statement_run"

    run_number: Mapped[str] = mapped_column(String(20), unique=True)
    run_on: Mapped[date] = mapped_column(comment="the statement date printed")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    statement_count: Mapped[int]
    total_due: Mapped[Decimal]
    batch_pdf: Mapped[bytes | None] = deferred(
        mapped_column(LargeBinary, comment="every printed statement of the run as one PDF")
    )


class Statement(SyncedMixin, Base):
    """One statement or notice made for an account, with the PDF as sent."""

    __tablename__ = "statement"

    statement_number: Mapped[str] = mapped_column(String(20), unique=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("statement_run.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_account.id"), index=True)
    statement_date: Mapped[date]
    level: Mapped[str] = mapped_column(String(12), comment="a notice level code, or plan_reminder")
    channel: Mapped[str] = mapped_column(String(10), comment="print or email")
    status: Mapped[str] = mapped_column(
        String(10), comment="ready, printed, queued, sent, failed or cancelled"
    )
    amount_due: Mapped[Decimal] = mapped_column(comment="what the guarantor owes now")
    insurance_pending: Mapped[Decimal] = mapped_column(comment="still expected from insurance")
    account_balance: Mapped[Decimal] = mapped_column(
        comment="the guarantor's share; negative is a credit"
    )
    due_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="", comment="why this level was chosen")
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0, comment="email sending attempts")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class PaymentPlan(SyncedMixin, Base):
    """An agreement to pay an account's balance in installments."""

    __tablename__ = "payment_plan"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_account.id"), index=True)
    total: Mapped[Decimal] = mapped_column(comment="the amount the plan pays off")
    down_payment: Mapped[Decimal]
    installment_amount: Mapped[Decimal]
    frequency: Mapped[str] = mapped_column(String(10), comment="weekly, biweekly or monthly")
    start_on: Mapped[date] = mapped_column(comment="the first installment's due date")
    grace_days: Mapped[int] = mapped_column(
        comment="days after a missed installment before notices resume"
    )
    status: Mapped[str] = mapped_column(
        String(10), comment="current, late, broken, completed or cancelled"
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    last_reminder_on: Mapped[date | None] = mapped_column(
        comment="last missed-installment reminder"
    )


class CollectionPlacement(SyncedMixin, Base):
    """An account handed to a collection agency, with the amount written off."""

    __tablename__ = "collection_placement"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_account.id"), index=True)
    agency: Mapped[str] = mapped_column(String(60))
    placed_on: Mapped[date]
    placed_amount: Mapped[Decimal] = mapped_column(comment="balance written off as bad debt")
    status: Mapped[str] = mapped_column(String(10), comment="placed, recalled or closed")
    exported_at: Mapped[datetime | None] = mapped_column(comment="when the agency file was made")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class CollectionRecovery(SyncedMixin, Base):
    """Money an agency collected on a placed account, and the fee it kept."""

    __tablename__ = "collection_recovery"

    placement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collection_placement.id"), index=True
    )
    received_on: Mapped[date]
    gross_amount: Mapped[Decimal] = mapped_column(comment="what the agency collected")
    fee_amount: Mapped[Decimal] = mapped_column(comment="what the agency kept")
    check_number: Mapped[str] = mapped_column(String(30), default="")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
