"""Eligibility checks: the day someone last confirmed with the payer that a policy is active.

A visit needs a check when the patient has a coverage in effect on the visit's date and
the primary coverage was never checked, or was last checked more than the practice's
`eligibility_max_age_days` before the visit. A patient with no coverage in effect pays
for the visit, so there is nothing to check. The primary coverage is the one in effect
with the lowest coordination-of-benefits priority (1 primary, 2 secondary, 3 tertiary).
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError
from app.models.patients import Coverage
from app.models.security import User
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.scheduling_settings import practice_now, scheduling_settings

log = logging.getLogger(__name__)

# SQLite allows 32,766 bound parameters per statement, so chunks of 900 ids stay far below.
CHUNK_SIZE = 900

Visit = tuple[uuid.UUID, date]


@dataclass(frozen=True, slots=True)
class EligibilityCheck:
    """The last recorded check of one coverage; `checked_on` None means never checked."""

    coverage_id: uuid.UUID
    checked_on: date | None
    checked_by: str

    def describe(self) -> str:
        """Return the check as the screens show it, such as "last checked 12/01/2026 by jo"."""
        if self.checked_on is None:
            return "never checked"
        by = f" by {self.checked_by}" if self.checked_by else ""
        return f"last checked {self.checked_on:%m/%d/%Y}{by}"


@dataclass(frozen=True, slots=True)
class _CoverageDates:
    priority: int
    effective: date | None
    termination: date | None
    checked_on: date | None

    def in_effect(self, day: date) -> bool:
        if self.effective is not None and day < self.effective:
            return False
        return self.termination is None or day <= self.termination


def check_is_stale(checked_on: date | None, visit_day: date, max_age_days: int) -> bool:
    """Return True when a check on `checked_on` does not cover a visit on `visit_day`.

    A check made after the visit's date still counts, because it confirms the policy
    was active then.
    """
    if checked_on is None:
        return True
    return (visit_day - checked_on).days > max_age_days


def unverified_visits(session: Session, visits: Iterable[Visit]) -> set[Visit]:
    """Return the (patient id, visit date) pairs among `visits` that need an eligibility check.

    Runs one query per CHUNK_SIZE patients plus one settings read, whatever the number
    of visits or dates.
    """
    unique = list(dict.fromkeys(visits))
    if not unique:
        return set()

    max_age = scheduling_settings(session).eligibility_max_age_days
    coverages = _coverage_dates(session, list(dict.fromkeys(patient for patient, _ in unique)))
    unverified: set[Visit] = set()
    for patient_id, day in unique:
        in_effect = [row for row in coverages.get(patient_id, []) if row.in_effect(day)]
        if not in_effect:
            continue
        primary = min(in_effect, key=lambda row: row.priority)
        if check_is_stale(primary.checked_on, day, max_age):
            unverified.add((patient_id, day))
    return unverified


def _coverage_dates(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[_CoverageDates]]:
    found: dict[uuid.UUID, list[_CoverageDates]] = defaultdict(list)
    for start in range(0, len(patient_ids), CHUNK_SIZE):
        chunk = patient_ids[start : start + CHUNK_SIZE]
        rows = session.execute(
            select(
                Coverage.patient_id,
                Coverage.priority,
                Coverage.effective_date,
                Coverage.termination_date,
                Coverage.eligibility_checked_on,
            ).where(Coverage.patient_id.in_(chunk), Coverage.archived.is_(False))
        )
        for patient_id, priority, effective, termination, checked_on in rows:
            found[patient_id].append(_CoverageDates(priority, effective, termination, checked_on))
    return found


def primary_coverage_id(session: Session, patient_id: uuid.UUID, day: date) -> uuid.UUID | None:
    """Return the id of the patient's primary coverage in effect on `day`, or None (self-pay)."""
    rows = session.execute(
        select(
            Coverage.id, Coverage.priority, Coverage.effective_date, Coverage.termination_date
        ).where(Coverage.patient_id == patient_id, Coverage.archived.is_(False))
    )
    in_effect = [
        (priority, coverage_id)
        for coverage_id, priority, effective, termination in rows
        if _CoverageDates(priority, effective, termination, None).in_effect(day)
    ]
    return min(in_effect)[1] if in_effect else None


def eligibility_checks(
    session: Session, actor: Actor, coverage_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, EligibilityCheck]:
    """Return the last check of each existing coverage in `coverage_ids`, with the username."""
    require(actor, Permission.PATIENT_VIEW)
    if not coverage_ids:
        return {}
    rows = session.execute(
        select(Coverage.id, Coverage.eligibility_checked_on, User.username)
        .outerjoin(User, User.id == Coverage.eligibility_checked_by)
        .where(Coverage.id.in_(list(coverage_ids)))
    )
    return {
        coverage_id: EligibilityCheck(coverage_id, checked_on, username or "")
        for coverage_id, checked_on, username in rows
    }


def record_eligibility_check(
    session: Session, actor: Actor, coverage_id: uuid.UUID, checked_on: date
) -> Changes:
    """Store that `actor` confirmed the coverage's eligibility with the payer on `checked_on`.

    Raises NotFoundError for a missing or removed coverage, and UserError for a date
    after the practice's today.
    """
    require(actor, Permission.PATIENT_EDIT)
    coverage = session.get(Coverage, coverage_id)
    if coverage is None or coverage.archived:
        raise NotFoundError(
            f"Coverage {coverage_id} was not found; it may have been removed. "
            "Reopen the patient's record and try again."
        )
    today = practice_now(session).date()
    if checked_on > today:
        raise UserError(
            f"The eligibility check date {checked_on:%m/%d/%Y} is after today "
            f"({today:%m/%d/%Y}); enter the day the payer confirmed the policy."
        )

    coverage.eligibility_checked_on = checked_on
    coverage.eligibility_checked_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "coverage",
        coverage.id,
        patient_id=coverage.patient_id,
        detail="eligibility check recorded",
    )
    log.info("recorded an eligibility check of coverage %s", coverage.id)
    return Changes.of(ChangeKind.COVERAGES)
