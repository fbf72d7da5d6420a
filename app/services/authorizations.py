"""Prior authorizations: a payer's approval, in advance, of services for a patient.

An authorization lists the procedure codes it covers, as codes only: CPT descriptors are
AMA copyright, so none is stored. An authorization with no codes covers every service
from that payer, and the form must state so explicitly (`covers_all_services`), so a code
list left blank by mistake is caught. It counts either visits or units; remaining is
`authorized - used`, and `use_authorization` adds to `used` as visits are scheduled or
claims are billed. `authorization_for` is the check that scheduling and claims call.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError
from app.models.onboarding import AuthorizedService, PriorAuthorization
from app.models.practice import Payer
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission
from app.services.authorization_codes import code_list_problems, normalize_code
from app.services.outcomes import SaveOutcome
from app.services.referrals import (
    archive_patient_record,
    audit_patient_write,
    count_problems,
    coverage_label,
    patient_coverage,
    patient_problems,
    reference_problems,
    require_visit_recorder,
)

log = logging.getLogger(__name__)

OBJECT_TYPE = "prior_authorization"
UNIT_KINDS = {"visits": "Visits", "units": "Units"}
NOTES_MAX_LENGTH = 500


class AuthorizationStatus(StrEnum):
    """The status of an authorization on a day.

    The first that applies wins, in this order: expired, used up, not started, active.
    """

    ACTIVE = "active"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    USED_UP = "used_up"


@dataclass(slots=True)
class AuthorizationForm:
    """A prior authorization as typed; `id` is None for a new one.

    `payer_id` may stay None when `coverage_id` names one of the patient's coverages;
    the coverage's payer is used then.
    """

    patient_id: uuid.UUID | None = None
    coverage_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None
    authorization_number: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    unit_kind: str = "visits"
    authorized: int | None = None
    used: int = 0
    codes: list[str] = field(default_factory=list)
    covers_all_services: bool = False
    notes: str = ""
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationView:
    """An authorization as the patient's record shows it, with its standing on `today`."""

    id: uuid.UUID
    patient_id: uuid.UUID
    coverage_id: uuid.UUID | None
    coverage_label: str
    payer_id: uuid.UUID
    payer_name: str
    authorization_number: str
    starts_on: date
    ends_on: date
    unit_kind: str
    authorized: int
    used: int
    remaining: int
    codes: tuple[str, ...]
    covers_all_services: bool
    notes: str
    status: AuthorizationStatus
    archived: bool


@dataclass(frozen=True, slots=True)
class UnitsUsed:
    """An authorization's count after `use_authorization`."""

    authorization_id: uuid.UUID
    used: int
    authorized: int
    remaining: int
    changes: Changes


# ---- rules ------------------------------------------------------------------------------------


def authorization_status(
    authorization: PriorAuthorization | AuthorizationView, today: date
) -> AuthorizationStatus:
    """Return the status of an authorization on `today`."""
    if today > authorization.ends_on:
        return AuthorizationStatus.EXPIRED
    if authorization.used >= authorization.authorized:
        return AuthorizationStatus.USED_UP
    if today < authorization.starts_on:
        return AuthorizationStatus.NOT_STARTED
    return AuthorizationStatus.ACTIVE


def _date_problems(form: AuthorizationForm) -> list[Problem]:
    problems: list[Problem] = []
    if form.starts_on is None:
        problems.append(Problem("starts_on", "Start date is missing; enter the first covered day."))
    if form.ends_on is None:
        problems.append(Problem("ends_on", "End date is missing; enter the last covered day."))
    if form.starts_on and form.ends_on and form.ends_on < form.starts_on:
        problems.append(
            Problem(
                "ends_on",
                f"End date {form.ends_on.isoformat()} is before the start date "
                f"{form.starts_on.isoformat()}; correct one of them.",
            )
        )
    return problems


def _count_problems(form: AuthorizationForm) -> list[Problem]:
    noun = form.unit_kind if form.unit_kind in UNIT_KINDS else "visits"
    problems = count_problems(form.authorized, "authorized", f"Authorized {noun}", 1)
    problems += count_problems(form.used, "used", f"Used {noun}", 0)
    if not problems and form.authorized is not None and form.used > form.authorized:
        problems.append(
            Problem(
                "used",
                f"Used {noun} {form.used} is more than the {form.authorized} authorized; correct "
                "the count, or raise the authorized number if the payer extended it.",
            )
        )
    return problems


def _service_problems(form: AuthorizationForm) -> list[Problem]:
    codes = [code for code in form.codes if code.strip()]
    if form.covers_all_services:
        if codes:
            return [
                Problem(
                    "codes",
                    "Service codes are listed but the authorization is marked as covering all "
                    "services; clear the codes, or untick All services.",
                )
            ]
        return []
    if not codes:
        return [
            Problem(
                "codes",
                "Service codes are missing; enter the CPT or HCPCS codes the payer approved, "
                "such as 97110, 97140, or tick All services if it covers every service.",
            )
        ]
    return code_list_problems(codes, "codes")


