"""Referrals that sent a patient to the practice, with the visits each one allows.

A referral names the referring outside provider and, for plans that require one (HMOs
and many Medicaid plans), the referral number that claims carry in REF*9F. A referral
with no visit limit allows any number of visits until it expires. Remaining visits are
`visits_allowed - visits_used`; `record_referral_visit` adds one visit as appointments
are kept, and an edit can correct the count by hand.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError
from app.models.onboarding import PriorAuthorization, Referral
from app.models.patients import Coverage, OutsideProvider, Patient
from app.models.practice import Payer
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome
from app.services.outside_providers import provider_display_name
from app.services.patient_forms import COB_ORDER

log = logging.getLogger(__name__)

OBJECT_TYPE = "referral"
REFERENCE_MAX_LENGTH = 50
REASON_MAX_LENGTH = 500
# X12 files separate elements with * and segments with ~, and use : and ^ as the component
# and repetition separators, so a reference number that contains one breaks the claim file.
X12_DELIMITERS = "*~:^"


class ReferralStatus(StrEnum):
    """Whether a referral still allows visits; an expired referral counts as expired first."""

    ACTIVE = "active"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(slots=True)
class ReferralForm:
    """A referral as typed; `id` is None for a new one, `visits_allowed` None means no limit."""

    patient_id: uuid.UUID | None = None
    outside_provider_id: uuid.UUID | None = None
    coverage_id: uuid.UUID | None = None
    referral_number: str = ""
    reason: str = ""
    referred_on: date | None = None
    expires_on: date | None = None
    visits_allowed: int | None = None
    visits_used: int = 0
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral as the patient's record shows it, with what it still allows on `today`."""

    id: uuid.UUID
    patient_id: uuid.UUID
    outside_provider_id: uuid.UUID | None
    provider_name: str
    coverage_id: uuid.UUID | None
    coverage_label: str
    referral_number: str
    reason: str
    referred_on: date
    expires_on: date | None
    visits_allowed: int | None
    visits_used: int
    remaining_visits: int | None
    status: ReferralStatus
    archived: bool


@dataclass(frozen=True, slots=True)
class CoverageChoice:
    """One of the patient's coverages as a picker offers it."""

    id: uuid.UUID
    payer_id: uuid.UUID
    payer_name: str
    priority: int
    label: str


@dataclass(frozen=True, slots=True)
class VisitRecorded:
    """The visit count of a referral after `record_referral_visit` added one."""

    referral_id: uuid.UUID
    visits_used: int
    visits_allowed: int | None
    remaining_visits: int | None
    changes: Changes


# ---- checks shared with prior authorizations ----------------------------------------------


def reference_problems(value: str, field: str, label: str, *, required: bool) -> list[Problem]:
    """Check a payer's reference number (referral or authorization number) as typed."""
    problems = v.text_problems(value, field, label, REFERENCE_MAX_LENGTH, required=required)
    found = sorted({character for character in value if character in X12_DELIMITERS})
    if found:
        problems.append(
            Problem(
                field,
                f"{label} {v.echo_for_message(value.strip())} contains {' '.join(found)}, which "
                "claim files use as separators; type the number without it.",
            )
        )
    return problems


def count_problems(value: int | None, field: str, label: str, minimum: int) -> list[Problem]:
    """Check a count of visits or units against its lowest allowed value."""
    if value is None:
        return [Problem(field, f"{label} is missing; enter a whole number.")]
    if value < minimum:
        return [Problem(field, f"{label} {value} is below {minimum}; enter {minimum} or more.")]
    return []


def patient_problems(session: Session, patient_id: uuid.UUID | None) -> list[Problem]:
    """Check that the patient exists and is not archived (merged records are archived)."""
    if patient_id is None:
        return [Problem("patient_id", "No patient is chosen; open the patient's record first.")]
    patient = session.get(Patient, patient_id)
    if patient is None or patient.archived:
        return [
            Problem(
                "patient_id",
                f"Patient {patient_id} was not found or is archived; reopen the patient's "
                "record from the search.",
            )
        ]
    return []


