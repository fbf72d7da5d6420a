"""Claims: what is billed to each payer, how it was sent, and what came back.

A claim is built from posted charge lines. Its lines copy the charge lines' codes and
amounts at build time, so a claim always shows what was sent, even after a charge line
is corrected (the correction is billed on a replacement claim).
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin


class Clearinghouse(SyncedMixin, Base):
    """A destination of claim files: the clearinghouse's ids and its SFTP connection.

    The SFTP password lives in the system keyring, never in the database.
    """

    __tablename__ = "clearinghouse"

    name: Mapped[str] = mapped_column(String(60), unique=True)
    submitter_id: Mapped[str] = mapped_column(String(80), comment="ETIN sent in NM1*41 NM109")
    submitter_name: Mapped[str] = mapped_column(String(60))
    submitter_contact: Mapped[str] = mapped_column(String(60), comment="PER*IC contact name")
    submitter_phone: Mapped[str] = mapped_column(String(10), comment="10 digits")
    receiver_id: Mapped[str] = mapped_column(String(80), comment="NM1*40 NM109")
    receiver_name: Mapped[str] = mapped_column(String(60))
    isa_sender_qualifier: Mapped[str] = mapped_column(String(2), default="ZZ")
    isa_sender_id: Mapped[str] = mapped_column(String(15))
    isa_receiver_qualifier: Mapped[str] = mapped_column(String(2), default="ZZ")
    isa_receiver_id: Mapped[str] = mapped_column(String(15))
    gs_sender_code: Mapped[str] = mapped_column(String(15))
    gs_receiver_code: Mapped[str] = mapped_column(String(15))
    usage_indicator: Mapped[str] = mapped_column(
        String(1), default="T", comment="ISA15: T while testing with the clearinghouse, then P"
    )
    outbox_folder: Mapped[str | None] = mapped_column(
        Text, comment="folder claim files are written to for manual upload"
    )
    sftp_host: Mapped[str | None] = mapped_column(String(255))
    sftp_port: Mapped[int] = mapped_column(default=22)
    sftp_username: Mapped[str | None] = mapped_column(String(80))
    sftp_host_key: Mapped[str | None] = mapped_column(
        Text, comment="the server's public key in OpenSSH form; uploads refuse any other"
    )
    upload_folder: Mapped[str] = mapped_column(String(255), default="inbound")
    download_folder: Mapped[str] = mapped_column(String(255), default="outbound")
    file_name_pattern: Mapped[str] = mapped_column(
        String(120),
        default="{batch}.837",
        comment="names of uploaded files; {batch}, {date} and {control} are filled in",
    )


class Claim(SyncedMixin, Base):
    """One claim to one payer: a patient, a billing provider and a date of service."""

    __tablename__ = "claim"
    __table_args__ = (Index("ix_claim_status_payer", "status", "payer_id"),)

    claim_number: Mapped[str] = mapped_column(
        String(20), unique=True, comment="patient control number sent as CLM01"
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    encounter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encounter.id"), index=True)
    coverage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coverage.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"))
    payer_sequence: Mapped[str] = mapped_column(
        String(1), comment="SBR01: P, S or T, the coverage's place in the order of payers"
    )
    rendering_provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    place_of_service: Mapped[str] = mapped_column(String(2))
    service_date_from: Mapped[date]
    service_date_to: Mapped[date]
    total_charge: Mapped[Decimal]
    frequency_code: Mapped[str] = mapped_column(
        String(1), default="1", comment="CLM05-3: 1 original, 7 replacement, 8 void"
    )
    original_claim_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("claim.id"), comment="the claim this one replaces, voids or resubmits"
    )
    payer_claim_number: Mapped[str | None] = mapped_column(
        String(50), comment="the payer's number for this claim, from a 277CA or remittance"
    )
    split_part: Mapped[int] = mapped_column(
        default=1, comment="1-based part when an encounter needed more than one claim"
    )
    split_count: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="hold")
    clearinghouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clearinghouse.id"))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    follow_up_on: Mapped[date | None]
    last_scrubbed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class ClaimDiagnosis(SyncedMixin, Base):
    """One diagnosis on a claim, in claim order (position 1 is the principal)."""

    __tablename__ = "claim_diagnosis"
    __table_args__ = (UniqueConstraint("claim_id", "position"),)

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(7), comment="without the dot")


class ClaimLine(SyncedMixin, Base):
    """One service line of a claim, copied from a posted charge line."""

    __tablename__ = "claim_line"
    __table_args__ = (UniqueConstraint("claim_id", "line_number"),)

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    charge_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_line.id"), index=True)
    line_number: Mapped[int] = mapped_column(comment="LX01, 1-based")
    line_control_number: Mapped[str] = mapped_column(
        String(30), unique=True, comment="sent as REF*6R; the remittance echoes it back"
    )
    service_date: Mapped[date]
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier1: Mapped[str | None] = mapped_column(String(2))
    modifier2: Mapped[str | None] = mapped_column(String(2))
    modifier3: Mapped[str | None] = mapped_column(String(2))
    modifier4: Mapped[str | None] = mapped_column(String(2))
    units: Mapped[int]
    charge_amount: Mapped[Decimal]
    pointer1: Mapped[int] = mapped_column(comment="1-based position in the claim's diagnoses")
    pointer2: Mapped[int | None]
    pointer3: Mapped[int | None]
    pointer4: Mapped[int | None]
    place_of_service: Mapped[str] = mapped_column(String(2))
    ndc_code: Mapped[str | None] = mapped_column(String(11))
    ndc_quantity: Mapped[str | None] = mapped_column(String(12))
    ndc_unit: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="open")


class ClaimEvent(SyncedMixin, Base):
    """One step in a claim's history: built, scrubbed, sent, acknowledged, rejected, paid..."""

    __tablename__ = "claim_event"
    __table_args__ = (Index("ix_claim_event_claim_at", "claim_id", "occurred_at"),)

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"))
    claim_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim_line.id"))
    occurred_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), comment="null when a file from the clearinghouse did it"
    )
    event: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20), comment="the status it moved to")
    detail: Mapped[str | None] = mapped_column(Text, comment="explanation shown to users")
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim_batch.id"))
    response_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("x12_response.id"))


