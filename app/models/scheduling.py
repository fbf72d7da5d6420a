"""Appointments (the scheduling calendar extends this table)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin
from app.db.types import WallClock


class Appointment(SyncedMixin, Base):
    """A booked visit. Times are wall-clock in the practice's time zone, so a 9:00
    appointment stays at 9:00 across daylight-saving changes."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_provider_start", "provider_id", "starts_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"))
    starts_at: Mapped[datetime] = mapped_column(WallClock(), index=True)
    duration_minutes: Mapped[int]
    appointment_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    reason: Mapped[str | None] = mapped_column(Text)
