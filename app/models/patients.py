"""Patients, the people around them, and their insurance coverages.

A patient row holds the demographics the front desk registers. People who are not
patients but matter to billing (a guarantor, a subscriber, an emergency contact with
more than a name) are `Person` rows. Lists of things (phones, previous names, alerts,
documents) are child rows, never lists packed into one column, so sync can merge them.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.db.base import Base, SyncedMixin


class Person(SyncedMixin, Base):
    """Someone who is not (or not yet) a patient: a guarantor or an insurance subscriber."""

    __tablename__ = "person"

    first_name: Mapped[str] = mapped_column(String(35))
    middle_name: Mapped[str | None] = mapped_column(String(25))
    last_name: Mapped[str] = mapped_column(String(60))
    suffix: Mapped[str | None] = mapped_column(String(10))
    date_of_birth: Mapped[date | None]
    sex: Mapped[str] = mapped_column(String(1), default="U", comment="F, M or U")
    address_line1: Mapped[str | None] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20), comment="E.164, such as +15125550100")
    email: Mapped[str | None] = mapped_column(String(120))
    employer_name: Mapped[str | None] = mapped_column(String(60))


class Patient(SyncedMixin, Base):
    """A person the practice sees."""

    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_last_first", "last_name", "first_name"),)

    chart_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(35))
    middle_name: Mapped[str | None] = mapped_column(String(25))
    last_name: Mapped[str] = mapped_column(String(60))
    suffix: Mapped[str | None] = mapped_column(String(10))
    preferred_name: Mapped[str | None] = mapped_column(String(35))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1), comment="sex as billed: F, M or U")
    gender_identity: Mapped[str | None] = mapped_column(String(40))
    ssn: Mapped[str | None] = mapped_column(
        String(9), comment="nine digits; shown masked to the last four without ssn.reveal"
    )
    phone: Mapped[str | None] = mapped_column(
        String(20), comment="the first of the patient's phones, kept by the registration service"
    )
    email: Mapped[str | None] = mapped_column(String(120))
    address_line1: Mapped[str | None] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10), comment="NNNNN or NNNNN-NNNN")
    preferred_contact: Mapped[str | None] = mapped_column(
        String(10), comment="phone, text, email or mail"
    )
    reminder_consent: Mapped[bool] = mapped_column(default=False)
    preferred_language: Mapped[str | None] = mapped_column(String(40))
    marital_status: Mapped[str | None] = mapped_column(
        String(10), comment="single, married, partner, divorced, separated, widowed"
    )
    employer_name: Mapped[str | None] = mapped_column(String(60))
    emergency_contact_name: Mapped[str | None] = mapped_column(String(60))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))
    emergency_contact_relation: Mapped[str | None] = mapped_column(String(30))
    primary_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("provider.id"), comment="the practice's provider who sees this patient"
    )
    referring_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outside_provider.id")
    )
    status: Mapped[str] = mapped_column(String(10), default="active")
    deceased_on: Mapped[date | None]
    guarantor_patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id"), comment="another patient responsible for the bills"
    )
    guarantor_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id"), comment="a non-patient responsible for the bills"
    )
    recall_interval_months: Mapped[int | None]
    recall_due_on: Mapped[date | None] = mapped_column(
        comment="set by hand, or from the last visit plus the recall interval"
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id"), comment="survivor of a merge that archived this record"
    )

    coverages: Mapped[list["Coverage"]] = relationship(
        back_populates="patient",
        order_by="Coverage.priority",
        foreign_keys="Coverage.patient_id",
    )


class PatientPhone(SyncedMixin, Base):
    """One phone number of a patient."""

    __tablename__ = "patient_phone"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), comment="mobile, home, work or other")
    number: Mapped[str] = mapped_column(String(20), comment="E.164, such as +15125550100")
    extension: Mapped[str | None] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(default=0, comment="0 is the number to call first")


class PatientPreviousName(SyncedMixin, Base):
    """A name the patient used before, kept so old records and cards still match."""

    __tablename__ = "patient_previous_name"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(35))
    middle_name: Mapped[str | None] = mapped_column(String(25))
    last_name: Mapped[str] = mapped_column(String(60))
    suffix: Mapped[str | None] = mapped_column(String(10))
    used_until: Mapped[date | None]


class PatientAlert(SyncedMixin, Base):
    """A note shown whenever the record opens, such as "needs interpreter"."""

    __tablename__ = "patient_alert"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(
        String(10), default="warning", comment="info, warning or critical"
    )


class Coverage(SyncedMixin, Base):
    """One insurance policy covering a patient, in coordination-of-benefits order."""

    __tablename__ = "coverage"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"), index=True)
    priority: Mapped[int] = mapped_column(comment="1 primary, 2 secondary, 3 tertiary")
    plan_name: Mapped[str | None] = mapped_column(String(60))
    plan_type: Mapped[str | None] = mapped_column(
        String(2), comment="X12 claim filing indicator (SBR09), such as CI, MB, MC, HM"
    )
    member_id: Mapped[str] = mapped_column(String(80))
    group_number: Mapped[str | None] = mapped_column(String(50))
    group_name: Mapped[str | None] = mapped_column(String(60))
    relationship_code: Mapped[str] = mapped_column(
        String(2), default="18", comment="X12 individual relationship code; 18 is self"
    )
    subscriber_patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id"), comment="the subscriber when another patient holds the policy"
    )
    subscriber_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id"), comment="the subscriber when a non-patient holds the policy"
    )
    effective_date: Mapped[date | None]
    termination_date: Mapped[date | None]
    copay_office: Mapped[Decimal | None]
    copay_specialist: Mapped[Decimal | None]
    copay_urgent_care: Mapped[Decimal | None]
    copay_emergency: Mapped[Decimal | None]
    eligibility_checked_on: Mapped[date | None] = mapped_column(
        comment="the day someone last confirmed with the payer that the policy is active"
    )
    eligibility_checked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    patient: Mapped[Patient] = relationship(back_populates="coverages", foreign_keys=[patient_id])


class PatientDocument(SyncedMixin, Base):
    """A scanned or photographed document, stored inside the encrypted database.

    Insurance card images are documents with a coverage and the kind card_front or
    card_back. The content column is deferred so listing documents never loads images.
    """

    __tablename__ = "patient_document"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    coverage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coverage.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(20), comment="card_front, card_back, photo_id, signed_form or other"
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    media_type: Mapped[str] = mapped_column(String(60), comment="such as image/png")
    byte_count: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class OutsideProvider(SyncedMixin, Base):
    """A clinician outside the practice: a referring provider or a primary care doctor."""

    __tablename__ = "outside_provider"

    first_name: Mapped[str | None] = mapped_column(String(35))
    last_name: Mapped[str] = mapped_column(String(60), comment="or the organization's name")
    credentials: Mapped[str | None] = mapped_column(String(20))
    npi: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    fax: Mapped[str | None] = mapped_column(String(20))
    address_line1: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))


class ExternalReference(SyncedMixin, Base):
    """Which local row an identifier from another system was imported into.

    Re-importing a FHIR bundle or a CSV file looks identifiers up here, so a second
    import updates the rows of the first instead of adding new ones.
    """

    __tablename__ = "external_reference"
    __table_args__ = (UniqueConstraint("system", "value", "resource_type"),)

    system: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[str] = mapped_column(String(40), comment="such as Patient, Coverage")
    local_table: Mapped[str] = mapped_column(String(40))
    local_id: Mapped[uuid.UUID] = mapped_column(index=True)


class VisitHistory(SyncedMixin, Base):
    """A past visit recorded elsewhere and imported, shown beside past appointments."""

    __tablename__ = "visit_history"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    visit_type: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str | None] = mapped_column(Text)
    provider_name: Mapped[str | None] = mapped_column(String(120))
    location_name: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40), comment="such as fhir or csv")
