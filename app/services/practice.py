"""First-run practice set-up and the practice's own record.

`initialize_practice` writes everything a new database needs before anyone can sign in:
this workstation's row, the practice, its locations and rooms, its providers and the first
administrator. The caller runs it inside one transaction, so set-up either completes or
leaves nothing behind.
"""

import logging
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError, ValidationError
from app.ids import PracticeId, UserId
from app.models.practice import Location, Practice, Provider, Room
from app.models.system import Workstation
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.passwords import check_password_policy
from app.security.permissions import Actor, Permission, Role, require, system_actor
from app.services import numbering, users
from app.services.settings import SecuritySettings

log = logging.getLogger(__name__)


class PracticeExistsError(UserError):
    """Set-up was asked to run on a database that already has a practice."""


@dataclass(frozen=True, slots=True)
class PracticeInfo:
    """The billing entity as it appears on claims (loop 2010AA of the 837P)."""

    legal_name: str
    billing_npi: str
    ein: str
    taxonomy_code: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class LocationInput:
    """A service location with the names of its rooms."""

    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    place_of_service: str = "11"
    rooms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderInput:
    """A rendering provider (a person with a type 1 NPI)."""

    first_name: str
    last_name: str
    credentials: str
    npi: str
    taxonomy_code: str


@dataclass(frozen=True, slots=True)
class AdminAccount:
    """The first administrator's sign-in."""

    username: str
    display_name: str
    password: str


@dataclass(frozen=True, slots=True)
class PracticeSetup:
    """Everything the first-run wizard or `clinicdesk init` collects."""

    practice: PracticeInfo
    locations: tuple[LocationInput, ...]
    providers: tuple[ProviderInput, ...]
    admin: AdminAccount
    workstation_name: str


@dataclass(frozen=True, slots=True)
class InitResult:
    """What set-up created: the administrator to act as, and the new ids."""

    admin: Actor
    practice_id: PracticeId
    workstation_code: str
    changes: Changes


def practice_problems(info: PracticeInfo, prefix: str = "practice") -> list[Problem]:
    """Return every problem with the practice's billing details."""
    return [
        *v.text_problems(info.legal_name, f"{prefix}.legal_name", "Legal name", 60),
        *v.npi_problems(info.billing_npi, f"{prefix}.billing_npi"),
        *v.ein_problems(info.ein, f"{prefix}.ein"),
        *v.taxonomy_problems(info.taxonomy_code, f"{prefix}.taxonomy_code"),
        *_address_problems(info, prefix),
        *v.phone_problems(info.phone, f"{prefix}.phone"),
        *v.time_zone_problems(info.time_zone, f"{prefix}.time_zone"),
    ]


def _address_problems(address: PracticeInfo | LocationInput, prefix: str) -> list[Problem]:
    # 837P claims need a street address with ZIP+4 for both the billing provider
    # (loop 2010AA) and the service facility (loop 2310C), so one rule serves both.
    return [
        *v.text_problems(address.address_line1, f"{prefix}.address_line1", "Street address", 55),
        *v.po_box_problems(address.address_line1, f"{prefix}.address_line1"),
        *v.text_problems(
            address.address_line2, f"{prefix}.address_line2", "Address line 2", 55, required=False
        ),
        *v.po_box_problems(address.address_line2, f"{prefix}.address_line2"),
        *v.text_problems(address.city, f"{prefix}.city", "City", 30),
        *v.state_problems(address.state, f"{prefix}.state"),
        *v.zip_problems(address.zip_code, f"{prefix}.zip_code", require_plus4=True),
    ]


def location_problems(data: LocationInput, prefix: str = "location") -> list[Problem]:
    """Return every problem with a service location and its room names."""
    return [
        *v.text_problems(data.name, f"{prefix}.name", "Location name", 60),
        *_address_problems(data, prefix),
        *v.phone_problems(data.phone, f"{prefix}.phone", required=False),
        *v.place_of_service_problems(data.place_of_service, f"{prefix}.place_of_service"),
        *room_name_problems(data.rooms, f"{prefix}.rooms"),
    ]


