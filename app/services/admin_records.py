"""Providers, locations, rooms and payers: list, create, update and archive.

Listing only needs a signed-in actor; every write needs PRACTICE_SETUP, is validated
(ValidationError lists every problem) and is audited. Records are archived, never deleted,
because appointments, claims and ledger rows keep pointing at them.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.db.base import SyncedMixin
from app.errors import NotFoundError, ValidationError
from app.models.claims import Clearinghouse
from app.models.practice import Location, Payer, Provider, Room
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.payer_kinds import DEFAULT_PAYER_KIND, PAYER_KINDS, payer_kind_label
from app.services.practice import (
    LocationInput,
    ProviderInput,
    apply_location,
    apply_provider,
    location_problems,
    provider_problems,
    room_name_problems,
)

log = logging.getLogger(__name__)

MAX_TIMELY_FILING_DAYS = 3650

# Payer.era_posting_mode → what the 835 import does with this payer's remittances, in
# the order the payer editor lists them.
DEFAULT_ERA_POSTING_MODE = "matched"
ERA_POSTING_MODES: dict[str, str] = {
    "auto": "Post every payment automatically",
    "matched": "Post payments that match a claim; hold the rest for review",
    "review": "Hold every payment for a biller to review first",
}

Record = TypeVar("Record", bound=SyncedMixin)


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """The record a save or archive touched, whether it was new, and what changed."""

    record_id: uuid.UUID
    created: bool
    changes: Changes


@dataclass(frozen=True, slots=True)
class ProviderSummary:
    """A provider as listed on the admin screens."""

    id: uuid.UUID
    first_name: str
    last_name: str
    credentials: str
    npi: str
    taxonomy_code: str
    display_name: str
    archived: bool


@dataclass(frozen=True, slots=True)
class RoomSummary:
    """A room as listed under its location."""

    id: uuid.UUID
    location_id: uuid.UUID
    name: str
    archived: bool


@dataclass(frozen=True, slots=True)
class LocationSummary:
    """A service location with its rooms."""

    id: uuid.UUID
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    place_of_service: str
    rooms: tuple[RoomSummary, ...]
    archived: bool


@dataclass(frozen=True, slots=True)
class RoomInput:
    """A room to create or rename."""

    location_id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class PayerInput:
    """An insurance payer; the address is optional but complete when given."""

    name: str
    payer_code: str
    claim_filing_indicator: str
    timely_filing_days: int = 365
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    clearinghouse_id: uuid.UUID | None = None
    payer_kind: str = DEFAULT_PAYER_KIND
    era_posting_mode: str = DEFAULT_ERA_POSTING_MODE


@dataclass(frozen=True, slots=True)
class PayerSummary:
    """A payer as listed on the admin screens."""

    id: uuid.UUID
    name: str
    payer_code: str
    claim_filing_indicator: str
    claim_filing_label: str
    timely_filing_days: int
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    archived: bool
    clearinghouse_id: uuid.UUID | None = None
    clearinghouse_name: str = ""
    payer_kind: str = DEFAULT_PAYER_KIND
    payer_kind_label: str = ""
    era_posting_mode: str = DEFAULT_ERA_POSTING_MODE


# ---- shared steps -------------------------------------------------------------------


def _get_active(session: Session, model: type[Record], record_id: uuid.UUID, label: str) -> Record:
    record = session.get(model, record_id)
    if record is None or record.archived:
        raise NotFoundError(
            f"The {label} {record_id} was not found or is archived. Refresh the list and "
            "choose it again."
        )
    return record


def _raise_if_invalid(problems: list[Problem]) -> None:
    if has_errors(problems):
        raise ValidationError(problems)


def _finish_write(
    session: Session,
    actor: Actor,
    record: SyncedMixin,
    object_type: str,
    *,
    created: bool,
    kind: ChangeKind,
) -> RecordWrite:
    record.updated_by = actor.user_id
    session.add(record)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, object_type, record.id)
    log.info("%s %s %s", "created" if created else "updated", object_type, record.id)
    return RecordWrite(record.id, created, Changes.of(kind))


def _archive(
    session: Session, actor: Actor, record: SyncedMixin, object_type: str, kind: ChangeKind
) -> RecordWrite:
    record.archived = True
    record.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, object_type, record.id)
    log.info("archived %s %s", object_type, record.id)
    return RecordWrite(record.id, False, Changes.of(kind))


# ---- providers ----------------------------------------------------------------------


def _summarize_provider(provider: Provider) -> ProviderSummary:
    return ProviderSummary(
        id=provider.id,
        first_name=provider.first_name,
        last_name=provider.last_name,
        credentials=provider.credentials or "",
        npi=provider.npi,
        taxonomy_code=provider.taxonomy_code,
        display_name=provider.display_name,
        archived=provider.archived,
    )


def list_providers(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[ProviderSummary]:
    """Return providers ordered by last name, then first name."""
    del actor  # any signed-in user may list providers, for pickers on every screen
    query = select(Provider).order_by(Provider.last_name, Provider.first_name)
    if not include_archived:
        query = query.where(Provider.archived.is_(False))
    return [_summarize_provider(provider) for provider in session.scalars(query)]


def _provider_npi_in_use(session: Session, npi: str, provider_id: uuid.UUID | None) -> bool:
    query = select(Provider.id).where(Provider.npi == npi, Provider.archived.is_(False))
    if provider_id is not None:
        query = query.where(Provider.id != provider_id)
    return session.scalar(query.limit(1)) is not None


def save_provider(
    session: Session, actor: Actor, provider_id: uuid.UUID | None, data: ProviderInput
) -> RecordWrite:
    """Create a provider (`provider_id` None) or update one; validates and audits."""
    require(actor, Permission.PRACTICE_SETUP)
    problems = provider_problems(data)
    npi = v.normalize_npi(data.npi)
    if not problems and _provider_npi_in_use(session, npi, provider_id):
        problems.append(
            Problem(
                "provider.npi",
                f"NPI {npi} already belongs to another active provider; each provider has "
                "their own NPI. Archive the old record first if this is the same person.",
            )
        )
    _raise_if_invalid(problems)

    created = provider_id is None
    provider = (
        Provider()
        if provider_id is None
        else _get_active(session, Provider, provider_id, "provider")
    )
    apply_provider(provider, data)
    return _finish_write(
        session, actor, provider, "provider", created=created, kind=ChangeKind.PROVIDERS
    )


def archive_provider(session: Session, actor: Actor, provider_id: uuid.UUID) -> RecordWrite:
    """Archive a provider, which hides them from default lists and pickers."""
    require(actor, Permission.PRACTICE_SETUP)
    provider = _get_active(session, Provider, provider_id, "provider")
    return _archive(session, actor, provider, "provider", ChangeKind.PROVIDERS)


# ---- locations and rooms ------------------------------------------------------------


def _summarize_room(room: Room) -> RoomSummary:
    return RoomSummary(room.id, room.location_id, room.name, room.archived)


def _summarize_location(location: Location, include_archived: bool) -> LocationSummary:
    rooms = tuple(
        _summarize_room(room) for room in location.rooms if include_archived or not room.archived
    )
    return LocationSummary(
        id=location.id,
        name=location.name,
        address_line1=location.address_line1,
        address_line2=location.address_line2 or "",
        city=location.city,
        state=location.state,
        zip_code=location.zip_code,
        phone=location.phone or "",
        place_of_service=location.place_of_service,
        rooms=rooms,
        archived=location.archived,
    )


def list_locations(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[LocationSummary]:
    """Return locations by name, each with its rooms (archived rooms only when asked)."""
    del actor  # any signed-in user may list locations
    query = select(Location).order_by(Location.name)
    if not include_archived:
        query = query.where(Location.archived.is_(False))
    return [_summarize_location(location, include_archived) for location in session.scalars(query)]


def _sync_rooms(location: Location, names: tuple[str, ...], actor: Actor) -> None:
    """Make the location's active rooms match `names`, matching by name without case.

    Rooms missing from `names` are archived (appointments still point at them), an
    archived room whose name comes back is restored, and new names become new rooms.
    """
    requested = {name.strip().casefold(): name.strip() for name in names}
    # Active rooms claim their names first, so a restored room never duplicates one.
    for room in sorted(location.rooms, key=lambda room: room.archived):
        key = room.name.casefold()
        keep = requested.pop(key, None) is not None
        if room.archived == keep:
            room.archived = not keep
            room.updated_by = actor.user_id

    for name in requested.values():
        location.rooms.append(Room(name=name, updated_by=actor.user_id))


def save_location(
    session: Session, actor: Actor, location_id: uuid.UUID | None, data: LocationInput
) -> RecordWrite:
    """Create or update a location and make its rooms match `data.rooms`."""
    require(actor, Permission.PRACTICE_SETUP)
    _raise_if_invalid(location_problems(data))

    created = location_id is None
    location = (
        Location()
        if location_id is None
        else _get_active(session, Location, location_id, "location")
    )
    apply_location(location, data)
    _sync_rooms(location, data.rooms, actor)
    return _finish_write(
        session, actor, location, "location", created=created, kind=ChangeKind.LOCATIONS
    )


def archive_location(session: Session, actor: Actor, location_id: uuid.UUID) -> RecordWrite:
    """Archive a location together with its rooms."""
    require(actor, Permission.PRACTICE_SETUP)
    location = _get_active(session, Location, location_id, "location")
    for room in location.rooms:
        if not room.archived:
            room.archived = True
            room.updated_by = actor.user_id
    return _archive(session, actor, location, "location", ChangeKind.LOCATIONS)


def list_rooms(
    session: Session,
    actor: Actor,
    location_id: uuid.UUID | None = None,
    include_archived: bool = False,
) -> list[RoomSummary]:
    """Return rooms by name, for one location or for all."""
    del actor  # any signed-in user may list rooms
    query = select(Room).order_by(Room.name)
    if location_id is not None:
        query = query.where(Room.location_id == location_id)
    if not include_archived:
        query = query.where(Room.archived.is_(False))
    return [_summarize_room(room) for room in session.scalars(query)]


def _room_problems(session: Session, room_id: uuid.UUID | None, data: RoomInput) -> list[Problem]:
    problems = room_name_problems((data.name,), "room.name")
    problems = [Problem("room.name", problem.message) for problem in problems]
    location = session.get(Location, data.location_id)
    if location is None or location.archived:
        problems.append(
            Problem(
                "room.location_id", "The location was not found or is archived; choose another."
            )
        )
        return problems

    name_in_use = any(
        room.name.casefold() == data.name.strip().casefold() and room.id != room_id
        for room in location.rooms
        if not room.archived
    )
    if name_in_use:
        problems.append(
            Problem("room.name", f"{location.name} already has a room named {data.name.strip()}.")
        )
    return problems


def save_room(
    session: Session, actor: Actor, room_id: uuid.UUID | None, data: RoomInput
) -> RecordWrite:
    """Create or rename a room; names are unique among a location's active rooms."""
    require(actor, Permission.PRACTICE_SETUP)
    _raise_if_invalid(_room_problems(session, room_id, data))

    created = room_id is None
    room = Room() if room_id is None else _get_active(session, Room, room_id, "room")
    room.location_id = data.location_id
    room.name = data.name.strip()
    return _finish_write(session, actor, room, "room", created=created, kind=ChangeKind.LOCATIONS)


