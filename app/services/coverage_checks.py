"""Checks of a patient's insurance coverages, alone or as part of the registration form.

Besides each coverage's own fields, two active coverages with the same priority must not
cover the same day: a claim needs one primary payer, one secondary and so on.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.patients import Coverage
from app.models.practice import Payer
from app.problems import Problem
from app.services.documents import content_problems
from app.services.patient_forms import (
    COB_ORDER,
    PLAN_TYPES,
    RELATIONSHIP_CODES,
    CoverageForm,
)
from app.services.person_checks import party_problems
from app.validators import claim_text_problems, echo_for_message

MEMBER_ID = re.compile(r"[A-Za-z0-9-]{1,80}")
MAX_COPAY = Decimal("9999.99")
SELF = "18"

COPAY_FIELDS = {
    "copay_office": "Office copay",
    "copay_specialist": "Specialist copay",
    "copay_urgent_care": "Urgent care copay",
    "copay_emergency": "Emergency copay",
}

# Suggested fixes when two coverages of one priority overlap.
_OVERLAP_FIX = {
    1: "make one secondary",
    2: "make one tertiary",
    3: "archive one",
}


@dataclass(frozen=True, slots=True)
class _Span:
    """An active coverage's priority and dates, with what a message names it by."""

    field: str | None
    priority: int
    start: date | None
    end: date | None
    payer_id: uuid.UUID | None
    member_id: str


def _payer_problems(
    session: Session, field: str, coverage: CoverageForm, saved: Coverage | None
) -> list[Problem]:
    if coverage.payer_id is None:
        return [Problem(field, "Payer is missing; choose the insurance company.")]
    payer = session.get(Payer, coverage.payer_id)
    # A payer archived after this coverage was saved stays acceptable, so the desk can
    # still edit the patient; choosing it for a new coverage is rejected.
    kept = saved is not None and saved.payer_id == coverage.payer_id
    if payer is None or (payer.archived and not kept):
        return [Problem(field, "The chosen payer was not found or is archived; choose another.")]
    return []


def _member_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    member_id = coverage.member_id.strip()
    field = f"{prefix}member_id"
    if not member_id:
        return [Problem(field, "Member id is missing; copy it from the insurance card.")]
    if MEMBER_ID.fullmatch(member_id) is None:
        return [
            Problem(
                field,
                f"Member id {echo_for_message(member_id)} is not valid; use up to 80 letters, "
                "digits and hyphens, as on the card, without spaces.",
            )
        ]
    return []


def _plan_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    problems = [
        *claim_text_problems(
            coverage.plan_name, f"{prefix}plan_name", "Plan name", 60, required=False
        ),
        *claim_text_problems(
            coverage.group_number, f"{prefix}group_number", "Group number", 50, required=False
        ),
        *claim_text_problems(
            coverage.group_name, f"{prefix}group_name", "Group name", 60, required=False
        ),
    ]
    if coverage.plan_type and coverage.plan_type not in PLAN_TYPES:
        problems.append(
            Problem(
                f"{prefix}plan_type",
                f"Plan type {echo_for_message(coverage.plan_type)} is not known; choose one "
                "from the list.",
            )
        )
    if coverage.priority not in COB_ORDER:
        problems.append(
            Problem(
                f"{prefix}priority",
                f"Priority {coverage.priority} is not valid; choose primary, secondary or "
                "tertiary.",
            )
        )
    return problems


def _relationship_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    code = coverage.relationship_code
    field = f"{prefix}relationship_code"
    if code not in RELATIONSHIP_CODES:
        shown = echo_for_message(code) or "(blank)"
        return [Problem(field, f"Relationship {shown} is not known; choose one from the list.")]
    if coverage.subscriber.kind == "self" and code != SELF:
        return [
            Problem(
                field,
                "The patient is the subscriber, so the relationship must be Self; choose "
                "Self or name the subscriber.",
            )
        ]
    if coverage.subscriber.kind != "self" and code == SELF:
        return [
            Problem(
                field,
                "The relationship is Self but someone else is the subscriber; choose how the "
                "patient is related to the subscriber, such as Child or Spouse.",
            )
        ]
    return []


def _date_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    start, end = coverage.effective_date, coverage.termination_date
    if start is not None and end is not None and end < start:
        return [
            Problem(
                f"{prefix}termination_date",
                f"Termination date {end.isoformat()} is before the effective date "
                f"{start.isoformat()}; check both dates.",
            )
        ]
    return []


def _copay_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    problems = []
    for name, label in COPAY_FIELDS.items():
        amount: Decimal | None = getattr(coverage, name)
        if amount is None:
            continue
        if not amount.is_finite() or amount < 0 or amount > MAX_COPAY:
            message = f"{label} {amount} is not valid; enter 0.00 to {MAX_COPAY}."
        elif amount != amount.quantize(Decimal("0.01")):
            message = f"{label} {amount} has fractions of a cent; round it to cents."
        else:
            continue
        problems.append(Problem(f"{prefix}{name}", message))
    return problems


