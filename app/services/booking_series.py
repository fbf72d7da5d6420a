"""Recurring appointments: booking a series and editing or cancelling part of one.

Each occurrence is an ordinary appointment row with the series id and the date the rule
gave it. An occurrence edited on its own (another time, length or provider than the
series) is an exception: later edits to the following visits or the whole series leave
it as it is, and cancelled or finished occurrences are never brought back.
"""

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError, ValidationError
from app.ids import new_id
from app.models.scheduling import Appointment, AppointmentSeries
from app.problems import Problem
from app.scheduling.recurrence import (
    Occurrence,
    SeriesRule,
    occurrences,
    rule_problems,
    rule_text,
    rule_text_with_end,
    wall_time_problem,
)
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.appointment_status import create_appointment, load_appointment
from app.services.availability import MAX_DURATION_MINUTES
from app.services.booking_rules import (
    BookingRequest,
    blocking,
    find_conflicts,
    may_write,
    request_of,
    request_problems,
    type_name,
)
from app.services.scheduling_settings import practice_zone, scheduling_settings

log = logging.getLogger(__name__)

CancelScope = Literal["this", "following", "series"]
SCOPES = ("this", "following", "series")
# Occurrences a series edit may change; others are history or already cancelled.
EDITABLE_STATUSES = frozenset({"scheduled", "confirmed"})
MAX_OCCURRENCES = 400


@dataclass(frozen=True, slots=True)
class SeriesOutcome:
    """The result of booking a series: the rows made and each date skipped with its reason."""

    series_id: uuid.UUID | None
    created: list[uuid.UUID]
    skipped: list[tuple[date, str]]
    changes: Changes


def book_series(
    session: Session,
    actor: Actor,
    request: BookingRequest,
    rule: SeriesRule,
    override_reason: str | None = None,
) -> SeriesOutcome:
    """Book every occurrence of `rule` from `request.starts_at`, skipping the ones that cannot be.

    A date whose wall time does not exist (spring-forward gap) or that has a blocking
    conflict is skipped and listed with the reason; with an override reason and
    SCHEDULE_OVERRIDE, conflicting dates are booked and the override audited.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    problems = request_problems(request) + [Problem("rule", text) for text in rule_problems(rule)]
    if rule.count is None and rule.until is None:
        problems.append(Problem("rule", "Give a number of visits or an end date for the series."))
    if problems:
        raise ValidationError(problems)

    name = type_name(session, request.appointment_type_id)
    found = series_dates(request, rule, practice_zone(session))
    series = _insert_series(session, actor, request, rule)
    settings = scheduling_settings(session)
    created: list[uuid.UUID] = []
    skipped: list[tuple[date, str]] = []
    for occurrence in found:
        if occurrence.problem is not None:
            skipped.append((occurrence.series_date, occurrence.problem))
            continue
        dated = replace(request, starts_at=occurrence.starts_at)
        conflicts = find_conflicts(session, actor, dated, settings)
        if not may_write(session, actor, conflicts, override_reason, series.id):
            skipped.append((occurrence.series_date, blocking(conflicts)[0].message))
            continue
        row = create_appointment(
            session, actor, dated, name, series_id=series.id, series_date=occurrence.series_date
        )
        created.append(row.id)

    log.info("series %s: %d booked, %d skipped", series.id, len(created), len(skipped))
    return SeriesOutcome(series.id, created, skipped, Changes.of(ChangeKind.APPOINTMENTS))


def series_dates(request: BookingRequest, rule: SeriesRule, zone: ZoneInfo) -> list[Occurrence]:
    """Expand a valid `rule` from `request.starts_at` into the dates a booking would try.

    Raises ValidationError when the end date leaves no visit, so no empty series is saved,
    and when the rule gives more than MAX_OCCURRENCES visits, so none is silently dropped.
    """
    found = occurrences(request.starts_at, rule, zone, MAX_OCCURRENCES + 1)
    if not found:
        ends = rule.until.isoformat() if rule.until is not None else "its end"
        message = (
            f"The series ends on {ends}, before its first visit on "
            f"{request.starts_at.date().isoformat()}; choose a later end date."
        )
        raise ValidationError([Problem("rule", message)])
    if len(found) > MAX_OCCURRENCES:
        message = (
            f"The series would have more than {MAX_OCCURRENCES} visits; enter at most "
            f"{MAX_OCCURRENCES} visits or an earlier end date."
        )
        raise ValidationError([Problem("rule", message)])
    return found


def _insert_series(
    session: Session, actor: Actor, request: BookingRequest, rule: SeriesRule
) -> AppointmentSeries:
    series = AppointmentSeries(
        id=new_id(),
        patient_id=request.patient_id,
        provider_id=request.provider_id,
        location_id=request.location_id,
        room_id=request.room_id,
        appointment_type_id=request.appointment_type_id,
        first_starts_at=request.starts_at,
        duration_minutes=request.duration_minutes,
        rule=rule_text(request.starts_at, rule),
        count=rule.count,
        until=rule.until,
        reason=request.reason,
        updated_by=actor.user_id,
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "appointment_series",
        series.id,
        patient_id=request.patient_id,
        detail=series.rule,
    )
    return series


def rows_in_scope(session: Session, anchor: Appointment, scope: str) -> list[Appointment]:
    """Return the anchor alone ("this"), it and the later occurrences ("following"), or all.

    An appointment outside a series is always alone. Rows come in series-date order.
    """
    if scope not in SCOPES:
        raise UserError(f"{scope!r} is not a scope; use this, following or series.")
    if scope == "this" or anchor.series_id is None or anchor.series_date is None:
        return [anchor]

    query = select(Appointment).where(
        Appointment.series_id == anchor.series_id, Appointment.archived.is_(False)
    )
    if scope == "following":
        query = query.where(Appointment.series_date >= anchor.series_date)
    return list(session.scalars(query.order_by(Appointment.series_date)))


def follows_series(row: Appointment, series: AppointmentSeries) -> bool:
    """Return True when the occurrence still has the series' time, length and provider."""
    if row.series_date is None:
        return False
    expected = datetime.combine(row.series_date, series.first_starts_at.time())
    return (
        row.starts_at == expected
        and row.duration_minutes == series.duration_minutes
        and row.provider_id == series.provider_id
    )


