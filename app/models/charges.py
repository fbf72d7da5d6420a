"""Charge capture: the practice's procedure codes, modifiers, fee schedules, imported
ICD-10-CM editions, encounters with their diagnoses and service lines.

Money on a service line is what the practice bills. It reaches the ledger only when the
encounter is posted, and from then on a correction is a reversal plus a new line.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin


class ProcedureCode(SyncedMixin, Base):
    """A CPT or HCPCS code the practice bills, with the practice's own short label.

    No CPT code or description ships with ClinicDesk: the practice types its codes or
    imports them from its licensed fee schedule.
    """

    __tablename__ = "procedure_code"

    code: Mapped[str] = mapped_column(String(5), unique=True)
    kind: Mapped[str] = mapped_column(String(10), comment="cpt, hcpcs or practice (local code)")
    description: Mapped[str] = mapped_column(String(80), comment="the practice's own label")
    default_units: Mapped[int] = mapped_column(default=1)
    requires_ndc: Mapped[bool] = mapped_column(
        default=False, comment="a drug code: lines need an NDC, quantity and unit"
    )
    source: Mapped[str] = mapped_column(
        String(200), default="typed", comment="where the code came from, such as an import file"
    )


class Modifier(SyncedMixin, Base):
    """A two-character procedure modifier with a label the practice may change."""

    __tablename__ = "procedure_modifier"

    code: Mapped[str] = mapped_column(String(2), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(200), default="typed")


class ModifierRule(SyncedMixin, Base):
    """A practice rule: lines with this procedure code need one of these modifiers."""

    __tablename__ = "modifier_rule"

    procedure_code: Mapped[str] = mapped_column(String(5), index=True)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer.id"), comment="only for this payer's claims; null for every payer"
    )
    modifiers: Mapped[str] = mapped_column(
        String(40), comment="space-separated codes; any one of them satisfies the rule"
    )
    note: Mapped[str | None] = mapped_column(Text, comment="why the rule exists, shown to users")


class FeeSchedule(SyncedMixin, Base):
    """A dated price list: the practice's charges, or a payer's contracted allowed amounts."""

    __tablename__ = "fee_schedule"

    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10), comment="practice (charges) or allowed")
    payer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer.id"), comment="the payer of an allowed-amount schedule"
    )
    effective_from: Mapped[date]
    effective_to: Mapped[date | None] = mapped_column(comment="last day in force; null if open")


class FeeScheduleItem(SyncedMixin, Base):
    """One price in a fee schedule, per unit of the code (with an optional modifier)."""

    __tablename__ = "fee_schedule_item"
    __table_args__ = (UniqueConstraint("fee_schedule_id", "procedure_code", "modifier"),)

    fee_schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_schedule.id"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(
        String(2), default="", comment="empty for the price that applies without a modifier"
    )
    amount: Mapped[Decimal]


class IcdEdition(SyncedMixin, Base):
    """An ICD-10-CM edition imported from a CDC code file, with the dates it is valid for.

    The edition bundled with ClinicDesk lives in the simple-icd-10-cm package and has no
    row here.
    """

    __tablename__ = "icd10_edition"

    name: Mapped[str] = mapped_column(String(20), unique=True, comment="such as FY2027")
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    source: Mapped[str] = mapped_column(String(200), comment="file name and its SHA-256")
    code_count: Mapped[int]


class IcdCode(Base):
    """One code of an imported ICD-10-CM edition (billable codes and their headers)."""

    __tablename__ = "icd10_code"

    edition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("icd10_edition.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(7), primary_key=True, comment="without the dot")
    billable: Mapped[bool]
    description: Mapped[str] = mapped_column(Text)


class Encounter(SyncedMixin, Base):
    """One visit to bill: patient, date of service, providers, place and related causes."""

    __tablename__ = "encounter"
    __table_args__ = (Index("ix_encounter_patient_date", "patient_id", "service_date"),)

    encounter_number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointment.id"), unique=True
    )
    service_date: Mapped[date]
    rendering_provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    supervising_provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("provider.id"))
    referring_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outside_provider.id")
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    place_of_service: Mapped[str] = mapped_column(String(2), comment="CMS place-of-service code")
    prior_authorization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prior_authorization.id")
    )
    related_employment: Mapped[bool] = mapped_column(default=False)
    related_auto_accident: Mapped[bool] = mapped_column(default=False)
    auto_accident_state: Mapped[str | None] = mapped_column(String(2))
    related_other_accident: Mapped[bool] = mapped_column(default=False)
    onset_date: Mapped[date | None] = mapped_column(comment="onset of illness or date of accident")
    status: Mapped[str] = mapped_column(String(10), default="draft", comment="draft or posted")
    posted_at: Mapped[datetime | None]
    posted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class EncounterDiagnosis(SyncedMixin, Base):
    """One ICD-10-CM code of an encounter, in claim order (position 1 is the primary)."""

    __tablename__ = "encounter_diagnosis"
    __table_args__ = (UniqueConstraint("encounter_id", "position"),)

    encounter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encounter.id"), index=True)
    position: Mapped[int] = mapped_column(comment="1-based order on the claim")
    code: Mapped[str] = mapped_column(String(7), comment="without the dot, such as E119")
    edition: Mapped[str] = mapped_column(
        String(20), comment="the ICD-10-CM edition the code was checked against"
    )


class ChargeLine(SyncedMixin, Base):
    """One service line: a procedure, its modifiers, units, charge and diagnosis pointers."""

    __tablename__ = "charge_line"
    __table_args__ = (Index("ix_charge_line_encounter_position", "encounter_id", "position"),)

    encounter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encounter.id"))
    position: Mapped[int] = mapped_column(comment="1-based order on the encounter")
    service_date: Mapped[date]
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier1: Mapped[str | None] = mapped_column(String(2))
    modifier2: Mapped[str | None] = mapped_column(String(2))
    modifier3: Mapped[str | None] = mapped_column(String(2))
    modifier4: Mapped[str | None] = mapped_column(String(2))
    units: Mapped[int]
    unit_fee: Mapped[Decimal] = mapped_column(comment="price per unit when the line was entered")
    charge_amount: Mapped[Decimal] = mapped_column(comment="units times unit fee")
    fee_changed: Mapped[bool] = mapped_column(
        default=False, comment="the fee was typed over the fee schedule's price"
    )
    pointer1: Mapped[int] = mapped_column(comment="1-based position of a diagnosis")
    pointer2: Mapped[int | None]
    pointer3: Mapped[int | None]
    pointer4: Mapped[int | None]
    ndc_code: Mapped[str | None] = mapped_column(String(11), comment="11 digits, no hyphens")
    ndc_quantity: Mapped[str | None] = mapped_column(
        String(12), comment="decimal text, up to three places"
    )
    ndc_unit: Mapped[str | None] = mapped_column(String(2), comment="F2, GR, ME, ML or UN")
    note: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("charge_line.id"), comment="the reversed line this one corrects"
    )


class ProcedureFavorite(SyncedMixin, Base):
    """A procedure code a provider bills often, offered first during charge entry."""

    __tablename__ = "procedure_favorite"
    __table_args__ = (UniqueConstraint("provider_id", "procedure_code"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    procedure_code: Mapped[str] = mapped_column(String(5))
    position: Mapped[int]
