"""Clinicians outside the practice: the referring providers of referrals and claims.

A referring provider's name and NPI go into box 17 of the CMS-1500 form (loop 2310A of
the 837P), and the registration form offers these records as a patient's referring
provider. The front desk adds them while registering patients, so saving one needs
PATIENT_EDIT rather than the practice set-up permission. Records are archived, never
deleted, because referrals and patients keep pointing at them.
"""

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.contact import contact_phone_problems, display_phone, normalize_phone_e164, parse_phone
from app.errors import NotFoundError
from app.models.patients import OutsideProvider
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

OBJECT_TYPE = "outside_provider"


@dataclass(slots=True)
class OutsideProviderForm:
    """An outside provider as typed; `id` is None for a new record.

    A clinic or group with no single clinician goes in `last_name` with `first_name` blank.
    """

    first_name: str = ""
    last_name: str = ""
    credentials: str = ""
    npi: str = ""
    phone: str = ""
    fax: str = ""
    address_line1: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class OutsideProviderSummary:
    """An outside provider as lists and pickers show it; phones are in display form."""

    id: uuid.UUID
    first_name: str
    last_name: str
    credentials: str
    npi: str
    phone: str
    fax: str
    address_line1: str
    city: str
    state: str
    zip_code: str
    display_name: str
    archived: bool


def provider_display_name(provider: OutsideProvider) -> str:
    """Return a name for screens, such as "Ana Lopez, MD" or "Northside Orthopedics"."""
    name = " ".join(part for part in (provider.first_name, provider.last_name) if part)
    return f"{name}, {provider.credentials}" if provider.credentials else name


def _summarize(provider: OutsideProvider) -> OutsideProviderSummary:
    return OutsideProviderSummary(
        id=provider.id,
        first_name=provider.first_name or "",
        last_name=provider.last_name,
        credentials=provider.credentials or "",
        npi=provider.npi or "",
        phone=display_phone(provider.phone),
        fax=display_phone(provider.fax),
        address_line1=provider.address_line1 or "",
        city=provider.city or "",
        state=provider.state or "",
        zip_code=provider.zip_code or "",
        display_name=provider_display_name(provider),
        archived=provider.archived,
    )


def list_outside_providers(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[OutsideProviderSummary]:
    """Return outside providers ordered by last name, then first name."""
    del actor  # any signed-in user may list them, for the pickers of registration and billing
    query = select(OutsideProvider).order_by(OutsideProvider.last_name, OutsideProvider.first_name)
    if not include_archived:
        query = query.where(OutsideProvider.archived.is_(False))
    return [_summarize(provider) for provider in session.scalars(query)]


def _fax_problems(value: str) -> list[Problem]:
    text = value.strip()
    if not text or parse_phone(text) is not None:
        return []
    return [
        Problem(
            "fax",
            f"Fax number {v.echo_for_message(text)} is not a valid number; enter the area "
            "code and number, such as (512) 555-0199.",
        )
    ]


def _address_problems(form: OutsideProviderForm) -> list[Problem]:
    problems = [
        *v.text_problems(form.address_line1, "address_line1", "Street address", 55, required=False),
        *v.text_problems(form.city, "city", "City", 30, required=False),
    ]
    if form.state.strip():
        problems += v.state_problems(form.state, "state")
    if form.zip_code.strip():
        problems += v.zip_problems(form.zip_code, "zip_code")
    return problems


def outside_provider_problems(form: OutsideProviderForm) -> list[Problem]:
    """Return every problem with an outside provider's details (no database needed).

    The name is required; NPI, phones and address are optional but valid when given.
    """
    problems = [
        *v.text_problems(form.first_name, "first_name", "First name", 35, required=False),
        *v.text_problems(form.last_name, "last_name", "Last name or organization name", 60),
        *v.text_problems(form.credentials, "credentials", "Credentials", 20, required=False),
        *contact_phone_problems(form.phone, "phone"),
        *_fax_problems(form.fax),
        *_address_problems(form),
    ]
    if form.npi.strip():
        problems += v.npi_problems(form.npi, "npi")
    return problems


def _npi_owner(session: Session, npi: str, provider_id: uuid.UUID | None) -> OutsideProvider | None:
    query = select(OutsideProvider).where(
        OutsideProvider.npi == npi, OutsideProvider.archived.is_(False)
    )
    if provider_id is not None:
        query = query.where(OutsideProvider.id != provider_id)
    return session.scalars(query.limit(1)).first()


def _duplicate_npi_problems(session: Session, form: OutsideProviderForm) -> list[Problem]:
    npi = v.normalize_npi(form.npi)
    owner = _npi_owner(session, npi, form.id) if npi else None
    if owner is None:
        return []
    return [
        Problem(
            "npi",
            f"NPI {npi} already belongs to {provider_display_name(owner)}; choose that "
            "record instead, or archive it first if it is a duplicate.",
        )
    ]


def get_active_provider(session: Session, provider_id: uuid.UUID) -> OutsideProvider:
    """Return an outside provider that is not archived, or raise NotFoundError."""
    provider = session.get(OutsideProvider, provider_id)
    if provider is None or provider.archived:
        raise NotFoundError(
            f"The outside provider {provider_id} was not found or is archived. Refresh the "
            "list and choose it again."
        )
    return provider


def _apply(provider: OutsideProvider, form: OutsideProviderForm) -> None:
    provider.first_name = form.first_name.strip() or None
    provider.last_name = form.last_name.strip()
    provider.credentials = form.credentials.strip() or None
    provider.npi = v.normalize_npi(form.npi) or None
    provider.phone = normalize_phone_e164(form.phone) if form.phone.strip() else None
    provider.fax = normalize_phone_e164(form.fax) if form.fax.strip() else None
    provider.address_line1 = form.address_line1.strip() or None
    provider.city = form.city.strip() or None
    provider.state = v.normalize_state(form.state) or None
    provider.zip_code = v.normalize_zip(form.zip_code) if form.zip_code.strip() else None


def save_outside_provider(session: Session, actor: Actor, form: OutsideProviderForm) -> SaveOutcome:
    """Create (`form.id` None) or update an outside provider; validates and audits."""
    require(actor, Permission.PATIENT_EDIT)
    problems = outside_provider_problems(form)
    if not has_errors(problems):
        problems += _duplicate_npi_problems(session, form)
    if has_errors(problems):
        log.info("outside provider save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    created = form.id is None
    provider = OutsideProvider() if form.id is None else get_active_provider(session, form.id)
    _apply(provider, form)
    provider.updated_by = actor.user_id
    session.add(provider)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, provider.id)
    log.info("%s outside provider %s", "created" if created else "updated", provider.id)
    return SaveOutcome(provider.id, created, tuple(problems), Changes.of(ChangeKind.REFERRALS))


def archive_outside_provider(session: Session, actor: Actor, provider_id: uuid.UUID) -> SaveOutcome:
    """Archive an outside provider; referrals and patients that name them keep the link."""
    require(actor, Permission.PATIENT_EDIT)
    provider = get_active_provider(session, provider_id)
    provider.archived = True
    provider.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, OBJECT_TYPE, provider.id)
    log.info("archived outside provider %s", provider.id)
    return SaveOutcome(provider.id, changes=Changes.of(ChangeKind.REFERRALS))
