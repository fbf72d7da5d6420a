"""Scheduling set-up: visit (appointment) types with their usual procedure codes, and resources.

Working hours live in app/services/schedule_hours.py, blockouts and US federal holidays in
app/services/schedule_blockouts.py, and the starter set-up in app/services/schedule_defaults.py.
Listing needs SCHEDULE_VIEW; every write needs PRACTICE_SETUP, is validated (ValidationError
lists every problem) and is audited. Records are archived, never deleted, because
appointments keep pointing at them.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.db.base import SyncedMixin
from app.errors import NotFoundError, ValidationError
from app.models.practice import Location
from app.models.scheduling import AppointmentType, AppointmentTypeCode, Resource
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.authorization_codes import code_list_problems, normalize_code

log = logging.getLogger(__name__)

MIN_VISIT_MINUTES = 5
MAX_VISIT_MINUTES = 480
VISIT_MINUTES_STEP = 5
MAX_TYPE_CODES = 12
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")

Record = TypeVar("Record", bound=SyncedMixin)


@dataclass(frozen=True, slots=True)
class SetupWrite:
    """The record a save or archive touched, whether it was new, and what changed."""

    record_id: uuid.UUID
    created: bool
    changes: Changes


@dataclass(frozen=True, slots=True)
class AppointmentTypeInput:
    """A visit type to create or update; `codes` are CPT or HCPCS codes, code only."""

    name: str
    default_minutes: int
    color: str = "#4a90d9"
    new_patient: bool = False
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppointmentTypeSummary:
    """A visit type as listed on the set-up screens and in booking pickers."""

    id: uuid.UUID
    name: str
    default_minutes: int
    color: str
    new_patient: bool
    codes: tuple[str, ...]
    archived: bool


@dataclass(frozen=True, slots=True)
class ResourceInput:
    """A piece of bookable equipment at a location."""

    location_id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class ResourceSummary:
    """A resource with the name of its location."""

    id: uuid.UUID
    location_id: uuid.UUID
    location_name: str
    name: str
    archived: bool


# ---- shared steps -------------------------------------------------------------------


def get_active(session: Session, model: type[Record], record_id: uuid.UUID, label: str) -> Record:
    """Return the active record `record_id`, or raise NotFoundError naming `label`."""
    record = session.get(model, record_id)
    if record is None or record.archived:
        raise NotFoundError(
            f"The {label} {record_id} was not found or is archived. Refresh the list and "
            "choose it again."
        )
    return record


def raise_if_invalid(problems: list[Problem]) -> None:
    """Raise ValidationError with every problem when any of them is an error."""
    if has_errors(problems):
        raise ValidationError(problems)


def finish_write(
    session: Session, actor: Actor, record: SyncedMixin, object_type: str, *, created: bool
) -> SetupWrite:
    """Flush `record`, audit its creation or update and return the write."""
    record.updated_by = actor.user_id
    session.add(record)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, object_type, record.id)
    log.info("%s %s %s", "created" if created else "updated", object_type, record.id)
    return SetupWrite(record.id, created, Changes.of(ChangeKind.SCHEDULE_SETUP))


def archive_record(
    session: Session, actor: Actor, record: SyncedMixin, object_type: str
) -> SetupWrite:
    """Archive `record` and audit it."""
    record.archived = True
    record.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, object_type, record.id)
    log.info("archived %s %s", object_type, record.id)
    return SetupWrite(record.id, False, Changes.of(ChangeKind.SCHEDULE_SETUP))


def location_problems(session: Session, location_id: uuid.UUID | None, field: str) -> list[Problem]:
    """Return a problem when `location_id` is not an active location."""
    location = None if location_id is None else session.get(Location, location_id)
    if location is None or location.archived:
        return [Problem(field, "The location was not found or is archived; choose another.")]
    return []


# ---- appointment types --------------------------------------------------------------


def _type_codes(session: Session, type_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    codes: dict[uuid.UUID, list[str]] = {type_id: [] for type_id in type_ids}
    if not type_ids:
        return codes
    query = (
        select(AppointmentTypeCode)
        .where(
            AppointmentTypeCode.appointment_type_id.in_(type_ids),
            AppointmentTypeCode.archived.is_(False),
        )
        .order_by(AppointmentTypeCode.position, AppointmentTypeCode.code)
    )
    for row in session.scalars(query):
        codes[row.appointment_type_id].append(row.code)
    return codes


def list_appointment_types(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[AppointmentTypeSummary]:
    """Return visit types by name, each with its procedure codes in their saved order."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = select(AppointmentType).order_by(AppointmentType.name)
    if not include_archived:
        query = query.where(AppointmentType.archived.is_(False))
    types = list(session.scalars(query))
    codes = _type_codes(session, [row.id for row in types])
    return [
        AppointmentTypeSummary(
            id=row.id,
            name=row.name,
            default_minutes=row.default_minutes,
            color=row.color,
            new_patient=row.new_patient,
            codes=tuple(codes[row.id]),
            archived=row.archived,
        )
        for row in types
    ]