def room_name_problems(names: tuple[str, ...], field: str) -> list[Problem]:
    """Check room names: present, at most 40 characters, and unique within the location."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        problems += v.text_problems(name, f"{field}[{index}]", "Room name", 40)
        key = name.strip().casefold()
        if key and key in seen:
            problems.append(
                Problem(f"{field}[{index}]", f"Room {name.strip()} is listed twice; remove one.")
            )
        seen.add(key)
    return problems


def provider_problems(data: ProviderInput, prefix: str = "provider") -> list[Problem]:
    """Return every problem with a rendering provider's details."""
    return [
        *v.text_problems(data.first_name, f"{prefix}.first_name", "First name", 35),
        *v.text_problems(data.last_name, f"{prefix}.last_name", "Last name", 60),
        *v.text_problems(
            data.credentials, f"{prefix}.credentials", "Credentials", 20, required=False
        ),
        *v.npi_problems(data.npi, f"{prefix}.npi"),
        *v.taxonomy_problems(data.taxonomy_code, f"{prefix}.taxonomy_code"),
    ]


def _admin_problems(admin: AdminAccount) -> list[Problem]:
    username = users.normalize_username(admin.username)
    problems = []
    if users.USERNAME_PATTERN.fullmatch(username) is None:
        problems.append(
            Problem(
                "admin.username",
                f"The user name {v.shorten_for_message(admin.username.strip())!r} is not valid. "
                "Use 3 to 40 characters: "
                "letters, digits, dots, hyphens or underscores, such as admin or j.smith.",
            )
        )
    named = users.display_name_problems(admin.display_name)
    policy = check_password_policy(admin.password, SecuritySettings().password_min_length, username)
    problems += [Problem("admin.display_name", p.message, p.severity) for p in named]
    problems += [Problem("admin.password", p.message, p.severity) for p in policy]
    return problems


def _duplicate_npi_problems(providers: tuple[ProviderInput, ...]) -> list[Problem]:
    problems = []
    first_index: dict[str, int] = {}
    for index, provider in enumerate(providers):
        npi = v.normalize_npi(provider.npi)
        if npi in first_index:
            problems.append(
                Problem(
                    f"providers[{index}].npi",
                    f"NPI {npi} is already used by provider {first_index[npi] + 1}; "
                    "each provider has their own NPI.",
                )
            )
        first_index.setdefault(npi, index)
    return problems


def validate_setup(setup: PracticeSetup) -> list[Problem]:
    """Return every problem with the set-up input, each naming its field."""
    problems = practice_problems(setup.practice)
    if not setup.locations:
        problems.append(Problem("locations", "Add at least one location where patients are seen."))
    for index, location in enumerate(setup.locations):
        problems += location_problems(location, f"locations[{index}]")

    if not setup.providers:
        problems.append(Problem("providers", "Add at least one provider who sees patients."))
    for index, provider in enumerate(setup.providers):
        problems += provider_problems(provider, f"providers[{index}]")
    problems += _duplicate_npi_problems(setup.providers)

    problems += _admin_problems(setup.admin)
    problems += v.text_problems(setup.workstation_name, "workstation_name", "Computer name", 60)
    return problems


def apply_practice_info(practice: Practice, info: PracticeInfo) -> None:
    """Copy validated `info` onto `practice` in its stored (normalized) form."""
    practice.legal_name = info.legal_name.strip()
    practice.billing_npi = v.normalize_npi(info.billing_npi)
    practice.ein = v.normalize_ein(info.ein)
    practice.taxonomy_code = v.normalize_taxonomy(info.taxonomy_code)
    practice.address_line1 = info.address_line1.strip()
    practice.address_line2 = info.address_line2.strip() or None
    practice.city = info.city.strip()
    practice.state = v.normalize_state(info.state)
    practice.zip_code = v.normalize_zip(info.zip_code)
    practice.phone = v.normalize_phone(info.phone)
    practice.time_zone = info.time_zone.strip()


def apply_location(location: Location, data: LocationInput) -> None:
    """Copy validated `data` (without rooms) onto `location`."""
    location.name = data.name.strip()
    location.address_line1 = data.address_line1.strip()
    location.address_line2 = data.address_line2.strip() or None
    location.city = data.city.strip()
    location.state = v.normalize_state(data.state)
    location.zip_code = v.normalize_zip(data.zip_code)
    location.phone = v.normalize_phone(data.phone) if data.phone.strip() else None
    location.place_of_service = data.place_of_service.strip()