def archive_room(session: Session, actor: Actor, room_id: uuid.UUID) -> RecordWrite:
    """Archive a room, which hides it from default lists and pickers."""
    require(actor, Permission.PRACTICE_SETUP)
    room = _get_active(session, Room, room_id, "room")
    return _archive(session, actor, room, "room", ChangeKind.LOCATIONS)


# ---- payers -------------------------------------------------------------------------


def _summarize_payer(payer: Payer, clearinghouse_names: dict[uuid.UUID, str]) -> PayerSummary:
    clearinghouse_id = payer.clearinghouse_id
    return PayerSummary(
        id=payer.id,
        name=payer.name,
        payer_code=payer.payer_code,
        claim_filing_indicator=payer.claim_filing_indicator,
        claim_filing_label=v.CLAIM_FILING_INDICATORS.get(payer.claim_filing_indicator, ""),
        timely_filing_days=payer.timely_filing_days,
        address_line1=payer.address_line1 or "",
        address_line2=payer.address_line2 or "",
        city=payer.city or "",
        state=payer.state or "",
        zip_code=payer.zip_code or "",
        archived=payer.archived,
        clearinghouse_id=clearinghouse_id,
        clearinghouse_name=""
        if clearinghouse_id is None
        else clearinghouse_names.get(clearinghouse_id, ""),
        payer_kind=payer.payer_kind,
        payer_kind_label=payer_kind_label(payer.payer_kind),
        era_posting_mode=payer.era_posting_mode,
    )