def patient_coverage(
    session: Session, patient_id: uuid.UUID | None, coverage_id: uuid.UUID
) -> tuple[Coverage | None, list[Problem]]:
    """Return the coverage if it is active and belongs to the patient, else the problem."""
    coverage = session.get(Coverage, coverage_id)
    if coverage is None or coverage.archived or coverage.patient_id != patient_id:
        problem = Problem(
            "coverage_id",
            "The chosen coverage is not one of this patient's active coverages; choose one "
            "from the list or choose none.",
        )
        return None, [problem]
    return coverage, []


def _coverage_label(coverage: Coverage, payer_name: str) -> str:
    order = COB_ORDER.get(coverage.priority, f"Priority {coverage.priority}")
    label = f"{order}: {payer_name}"
    if coverage.termination_date is not None:
        label += f" (through {coverage.termination_date.isoformat()})"
    return label


def coverage_choices(session: Session, actor: Actor, patient_id: uuid.UUID) -> list[CoverageChoice]:
    """Return the patient's active coverages in coordination-of-benefits order."""
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    rows = session.execute(
        select(Coverage, Payer.name)
        .join(Payer, Payer.id == Coverage.payer_id)
        .where(Coverage.patient_id == patient_id, Coverage.archived.is_(False))
        .order_by(Coverage.priority)
    )
    return [
        CoverageChoice(
            coverage.id, coverage.payer_id, name, coverage.priority, _coverage_label(coverage, name)
        )
        for coverage, name in rows
    ]


def coverage_label(session: Session, coverage_id: uuid.UUID | None) -> str:
    """Return how a coverage is named on screens, or "" for none."""
    coverage = session.get(Coverage, coverage_id) if coverage_id is not None else None
    if coverage is None:
        return ""
    payer = session.get(Payer, coverage.payer_id)
    return _coverage_label(coverage, payer.name if payer else "")


def audit_patient_write(
    session: Session,
    actor: Actor,
    record: Referral | PriorAuthorization,
    action: AuditAction,
    problems: list[Problem],
) -> SaveOutcome:
    """Stamp, flush and audit a written referral or authorization, and return the outcome."""
    record.updated_by = actor.user_id
    session.add(record)
    session.flush()

    object_type = record.__tablename__
    audit.record(session, actor, action, object_type, record.id, patient_id=record.patient_id)
    log.info("%s %s %s", action.value, object_type, record.id)
    created = action is AuditAction.CREATE
    return SaveOutcome(record.id, created, tuple(problems), Changes.of(ChangeKind.REFERRALS))


def archive_patient_record(
    session: Session, actor: Actor, record: Referral | PriorAuthorization
) -> SaveOutcome:
    """Archive a referral or authorization after checking the actor may edit the patient."""
    require_or_emergency(session, actor, Permission.PATIENT_EDIT, record.patient_id)
    record.archived = True
    return audit_patient_write(session, actor, record, AuditAction.ARCHIVE, [])


# ---- referral rules -----------------------------------------------------------------------


def referral_status(referral: Referral | ReferralForm, today: date) -> ReferralStatus:
    """Return whether a referral is active, expired or used up on `today`."""
    if referral.expires_on is not None and today > referral.expires_on:
        return ReferralStatus.EXPIRED
    allowed = referral.visits_allowed
    if allowed is not None and referral.visits_used >= allowed:
        return ReferralStatus.USED_UP
    return ReferralStatus.ACTIVE


def _visit_count_problems(form: ReferralForm) -> list[Problem]:
    problems: list[Problem] = []
    allowed = form.visits_allowed
    if allowed is not None and allowed < 1:
        problems.append(
            Problem(
                "visits_allowed",
                f"Visits allowed {allowed} is below 1; enter the number of visits the "
                "referral allows, or leave it blank for no limit.",
            )
        )
    if form.visits_used < 0:
        problems.append(
            Problem("visits_used", f"Visits used {form.visits_used} is below 0; enter 0 or more.")
        )
    elif allowed is not None and allowed >= 1 and form.visits_used > allowed:
        problems.append(
            Problem(
                "visits_used",
                f"Visits used {form.visits_used} is more than the {allowed} allowed; correct "
                "the count, or raise the visits allowed if the referral was extended.",
            )
        )
    return problems