def apply_provider(provider: Provider, data: ProviderInput) -> None:
    """Copy validated `data` onto `provider`."""
    provider.first_name = data.first_name.strip()
    provider.last_name = data.last_name.strip()
    provider.credentials = data.credentials.strip() or None
    provider.npi = v.normalize_npi(data.npi)
    provider.taxonomy_code = v.normalize_taxonomy(data.taxonomy_code)


def get_practice(session: Session) -> Practice | None:
    """Return the practice, or None before set-up has run."""
    return session.scalar(select(Practice).where(Practice.archived.is_(False)).limit(1))


def _add_locations(session: Session, actor: Actor, setup: PracticeSetup) -> None:
    for data in setup.locations:
        location = Location()
        apply_location(location, data)
        location.rooms = [Room(name=name.strip()) for name in data.rooms]
        session.add(location)
        session.flush()
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            "location",
            location.id,
            detail=f"{len(data.rooms)} rooms",
        )


def _add_providers(session: Session, actor: Actor, setup: PracticeSetup) -> None:
    for data in setup.providers:
        provider = Provider()
        apply_provider(provider, data)
        session.add(provider)
        session.flush()
        audit.record(session, actor, AuditAction.CREATE, "provider", provider.id)


def _create_administrator(session: Session, setup: PracticeSetup, code: str) -> Actor:
    admin = setup.admin
    written = users.create_first_administrator(
        session, admin.username.strip(), admin.display_name.strip(), admin.password, code
    )
    return Actor(
        user_id=UserId(written.user.id),
        username=written.user.username,
        role=Role.ADMINISTRATOR,
        workstation=code,
    )


def initialize_practice(session: Session, setup: PracticeSetup) -> InitResult:
    """Create the workstation, practice, locations, rooms, providers and first administrator.

    Raises ValidationError listing every problem, or PracticeExistsError when the database
    already has a practice. Flushes but does not commit.
    """
    problems = validate_setup(setup)
    if has_errors(problems):
        raise ValidationError(problems)
    if session.scalar(select(Practice).limit(1)) is not None:
        raise PracticeExistsError(
            "This database already has a practice, so set-up did not run again. Change the "
            "practice details under Admin > Practice instead."
        )

    workstation = Workstation(
        code=numbering.new_workstation_code(), name=setup.workstation_name.strip(), is_local=True
    )
    session.add(workstation)
    system = system_actor(workstation.code)

    practice = Practice()
    apply_practice_info(practice, setup.practice)
    session.add(practice)
    session.flush()
    audit.record(session, system, AuditAction.CREATE, "practice", practice.id)
    _add_locations(session, system, setup)
    _add_providers(session, system, setup)

    admin = _create_administrator(session, setup, workstation.code)
    log.info(
        "initialized practice %s on workstation %s with %d locations and %d providers",
        practice.id,
        workstation.code,
        len(setup.locations),
        len(setup.providers),
    )
    changes = Changes.of(
        ChangeKind.PRACTICE, ChangeKind.LOCATIONS, ChangeKind.PROVIDERS, ChangeKind.USERS
    )
    return InitResult(admin, PracticeId(practice.id), workstation.code, changes)


def update_practice(session: Session, actor: Actor, info: PracticeInfo) -> Changes:
    """Save the practice's billing details; raises ValidationError listing every problem."""
    require(actor, Permission.PRACTICE_SETUP)
    problems = practice_problems(info)
    if has_errors(problems):
        raise ValidationError(problems)
    practice = get_practice(session)
    if practice is None:
        raise NotFoundError(
            "This database has no practice yet. Run the set-up wizard or 'clinicdesk init'."
        )

    before = {field.name: getattr(practice, field.name) for field in fields(PracticeInfo)}
    apply_practice_info(practice, info)
    changed = sorted(name for name, old in before.items() if getattr(practice, name) != old)
    practice.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "practice",
        practice.id,
        detail="fields: " + ", ".join(changed),
    )
    return Changes.of(ChangeKind.PRACTICE)
