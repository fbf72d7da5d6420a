"""A starter scheduling set-up: common visit types, weekday hours and a lunch break."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.models.practice import Location, Provider
from app.models.scheduling import AppointmentType, Blockout, ProviderHours
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.schedule_blockouts import BlockoutInput, save_blockout
from app.services.schedule_hours import DayHoursInput, WeekHoursInput, save_provider_week
from app.services.schedule_setup import AppointmentTypeInput, save_appointment_type
from app.services.today import practice_today

log = logging.getLogger(__name__)

# (name, default minutes, color, new patient)
DEFAULT_TYPES = (
    ("New patient", 30, "#2E7D32", True),
    ("Follow-up", 15, "#1565C0", False),
    ("Annual physical", 30, "#6A1B9A", False),
    ("Procedure", 45, "#C62828", False),
)
WORKDAYS = (0, 1, 2, 3, 4)
DEFAULT_HOURS = "08:00-17:00"
LUNCH = (time(12), time(13))


@dataclass(frozen=True, slots=True)
class DefaultSetupSummary:
    """What `default_setup` added; parts that already existed are left as they were."""

    appointment_types: int
    providers_with_hours: int
    lunch_blockouts: int
    changes: Changes


def _add_types(session: Session, actor: Actor) -> int:
    if session.scalar(select(AppointmentType.id).limit(1)) is not None:
        return 0
    for name, minutes, color, new_patient in DEFAULT_TYPES:
        data = AppointmentTypeInput(name, minutes, color, new_patient)
        save_appointment_type(session, actor, None, data)
    return len(DEFAULT_TYPES)


def _provider_locations(session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Pair each active provider with an active location, spread in turn by name.

    The demo spreads its providers over locations in this same order, so its week of
    appointments falls inside the hours set up here.
    """
    providers = session.scalars(
        select(Provider.id)
        .where(Provider.archived.is_(False))
        .order_by(Provider.last_name, Provider.first_name, Provider.npi)
    ).all()
    locations = session.scalars(
        select(Location.id).where(Location.archived.is_(False)).order_by(Location.name)
    ).all()
    if not locations:
        return []
    return [
        (provider_id, locations[index % len(locations)])
        for index, provider_id in enumerate(providers)
    ]


def _add_hours(session: Session, actor: Actor) -> int:
    with_hours = set(
        session.scalars(select(ProviderHours.provider_id).where(ProviderHours.archived.is_(False)))
    )
    count = 0
    for provider_id, location_id in _provider_locations(session):
        if provider_id in with_hours:
            continue
        days = tuple(DayHoursInput(day, location_id, DEFAULT_HOURS) for day in WORKDAYS)
        save_provider_week(session, actor, provider_id, WeekHoursInput(None, None, days))
        count += 1
    return count


def _add_lunch(session: Session, actor: Actor, starting: date) -> int:
    if session.scalar(select(Blockout.id).where(Blockout.kind == "lunch").limit(1)) is not None:
        return 0
    data = BlockoutInput(
        title="Lunch",
        kind="lunch",
        scope="practice",
        scope_id=None,
        starts_at=datetime.combine(starting, LUNCH[0]),
        ends_at=datetime.combine(starting, LUNCH[1]),
        repeat_weekdays=WORKDAYS,
    )
    save_blockout(session, actor, None, data)
    return 1


def default_setup(
    session: Session, actor: Actor, starting: date | None = None
) -> DefaultSetupSummary:
    """Seed visit types, Monday to Friday 08:00-17:00 hours and a 12:00-13:00 lunch.

    Each part is added only where nothing of its kind exists yet: the visit types when
    there are none, hours for providers without any, the lunch when no lunch blockout
    exists. The lunch repeats every weekday, with no end, from the Monday of the week of
    `starting` (default: the practice's today). A second run adds nothing.
    """
    require(actor, Permission.PRACTICE_SETUP)
    first_day = starting if starting is not None else practice_today(session)
    first_day = date.fromordinal(first_day.toordinal() - first_day.weekday())

    summary = DefaultSetupSummary(
        appointment_types=_add_types(session, actor),
        providers_with_hours=_add_hours(session, actor),
        lunch_blockouts=_add_lunch(session, actor, first_day),
        changes=Changes.of(ChangeKind.SCHEDULE_SETUP),
    )
    detail = (
        f"default scheduling set-up: {summary.appointment_types} visit types, hours for "
        f"{summary.providers_with_hours} providers, {summary.lunch_blockouts} lunch blockouts"
    )
    audit.record(session, actor, AuditAction.CREATE, "schedule_setup", detail=detail)
    log.info("%s", detail)
    return summary