def _minutes_problems(minutes: int) -> list[Problem]:
    in_range = MIN_VISIT_MINUTES <= minutes <= MAX_VISIT_MINUTES
    if in_range and minutes % VISIT_MINUTES_STEP == 0:
        return []
    return [
        Problem(
            "appointment_type.default_minutes",
            f"Default length {minutes} minutes is not allowed; enter {MIN_VISIT_MINUTES} to "
            f"{MAX_VISIT_MINUTES} minutes in steps of {VISIT_MINUTES_STEP}, such as 15 or 30.",
        )
    ]


def _color_problems(color: str) -> list[Problem]:
    if _COLOR.fullmatch(color.strip()):
        return []
    return [
        Problem(
            "appointment_type.color",
            f"Color {v.echo_for_message(color.strip())} is not a #RRGGBB color; enter a hash "
            "sign and six hexadecimal digits, such as #4A90D9.",
        )
    ]


def _type_name_in_use(session: Session, name: str, type_id: uuid.UUID | None) -> bool:
    query = select(AppointmentType.id, AppointmentType.name).where(
        AppointmentType.archived.is_(False)
    )
    return any(
        other_name.casefold() == name.casefold() and other_id != type_id
        for other_id, other_name in session.execute(query)
    )


def appointment_type_problems(
    session: Session, type_id: uuid.UUID | None, data: AppointmentTypeInput
) -> list[Problem]:
    """Return every problem with a visit type's values."""
    name = data.name.strip()
    problems = [
        *v.text_problems(data.name, "appointment_type.name", "Visit type name", 40),
        *_minutes_problems(data.default_minutes),
        *_color_problems(data.color),
        *code_list_problems(list(data.codes), "appointment_type.codes"),
    ]
    if name and _type_name_in_use(session, name, type_id):
        problems.append(
            Problem(
                "appointment_type.name",
                f"A visit type named {name} already exists; choose another name or edit that one.",
            )
        )
    codes = [code for code in data.codes if code.strip()]
    if len(codes) > MAX_TYPE_CODES:
        problems.append(
            Problem(
                "appointment_type.codes",
                f"{len(codes)} codes are listed; list at most {MAX_TYPE_CODES} usual codes.",
            )
        )
    return problems


def _sync_codes(session: Session, actor: Actor, type_id: uuid.UUID, codes: list[str]) -> None:
    """Make the type's active codes match `codes`, in order.

    The (type, code) pair is unique, so a removed code is archived and restored when it
    comes back rather than inserted again.
    """
    existing = {
        row.code: row
        for row in session.scalars(
            select(AppointmentTypeCode).where(AppointmentTypeCode.appointment_type_id == type_id)
        )
    }
    for row in existing.values():
        if row.code not in codes and not row.archived:
            row.archived = True
            row.updated_by = actor.user_id

    for position, code in enumerate(codes):
        code_row = existing.get(code)
        if code_row is None:
            code_row = AppointmentTypeCode(appointment_type_id=type_id, code=code)
            session.add(code_row)
        code_row.archived = False
        code_row.position = position
        code_row.updated_by = actor.user_id


