"""The claim worklist: filtered claim rows with aging, filing deadlines and scrub counts.

A claim's age counts from its first date of service, not from when it was sent,
because the payer's filing clock also runs from the date of service and does not restart
when a rejected claim is sent again. The list is one SELECT, whatever the number of rows:
names, finding counts and the last event come from joins and correlated subqueries.

Listing is not audited, because refreshes run after every change and would flood the
audit log; opening one claim (claim_detail) is an audited view.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.errors import UserError
from app.models.claims import Claim, ClaimEvent, ClaimFinding
from app.models.patients import Patient
from app.models.practice import Payer, Provider
from app.models.security import User
from app.money import to_money
from app.security.permissions import Actor, Permission, require
from app.services.claim_detail import (
    FILING_STATUSES,
    BatchEntry,
    ClaimDetail,
    DetailDiagnosis,
    DetailLine,
    TimelineEntry,
    add_claim_note,
    assign_claims,
    assignable_users,
    claim_detail,
    describe_event,
    filing_rule_book,
    person_name,
    provider_name,
    set_follow_up,
    set_payer_claim_number,
)
from app.services.claim_scrub_business import filing_days_left
from app.services.claim_status import ClaimStatus, status_label
from app.services.payer_rules import PayerRuleBook, TimelyFiling
from app.services.today import practice_today

log = logging.getLogger(__name__)

__all__ = [
    "AGING_BUCKETS",
    "BatchEntry",
    "ClaimDetail",
    "DetailDiagnosis",
    "DetailLine",
    "TimelineEntry",
    "WorklistFilter",
    "WorklistRow",
    "add_claim_note",
    "aging_summary",
    "assign_claims",
    "assignable_users",
    "claim_detail",
    "set_follow_up",
    "set_payer_claim_number",
    "worklist",
]

AGING_BUCKETS = ("0-30", "31-60", "61-90", "91-120", "Over 120")
# Upper bound in days of each bucket but the last.
_BUCKET_LIMITS = (30, 60, 90, 120)
# Largest age filter, 100 years: a larger one is a typing mistake, and one beyond the
# calendar's range would overflow the date arithmetic.
MAX_AGE_DAYS = 36_500

# Statuses that need someone's work: held by the scrub, rejected by the clearinghouse or
# denied by the payer. A claim with a follow-up date on or before today needs work too.
NEEDS_WORK_STATUSES = frozenset({ClaimStatus.HOLD, ClaimStatus.REJECTED, ClaimStatus.DENIED})


@dataclass(frozen=True, slots=True)
class WorklistFilter:
    """Criteria of the claims the worklist shows; a claim must meet every one that is set.

    An empty `statuses` means every status. `text` matches claim numbers, chart numbers
    and patient names, each word anywhere in one of them, ignoring case.
    """

    statuses: frozenset[str] = frozenset()
    payer_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    assigned_to: uuid.UUID | None = None
    text: str = ""
    needs_work: bool = False


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One claim as the worklist shows it."""

    claim_id: uuid.UUID
    claim_number: str
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    payer_name: str
    provider_name: str
    service_date: date
    age_days: int
    aging_bucket: str
    amount: Decimal
    status: str
    status_label: str
    assigned_to_name: str
    follow_up_on: date | None
    filing_days_left: int | None
    error_count: int
    warning_count: int
    last_event: str
    payer_id: uuid.UUID | None = None


def aging_bucket(age_days: int) -> str:
    """Return the aging bucket of an age in days; a future date of service counts as 0-30."""
    for label, limit in zip(AGING_BUCKETS, _BUCKET_LIMITS, strict=False):
        if age_days <= limit:
            return label
    return AGING_BUCKETS[-1]


def aging_summary(rows: Sequence[WorklistRow]) -> list[tuple[str, int, Decimal]]:
    """Return (bucket, claim count, total amount) for every bucket, in bucket order."""
    counts = dict.fromkeys(AGING_BUCKETS, 0)
    amounts = dict.fromkeys(AGING_BUCKETS, Decimal("0.00"))
    for row in rows:
        counts[row.aging_bucket] += 1
        amounts[row.aging_bucket] += row.amount
    return [(label, counts[label], amounts[label]) for label in AGING_BUCKETS]


# ---- the query -------------------------------------------------------------------------


def _count_findings(severity: str) -> Any:
    return (
        select(func.count(ClaimFinding.id))
        .where(
            ClaimFinding.claim_id == Claim.id,
            ClaimFinding.archived.is_(False),
            ClaimFinding.severity == severity,
        )
        .correlate(Claim)
        .scalar_subquery()
    )


def _last_event(column: Any) -> Any:
    return (
        select(column)
        .where(ClaimEvent.claim_id == Claim.id)
        .order_by(ClaimEvent.occurred_at.desc(), ClaimEvent.id.desc())
        .limit(1)
        .correlate(Claim)
        .scalar_subquery()
    )