def _referral_date_problems(form: ReferralForm) -> list[Problem]:
    if form.referred_on is None:
        return [Problem("referred_on", "Referred on is missing; enter the referral's date.")]
    if form.expires_on is not None and form.expires_on < form.referred_on:
        return [
            Problem(
                "expires_on",
                f"Expires on {form.expires_on.isoformat()} is before the referral date "
                f"{form.referred_on.isoformat()}; correct one of the dates, or leave "
                "Expires on blank when the referral has no end date.",
            )
        ]
    return []


def referral_form_problems(form: ReferralForm) -> list[Problem]:
    """Return every problem found without the database, for forms to show as the user types."""
    problems: list[Problem] = []
    if form.outside_provider_id is None:
        problems.append(
            Problem(
                "outside_provider_id",
                "Referring provider is missing; choose one, or add them under Admin > "
                "Outside providers first.",
            )
        )
    problems += reference_problems(
        form.referral_number, "referral_number", "Referral number", required=False
    )
    problems += v.text_problems(form.reason, "reason", "Reason", REASON_MAX_LENGTH, required=False)
    return problems + _referral_date_problems(form) + _visit_count_problems(form)


def _provider_problems(
    session: Session, form: ReferralForm, stored: Referral | None
) -> list[Problem]:
    if form.outside_provider_id is None:
        return []
    provider = session.get(OutsideProvider, form.outside_provider_id)
    unchanged = stored is not None and stored.outside_provider_id == form.outside_provider_id
    # A referral keeps a provider archived after it was written, so it can still be edited.
    if provider is None or (provider.archived and not unchanged):
        return [
            Problem(
                "outside_provider_id",
                "The referring provider was not found or is archived; choose another.",
            )
        ]
    return []


def referral_problems(
    session: Session, form: ReferralForm, stored: Referral | None = None
) -> list[Problem]:
    """Return every problem with a referral, including those that need the database."""
    problems = referral_form_problems(form) + _provider_problems(session, form, stored)
    missing_patient = patient_problems(session, form.patient_id)
    if missing_patient:
        # Without the patient, the coverage cannot be checked against them.
        return problems + missing_patient
    if form.coverage_id is not None:
        problems += patient_coverage(session, form.patient_id, form.coverage_id)[1]
    return problems


# ---- reading and writing --------------------------------------------------------------------


def _get_referral(session: Session, referral_id: uuid.UUID) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or referral.archived:
        raise NotFoundError(
            f"The referral {referral_id} was not found or is archived. Refresh the patient's "
            "record and choose it again."
        )
    return referral


def _remaining(referral: Referral) -> int | None:
    if referral.visits_allowed is None:
        return None
    return max(referral.visits_allowed - referral.visits_used, 0)


def _view(session: Session, referral: Referral, today: date) -> ReferralView:
    provider_id = referral.outside_provider_id
    provider = session.get(OutsideProvider, provider_id) if provider_id else None
    return ReferralView(
        id=referral.id,
        patient_id=referral.patient_id,
        outside_provider_id=provider_id,
        provider_name=provider_display_name(provider) if provider else "",
        coverage_id=referral.coverage_id,
        coverage_label=coverage_label(session, referral.coverage_id),
        referral_number=referral.referral_number or "",
        reason=referral.reason,
        referred_on=referral.referred_on,
        expires_on=referral.expires_on,
        visits_allowed=referral.visits_allowed,
        visits_used=referral.visits_used,
        remaining_visits=_remaining(referral),
        status=referral_status(referral, today),
        archived=referral.archived,
    )


def list_referrals(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    today: date,
    include_archived: bool = False,
) -> list[ReferralView]:
    """Return the patient's referrals, active ones first, then newest first."""
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    query = select(Referral).where(Referral.patient_id == patient_id)
    if not include_archived:
        query = query.where(Referral.archived.is_(False))
    views = [_view(session, referral, today) for referral in session.scalars(query)]
    views.sort(key=lambda view: view.referred_on, reverse=True)
    views.sort(key=lambda view: view.status is not ReferralStatus.ACTIVE)
    return views