@dataclass(frozen=True, slots=True)
class _Edit:
    starts_time: time | None
    duration_minutes: int | None
    provider_id: uuid.UUID | None

    def apply(self, row: Appointment, actor: Actor) -> None:
        if self.starts_time is not None:
            # The visit's own day: an occurrence moved to another day stays on that day.
            row.starts_at = datetime.combine(row.starts_at.date(), self.starts_time)
        if self.duration_minutes is not None:
            row.duration_minutes = self.duration_minutes
        if self.provider_id is not None:
            row.provider_id = self.provider_id
        row.updated_by = actor.user_id


def edit_occurrences(  # noqa: PLR0917 (the documented signature the calendar calls)
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    scope: CancelScope,
    starts_time: time | None = None,
    duration_minutes: int | None = None,
    provider_id: uuid.UUID | None = None,
) -> Changes:
    """Change the time, length or provider of one occurrence, the following ones or the series.

    The chosen appointment always changes. With "following" or "series", the other
    scheduled or confirmed occurrences that still follow the series change too; exceptions,
    cancelled and past visits keep what they have. "following" splits the series at
    the chosen date. Raises UserError naming the dates when a change has a blocking conflict.
    """
    require(actor, Permission.SCHEDULE_EDIT)
    if duration_minutes is not None and not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(
            [
                Problem(
                    "duration_minutes",
                    f"The length must be 1 to {MAX_DURATION_MINUTES} minutes, "
                    f"not {duration_minutes}.",
                )
            ]
        )
    anchor = load_appointment(session, appointment_id)
    if anchor.status not in EDITABLE_STATUSES:
        raise UserError(
            f"An appointment that is {anchor.status.replace('_', ' ')} cannot be edited."
        )
    edit = _Edit(starts_time, duration_minutes, provider_id)
    series = _series_of(session, anchor) if scope != "this" else None
    rows = rows_in_scope(session, anchor, scope)
    targets = [anchor] + [
        row
        for row in rows
        if row.id != anchor.id
        and row.status in EDITABLE_STATUSES
        and series is not None
        and follows_series(row, series)
    ]

    for row in targets:
        edit.apply(row, actor)
    session.flush()
    _refuse_blocking(session, actor, targets)
    if series is not None:
        _update_series(session, actor, series, anchor, scope, edit)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "appointment",
        anchor.id,
        patient_id=anchor.patient_id,
        detail=f"edited {len(targets)} occurrences (scope {scope})",
    )
    return Changes.of(ChangeKind.APPOINTMENTS)