def clearinghouse_choices(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Return the active clearinghouses as (id, name), for choosing where a payer's claims go."""
    del actor  # names only, like the payer list itself
    query = (
        select(Clearinghouse.id, Clearinghouse.name)
        .where(Clearinghouse.archived.is_(False))
        .order_by(Clearinghouse.name)
    )
    return [(row.id, row.name) for row in session.execute(query)]


def list_payers(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[PayerSummary]:
    """Return payers ordered by name."""
    del actor  # any signed-in user may list payers, for registration and billing
    query = select(Payer).order_by(Payer.name)
    if not include_archived:
        query = query.where(Payer.archived.is_(False))
    rows = session.execute(select(Clearinghouse.id, Clearinghouse.name))
    names = {row.id: row.name for row in rows}
    return [_summarize_payer(payer, names) for payer in session.scalars(query)]


def _payer_address_problems(data: PayerInput) -> list[Problem]:
    parts = (data.address_line1, data.address_line2, data.city, data.state, data.zip_code)
    if not any(part.strip() for part in parts):
        return []
    return [
        *v.text_problems(data.address_line1, "payer.address_line1", "Street address", 55),
        *v.text_problems(
            data.address_line2, "payer.address_line2", "Address line 2", 55, required=False
        ),
        *v.text_problems(data.city, "payer.city", "City", 30),
        *v.state_problems(data.state, "payer.state"),
        *v.zip_problems(data.zip_code, "payer.zip_code"),
    ]


def payer_problems(data: PayerInput) -> list[Problem]:
    """Return every problem with a payer's details."""
    problems = [
        *v.text_problems(data.name, "payer.name", "Payer name", 60),
        *v.text_problems(data.payer_code, "payer.payer_code", "Payer id", 80),
        *v.claim_filing_indicator_problems(
            data.claim_filing_indicator, "payer.claim_filing_indicator"
        ),
        *_payer_address_problems(data),
    ]
    code = data.payer_code.strip()
    if code and not code.replace("-", "").isalnum():
        problems.append(
            Problem(
                "payer.payer_code",
                f"Payer id {v.echo_for_message(code)} may contain only letters, digits and "
                "hyphens; copy it from the clearinghouse's payer list, such as 60054 or SB580.",
            )
        )
    if not 1 <= data.timely_filing_days <= MAX_TIMELY_FILING_DAYS:
        problems.append(
            Problem(
                "payer.timely_filing_days",
                f"Timely filing limit {data.timely_filing_days} days is out of range; enter "
                f"1 to {MAX_TIMELY_FILING_DAYS} days, such as 90, 180 or 365.",
            )
        )
    return problems + _payer_choice_problems(data)


def _payer_choice_problems(data: PayerInput) -> list[Problem]:
    problems: list[Problem] = []
    if data.payer_kind not in PAYER_KINDS:
        problems.append(
            Problem(
                "payer.payer_kind",
                f"Payer kind {v.echo_for_message(data.payer_kind) or '(blank)'} is not known; "
                f"choose one of: {', '.join(PAYER_KINDS.values())}.",
            )
        )
    if data.era_posting_mode not in ERA_POSTING_MODES:
        problems.append(
            Problem(
                "payer.era_posting_mode",
                f"ERA posting mode {v.echo_for_message(data.era_posting_mode) or '(blank)'} is "
                "not known; choose auto, matched or review.",
            )
        )
    return problems


def _clearinghouse_problems(session: Session, data: PayerInput) -> list[Problem]:
    if data.clearinghouse_id is None:
        return []
    clearinghouse = session.get(Clearinghouse, data.clearinghouse_id)
    if clearinghouse is not None and not clearinghouse.archived:
        return []
    return [
        Problem(
            "payer.clearinghouse_id",
            "The chosen clearinghouse no longer exists or was archived; pick another one, "
            "or none to print this payer's claims on paper.",
        )
    ]


def _apply_payer(payer: Payer, data: PayerInput) -> None:
    payer.name = data.name.strip()
    payer.payer_code = data.payer_code.strip().upper()
    payer.claim_filing_indicator = data.claim_filing_indicator.strip().upper()
    payer.timely_filing_days = data.timely_filing_days
    payer.address_line1 = data.address_line1.strip() or None
    payer.address_line2 = data.address_line2.strip() or None
    payer.city = data.city.strip() or None
    payer.state = v.normalize_state(data.state) or None
    payer.zip_code = v.normalize_zip(data.zip_code) if data.zip_code.strip() else None
    payer.clearinghouse_id = data.clearinghouse_id
    payer.payer_kind = data.payer_kind
    payer.era_posting_mode = data.era_posting_mode


def save_payer(
    session: Session, actor: Actor, payer_id: uuid.UUID | None, data: PayerInput
) -> RecordWrite:
    """Create or update a payer; validates and audits."""
    require(actor, Permission.PRACTICE_SETUP)
    _raise_if_invalid([*payer_problems(data), *_clearinghouse_problems(session, data)])

    created = payer_id is None
    payer = Payer() if payer_id is None else _get_active(session, Payer, payer_id, "payer")
    _apply_payer(payer, data)
    return _finish_write(session, actor, payer, "payer", created=created, kind=ChangeKind.PAYERS)


def archive_payer(session: Session, actor: Actor, payer_id: uuid.UUID) -> RecordWrite:
    """Archive a payer, which hides it from default lists and pickers."""
    require(actor, Permission.PRACTICE_SETUP)
    payer = _get_active(session, Payer, payer_id, "payer")
    return _archive(session, actor, payer, "payer", ChangeKind.PAYERS)
