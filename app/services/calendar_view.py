"""Read-only calendar queries (day, week, month) and each user's saved calendar views.

A calendar is a grid of columns. In the day view each column is one provider or one
room on the same day; in the week view each column is one day of one provider or room.
Every column is therefore keyed by (id, day), and blocks, working hours and blockouts
use the same key, so one grid widget draws both views.
"""

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.models.patients import Patient
from app.models.practice import Location, Provider, Room
from app.models.scheduling import Appointment, AppointmentType, CalendarView, Resource
from app.security.audit import AuditAction, record
from app.security.permissions import Actor, Permission, require
from app.services.calendar_facts import (
    NOT_ON_GRID,
    PatientFlags,
    PlacedBlockout,
    Span,
    blockouts_between,
    patient_flags,
    provider_hours,
)
from app.services.eligibility import Visit

log = logging.getLogger(__name__)

Mode = Literal["providers", "rooms"]
ColumnKey = tuple[uuid.UUID, date]
# The column of appointments with no room, in the rooms view.
NO_ROOM = uuid.UUID(int=0)
DEFAULT_COLOR = "#4a90d9"
SAVED_MODES = ("day_providers", "day_rooms", "week_provider", "week_room", "month")
GRID_MINUTES = (5, 10, 15)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the grid: a provider or room on one day."""

    id: uuid.UUID
    day: date
    label: str

    @property
    def key(self) -> ColumnKey:
        """The (id, day) pair blocks and spans refer to."""
        return (self.id, self.day)


@dataclass(frozen=True, slots=True)
class Block:
    """One appointment as the grid draws it; starts_at is practice wall-clock time."""

    appointment_id: uuid.UUID
    column: ColumnKey
    patient_id: uuid.UUID
    provider_id: uuid.UUID
    room_id: uuid.UUID | None
    location_id: uuid.UUID
    starts_at: datetime
    minutes: int
    patient_name: str
    chart_number: str
    type_name: str
    appointment_type_id: uuid.UUID | None
    color: str
    status: str
    flags: PatientFlags
    reason: str | None
    notes: str | None
    conflict_note: str | None
    series_id: uuid.UUID | None = None

    @property
    def ends_at(self) -> datetime:
        """The wall-clock end of the visit."""
        return self.starts_at + timedelta(minutes=self.minutes)


@dataclass(frozen=True, slots=True)
class CalendarGrid:
    """The columns, blocks, working hours and blockouts of a day or week view.

    `working` maps each column to its working hours. A column missing from it has no
    hours set up, so it is drawn as open all day. `blockouts` maps each column to its
    blocked time.
    """

    mode: Mode
    columns: list[Column]
    blocks: list[Block]
    working: dict[ColumnKey, list[Span]]
    blockouts: dict[ColumnKey, list[Span]]


@dataclass(frozen=True, slots=True)
class Choice:
    """A provider, room, location, resource or visit type offered in a list."""

    id: uuid.UUID
    label: str
    minutes: int = 0
    location_id: uuid.UUID | None = None


def day_view(
    session: Session,
    actor: Actor,
    day: date,
    mode: Mode = "providers",
    column_ids: Sequence[uuid.UUID] | None = None,
) -> CalendarGrid:
    """Return the grid of one day with one column per provider or room.

    `column_ids` picks and orders the columns; None shows every active provider or room.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    subjects = _subjects(session, mode, column_ids)
    columns = [Column(subject.id, day, subject.label) for subject in subjects]
    return _grid(session, mode, columns, [day])


def week_view(
    session: Session, actor: Actor, first_day: date, mode: Mode, column_id: uuid.UUID
) -> CalendarGrid:
    """Return seven days from `first_day` for one provider or room, one column per day."""
    require(actor, Permission.SCHEDULE_VIEW)
    subjects = _subjects(session, mode, [column_id])
    if not subjects:
        raise UserError("That provider or room was not found. Pick another one for the week view.")
    days = [first_day + timedelta(days=offset) for offset in range(7)]
    columns = [Column(subjects[0].id, day, f"{day:%a} {day.month}/{day.day}") for day in days]
    return _grid(session, mode, columns, days)


def month_summary(
    session: Session,
    actor: Actor,
    year: int,
    month: int,
    provider_ids: Sequence[uuid.UUID] | None = None,
) -> dict[date, int]:
    """Return how many appointments (cancelled ones left out) start on each day of a month."""
    require(actor, Permission.SCHEDULE_VIEW)
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    day_expression = func.date(Appointment.starts_at)
    statement = (
        select(day_expression, func.count())
        .where(
            Appointment.starts_at >= datetime.combine(first, time.min),
            Appointment.starts_at < datetime.combine(after, time.min),
            Appointment.archived.is_(False),
            Appointment.status.not_in(NOT_ON_GRID),
        )
        .group_by(day_expression)
    )
    if provider_ids:
        statement = statement.where(Appointment.provider_id.in_(provider_ids))
    return {date.fromisoformat(str(day)): count for day, count in session.execute(statement)}


