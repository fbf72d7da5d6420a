"""Users, the hash-chained audit log and emergency ("break the glass") access."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utc_now
from app.db.base import Base, SyncedMixin
from app.ids import new_id


class User(SyncedMixin, Base):
    """A person who signs in to ClinicDesk."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20), comment="app.security.permissions.Role value")
    password_hash: Mapped[str] = mapped_column(String(200), comment="Argon2id PHC string")
    password_changed_at: Mapped[datetime] = mapped_column(default=utc_now)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(
        String(64), comment="base32; null when TOTP is off"
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        comment="30-second step of the last accepted code, so no code works twice"
    )
    last_sign_in_at: Mapped[datetime | None]


class AuditEvent(Base):
    """One append-only audit row, chained to the previous row of the same workstation.

    `row_hash` is SHA-256 over the previous row's hash and this row's fields, so editing
    or removing any row breaks the chain at that point. Triggers reject UPDATE and DELETE.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("workstation", "sequence", name="uq_audit_event_workstation_sequence"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
        Index("ix_audit_event_patient_id", "patient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workstation: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int] = mapped_column(comment="1, 2, 3 … per workstation, with no gaps")
    occurred_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID | None]
    username: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        comment="set when the event concerns a patient"
    )
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="", comment="no PHI: ids and reasons only")
    previous_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest link of each workstation's audit chain, kept apart from the rows.

    Deleting the newest audit rows leaves no gap inside the chain; comparing the chain's
    end with this row reveals it. Triggers reject DELETE and any UPDATE other than a step
    of exactly one.
    """

    __tablename__ = "audit_head"

    workstation: Mapped[str] = mapped_column(String(8), primary_key=True)
    sequence: Mapped[int]
    row_hash: Mapped[str] = mapped_column(String(64))


class EmergencyAccess(SyncedMixin, Base):
    """A time-limited grant letting a user open a record outside their role."""

    __tablename__ = "emergency_access"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    permission: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
