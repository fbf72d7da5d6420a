"""Blockouts (time nobody books) and the US federal holidays as whole-practice blockouts.

A blockout covers the whole practice, one location, one provider or one room. It may
repeat weekly on chosen weekdays until a date; the repeat is stored as RFC 5545 RRULE text
(such as "FREQ=WEEKLY;BYDAY=MO,WE") so the availability code expands it like any rule.
Times are wall-clock times in the practice's zone, and an all-day blockout runs from
midnight to the next midnight.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.db.base import SyncedMixin
from app.models.practice import Location, Provider, Room
from app.models.scheduling import Blockout
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.schedule_setup import (
    SetupWrite,
    archive_record,
    finish_write,
    get_active,
    raise_if_invalid,
)

log = logging.getLogger(__name__)

BLOCKOUT_KINDS = {"lunch": "Lunch", "meeting": "Meeting", "holiday": "Holiday", "other": "Other"}
BLOCKOUT_SCOPES = {
    "practice": "Whole practice",
    "location": "Location",
    "provider": "Provider",
    "room": "Room",
}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKLY_PREFIX = "FREQ=WEEKLY;BYDAY="
# Years the holidays package computes reliably and a practice plausibly plans for.
MIN_HOLIDAY_YEAR = 2000
MAX_HOLIDAY_YEAR = 2100


@dataclass(frozen=True, slots=True)
class BlockoutInput:
    """A blockout to create or update.

    `scope_id` names the location, provider or room, and is None for the whole practice.
    `repeat_weekdays` (0 Monday to 6 Sunday) makes it repeat weekly at the same times.
    """

    title: str
    kind: str
    scope: str
    scope_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    repeat_weekdays: tuple[int, ...] = ()
    repeat_until: date | None = None


@dataclass(frozen=True, slots=True)
class BlockoutSummary:
    """A blockout as listed, with the name of what it covers."""

    id: uuid.UUID
    title: str
    kind: str
    scope: str
    scope_id: uuid.UUID | None
    scope_name: str
    starts_at: datetime
    ends_at: datetime
    rule: str | None
    repeat_weekdays: tuple[int, ...]
    repeat_until: date | None
    archived: bool


@dataclass(frozen=True, slots=True)
class HolidayOutcome:
    """What adding a year's federal holidays did: new blockouts, and dates already there."""

    year: int
    added: tuple[date, ...]
    already_present: tuple[date, ...]
    changes: Changes


def weekly_rule(weekdays: tuple[int, ...]) -> str | None:
    """Return the RRULE text repeating weekly on `weekdays`, or None for no repeat."""
    if not weekdays:
        return None
    return _WEEKLY_PREFIX + ",".join(RRULE_DAYS[day] for day in sorted(set(weekdays)))


def rule_weekdays(rule: str | None) -> tuple[int, ...]:
    """Return the weekdays of a rule `weekly_rule` wrote; () for any other rule or none."""
    if not rule or not rule.startswith(_WEEKLY_PREFIX):
        return ()
    days = rule.removeprefix(_WEEKLY_PREFIX).split(",")
    if any(day not in RRULE_DAYS for day in days):
        return ()
    return tuple(sorted(RRULE_DAYS.index(day) for day in days))


def _scope_of(row: Blockout) -> tuple[str, uuid.UUID | None]:
    if row.room_id is not None:
        return "room", row.room_id
    if row.provider_id is not None:
        return "provider", row.provider_id
    if row.location_id is not None:
        return "location", row.location_id
    return "practice", None


def _scope_names(session: Session) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for location in session.scalars(select(Location)):
        names[location.id] = location.name
    for provider in session.scalars(select(Provider)):
        names[provider.id] = provider.display_name
    for room, location_name in session.execute(
        select(Room, Location.name).join(Location, Location.id == Room.location_id)
    ):
        names[room.id] = f"{location_name}, {room.name}"
    return names