def _subjects(session: Session, mode: Mode, column_ids: Sequence[uuid.UUID] | None) -> list[Choice]:
    everything = providers(session) if mode == "providers" else rooms(session)
    if column_ids is None:
        return everything
    by_id = {choice.id: choice for choice in everything}
    return [by_id[column_id] for column_id in column_ids if column_id in by_id]


def providers(session: Session) -> list[Choice]:
    """Return the active providers, ordered by last name."""
    rows = session.scalars(
        select(Provider)
        .where(Provider.archived.is_(False))
        .order_by(Provider.last_name, Provider.first_name)
    )
    return [Choice(row.id, row.display_name) for row in rows]


def rooms(session: Session) -> list[Choice]:
    """Return the active rooms, labeled with their location when the practice has several."""
    rows = session.execute(
        select(Room, Location.name)
        .join(Location, Location.id == Room.location_id)
        .where(Room.archived.is_(False), Location.archived.is_(False))
        .order_by(Location.name, Room.name)
    ).all()
    several = len({room.location_id for room, _name in rows}) > 1
    return [
        Choice(room.id, f"{name}: {room.name}" if several else room.name, 0, room.location_id)
        for room, name in rows
    ]


@dataclass(frozen=True, slots=True)
class BookingChoices:
    """The lists a booking form offers."""

    providers: list[Choice]
    rooms: list[Choice]
    locations: list[Choice]
    types: list[Choice]
    resources: list[Choice]


def booking_choices(session: Session, actor: Actor) -> BookingChoices:
    """Return the active providers, rooms, locations, visit types and resources."""
    require(actor, Permission.SCHEDULE_VIEW)
    locations = session.scalars(
        select(Location).where(Location.archived.is_(False)).order_by(Location.name)
    )
    types = session.scalars(
        select(AppointmentType)
        .where(AppointmentType.archived.is_(False))
        .order_by(AppointmentType.name)
    )
    resources = session.scalars(
        select(Resource).where(Resource.archived.is_(False)).order_by(Resource.name)
    )
    return BookingChoices(
        providers=providers(session),
        rooms=rooms(session),
        locations=[Choice(row.id, row.name) for row in locations],
        types=[Choice(row.id, row.name, row.default_minutes) for row in types],
        resources=[Choice(row.id, row.name, 0, row.location_id) for row in resources],
    )


def _grid(session: Session, mode: Mode, columns: list[Column], days: list[date]) -> CalendarGrid:
    keys = {column.key for column in columns}
    ids = list(dict.fromkeys(column.id for column in columns))
    blocks = _blocks(session, mode, ids, days)
    if mode == "rooms" and any(block.column[0] == NO_ROOM for block in blocks):
        columns = columns + [Column(NO_ROOM, day, "No room") for day in days]
        keys.update((NO_ROOM, day) for day in days)
    blocks = [block for block in blocks if block.column in keys]

    working: dict[ColumnKey, list[Span]] = {}
    if mode == "providers":
        working = {
            key: spans for key, spans in provider_hours(session, ids, days).items() if key in keys
        }
    placed = blockouts_between(session, days[0], days[-1])
    return CalendarGrid(mode, columns, blocks, working, _blockouts_by_column(placed, columns, mode))


# Only the columns a block shows are read: loading whole patient rows (dozens of
# columns each) took about a third of the day view's time for 600 visits.
_BLOCK_COLUMNS = (
    Appointment.id,
    Appointment.patient_id,
    Appointment.provider_id,
    Appointment.room_id,
    Appointment.location_id,
    Appointment.starts_at,
    Appointment.duration_minutes,
    Appointment.appointment_type,
    Appointment.appointment_type_id,
    Appointment.status,
    Appointment.reason,
    Appointment.notes,
    Appointment.conflict_note,
    Appointment.series_id,
    Patient.last_name,
    Patient.first_name,
    Patient.chart_number,
    AppointmentType.name.label("type_name"),
    AppointmentType.color,
    AppointmentType.new_patient,
)


