"""Patients and their insurance coverages (the registration screens extend these)."""

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, SyncedMixin


class Patient(SyncedMixin, Base):
    """A person the practice sees."""

    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_last_first", "last_name", "first_name"),)

    chart_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(35))
    middle_name: Mapped[str | None] = mapped_column(String(25))
    last_name: Mapped[str] = mapped_column(String(60))
    suffix: Mapped[str | None] = mapped_column(String(10))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1), comment="sex as billed: F, M or U")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    address_line1: Mapped[str | None] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="active")

    coverages: Mapped[list["Coverage"]] = relationship(
        back_populates="patient", order_by="Coverage.priority"
    )


class Coverage(SyncedMixin, Base):
    """One insurance policy covering a patient, in coordination-of-benefits order."""

    __tablename__ = "coverage"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"), index=True)
    priority: Mapped[int] = mapped_column(comment="1 primary, 2 secondary, 3 tertiary")
    member_id: Mapped[str] = mapped_column(String(80))
    group_number: Mapped[str | None] = mapped_column(String(50))
    relationship_code: Mapped[str] = mapped_column(
        String(2), default="18", comment="X12 individual relationship code; 18 is self"
    )
    effective_date: Mapped[date | None]
    termination_date: Mapped[date | None]

    patient: Mapped[Patient] = relationship(back_populates="coverages")