def _summarize(row: Blockout, names: dict[uuid.UUID, str]) -> BlockoutSummary:
    scope, scope_id = _scope_of(row)
    scope_name = BLOCKOUT_SCOPES["practice"] if scope_id is None else names.get(scope_id, "")
    return BlockoutSummary(
        id=row.id,
        title=row.title,
        kind=row.kind,
        scope=scope,
        scope_id=scope_id,
        scope_name=scope_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        rule=row.rule,
        repeat_weekdays=rule_weekdays(row.rule),
        repeat_until=row.repeat_until,
        archived=row.archived,
    )


def list_blockouts(
    session: Session,
    actor: Actor,
    include_archived: bool = False,
    starting: date | None = None,
) -> list[BlockoutSummary]:
    """Return blockouts by start time; with `starting`, only those still in effect then.

    A repeating blockout is in effect until its repeat_until date, or forever without one.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    query = select(Blockout).order_by(Blockout.starts_at, Blockout.title)
    if not include_archived:
        query = query.where(Blockout.archived.is_(False))
    rows = list(session.scalars(query))
    if starting is not None:
        rows = [row for row in rows if _in_effect_on_or_after(row, starting)]
    names = _scope_names(session)
    return [_summarize(row, names) for row in rows]


def _in_effect_on_or_after(row: Blockout, day: date) -> bool:
    if row.rule:
        return row.repeat_until is None or row.repeat_until >= day
    return row.ends_at > datetime.combine(day, time())


# ---- validation ---------------------------------------------------------------------


def _scope_problems(session: Session, data: BlockoutInput) -> list[Problem]:
    field = "blockout.scope_id"
    if data.scope not in BLOCKOUT_SCOPES:
        choices = ", ".join(BLOCKOUT_SCOPES)
        message = f"Scope {v.echo_for_message(data.scope)} is unknown; choose one of {choices}."
        return [Problem("blockout.scope", message)]
    if data.scope == "practice":
        return []

    models: dict[str, type[SyncedMixin]] = {
        "location": Location,
        "provider": Provider,
        "room": Room,
    }
    record = None if data.scope_id is None else session.get(models[data.scope], data.scope_id)
    if record is None or record.archived:
        return [Problem(field, f"Choose the {data.scope} this blockout covers; none is chosen.")]
    return []


def _time_problems(data: BlockoutInput) -> list[Problem]:
    problems = []
    if data.ends_at <= data.starts_at:
        problems.append(
            Problem(
                "blockout.ends_at",
                f"The blockout ends at {data.ends_at:%Y-%m-%d %H:%M}, not after it starts at "
                f"{data.starts_at:%Y-%m-%d %H:%M}; enter a later end.",
            )
        )
    if any(not 0 <= day <= 6 for day in data.repeat_weekdays):
        problems.append(Problem("blockout.repeat_weekdays", "Repeat days must be 0 to 6."))
    if data.repeat_weekdays:
        problems += _repeat_problems(data)
    elif data.repeat_until is not None:
        problems.append(
            Problem(
                "blockout.repeat_until",
                "A repeat end date needs repeat days; tick the weekdays or clear the end date.",
            )
        )
    return problems


def _repeat_problems(data: BlockoutInput) -> list[Problem]:
    problems = []
    if data.ends_at - data.starts_at > timedelta(days=1):
        problems.append(
            Problem(
                "blockout.ends_at",
                "A repeating blockout lasts at most one day; shorten it or turn off repeating.",
            )
        )
    if data.repeat_until is not None and data.repeat_until < data.starts_at.date():
        problems.append(
            Problem(
                "blockout.repeat_until",
                f"The repeat ends on {data.repeat_until.isoformat()}, before the first day "
                f"{data.starts_at.date().isoformat()}; enter a later date or clear it.",
            )
        )
    return problems


def blockout_problems(session: Session, data: BlockoutInput) -> list[Problem]:
    """Return every problem with a blockout's values."""
    problems = v.text_problems(data.title, "blockout.title", "Title", 80)
    if data.kind not in BLOCKOUT_KINDS:
        choices = ", ".join(BLOCKOUT_KINDS)
        problems.append(
            Problem(
                "blockout.kind",
                f"Kind {v.echo_for_message(data.kind)} is unknown; choose one of {choices}.",
            )
        )
    return [*problems, *_scope_problems(session, data), *_time_problems(data)]


# ---- writes -------------------------------------------------------------------------