def _blocks(session: Session, mode: Mode, ids: list[uuid.UUID], days: list[date]) -> list[Block]:
    start = datetime.combine(days[0], time.min)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min)
    statement = (
        select(*_BLOCK_COLUMNS)
        .join(Patient, Patient.id == Appointment.patient_id)
        .outerjoin(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
        .where(
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.archived.is_(False),
            Appointment.status.not_in(NOT_ON_GRID),
        )
        .order_by(Appointment.starts_at)
    )
    if mode == "providers":
        statement = statement.where(Appointment.provider_id.in_(ids))
    rows = session.execute(statement).all()
    flags = patient_flags(session, [_visit(row) for row in rows], days[0])
    return [_block(mode, row, flags[_visit(row)]) for row in rows]


def _visit(row: Any) -> Visit:
    return (row.patient_id, row.starts_at.date())


def _block(mode: Mode, row: Any, flags: PatientFlags) -> Block:
    column_id = row.provider_id if mode == "providers" else row.room_id or NO_ROOM
    if row.new_patient:
        flags = replace(flags, new_patient=True)
    return Block(
        appointment_id=row.id,
        column=(column_id, row.starts_at.date()),
        patient_id=row.patient_id,
        provider_id=row.provider_id,
        room_id=row.room_id,
        location_id=row.location_id,
        starts_at=row.starts_at,
        minutes=row.duration_minutes,
        patient_name=f"{row.last_name}, {row.first_name}",
        chart_number=row.chart_number,
        type_name=row.type_name or _type_label(row.appointment_type),
        appointment_type_id=row.appointment_type_id,
        color=row.color or DEFAULT_COLOR,
        status=row.status,
        flags=flags,
        reason=row.reason,
        notes=row.notes,
        conflict_note=row.conflict_note,
        series_id=row.series_id,
    )


def _type_label(text: str) -> str:
    return text.replace("_", " ").capitalize()


def _blockouts_by_column(
    placed: list[PlacedBlockout], columns: list[Column], mode: Mode
) -> dict[ColumnKey, list[Span]]:
    """Give each column the blockouts that apply to it.

    A blockout with no provider, room or location covers every column. One for a
    provider covers that provider's columns only, and one for a room that room's only.
    A location-wide blockout covers that location's rooms and, because providers move
    between locations, every provider column.
    """
    result: dict[ColumnKey, list[Span]] = defaultdict(list)
    for blockout in placed:
        for column in columns:
            if column.day != blockout.span.start.date() and not _spans_day(blockout, column.day):
                continue
            if _applies(blockout, column, mode):
                result[column.key].append(blockout.span)
    return dict(result)


def _spans_day(blockout: PlacedBlockout, day: date) -> bool:
    start = datetime.combine(day, time.min)
    return blockout.span.start < start + timedelta(days=1) and blockout.span.end > start


def _applies(blockout: PlacedBlockout, column: Column, mode: Mode) -> bool:
    if blockout.provider_id is not None:
        return mode == "providers" and blockout.provider_id == column.id
    if blockout.room_id is not None:
        return mode == "rooms" and blockout.room_id == column.id
    return True


# Saved views


@dataclass(frozen=True, slots=True)
class SavedView:
    """A calendar layout one user saved under a name."""

    id: uuid.UUID
    name: str
    mode: str
    grid_minutes: int
    column_ids: tuple[uuid.UUID, ...]


def _user_id(actor: Actor) -> uuid.UUID:
    require(actor, Permission.SCHEDULE_VIEW)
    if actor.user_id is None:
        raise UserError("Saved views belong to a user. Sign in as a person to save or open one.")
    return actor.user_id


def saved_views(session: Session, actor: Actor) -> list[SavedView]:
    """Return the signed-in user's saved views, by name."""
    user_id = _user_id(actor)
    rows = session.scalars(
        select(CalendarView)
        .where(CalendarView.user_id == user_id, CalendarView.archived.is_(False))
        .order_by(CalendarView.name)
    )
    return [_saved(row) for row in rows]


def _saved(row: CalendarView) -> SavedView:
    try:
        ids = tuple(uuid.UUID(text) for text in json.loads(row.columns))
    except (ValueError, TypeError):
        log.warning("calendar view %s has unreadable columns; showing all", row.id)
        ids = ()
    return SavedView(row.id, row.name, row.mode, row.grid_minutes, ids)


def save_view(
    session: Session,
    actor: Actor,
    name: str,
    *,
    mode: str,
    grid_minutes: int,
    column_ids: Sequence[uuid.UUID],
) -> Changes:
    """Save the layout under `name` for the signed-in user, replacing a view of that name."""
    user_id = _user_id(actor)
    name = name.strip()
    if not name or len(name) > 60:
        raise UserError("A view name needs 1 to 60 characters. Type a shorter or non-empty name.")
    if mode not in SAVED_MODES:
        raise UserError(f"Calendar mode {mode!r} is unknown. Use one of: {', '.join(SAVED_MODES)}.")
    if grid_minutes not in GRID_MINUTES:
        raise UserError(f"A grid of {grid_minutes} minutes is not offered. Use 5, 10 or 15.")

    row = session.scalar(
        select(CalendarView).where(
            CalendarView.user_id == user_id,
            CalendarView.name == name,
            CalendarView.archived.is_(False),
        )
    )
    if row is None:
        row = CalendarView(user_id=user_id, name=name)
        session.add(row)
    row.mode = mode
    row.grid_minutes = grid_minutes
    row.columns = json.dumps([str(column_id) for column_id in column_ids])
    row.updated_by = user_id
    session.flush()
    record(session, actor, AuditAction.UPDATE, "calendar_view", row.id)
    return Changes.of(ChangeKind.SETTINGS)


def delete_view(session: Session, actor: Actor, view_id: uuid.UUID) -> Changes:
    """Archive one of the signed-in user's saved views."""
    user_id = _user_id(actor)
    row = session.get(CalendarView, view_id)
    if row is None or row.user_id != user_id or row.archived:
        raise UserError("That saved view was not found. Reload the list of views and try again.")
    row.archived = True
    row.updated_by = user_id
    record(session, actor, AuditAction.ARCHIVE, "calendar_view", row.id)
    return Changes.of(ChangeKind.SETTINGS)
