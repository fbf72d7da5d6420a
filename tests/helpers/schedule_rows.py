"""Scheduling rows for service tests: a demo practice plus hours, blockouts and visits."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.database import Database
from app.ids import ProviderId
from app.models.patients import Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment, Blockout, ProviderHours
from app.services.demo import create_demo_database
from tests.conftest import PASSPHRASE

DEMO_DAY = date(2025, 3, 12)  # the demo's appointments sit in the week of this day
MONDAY = date(2025, 6, 2)  # a Monday well after the demo's appointments


def demo_practice(folder: Path, patients: int = 12) -> Database:
    """Create a small demo practice; the caller closes it."""
    database, _admin, _summary = create_demo_database(
        folder / "schedule.db", PASSPHRASE, "admin", "Lakeside-desk-2024!", patients, 3, DEMO_DAY
    )
    return database


def clear_schedule_setup(session: Session) -> None:
    """Archive the demo's starter hours and blockouts so a test sets its own."""
    for model in (ProviderHours, Blockout):
        session.execute(update(model).values(archived=True))
    session.flush()


def providers(session: Session) -> list[ProviderId]:
    """Return the practice's provider ids, in name order."""
    query = select(Provider.id).order_by(Provider.last_name, Provider.first_name)
    return [ProviderId(value) for value in session.scalars(query)]


def first_location(session: Session) -> UUID:
    """Return the id of the practice's first location."""
    location_id = session.scalar(select(Location.id).order_by(Location.name))
    assert location_id is not None
    return location_id


def patients(session: Session) -> list[Patient]:
    """Return the practice's patients, in chart order."""
    return list(session.scalars(select(Patient).order_by(Patient.chart_number)))


def add_week_hours(
    session: Session, provider_id: UUID, starts: time = time(9), ends: time = time(12)
) -> None:
    """Give a provider the same hours Monday to Friday at the first location."""
    location_id = first_location(session)
    for weekday in range(5):
        session.add(
            ProviderHours(
                provider_id=provider_id,
                location_id=location_id,
                weekday=weekday,
                starts=starts,
                ends=ends,
            )
        )
    session.flush()


def add_visit(
    session: Session,
    provider_id: UUID,
    patient_id: UUID,
    starts_at: datetime,
    *,
    minutes: int = 30,
    status: str = "scheduled",
) -> Appointment:
    """Book a visit directly, the way a synced row would arrive."""
    row = Appointment(
        patient_id=patient_id,
        provider_id=provider_id,
        location_id=first_location(session),
        starts_at=starts_at,
        duration_minutes=minutes,
        appointment_type="Follow-up",
        status=status,
    )
    session.add(row)
    session.flush()
    return row


def add_blockout(
    session: Session,
    starts_at: datetime,
    minutes: int,
    *,
    provider_id: UUID | None = None,
    rule: str | None = None,
    location_id: UUID | None = None,
) -> Blockout:
    """Add a blockout (whole practice unless a provider or location is given)."""
    row = Blockout(
        title="Blocked",
        kind="other",
        provider_id=provider_id,
        location_id=location_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        rule=rule,
    )
    session.add(row)
    session.flush()
    return row


def days_from(first: date, count: int) -> Iterator[date]:
    """Yield `count` consecutive days starting at `first`."""
    for offset in range(count):
        yield first + timedelta(days=offset)