class ClaimFinding(SyncedMixin, Base):
    """A problem the last scrub found on a claim; replaced by each new scrub."""

    __tablename__ = "claim_finding"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    claim_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim_line.id"))
    rule: Mapped[str] = mapped_column(String(40), comment="stable rule code, such as npi.luhn")
    severity: Mapped[str] = mapped_column(String(10), comment="error blocks sending; warning")
    message: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text, comment="why payers reject it")
    field: Mapped[str] = mapped_column(
        String(80), comment="where to fix it, such as provider.npi or coverage.member_id"
    )
    record_id: Mapped[uuid.UUID | None] = mapped_column(comment="the record that holds the field")


class ClaimBatch(SyncedMixin, Base):
    """One 837P file: its control numbers, its exact text and how it left."""

    __tablename__ = "claim_batch"

    batch_number: Mapped[str] = mapped_column(String(20), unique=True)
    clearinghouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clearinghouse.id"))
    interchange_control_number: Mapped[str] = mapped_column(String(9), unique=True)
    group_control_number: Mapped[str] = mapped_column(String(9))
    usage_indicator: Mapped[str] = mapped_column(String(1))
    file_name: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text, comment="the X12 text exactly as sent")
    sha256: Mapped[str] = mapped_column(String(64))
    claim_count: Mapped[int]
    total_charge: Mapped[Decimal]
    status: Mapped[str] = mapped_column(
        String(20), default="created", comment="created, exported, uploaded, accepted, rejected"
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None]
    sent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sent_to: Mapped[str | None] = mapped_column(Text, comment="outbox path or sftp://host/folder")
    send_count: Mapped[int] = mapped_column(default=0)


class ClaimBatchItem(SyncedMixin, Base):
    """A claim in a batch, with the transaction set that carried it."""

    __tablename__ = "claim_batch_item"
    __table_args__ = (UniqueConstraint("batch_id", "claim_id"),)

    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim_batch.id"), index=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    transaction_control_number: Mapped[str] = mapped_column(String(9), comment="ST02")


class X12Response(SyncedMixin, Base):
    """A file received from a clearinghouse (999, 277CA, later 835 and 271)."""

    __tablename__ = "x12_response"

    kind: Mapped[str] = mapped_column(String(10), comment="999, 277CA, 835 or 271")
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True, comment="a file imports once")
    interchange_control_number: Mapped[str | None] = mapped_column(String(9))
    received_at: Mapped[datetime]
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)


class PayerAdjudication(SyncedMixin, Base):
    """One payer's settlement of a claim, from a remittance or typed from a paper EOB.

    Secondary and tertiary claims report these amounts to the next payer.
    """

    __tablename__ = "payer_adjudication"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"))
    payer_claim_number: Mapped[str | None] = mapped_column(String(50), comment="CLP07")
    claim_status_code: Mapped[str] = mapped_column(
        String(2), comment="CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19-23 crossover"
    )
    charge_amount: Mapped[Decimal]
    paid_amount: Mapped[Decimal]
    patient_responsibility: Mapped[Decimal]
    adjudicated_on: Mapped[date] = mapped_column(comment="remittance or check date (DTP*573)")
    crossed_over: Mapped[bool] = mapped_column(
        default=False, comment="the payer forwarded the claim to the next payer itself"
    )
    source: Mapped[str] = mapped_column(String(20), comment="era or paper")
    response_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("x12_response.id"))
    voided: Mapped[bool] = mapped_column(default=False)


class PayerLineAdjudication(SyncedMixin, Base):
    """A payer's settlement of one claim line (835 SVC, 837 2430 SVD)."""

    __tablename__ = "payer_line_adjudication"

    adjudication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payer_adjudication.id"), index=True
    )
    claim_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim_line.id"))
    procedure_code: Mapped[str] = mapped_column(String(5), comment="as the payer adjudicated it")
    modifiers: Mapped[str] = mapped_column(String(11), default="", comment="space-separated")
    units: Mapped[int]
    charge_amount: Mapped[Decimal]
    paid_amount: Mapped[Decimal]


class PayerAdjustment(SyncedMixin, Base):
    """One CAS adjustment: on the claim (no line) or on one line."""

    __tablename__ = "payer_adjustment"

    adjudication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payer_adjudication.id"), index=True
    )
    line_adjudication_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_line_adjudication.id")
    )
    group_code: Mapped[str] = mapped_column(String(2), comment="CO, OA, PI or PR")
    reason_code: Mapped[str] = mapped_column(String(5), comment="CARC")
    amount: Mapped[Decimal]
    quantity: Mapped[int | None]