def _apply(referral: Referral, form: ReferralForm) -> None:
    assert form.patient_id is not None and form.referred_on is not None  # checked by the rules
    referral.patient_id = form.patient_id
    referral.outside_provider_id = form.outside_provider_id
    referral.coverage_id = form.coverage_id
    referral.referral_number = form.referral_number.strip() or None
    referral.reason = form.reason.strip()
    referral.referred_on = form.referred_on
    referral.expires_on = form.expires_on
    referral.visits_allowed = form.visits_allowed
    referral.visits_used = form.visits_used


def _stored_for(session: Session, form: ReferralForm) -> Referral | None:
    if form.id is None:
        return None
    stored = _get_referral(session, form.id)
    if stored.patient_id != form.patient_id:
        raise NotFoundError(
            f"The referral {form.id} belongs to another patient; reopen this patient's record."
        )
    return stored


def save_referral(session: Session, actor: Actor, form: ReferralForm) -> SaveOutcome:
    """Create (`form.id` None) or update a referral; validates every rule and audits."""
    require_or_emergency(session, actor, Permission.PATIENT_EDIT, form.patient_id)
    stored = _stored_for(session, form)
    problems = referral_problems(session, form, stored)
    if has_errors(problems):
        log.info("referral save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    referral = stored if stored is not None else Referral()
    _apply(referral, form)
    action = AuditAction.CREATE if stored is None else AuditAction.UPDATE
    return audit_patient_write(session, actor, referral, action, problems)


def archive_referral(session: Session, actor: Actor, referral_id: uuid.UUID) -> SaveOutcome:
    """Archive a referral, which hides it from the patient's record and from checks."""
    return archive_patient_record(session, actor, _get_referral(session, referral_id))


def require_visit_recorder(actor: Actor) -> None:
    """Allow the roles that keep appointments (SCHEDULE_EDIT) or post charges (CHARGE_POST)."""
    if not actor.can(Permission.CHARGE_POST):
        require(actor, Permission.SCHEDULE_EDIT)


def _visit_rejection(referral: Referral, service_date: date | None) -> str:
    number = referral.referral_number or str(referral.id)
    allowed = referral.visits_allowed
    if allowed is not None and referral.visits_used >= allowed:
        return (
            f"Referral {number} is used up: {referral.visits_used} of {allowed} visits are "
            "recorded. Ask the referring provider for a new referral before the visit."
        )
    if service_date is None:
        return ""
    if service_date < referral.referred_on:
        return (
            f"Referral {number} starts {referral.referred_on.isoformat()}, after the visit on "
            f"{service_date.isoformat()}; check the visit date or the referral."
        )
    if referral.expires_on is not None and service_date > referral.expires_on:
        return (
            f"Referral {number} expired {referral.expires_on.isoformat()}, before the visit on "
            f"{service_date.isoformat()}. Ask the referring provider for a new referral."
        )
    return ""


def record_referral_visit(
    session: Session, actor: Actor, referral_id: uuid.UUID, service_date: date | None = None
) -> VisitRecorded:
    """Count one more visit against a referral; audited.

    Raises UserError, writing nothing, when the referral is used up or, with
    `service_date`, when that date falls outside the referral's dates.
    """
    require_visit_recorder(actor)
    referral = _get_referral(session, referral_id)
    rejection = _visit_rejection(referral, service_date)
    if rejection:
        raise UserError(rejection)

    referral.visits_used += 1
    referral.updated_by = actor.user_id
    session.flush()

    allowed = referral.visits_allowed
    detail = f"visit recorded: {referral.visits_used} of {allowed if allowed else 'unlimited'}"
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        referral.id,
        patient_id=referral.patient_id,
        detail=detail,
    )
    log.info("recorded a visit on referral %s (%d used)", referral.id, referral.visits_used)
    return VisitRecorded(
        referral.id,
        referral.visits_used,
        allowed,
        _remaining(referral),
        Changes.of(ChangeKind.REFERRALS),
    )
