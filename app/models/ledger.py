"""The append-only money ledger.

Every movement of money is one row: charges, payments, adjustments, transfers of
responsibility and reversals. A posted row is never changed: triggers created by the
migration reject UPDATE and DELETE, and a correction is a reversal row plus a new row.
Balances are sums over this table. The posting services arrive with charges and payments.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utc_now
from app.db.base import Base
from app.ids import new_id


class LedgerEntry(Base):
    """One posted money movement. Positive amounts raise what is owed to the practice."""

    __tablename__ = "ledger_entry"
    # Balances are sums over this table, so the index carries the amount: a patient's
    # balance is read from the index alone, without touching the scattered table rows.
    # Posting, claims and payments find rows by their source (the charge of a line, the
    # rows of a payment or a claim payment) and by the row they reverse.
    __table_args__ = (
        Index("ix_ledger_entry_patient_posted", "patient_id", "posted_at", "amount"),
        Index("ix_ledger_entry_source", "source_type", "source_id"),
        Index("ix_ledger_entry_reverses_id", "reverses_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    posted_at: Mapped[datetime] = mapped_column(default=utc_now)
    posted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entry_type: Mapped[str] = mapped_column(
        String(30), comment="charge, payment, adjustment, transfer, refund or reversal"
    )
    amount: Mapped[Decimal]
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    payer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payer.id"))
    responsible_party: Mapped[str] = mapped_column(
        String(20), comment="patient, or primary/secondary/tertiary insurance"
    )
    service_date: Mapped[date | None]
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_entry.id"), comment="the row this reversal cancels"
    )
    source_type: Mapped[str | None] = mapped_column(
        String(30), comment="charge line, payment, ERA …"
    )
    source_id: Mapped[uuid.UUID | None]
    charge_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("charge_line.id"),
        index=True,
        comment="the service line the row settles; null for account-level money",
    )
    memo: Mapped[str] = mapped_column(Text, default="")
    row_hash: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the row's fields, set when posted; checked by ledger verify"
    )
