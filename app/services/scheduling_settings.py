"""Practice-wide scheduling rules: conflicts that block a booking, late cancels, fees, eligibility.

Stored in the setting table under "scheduling.*" keys; anything never saved has its default.
Also home to the practice's time zone and wall-clock "now", which every scheduling rule
that depends on the current time reads.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import ValidationError
from app.models.practice import Practice
from app.models.system import Setting
from app.problems import Problem
from app.security.permissions import Actor, Permission, require
from app.services.settings import save_setting

log = logging.getLogger(__name__)

Policy = Literal["warning", "block"]

CONFLICT_KINDS = (
    "provider_overlap",
    "room_overlap",
    "resource_overlap",
    "patient_overlap",
    "outside_hours",
    "blockout",
    "authorization",
)

DEFAULT_POLICY: dict[str, Policy] = {
    "provider_overlap": "block",
    "room_overlap": "block",
    "resource_overlap": "block",
    "patient_overlap": "warning",
    "outside_hours": "warning",
    "blockout": "warning",
    "authorization": "warning",
}

GRID_CHOICES = (5, 10, 15, 20, 30, 60)
MAX_LATE_CANCEL_HOURS = 168
MAX_ELIGIBILITY_AGE_DAYS = 365
_PREFIX = "scheduling."


def _default_policy() -> dict[str, Policy]:
    return dict(DEFAULT_POLICY)


@dataclass(frozen=True)
class SchedulingSettings:
    """The scheduling rules an administrator sets.

    `conflict_policy` maps each conflict kind (CONFLICT_KINDS) to "warning" or "block";
    a kind missing from the map takes its default. `no_show_fee` None charges nothing.
    `eligibility_max_age_days` is how many days before a visit an eligibility check of
    the primary coverage still counts.
    """

    conflict_policy: dict[str, Policy] = field(default_factory=_default_policy)
    late_cancel_hours: int = 24
    no_show_fee: Decimal | None = None
    grid_minutes: int = 15
    eligibility_max_age_days: int = 30

    def policy(self, kind: str) -> Policy:
        """Return "warning" or "block" for a conflict kind."""
        return self.conflict_policy.get(kind, DEFAULT_POLICY.get(kind, "warning"))


def _stored(session: Session) -> dict[str, object]:
    rows = session.scalars(select(Setting).where(Setting.key.startswith(_PREFIX)))
    return {row.key.removeprefix(_PREFIX): row.value for row in rows}


def _fee(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        log.warning("stored no-show fee is not a number; no fee is charged")
        return None


def scheduling_settings(session: Session) -> SchedulingSettings:
    """Return the scheduling settings, with defaults for anything never saved."""
    stored = _stored(session)
    defaults = SchedulingSettings()
    policy = _default_policy()
    saved_policy = stored.get("conflict_policy")
    if isinstance(saved_policy, dict):
        for kind, value in saved_policy.items():
            if kind in DEFAULT_POLICY and value in ("warning", "block"):
                policy[kind] = cast(Policy, value)
    return SchedulingSettings(
        conflict_policy=policy,
        late_cancel_hours=int(
            cast(int, stored.get("late_cancel_hours", defaults.late_cancel_hours))
        ),
        no_show_fee=_fee(stored.get("no_show_fee")),
        grid_minutes=int(cast(int, stored.get("grid_minutes", defaults.grid_minutes))),
        eligibility_max_age_days=int(
            cast(int, stored.get("eligibility_max_age_days", defaults.eligibility_max_age_days))
        ),
    )


def settings_problems(settings: SchedulingSettings) -> list[Problem]:
    """Return every problem with `settings` (empty when they can be saved)."""
    problems: list[Problem] = []
    for kind, value in settings.conflict_policy.items():
        if kind not in DEFAULT_POLICY:
            problems.append(Problem("conflict_policy", f"Unknown conflict kind {kind!r}."))
        elif value not in ("warning", "block"):
            problems.append(
                Problem("conflict_policy", f"{kind} must be 'warning' or 'block', not {value!r}.")
            )
    if not 0 <= settings.late_cancel_hours <= MAX_LATE_CANCEL_HOURS:
        problems.append(
            Problem(
                "late_cancel_hours",
                f"Late cancel hours must be 0 to {MAX_LATE_CANCEL_HOURS}, "
                f"not {settings.late_cancel_hours}.",
            )
        )
    if settings.no_show_fee is not None and settings.no_show_fee <= 0:
        problems.append(
            Problem(
                "no_show_fee",
                f"The no-show fee must be above 0, not {settings.no_show_fee}; "
                "leave it empty for no fee.",
            )
        )
    if settings.grid_minutes not in GRID_CHOICES:
        problems.append(
            Problem(
                "grid_minutes",
                f"The grid must be one of {GRID_CHOICES} minutes, not {settings.grid_minutes}.",
            )
        )
    if not 0 <= settings.eligibility_max_age_days <= MAX_ELIGIBILITY_AGE_DAYS:
        problems.append(
            Problem(
                "eligibility_max_age_days",
                f"An eligibility check must count for 0 to {MAX_ELIGIBILITY_AGE_DAYS} days, "
                f"not {settings.eligibility_max_age_days}.",
            )
        )
    return problems


def save_scheduling_settings(
    session: Session, actor: Actor, settings: SchedulingSettings
) -> Changes:
    """Validate and store the scheduling settings (each changed key audited).

    Raises ValidationError listing every problem when any value is invalid.
    """
    require(actor, Permission.PRACTICE_SETUP)
    problems = settings_problems(settings)
    if problems:
        raise ValidationError(problems)

    current = scheduling_settings(session)
    fee = None if settings.no_show_fee is None else str(settings.no_show_fee)
    values: dict[str, object] = {
        "conflict_policy": {**DEFAULT_POLICY, **settings.conflict_policy},
        "late_cancel_hours": settings.late_cancel_hours,
        "no_show_fee": fee,
        "grid_minutes": settings.grid_minutes,
        "eligibility_max_age_days": settings.eligibility_max_age_days,
    }
    previous: dict[str, object] = {
        "conflict_policy": current.conflict_policy,
        "late_cancel_hours": current.late_cancel_hours,
        "no_show_fee": None if current.no_show_fee is None else str(current.no_show_fee),
        "grid_minutes": current.grid_minutes,
        "eligibility_max_age_days": current.eligibility_max_age_days,
    }
    for name, value in values.items():
        if value != previous[name]:
            save_setting(session, actor, _PREFIX + name, value)
    return Changes.of(ChangeKind.SETTINGS, ChangeKind.SCHEDULE_SETUP)


def practice_zone(session: Session) -> ZoneInfo:
    """Return the practice's time zone (UTC before set-up or when the name is unknown)."""
    name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("practice time zone %r is unknown; using UTC for scheduling", name)
        return ZoneInfo("UTC")


def practice_now(session: Session, instant: datetime | None = None) -> datetime:
    """Return `instant` (default now) as naive wall-clock time in the practice's zone."""
    moment = instant if instant is not None else utc_now()
    return moment.astimezone(practice_zone(session)).replace(tzinfo=None)
