"""Onboarding checklists, duplicate decisions and merges of patient records."""

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin


class OnboardingStep(SyncedMixin, Base):
    """One item of the practice's new-patient checklist; archived items are hidden."""

    __tablename__ = "onboarding_step"

    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)


class PatientOnboarding(SyncedMixin, Base):
    """Whether one patient has completed one checklist item."""

    __tablename__ = "patient_onboarding"
    __table_args__ = (UniqueConstraint("patient_id", "step_code"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    step_code: Mapped[str] = mapped_column(String(30))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class DuplicateDecision(SyncedMixin, Base):
    """A user's ruling that two similar records are different people.

    The pair is stored in a fixed order (the smaller id first), so the decision reads
    the same whichever record the user started from.
    """

    __tablename__ = "duplicate_decision"
    __table_args__ = (UniqueConstraint("first_patient_id", "second_patient_id"),)

    first_patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    second_patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class PatientMerge(SyncedMixin, Base):
    """A merge of one record into another, with what it takes to undo it exactly."""

    __tablename__ = "patient_merge"

    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    merged_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    snapshot: Mapped[str] = mapped_column(
        Text, comment="JSON: both records' values and every row the merge moved"
    )
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Referral(SyncedMixin, Base):
    """A referral that sent the patient to this practice."""

    __tablename__ = "referral"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    outside_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outside_provider.id"), comment="the referring provider"
    )
    coverage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coverage.id"))
    referral_number: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text, default="")
    referred_on: Mapped[date]
    expires_on: Mapped[date | None]
    visits_allowed: Mapped[int | None]
    visits_used: Mapped[int] = mapped_column(default=0)


class PriorAuthorization(SyncedMixin, Base):
    """A payer's approval, in advance, of services for a patient."""

    __tablename__ = "prior_authorization"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    coverage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coverage.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"))
    authorization_number: Mapped[str] = mapped_column(String(50))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    unit_kind: Mapped[str] = mapped_column(String(10), default="visits", comment="visits or units")
    authorized: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)


class AuthorizedService(SyncedMixin, Base):
    """One procedure code (CPT or HCPCS, code only) that an authorization covers."""

    __tablename__ = "authorized_service"
    __table_args__ = (UniqueConstraint("authorization_id", "code"),)

    authorization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("prior_authorization.id"), index=True
    )
    code: Mapped[str] = mapped_column(String(5))
