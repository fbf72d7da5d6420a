"""A practice ready for booking: two providers, two rooms, patients with coverage, users by role."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from app.db.database import Database
from app.models.practice import Location, Provider, Room
from app.models.scheduling import ProviderHours
from app.security.permissions import Actor, Role
from app.services.booking import BookingRequest
from tests.helpers.referral_data import ReferralPractice, add_patient, build_referral_practice

# A Monday well inside standard time in Chicago, the sample practice's zone.
MONDAY = date(2026, 2, 2)


@dataclass(frozen=True)
class SchedulingPractice:
    """Ids the scheduling tests book with, and actors of each role that matters."""

    base: ReferralPractice
    admin: Actor
    front_desk: Actor
    manager: Actor
    location_id: uuid.UUID
    provider_ids: tuple[uuid.UUID, uuid.UUID]
    room_ids: tuple[uuid.UUID, uuid.UUID]
    patient_ids: tuple[uuid.UUID, uuid.UUID, uuid.UUID]

    def request(
        self,
        starts_at: datetime,
        minutes: int = 30,
        *,
        patient: int = 0,
        provider: int = 0,
        **extra: object,
    ) -> BookingRequest:
        """Build a request for one of the patients with one of the providers."""
        return BookingRequest(
            patient_id=self.patient_ids[patient],
            provider_id=self.provider_ids[provider],
            location_id=self.location_id,
            starts_at=starts_at,
            duration_minutes=minutes,
            **extra,  # type: ignore[arg-type]
        )


def _actor(admin: Actor, role: Role, name: str) -> Actor:
    # The admin's user id stands in for a person, so ledger rows have someone to name.
    return Actor(user_id=admin.user_id, username=name, role=role, workstation=admin.workstation)


def build_scheduling_practice(database: Database) -> SchedulingPractice:
    """Set up the sample practice and add a third patient for booking tests."""
    base = build_referral_practice(database)
    with database.transaction() as session:
        location_id = session.scalars(select(Location.id)).one()
        providers = tuple(session.scalars(select(Provider.id).order_by(Provider.last_name)))
        rooms = tuple(session.scalars(select(Room.id).order_by(Room.name)))
        third = add_patient(session, "T-000003", "Nguyen")
    return SchedulingPractice(
        base=base,
        admin=base.admin,
        front_desk=_actor(base.admin, Role.FRONT_DESK, "desk"),
        manager=_actor(base.admin, Role.MANAGER, "manager"),
        location_id=location_id,
        provider_ids=(providers[0], providers[1]),
        room_ids=(rooms[0], rooms[1]),
        patient_ids=(base.patient_id, base.other_patient_id, third),
    )


def add_weekday_hours(
    database: Database, practice: SchedulingPractice, starts: time = time(8), ends: time = time(17)
) -> None:
    """Give both providers the same hours Monday to Friday."""
    with database.transaction() as session:
        for provider_id in practice.provider_ids:
            for weekday in range(5):
                session.add(
                    ProviderHours(
                        provider_id=provider_id,
                        location_id=practice.location_id,
                        weekday=weekday,
                        starts=starts,
                        ends=ends,
                    )
                )


def wall(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return a naive wall-clock datetime, as appointments store them."""
    return datetime.combine(date(year, month, day), time(hour, minute))
