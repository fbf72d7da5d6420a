"""The scheduling calendar: appointments, their types and series, working hours,
blockouts, the waitlist, saved calendar views and appointment reminders.

Appointment times are wall-clock times in the practice's time zone, so a 9:00 visit
stays at 9:00 across daylight-saving changes. Recurring series store their rule
(RFC 5545 RRULE text) and each occurrence is a real appointment row with the date the
rule gave it, so an edited or cancelled occurrence is an ordinary row and never
disappears when the series is read again.
"""

import uuid
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, SyncedMixin
from app.db.types import WallClock
from app.ids import new_id


class AppointmentType(SyncedMixin, Base):
    """A kind of visit, such as "New patient" or "Follow-up", with its default length."""

    __tablename__ = "appointment_type"

    name: Mapped[str] = mapped_column(String(40))
    default_minutes: Mapped[int] = mapped_column(default=15)
    color: Mapped[str] = mapped_column(String(7), default="#4a90d9", comment="#RRGGBB")
    new_patient: Mapped[bool] = mapped_column(default=False)


class AppointmentTypeCode(SyncedMixin, Base):
    """A procedure code (CPT or HCPCS, code only) that a visit type usually bills."""

    __tablename__ = "appointment_type_code"
    __table_args__ = (UniqueConstraint("appointment_type_id", "code"),)

    appointment_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointment_type.id"), index=True
    )
    code: Mapped[str] = mapped_column(String(5))
    position: Mapped[int] = mapped_column(default=0)


class Resource(SyncedMixin, Base):
    """Bookable equipment at a location, such as an ultrasound machine."""

    __tablename__ = "resource"

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))


class ProviderHours(SyncedMixin, Base):
    """One stretch of a provider's working week at a location (several per day allowed)."""

    __tablename__ = "provider_hours"
    __table_args__ = (Index("ix_provider_hours_provider_weekday", "provider_id", "weekday"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    weekday: Mapped[int] = mapped_column(comment="0 Monday to 6 Sunday")
    starts: Mapped[time]
    ends: Mapped[time]
    effective_from: Mapped[date | None]
    effective_until: Mapped[date | None]


class Blockout(SyncedMixin, Base):
    """Time nobody books: lunch, a meeting, a holiday.

    With no provider, room and location it blocks the whole practice. A rule repeats it
    (RRULE text, such as "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" for a daily lunch).
    """

    __tablename__ = "blockout"
    __table_args__ = (Index("ix_blockout_starts_at", "starts_at"),)

    title: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), comment="lunch, meeting, holiday or other")
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("provider.id"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("location.id"))
    starts_at: Mapped[datetime] = mapped_column(WallClock())
    ends_at: Mapped[datetime] = mapped_column(WallClock())
    rule: Mapped[str | None] = mapped_column(String(200))
    repeat_until: Mapped[date | None]


class AppointmentSeries(SyncedMixin, Base):
    """A recurring visit; its occurrences are appointment rows pointing back here."""

    __tablename__ = "appointment_series"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"))
    appointment_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment_type.id"))
    first_starts_at: Mapped[datetime] = mapped_column(WallClock())
    duration_minutes: Mapped[int]
    rule: Mapped[str] = mapped_column(String(200), comment="RRULE text without DTSTART")
    count: Mapped[int | None]
    until: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(Text)


class Appointment(SyncedMixin, Base):
    """A booked visit, at practice wall-clock time."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_provider_start", "provider_id", "starts_at"),
        UniqueConstraint("series_id", "series_date"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"))
    starts_at: Mapped[datetime] = mapped_column(WallClock(), index=True)
    duration_minutes: Mapped[int]
    appointment_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    reason: Mapped[str | None] = mapped_column(Text)
    appointment_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment_type.id"))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resource.id"))
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment_series.id"))
    series_date: Mapped[date | None] = mapped_column(
        comment="the date the series rule gave this occurrence, kept when it is moved"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(10), comment="patient or practice")
    late_cancel: Mapped[bool] = mapped_column(default=False)
    rescheduled_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment.id"))
    conflict_note: Mapped[str | None] = mapped_column(
        Text, comment="conflicts found when the row arrived by sync, for review"
    )


class AppointmentStatusEvent(Base):
    """One status change of an appointment: what, when and by whom (never edited)."""

    __tablename__ = "appointment_status_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime]
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class WaitlistEntry(SyncedMixin, Base):
    """A patient who wants an earlier or any opening, with their preferences."""

    __tablename__ = "waitlist_entry"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("provider.id"))
    appointment_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment_type.id"))
    duration_minutes: Mapped[int]
    weekdays: Mapped[str] = mapped_column(
        String(7), default="01234", comment="digits 0 (Monday) to 6 (Sunday) the patient can come"
    )
    earliest: Mapped[time | None]
    latest: Mapped[time | None]
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(10), default="waiting", comment="waiting, booked or removed"
    )
    booked_appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment.id"))


class CalendarView(SyncedMixin, Base):
    """A named calendar layout a user saved, such as "Mornings, two doctors"."""

    __tablename__ = "calendar_view"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    mode: Mapped[str] = mapped_column(
        String(20), comment="day_providers, day_rooms, week_provider, week_room or month"
    )
    grid_minutes: Mapped[int] = mapped_column(default=15)
    columns: Mapped[str] = mapped_column(
        Text, default="[]", comment="JSON list of provider or room ids, in column order"
    )


class ReminderTemplate(SyncedMixin, Base):
    """The text of an appointment reminder for one channel."""

    __tablename__ = "reminder_template"

    name: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10), comment="email, letter or postcard")
    subject: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    lead_days: Mapped[int] = mapped_column(default=2)


class Reminder(SyncedMixin, Base):
    """One reminder to send for one appointment, queued until it goes out."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_status_next", "status", "next_attempt_at"),)

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id"), index=True)
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reminder_template.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(
        String(10), default="queued", comment="queued, sent, failed, skipped or cancelled"
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    visit_starts_at: Mapped[datetime | None] = mapped_column(
        WallClock(), comment="the visit time the reminder names; a moved visit gets a new one"
    )


class ReminderAttempt(Base):
    """One try at sending a reminder, kept on the appointment's history (never edited)."""

    __tablename__ = "reminder_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    reminder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reminder.id"), index=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id"), index=True)
    attempted_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(10), comment="sent or failed")
    detail: Mapped[str | None] = mapped_column(Text)