def save_appointment_type(
    session: Session, actor: Actor, type_id: uuid.UUID | None, data: AppointmentTypeInput
) -> SetupWrite:
    """Create a visit type (`type_id` None) or update one, with its procedure codes."""
    require(actor, Permission.PRACTICE_SETUP)
    raise_if_invalid(appointment_type_problems(session, type_id, data))

    created = type_id is None
    row = (
        AppointmentType()
        if type_id is None
        else get_active(session, AppointmentType, type_id, "visit type")
    )
    row.name = data.name.strip()
    row.default_minutes = data.default_minutes
    row.color = data.color.strip().upper()
    row.new_patient = data.new_patient
    write = finish_write(session, actor, row, "appointment_type", created=created)

    codes = list(dict.fromkeys(normalize_code(code) for code in data.codes if code.strip()))
    _sync_codes(session, actor, row.id, codes)
    session.flush()
    return write


def archive_appointment_type(session: Session, actor: Actor, type_id: uuid.UUID) -> SetupWrite:
    """Archive a visit type; booked appointments keep it, new bookings cannot choose it."""
    require(actor, Permission.PRACTICE_SETUP)
    row = get_active(session, AppointmentType, type_id, "visit type")
    return archive_record(session, actor, row, "appointment_type")


# ---- resources ----------------------------------------------------------------------


def list_resources(
    session: Session,
    actor: Actor,
    location_id: uuid.UUID | None = None,
    include_archived: bool = False,
) -> list[ResourceSummary]:
    """Return resources by location name, then name, for one location or for all."""
    require(actor, Permission.SCHEDULE_VIEW)
    query = (
        select(Resource, Location.name)
        .join(Location, Location.id == Resource.location_id)
        .order_by(Location.name, Resource.name)
    )
    if location_id is not None:
        query = query.where(Resource.location_id == location_id)
    if not include_archived:
        query = query.where(Resource.archived.is_(False))
    return [
        ResourceSummary(row.id, row.location_id, location_name, row.name, row.archived)
        for row, location_name in session.execute(query)
    ]


def resource_problems(
    session: Session, resource_id: uuid.UUID | None, data: ResourceInput
) -> list[Problem]:
    """Return every problem with a resource: its name, and its location's other resources."""
    problems = v.text_problems(data.name, "resource.name", "Resource name", 40)
    location_missing = location_problems(session, data.location_id, "resource.location_id")
    if location_missing:
        return [*problems, *location_missing]

    name = data.name.strip()
    query = select(Resource.id, Resource.name).where(
        Resource.location_id == data.location_id, Resource.archived.is_(False)
    )
    in_use = any(
        other_name.casefold() == name.casefold() and other_id != resource_id
        for other_id, other_name in session.execute(query)
    )
    if name and in_use:
        problems.append(
            Problem(
                "resource.name",
                f"This location already has a resource named {name}; choose another name.",
            )
        )
    return problems


def save_resource(
    session: Session, actor: Actor, resource_id: uuid.UUID | None, data: ResourceInput
) -> SetupWrite:
    """Create or update a resource; names are unique among a location's active resources."""
    require(actor, Permission.PRACTICE_SETUP)
    raise_if_invalid(resource_problems(session, resource_id, data))

    created = resource_id is None
    row = (
        Resource()
        if resource_id is None
        else get_active(session, Resource, resource_id, "resource")
    )
    row.location_id = data.location_id
    row.name = data.name.strip()
    return finish_write(session, actor, row, "resource", created=created)


def archive_resource(session: Session, actor: Actor, resource_id: uuid.UUID) -> SetupWrite:
    """Archive a resource, which hides it from booking pickers."""
    require(actor, Permission.PRACTICE_SETUP)
    row = get_active(session, Resource, resource_id, "resource")
    return archive_record(session, actor, row, "resource")