def authorization_form_problems(form: AuthorizationForm) -> list[Problem]:
    """Return every problem found without the database, for forms to show as the user types."""
    problems: list[Problem] = []
    if form.coverage_id is None and form.payer_id is None:
        problems.append(
            Problem("payer_id", "Payer is missing; choose the payer or one of the coverages.")
        )
    problems += reference_problems(
        form.authorization_number, "authorization_number", "Authorization number", required=True
    )
    if form.unit_kind not in UNIT_KINDS:
        problems.append(
            Problem(
                "unit_kind",
                f"Counted in {v.echo_for_message(form.unit_kind)} is not known; choose visits "
                "or units.",
            )
        )
    problems += v.text_problems(form.notes, "notes", "Notes", NOTES_MAX_LENGTH, required=False)
    return problems + _date_problems(form) + _count_problems(form) + _service_problems(form)


def _payer_problems(
    session: Session, form: AuthorizationForm
) -> tuple[uuid.UUID | None, list[Problem]]:
    """Return the payer the authorization is from, and any problem with it."""
    payer_id = form.payer_id
    if form.coverage_id is not None:
        coverage, problems = patient_coverage(session, form.patient_id, form.coverage_id)
        if coverage is None:
            return None, problems
        if payer_id is not None and payer_id != coverage.payer_id:
            message = (
                "The payer differs from the chosen coverage's payer; choose that coverage's "
                "payer, or another coverage."
            )
            return None, [Problem("payer_id", message)]
        payer_id = coverage.payer_id
    payer = session.get(Payer, payer_id) if payer_id is not None else None
    if payer is None or payer.archived:
        return None, [
            Problem("payer_id", "The payer was not found or is archived; choose another.")
        ]
    return payer_id, []


def _duplicate_problems(
    session: Session, form: AuthorizationForm, payer_id: uuid.UUID
) -> list[Problem]:
    number = form.authorization_number.strip()
    query = select(PriorAuthorization.id).where(
        PriorAuthorization.patient_id == form.patient_id,
        PriorAuthorization.payer_id == payer_id,
        PriorAuthorization.authorization_number == number,
        PriorAuthorization.archived.is_(False),
    )
    if form.id is not None:
        query = query.where(PriorAuthorization.id != form.id)
    if session.scalar(query.limit(1)) is None:
        return []
    return [
        Problem(
            "authorization_number",
            f"Authorization {v.echo_for_message(number)} from this payer is already on this "
            "patient's record; edit that one instead.",
        )
    ]


def authorization_problems(
    session: Session, form: AuthorizationForm
) -> tuple[uuid.UUID | None, list[Problem]]:
    """Return the payer the authorization is from and every problem with it."""
    problems = authorization_form_problems(form)
    missing_patient = patient_problems(session, form.patient_id)
    if missing_patient:
        # Without the patient, the coverage and duplicates cannot be checked against them.
        return None, problems + missing_patient
    payer_id: uuid.UUID | None = None
    if form.coverage_id is not None or form.payer_id is not None:
        payer_id, payer_problems = _payer_problems(session, form)
        problems += payer_problems
    if payer_id is not None and form.authorization_number.strip():
        problems += _duplicate_problems(session, form, payer_id)
    return payer_id, problems


# ---- reading and writing ------------------------------------------------------------------


def get_authorization(session: Session, authorization_id: uuid.UUID) -> PriorAuthorization:
    """Return an authorization that is not archived, or raise NotFoundError."""
    authorization = session.get(PriorAuthorization, authorization_id)
    if authorization is None or authorization.archived:
        raise NotFoundError(
            f"The authorization {authorization_id} was not found or is archived. Refresh the "
            "patient's record and choose it again."
        )
    return authorization


def authorized_codes(session: Session, authorization_id: uuid.UUID) -> tuple[str, ...]:
    """Return the codes an authorization lists, sorted (empty when it covers every service)."""
    query = (
        select(AuthorizedService.code)
        .where(
            AuthorizedService.authorization_id == authorization_id,
            AuthorizedService.archived.is_(False),
        )
        .order_by(AuthorizedService.code)
    )
    return tuple(session.scalars(query))


def authorization_view(
    session: Session, authorization: PriorAuthorization, today: date
) -> AuthorizationView:
    """Return the view of one authorization on `today`."""
    codes = authorized_codes(session, authorization.id)
    payer = session.get(Payer, authorization.payer_id)
    return AuthorizationView(
        id=authorization.id,
        patient_id=authorization.patient_id,
        coverage_id=authorization.coverage_id,
        coverage_label=coverage_label(session, authorization.coverage_id),
        payer_id=authorization.payer_id,
        payer_name=payer.name if payer else "",
        authorization_number=authorization.authorization_number,
        starts_on=authorization.starts_on,
        ends_on=authorization.ends_on,
        unit_kind=authorization.unit_kind,
        authorized=authorization.authorized,
        used=authorization.used,
        remaining=max(authorization.authorized - authorization.used, 0),
        codes=codes,
        covers_all_services=not codes,
        notes=authorization.notes or "",
        status=authorization_status(authorization, today),
        archived=authorization.archived,
    )


