"""A preview of a recurring booking: each date the rule gives, with what would stop or warn."""

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.problems import Problem
from app.scheduling.recurrence import SeriesRule, rule_problems
from app.security.permissions import Actor, Permission, require
from app.services.booking_rules import (
    BookingRequest,
    Conflict,
    find_conflicts,
    request_problems,
)
from app.services.booking_series import series_dates
from app.services.scheduling_settings import practice_zone, scheduling_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One occurrence of a series before booking.

    `problem` is set when the wall time does not exist that day (spring-forward gap), and
    then no conflicts are checked. `conflicts` lists blocking ones first.
    """

    series_date: date
    starts_at: datetime
    problem: str | None
    conflicts: tuple[Conflict, ...]

    @property
    def blocked(self) -> bool:
        """True when booking the series would skip this date without an override."""
        return self.problem is not None or any(c.severity == "block" for c in self.conflicts)


def series_rule_problems(rule: SeriesRule) -> list[Problem]:
    """Return what is wrong with a series rule, including a missing end, every problem at once."""
    problems = [Problem("rule", text) for text in rule_problems(rule)]
    if rule.count is None and rule.until is None:
        problems.append(Problem("rule", "Give a number of visits or an end date for the series."))
    return problems


def preview_series(
    session: Session, actor: Actor, request: BookingRequest, rule: SeriesRule
) -> list[PreviewRow]:
    """List the dates `book_series` would try, each with its gap problem or conflicts.

    Writes nothing. Raises ValidationError when the request or the rule is invalid.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    problems = request_problems(request) + series_rule_problems(rule)
    if problems:
        raise ValidationError(problems)

    settings = scheduling_settings(session)
    found = series_dates(request, rule, practice_zone(session))
    rows: list[PreviewRow] = []
    for occurrence in found:
        if occurrence.problem is not None:
            rows.append(
                PreviewRow(occurrence.series_date, occurrence.starts_at, occurrence.problem, ())
            )
            continue
        dated = replace(request, starts_at=occurrence.starts_at)
        conflicts = find_conflicts(session, actor, dated, settings)
        rows.append(
            PreviewRow(occurrence.series_date, occurrence.starts_at, None, tuple(conflicts))
        )
    log.debug("series preview: %d dates", len(rows))
    return rows