def _base_query() -> Select[*tuple[Any, ...]]:
    assignee = aliased(User)
    return (
        select(
            Claim,
            Patient.last_name,
            Patient.first_name,
            Patient.chart_number,
            Payer.name,
            Payer.payer_code,
            Payer.claim_filing_indicator,
            Payer.timely_filing_days,
            Provider.first_name,
            Provider.last_name,
            Provider.credentials,
            assignee.display_name,
            _count_findings("error"),
            _count_findings("warning"),
            _last_event(ClaimEvent.event),
            _last_event(ClaimEvent.occurred_at),
        )
        .join(Patient, Patient.id == Claim.patient_id)
        .join(Payer, Payer.id == Claim.payer_id)
        .join(Provider, Provider.id == Claim.rendering_provider_id)
        .outerjoin(assignee, assignee.id == Claim.assigned_to)
        .where(Claim.archived.is_(False))
        .order_by(Claim.service_date_from, Claim.claim_number)
    )


def _like(column: Any, word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


def _check_age(label: str, days: int | None) -> None:
    if days is not None and not 0 <= days <= MAX_AGE_DAYS:
        raise UserError(
            f"The {label} age of {days} days is not between 0 and {MAX_AGE_DAYS:,}; "
            "enter an age in days within that range, or clear it."
        )


def _amount(label: str, value: Decimal | None) -> Decimal | None:
    """Return the amount rounded to cents, as claims store it, or raise UserError."""
    if value is None:
        return None
    try:
        return to_money(value)
    except ValueError:
        raise UserError(
            f"The {label} amount {value} is not an amount of money; enter dollars and "
            "cents, such as 150.00, or clear it."
        ) from None


def _conditions(filters: WorklistFilter, today: date) -> list[ColumnElement[bool]]:
    """Return the filters as SQL conditions; raises UserError for an age or amount out of range."""
    _check_age("minimum", filters.min_age_days)
    _check_age("maximum", filters.max_age_days)
    min_amount = _amount("minimum", filters.min_amount)
    max_amount = _amount("maximum", filters.max_amount)

    conditions: list[ColumnElement[bool]] = []
    if filters.statuses:
        conditions.append(Claim.status.in_(sorted(filters.statuses)))
    if filters.needs_work:
        due = and_(Claim.follow_up_on.is_not(None), Claim.follow_up_on <= today)
        conditions.append(or_(Claim.status.in_(sorted(NEEDS_WORK_STATUSES)), due))
    if filters.payer_id is not None:
        conditions.append(Claim.payer_id == filters.payer_id)
    if filters.provider_id is not None:
        conditions.append(Claim.rendering_provider_id == filters.provider_id)
    if filters.assigned_to is not None:
        conditions.append(Claim.assigned_to == filters.assigned_to)
    if filters.min_age_days is not None:
        conditions.append(Claim.service_date_from <= today - timedelta(days=filters.min_age_days))
    if filters.max_age_days is not None:
        conditions.append(Claim.service_date_from >= today - timedelta(days=filters.max_age_days))
    if min_amount is not None:
        conditions.append(Claim.total_charge >= min_amount)
    if max_amount is not None:
        conditions.append(Claim.total_charge <= max_amount)
    for word in filters.text.split():
        columns = (Claim.claim_number, Patient.chart_number, Patient.last_name, Patient.first_name)
        conditions.append(or_(*(_like(column, word) for column in columns)))
    return conditions


def worklist(session: Session, actor: Actor, filters: WorklistFilter) -> list[WorklistRow]:
    """Return the claims that match `filters`, oldest date of service first."""
    require(actor, Permission.CLAIM_MANAGE)
    today = practice_today(session)
    book = filing_rule_book()
    query = _base_query().where(*_conditions(filters, today))
    rows = [_row(values, today, book) for values in session.execute(query)]
    log.debug("worklist returned %d claims", len(rows))
    return rows


def _row(values: Any, today: date, book: PayerRuleBook | None) -> WorklistRow:
    (
        claim, last, first, chart, payer, payer_code, indicator, filing_days,
        provider_first, provider_last, credentials, assignee, errors, warnings,
        event, event_at,
    ) = values  # fmt: skip
    age = (today - claim.service_date_from).days
    days_left = _days_left(book, claim, (payer_code, indicator, filing_days), today)
    return WorklistRow(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        patient_id=claim.patient_id,
        patient_name=person_name(last, first),
        chart_number=chart,
        payer_name=payer,
        provider_name=provider_name(provider_first, provider_last, credentials),
        service_date=claim.service_date_from,
        age_days=age,
        aging_bucket=aging_bucket(age),
        amount=claim.total_charge,
        status=claim.status,
        status_label=status_label(claim.status),
        assigned_to_name=assignee or "",
        follow_up_on=claim.follow_up_on,
        filing_days_left=days_left,
        error_count=errors,
        warning_count=warnings,
        last_event=describe_event(event, event_at),
        payer_id=claim.payer_id,
    )


def _days_left(
    book: PayerRuleBook | None, claim: Claim, payer: tuple[str, str, int], today: date
) -> int | None:
    if claim.status not in FILING_STATUSES:
        return None
    payer_code, indicator, filing_days = payer
    rule = TimelyFiling.PAYER_DAYS
    if book is not None:
        rule = book.rules_for(payer_code, indicator).timely_filing
    return filing_days_left(claim.service_date_from, filing_days, rule, today)
