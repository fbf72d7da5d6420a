"""Whether a prior authorization on file covers one service: the check scheduling and claims call.

An authorization covers a service when it is not archived, is from the payer billed, its
dates include the service date (both ends inclusive), it lists the code or covers all
services, and enough visits or units remain. Of several that cover it, the one ending
soonest is picked, so the authorization about to lapse is used up first.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.onboarding import PriorAuthorization
from app.models.practice import Payer
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission
from app.services.authorization_codes import is_procedure_code, normalize_code
from app.services.authorizations import authorized_codes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthorizationCheck:
    """The result of `authorization_for`.

    When `covered` is False, `authorization_id`, `authorization_number` and
    `remaining_after` are None and `reason` says what is missing and names the nearest
    authorization, if any.
    """

    covered: bool
    authorization_id: uuid.UUID | None
    authorization_number: str | None
    remaining_after: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Service:
    service_date: date
    code: str
    units: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    authorization: PriorAuthorization
    codes: tuple[str, ...]

    def lists(self, code: str) -> bool:
        return not self.codes or code in self.codes

    def spans(self, service_date: date) -> bool:
        return self.authorization.starts_on <= service_date <= self.authorization.ends_on

    def remaining(self) -> int:
        return self.authorization.authorized - self.authorization.used

    def covers(self, code: str, service_date: date, units: int) -> bool:
        return self.lists(code) and self.spans(service_date) and self.remaining() >= units


def _candidates(session: Session, patient_id: uuid.UUID) -> list[_Candidate]:
    query = (
        select(PriorAuthorization)
        .where(PriorAuthorization.patient_id == patient_id, PriorAuthorization.archived.is_(False))
        .order_by(
            PriorAuthorization.ends_on,
            PriorAuthorization.starts_on,
            PriorAuthorization.authorization_number,
        )
    )
    return [_Candidate(row, authorized_codes(session, row.id)) for row in session.scalars(query)]


def _payer_name(session: Session, payer_id: uuid.UUID) -> str:
    payer = session.get(Payer, payer_id)
    return payer.name if payer is not None else f"payer {payer_id}"


def _covered(found: _Candidate, code: str, units: int) -> AuthorizationCheck:
    authorization = found.authorization
    after = found.remaining() - units
    this_use = "this one" if units == 1 else f"these {units}"
    reason = (
        f"Authorization {authorization.authorization_number} covers {code} through "
        f"{authorization.ends_on.isoformat()}; {after} of {authorization.authorized} "
        f"{authorization.unit_kind} will be left after {this_use}."
    )
    return AuthorizationCheck(
        True, authorization.id, authorization.authorization_number, after, reason
    )


def _nearest_note(listing: list[_Candidate], service_date: date, units: int) -> str:
    """Say why the nearest authorization that lists the code does not cover the service."""
    spanning = [candidate for candidate in listing if candidate.spans(service_date)]
    if spanning:
        found = spanning[0]
        authorization = found.authorization
        return (
            f"; {authorization.authorization_number} has {max(found.remaining(), 0)} of "
            f"{authorization.authorized} {authorization.unit_kind} left, fewer than the "
            f"{units} needed"
        )

    def distance(candidate: _Candidate) -> int:
        authorization = candidate.authorization
        if service_date > authorization.ends_on:
            return (service_date - authorization.ends_on).days
        return (authorization.starts_on - service_date).days

    nearest = min(listing, key=distance).authorization
    if service_date > nearest.ends_on:
        return f"; the nearest one ({nearest.authorization_number}) ended {nearest.ends_on}"
    return f"; the nearest one ({nearest.authorization_number}) starts {nearest.starts_on}"


def _not_covered(
    session: Session, candidates: list[_Candidate], payer_id: uuid.UUID, service: _Service
) -> AuthorizationCheck:
    service_date, code, units = service.service_date, service.code, service.units
    payer_name = _payer_name(session, payer_id)
    reason = f"No authorization from {payer_name} covers {code} on {service_date.isoformat()}"
    same_payer = [
        candidate for candidate in candidates if candidate.authorization.payer_id == payer_id
    ]
    listing = [candidate for candidate in same_payer if candidate.lists(code)]
    if listing:
        reason += _nearest_note(listing, service_date, units)
    elif same_payer:
        numbers = ", ".join(
            candidate.authorization.authorization_number for candidate in same_payer
        )
        reason += f"; the ones on file ({numbers}) do not list {code}"
    else:
        reason += "; none from this payer is on file for the patient"

    other = next(
        (
            candidate
            for candidate in candidates
            if candidate.authorization.payer_id != payer_id
            and candidate.covers(code, service_date, units)
        ),
        None,
    )
    if other is not None:
        other_payer = _payer_name(session, other.authorization.payer_id)
        reason += (
            f". Authorization {other.authorization.authorization_number} from {other_payer} "
            "covers it; check which coverage the visit is billed to"
        )
    return AuthorizationCheck(False, None, None, None, reason + ".")


def authorization_for(  # noqa: PLR0917 (the documented signature other services call)
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID,
    service_date: date,
    code: str,
    units: int = 1,
) -> AuthorizationCheck:
    """Find the active authorization, ending soonest, that covers one service.

    A read-only lookup; callers such as scheduling and claims do their own permission
    checks as well, and this one requires PATIENT_VIEW for the patient.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    if units < 1:
        raise ValueError(f"units must be 1 or more, not {units}")
    code = normalize_code(code)
    if not is_procedure_code(code):
        reason = (
            f"{code or 'The blank code'} is not a CPT or HCPCS code, so no authorization can "
            "cover it; check the code on the visit."
        )
        return AuthorizationCheck(False, None, None, None, reason)

    candidates = _candidates(session, patient_id)
    covering = [
        candidate
        for candidate in candidates
        if candidate.authorization.payer_id == payer_id
        and candidate.covers(code, service_date, units)
    ]
    if covering:
        # Candidates are sorted by end date, so the first covers it and lapses soonest.
        return _covered(covering[0], code, units)
    log.debug("no authorization covers the service for patient %s", patient_id)
    return _not_covered(session, candidates, payer_id, _Service(service_date, code, units))