def _card_problems(prefix: str, coverage: CoverageForm) -> list[Problem]:
    problems = []
    for side, image in (("card_front", coverage.card_front), ("card_back", coverage.card_back)):
        if image is not None:
            problems.extend(content_problems(image.content, image.media_type, f"{prefix}{side}"))
    return problems


def single_coverage_problems(
    session: Session,
    prefix: str,
    coverage: CoverageForm,
    own_id: uuid.UUID | None,
    today: date,
) -> list[Problem]:
    """Check one coverage's own fields; `prefix` names it, such as "coverages[0]."."""
    saved = session.get(Coverage, coverage.id) if coverage.id is not None else None
    return [
        *_payer_problems(session, f"{prefix}payer_id", coverage, saved),
        *_member_problems(prefix, coverage),
        *_plan_problems(prefix, coverage),
        *_relationship_problems(prefix, coverage),
        *party_problems(
            session, f"{prefix}subscriber.", coverage.subscriber, own_id, today, subscriber=True
        ),
        *_date_problems(prefix, coverage),
        *_copay_problems(prefix, coverage),
        *_card_problems(prefix, coverage),
    ]


def _saved_spans(session: Session, patient_id: uuid.UUID, skip: set[uuid.UUID]) -> list[_Span]:
    rows = session.scalars(
        select(Coverage).where(Coverage.patient_id == patient_id, Coverage.archived.is_(False))
    )
    return [
        _Span(
            None,
            row.priority,
            row.effective_date,
            row.termination_date,
            row.payer_id,
            row.member_id,
        )
        for row in rows
        if row.id not in skip
    ]


def _shared_days(first: _Span, second: _Span) -> tuple[bool, date | None]:
    """Return whether two ranges share a day, and the first shared day (None if open)."""
    starts = [day for day in (first.start, second.start) if day is not None]
    ends = [day for day in (first.end, second.end) if day is not None]
    start = max(starts) if starts else None
    end = min(ends) if ends else None
    if start is not None and end is not None and start > end:
        return False, None
    return True, start


def _payer_name(session: Session, payer_id: uuid.UUID | None) -> str:
    payer = session.get(Payer, payer_id) if payer_id is not None else None
    return payer.name if payer is not None else "an unknown payer"


def _overlap_problem(session: Session, first: _Span, second: _Span, day: date | None) -> Problem:
    order = COB_ORDER[first.priority].lower()
    when = f"on {day.isoformat()}" if day is not None else "from their open start dates"
    named = " and ".join(
        f"{_payer_name(session, span.payer_id)} (member {span.member_id.strip()})"
        for span in (first, second)
    )
    field = second.field or first.field or "coverages"
    return Problem(
        field,
        f"Two {order} coverages overlap {when}: {named}. End one of them or "
        f"{_OVERLAP_FIX[first.priority]}.",
    )


def overlap_problems(session: Session, spans: list[_Span]) -> list[Problem]:
    """Report each pair of same-priority coverages whose date ranges share a day."""
    problems = []
    for index, first in enumerate(spans):
        for second in spans[index + 1 :]:
            if first.priority != second.priority or first.priority not in COB_ORDER:
                continue
            if first.field is None and second.field is None:
                continue  # both saved already: reported when one of them is edited
            overlapping, day = _shared_days(first, second)
            if overlapping:
                problems.append(_overlap_problem(session, first, second, day))
    return problems


def coverage_problems(
    session: Session,
    patient_id: uuid.UUID | None,
    coverages: list[CoverageForm],
    today: date,
    *,
    complete: bool = False,
) -> list[Problem]:
    """Return every problem of `coverages`, named "coverages[i].field" by list position.

    Archived entries are skipped. Saved coverages of `patient_id` that are not in the
    list count toward the overlap check, unless `complete` is True: then the list is the
    patient's whole set, as when the registration form is saved, and saved coverages
    left out of it are about to be archived.
    """
    problems: list[Problem] = []
    spans: list[_Span] = []
    for index, coverage in enumerate(coverages):
        if coverage.archived:
            continue
        prefix = f"coverages[{index}]."
        problems.extend(single_coverage_problems(session, prefix, coverage, patient_id, today))
        spans.append(
            _Span(
                f"{prefix}priority",
                coverage.priority,
                coverage.effective_date,
                coverage.termination_date,
                coverage.payer_id,
                coverage.member_id,
            )
        )

    if patient_id is not None and not complete:
        listed = {coverage.id for coverage in coverages if coverage.id is not None}
        spans.extend(_saved_spans(session, patient_id, listed))
    problems.extend(overlap_problems(session, spans))
    return problems