def _series_of(session: Session, anchor: Appointment) -> AppointmentSeries | None:
    if anchor.series_id is None:
        return None
    series = session.get(AppointmentSeries, anchor.series_id)
    if series is None:
        raise NotFoundError(f"Series {anchor.series_id} was not found; refresh the calendar.")
    return series


def _refuse_blocking(session: Session, actor: Actor, rows: list[Appointment]) -> None:
    """Raise UserError listing the dates whose changed visit has a blocking conflict.

    A date whose new time the clocks skip for daylight saving time is listed too. The
    rows are already changed in the session, so the caller's rollback undoes them.
    """
    settings = scheduling_settings(session)
    zone = practice_zone(session)
    clashes: list[str] = []
    for row in rows:
        gap = wall_time_problem(row.starts_at, zone)
        if gap is not None:
            clashes.append(f"{row.starts_at:%Y-%m-%d}: {gap}")
            continue
        request = request_of(row)
        stopping = blocking(find_conflicts(session, actor, request, settings, row.id))
        if stopping:
            clashes.append(f"{row.starts_at:%Y-%m-%d}: {stopping[0].message}")
    if clashes:
        raise UserError(
            "Nothing was changed because these visits cannot take the new time:\n"
            + "\n".join(clashes)
            + "\nChoose another time, or move those visits one at a time."
        )


def _update_series(  # noqa: PLR0917 (one step of edit_occurrences)
    session: Session,
    actor: Actor,
    series: AppointmentSeries,
    anchor: Appointment,
    scope: str,
    edit: _Edit,
) -> None:
    """Record the new pattern on the series, splitting it at the anchor for "following".

    "following" from the series' first occurrence changes the whole series, because a
    split there would leave an empty series behind.
    """
    target = series
    split_at = anchor.series_date if scope == "following" else None
    if split_at is not None and _has_earlier(session, series, split_at):
        target = _split(session, actor, series, split_at)
    if edit.starts_time is not None:
        target.first_starts_at = datetime.combine(target.first_starts_at.date(), edit.starts_time)
    if edit.duration_minutes is not None:
        target.duration_minutes = edit.duration_minutes
    if edit.provider_id is not None:
        target.provider_id = edit.provider_id
    target.updated_by = actor.user_id
    session.flush()


def _has_earlier(session: Session, series: AppointmentSeries, day: date) -> bool:
    query = select(Appointment.id).where(
        Appointment.series_id == series.id, Appointment.series_date < day
    )
    return session.scalar(query.limit(1)) is not None


def _split(
    session: Session, actor: Actor, series: AppointmentSeries, from_date: date
) -> AppointmentSeries:
    """End `series` the day before `from_date` and move the later occurrences to a new one.

    Both rule texts get a new end. A series that ends after a number of visits hands the
    visits the rule still gives from `from_date` on to the new series.
    """
    later = list(
        session.scalars(
            select(Appointment).where(
                Appointment.series_id == series.id, Appointment.series_date >= from_date
            )
        )
    )
    remaining = None
    if series.count is not None:
        # The count bounds the expansion even if the stored text lost its COUNT part.
        starts = islice(rrulestr(series.rule, dtstart=series.first_starts_at), series.count)
        remaining = sum(1 for start in starts if start.date() >= from_date)
    successor = AppointmentSeries(
        id=new_id(),
        patient_id=series.patient_id,
        provider_id=series.provider_id,
        location_id=series.location_id,
        room_id=series.room_id,
        appointment_type_id=series.appointment_type_id,
        first_starts_at=datetime.combine(from_date, series.first_starts_at.time()),
        duration_minutes=series.duration_minutes,
        rule=rule_text_with_end(series.rule, remaining, series.until),
        count=remaining,
        until=series.until,
        reason=series.reason,
        updated_by=actor.user_id,
    )
    session.add(successor)
    session.flush()
    for row in later:
        row.series_id = successor.id
    series.until = from_date - timedelta(days=1)
    series.count = None
    series.rule = rule_text_with_end(series.rule, until=series.until)
    series.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "appointment_series",
        successor.id,
        patient_id=series.patient_id,
        detail=f"split from series {series.id} at {from_date}",
    )
    return successor