def _apply(row: Blockout, data: BlockoutInput) -> None:
    row.title = data.title.strip()
    row.kind = data.kind
    row.location_id = data.scope_id if data.scope == "location" else None
    row.provider_id = data.scope_id if data.scope == "provider" else None
    row.room_id = data.scope_id if data.scope == "room" else None
    row.starts_at = data.starts_at
    row.ends_at = data.ends_at
    row.rule = weekly_rule(data.repeat_weekdays)
    row.repeat_until = data.repeat_until if data.repeat_weekdays else None


def save_blockout(
    session: Session, actor: Actor, blockout_id: uuid.UUID | None, data: BlockoutInput
) -> SetupWrite:
    """Create a blockout (`blockout_id` None) or update one; validates and audits."""
    require(actor, Permission.PRACTICE_SETUP)
    raise_if_invalid(blockout_problems(session, data))

    created = blockout_id is None
    row = (
        Blockout()
        if blockout_id is None
        else get_active(session, Blockout, blockout_id, "blockout")
    )
    _apply(row, data)
    return finish_write(session, actor, row, "blockout", created=created)


def archive_blockout(session: Session, actor: Actor, blockout_id: uuid.UUID) -> SetupWrite:
    """Archive a blockout, which frees its time for booking again."""
    require(actor, Permission.PRACTICE_SETUP)
    row = get_active(session, Blockout, blockout_id, "blockout")
    return archive_record(session, actor, row, "blockout")


def all_day(day: date) -> tuple[datetime, datetime]:
    """Return the wall-clock start and end of a blockout covering the whole of `day`."""
    start = datetime.combine(day, time())
    return start, start + timedelta(days=1)


# ---- US federal holidays ------------------------------------------------------------


def federal_holidays(year: int) -> list[tuple[date, str]]:
    """Return the US federal holidays of `year` from the holidays package, by date.

    The package's default US set includes an observed day when a holiday falls on a
    weekend, such as Independence Day (observed) on Friday 2026-07-03.
    """
    return sorted(holidays.country_holidays("US", years=year).items())


def _holiday_dates(session: Session) -> set[date]:
    """Return the first day of every whole-practice holiday blockout, archived ones included."""
    query = select(Blockout.starts_at).where(
        Blockout.kind == "holiday",
        Blockout.location_id.is_(None),
        Blockout.provider_id.is_(None),
        Blockout.room_id.is_(None),
    )
    return {starts_at.date() for starts_at in session.scalars(query)}


def prefill_holidays(session: Session, actor: Actor, year: int) -> HolidayOutcome:
    """Add the year's US federal holidays as all-day whole-practice blockouts.

    Running it again adds nothing new: a date on which a whole-practice holiday blockout
    starts is skipped, archived or edited ones included, so a holiday the practice removed
    stays removed and one it shortened keeps its new times.
    Raises ValidationError for a year outside MIN_HOLIDAY_YEAR to MAX_HOLIDAY_YEAR.
    """
    require(actor, Permission.PRACTICE_SETUP)
    if not MIN_HOLIDAY_YEAR <= year <= MAX_HOLIDAY_YEAR:
        message = f"Year {year} is out of range; enter {MIN_HOLIDAY_YEAR} to {MAX_HOLIDAY_YEAR}."
        raise_if_invalid([Problem("holidays.year", message)])

    present = _holiday_dates(session)
    added: list[date] = []
    skipped: list[date] = []
    for day, name in federal_holidays(year):
        if day in present:
            skipped.append(day)
            continue
        starts_at, ends_at = all_day(day)
        row = Blockout(title=name[:80], kind="holiday", starts_at=starts_at, ends_at=ends_at)
        finish_write(session, actor, row, "blockout", created=True)
        added.append(day)

    detail = f"federal holidays {year}: {len(added)} added, {len(skipped)} already present"
    audit.record(session, actor, AuditAction.IMPORT, "holiday_blockouts", detail=detail)
    log.info("%s", detail)
    changes = Changes.of(ChangeKind.SCHEDULE_SETUP) if added else Changes()
    return HolidayOutcome(year, tuple(added), tuple(skipped), changes)