def list_authorizations(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    today: date,
    include_archived: bool = False,
) -> list[AuthorizationView]:
    """Return the patient's authorizations: active first, then by end date, soonest first."""
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    query = select(PriorAuthorization).where(PriorAuthorization.patient_id == patient_id)
    if not include_archived:
        query = query.where(PriorAuthorization.archived.is_(False))
    query = query.order_by(PriorAuthorization.ends_on, PriorAuthorization.starts_on)
    views = [authorization_view(session, row, today) for row in session.scalars(query)]
    views.sort(key=lambda view: view.status is not AuthorizationStatus.ACTIVE)
    return views


def _sync_codes(
    session: Session, authorization: PriorAuthorization, codes: list[str], actor: Actor
) -> None:
    """Make the authorization's code rows match `codes`, archiving the ones removed."""
    wanted = {normalize_code(code) for code in codes if code.strip()}
    rows = session.scalars(
        select(AuthorizedService).where(AuthorizedService.authorization_id == authorization.id)
    )
    for row in rows:
        keep = row.code in wanted
        wanted.discard(row.code)
        if row.archived == keep:
            row.archived = not keep
            row.updated_by = actor.user_id
    for code in sorted(wanted):
        session.add(
            AuthorizedService(
                authorization_id=authorization.id, code=code, updated_by=actor.user_id
            )
        )


def _apply(authorization: PriorAuthorization, form: AuthorizationForm, payer_id: uuid.UUID) -> None:
    # The rules have passed, so the required values are present.
    assert form.patient_id is not None
    assert form.starts_on is not None and form.ends_on is not None
    assert form.authorized is not None
    authorization.patient_id = form.patient_id
    authorization.coverage_id = form.coverage_id
    authorization.payer_id = payer_id
    authorization.authorization_number = form.authorization_number.strip()
    authorization.starts_on = form.starts_on
    authorization.ends_on = form.ends_on
    authorization.unit_kind = form.unit_kind
    authorization.authorized = form.authorized
    authorization.used = form.used
    authorization.notes = form.notes.strip() or None


def _stored_for(session: Session, form: AuthorizationForm) -> PriorAuthorization | None:
    if form.id is None:
        return None
    stored = get_authorization(session, form.id)
    if stored.patient_id != form.patient_id:
        raise NotFoundError(
            f"The authorization {form.id} belongs to another patient; reopen this patient's record."
        )
    return stored


def save_authorization(session: Session, actor: Actor, form: AuthorizationForm) -> SaveOutcome:
    """Create (`form.id` None) or update an authorization and its codes; audited."""
    require_or_emergency(session, actor, Permission.PATIENT_EDIT, form.patient_id)
    stored = _stored_for(session, form)
    payer_id, problems = authorization_problems(session, form)
    if has_errors(problems) or payer_id is None:
        log.info("authorization save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    authorization = stored if stored is not None else PriorAuthorization()
    _apply(authorization, form, payer_id)
    session.add(authorization)
    session.flush()
    _sync_codes(session, authorization, form.codes, actor)

    action = AuditAction.CREATE if stored is None else AuditAction.UPDATE
    return audit_patient_write(session, actor, authorization, action, problems)


def archive_authorization(
    session: Session, actor: Actor, authorization_id: uuid.UUID
) -> SaveOutcome:
    """Archive an authorization, which hides it from the record and from coverage checks."""
    return archive_patient_record(session, actor, get_authorization(session, authorization_id))


def use_authorization(
    session: Session, actor: Actor, authorization_id: uuid.UUID, units: int = 1
) -> UnitsUsed:
    """Count `units` more visits or units against an authorization; audited.

    Raises UserError, writing nothing, when fewer than `units` remain.
    """
    require_visit_recorder(actor)
    if units < 1:
        raise ValueError(f"units must be 1 or more, not {units}")
    authorization = get_authorization(session, authorization_id)
    remaining = authorization.authorized - authorization.used
    noun = authorization.unit_kind
    if units > remaining:
        raise UserError(
            f"Authorization {authorization.authorization_number} has {max(remaining, 0)} of "
            f"{authorization.authorized} {noun} left, so {units} more cannot be used. Ask the "
            "payer to extend it, or schedule the service without this authorization."
        )

    authorization.used += units
    authorization.updated_by = actor.user_id
    session.flush()

    detail = f"used {units} {noun}: {authorization.used} of {authorization.authorized}"
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        authorization.id,
        patient_id=authorization.patient_id,
        detail=detail,
    )
    log.info("used %d %s of authorization %s", units, noun, authorization.id)
    return UnitsUsed(
        authorization.id,
        authorization.used,
        authorization.authorized,
        authorization.authorized - authorization.used,
        Changes.of(ChangeKind.REFERRALS),
    )
