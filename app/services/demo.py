"""A fictional practice with realistic data, for trying ClinicDesk and for benchmarks.

Everything is derived from one seed, so the same seed gives the same names, member ids and
appointment times in every database (record ids and chart-number prefixes still differ).
`DemoGenerator` makes plain rows that both `build_demo` and `bench/generate.py` insert.
"""

import itertools
import logging
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.db.database import Database
from app.errors import UserError, ValidationError
from app.ids import new_id
from app.models.patients import Coverage, Patient, PatientAlert, PatientPhone
from app.models.practice import Location, Payer, Provider, Room
from app.models.scheduling import Appointment, AppointmentType
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Role, system_actor
from app.services import (
    demo_charges,
    demo_claims,
    demo_remittances,
    demo_statements,
    numbering,
    users,
)
from app.services.demo_people import PayerFacts, add_registration_details, demo_phone
from app.services.demo_records import (
    add_near_duplicates,
    add_recalls,
    insert_referral_rows,
    referral_rows,
)
from app.services.practice import (
    AdminAccount,
    LocationInput,
    PracticeInfo,
    PracticeSetup,
    ProviderInput,
)
from app.services.schedule_defaults import default_setup
from app.services.schedule_setup import AppointmentTypeInput, save_appointment_type
from app.setup import create_practice_database, remove_database_files
from app.validators import npi_check_digit

log = logging.getLogger(__name__)

# The largest demo practice `build_demo` accepts. A larger count is almost surely a
# typing mistake, and generating this many patients already takes minutes.
MAX_DEMO_PATIENTS = 200_000

Row = dict[str, Any]

DEMO_PRACTICE = PracticeInfo(
    legal_name="Lakeside Family Medicine LLC",
    billing_npi="1578901237",
    ein="36-4827153",
    taxonomy_code="261QP2300X",
    address_line1="1800 Sherman Avenue",
    address_line2="Suite 400",
    city="Evanston",
    state="IL",
    zip_code="60201-3779",
    phone="(847) 555-0100",
    time_zone="America/Chicago",
)

DEMO_LOCATIONS = (
    LocationInput(
        name="Lakeside Evanston",
        address_line1="1800 Sherman Avenue",
        address_line2="Suite 400",
        city="Evanston",
        state="IL",
        zip_code="60201-3779",
        phone="(847) 555-0101",
        rooms=("Exam 1", "Exam 2", "Exam 3", "Procedure"),
    ),
    LocationInput(
        name="Lakeside Skokie",
        address_line1="4901 Main Street",
        address_line2="",
        city="Skokie",
        state="IL",
        zip_code="60077-2538",
        phone="(847) 555-0102",
        rooms=("Room A", "Room B", "Room C"),
    ),
)

# (taxonomy code, credentials): family medicine, internal medicine, pediatrics, and
# family nurse practitioner and physician assistant.
PROVIDER_KINDS = (
    ("207Q00000X", "MD"),
    ("207R00000X", "DO"),
    ("208000000X", "MD"),
    ("363LF0000X", "FNP"),
    ("363A00000X", "PA-C"),
)


@dataclass(frozen=True, slots=True)
class DemoPayer:
    """A payer of the demo practice and how its member ids look."""

    name: str
    payer_code: str
    claim_filing_indicator: str
    timely_filing_days: int
    member_id_format: str  # "mbi", or a pattern: "#" a digit, "?" a letter
    group_number: bool


DEMO_PAYERS = (
    DemoPayer("Blue Cross Blue Shield of Illinois", "00621", "BL", 180, "XOF#########", True),
    DemoPayer("Medicare Part B (Illinois)", "00952", "MB", 365, "mbi", False),
    DemoPayer("Illinois Medicaid (HFS)", "ILMCD", "MC", 180, "#########", False),
    DemoPayer("Aetna", "60054", "CI", 120, "W#########", True),
    DemoPayer("Cigna", "62308", "CI", 90, "U##########", True),
    DemoPayer("UnitedHealthcare", "87726", "CI", 90, "#########", True),
    DemoPayer("Humana", "61101", "CI", 180, "H########", True),
    DemoPayer("TRICARE East", "TREST", "CH", 365, "###########", False),
    DemoPayer("Meridian Health Plan of Illinois", "13189", "HM", 180, "#########", False),
    DemoPayer("AARP Medicare Supplement", "36273", "CI", 365, "##########1", False),
    DemoPayer("Federal Employee Program (BCBS)", "00621F", "FI", 365, "R########", True),
    DemoPayer("Travelers Workers' Compensation", "19046", "WC", 365, "???#####", False),
)

# (appointment type, minutes, weight)
APPOINTMENT_TYPES = (
    ("Follow-up", 15, 30),
    ("Sick visit", 15, 20),
    ("Follow-up", 30, 15),
    ("Annual physical", 30, 12),
    ("New patient", 45, 10),
    ("Medicare wellness", 45, 5),
    ("Procedure", 30, 8),
)
# Cumulative weights give the same draws as `weights=` without re-summing on every call.
_TYPE_CUM_WEIGHTS = tuple(itertools.accumulate(weight for _, _, weight in APPOINTMENT_TYPES))
NAME_POOL_SIZE = 2000
# Weekdays before today that the demo fills with past, mostly checked-out visits.
PAST_WEEKDAYS = 3
# Share of demo coverages whose eligibility the front desk has already confirmed.
ELIGIBILITY_CHECKED_SHARE = 0.8
DAY_START = time(8, 0)
LUNCH = (time(12, 0), time(13, 0))
DAY_END = time(17, 0)

# The accounts the demo adds beside the administrator, all with the administrator's password.
DEMO_USERS = (
    ("frontdesk", Role.FRONT_DESK),
    ("biller", Role.BILLER),
    ("manager", Role.MANAGER),
    ("provider", Role.PROVIDER),
)

# Real towns near the demo practice, with their five-digit ZIP codes; street addresses are made up.
PATIENT_TOWNS = (
    ("Evanston", "60201"),
    ("Evanston", "60202"),
    ("Skokie", "60076"),
    ("Skokie", "60077"),
    ("Wilmette", "60091"),
    ("Chicago", "60626"),
    ("Chicago", "60645"),
    ("Niles", "60714"),
    ("Morton Grove", "60053"),
    ("Glenview", "60025"),
    ("Lincolnwood", "60712"),
)

# Medicare Beneficiary Identifier character classes (CMS MBI format), without S L O I B Z.
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_MBI_ALPHANUMERIC = "0123456789" + _MBI_LETTERS


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """How many records the demo wrote and the demo users' names."""

    providers: int
    locations: int
    payers: int
    patients: int
    coverages: int
    appointments: int
    usernames: tuple[str, ...]
    changes: Changes


@dataclass(frozen=True, slots=True)
class ProviderSlot:
    """A provider's location and room during the demo week."""

    provider_id: uuid.UUID
    location_id: uuid.UUID
    room_id: uuid.UUID | None


DEFAULT_ADMIN_NAME = "Practice Administrator"


def demo_setup(
    seed: int,
    admin_username: str,
    admin_password: str,
    admin_display_name: str = DEFAULT_ADMIN_NAME,
) -> PracticeSetup:
    """Return the set-up of "Lakeside Family Medicine" with 3 to 6 providers from `seed`."""
    from faker import Faker  # heavy import, needed only for demo data

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(f"providers-{seed}")  # noqa: S311 (reproducible, not secret)
    providers = []
    for index in range(rng.randint(3, 6)):
        taxonomy, credentials = PROVIDER_KINDS[index % len(PROVIDER_KINDS)]
        first9 = f"1{rng.randrange(10**8):08d}"
        npi = first9 + str(npi_check_digit(first9))
        providers.append(
            ProviderInput(fake.first_name(), fake.last_name(), credentials, npi, taxonomy)
        )

    admin = AdminAccount(admin_username, admin_display_name or DEFAULT_ADMIN_NAME, admin_password)
    return PracticeSetup(DEMO_PRACTICE, DEMO_LOCATIONS, tuple(providers), admin, "Front desk")


class DemoGenerator:
    """Makes deterministic demo rows (dicts of model attribute values) from one seed."""

    def __init__(self, seed: int, today: date) -> None:
        from faker import Faker  # heavy import, needed only for demo data

        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)  # noqa: S311 (reproducible, not secret)
        self.today = today
        self._pools: dict[str, list[str]] = {}

    def pick(self, faker_method: str) -> str:
        """Return a Faker value of `faker_method`, such as "last_name", from a bounded pool."""
        # Faker makes about a thousand addresses a second, too slow for 100,000 patients,
        # so after its first NAME_POOL_SIZE values of a kind, values repeat from that pool.
        pool = self._pools.setdefault(faker_method, [])
        if len(pool) < NAME_POOL_SIZE:
            pool.append(getattr(self.fake, faker_method)())
            return pool[-1]
        return self.rng.choice(pool)

    def patient(self, chart_number: str) -> Row:
        """Return a patient row with a new id."""
        rng = self.rng
        sex = rng.choices("FMU", weights=(51, 48, 1))[0]
        first = self.pick("first_name_female" if sex == "F" else "first_name_male")
        last = self.pick("last_name")
        town, zip_code = rng.choice(PATIENT_TOWNS)
        return {
            "id": new_id(),
            "chart_number": chart_number,
            "first_name": first,
            "middle_name": self.pick("first_name") if rng.random() < 0.3 else None,
            "last_name": last,
            "suffix": rng.choice(("Jr", "Sr", "III")) if rng.random() < 0.02 else None,
            "date_of_birth": self._birth_date(),
            "sex": sex,
            "phone": demo_phone(rng),
            "email": f"{first}.{last}{rng.randrange(100)}@example.com".lower()
            if rng.random() < 0.6
            else None,
            "address_line1": f"{rng.randint(100, 9899)} {self.pick('street_name')}",
            "address_line2": None,
            "city": town,
            "state": "IL",
            "zip_code": zip_code,
            "status": "active",
        }

    def _birth_date(self) -> date:
        band = self.rng.choices(((0, 17), (18, 64), (65, 95)), weights=(20, 58, 22))[0]
        age_days = self.rng.randint(band[0] * 365 + 1, band[1] * 365 + 364)
        return self.today - timedelta(days=age_days)

    def member_id(self, payer: DemoPayer) -> str:
        """Return a member id in the payer's usual format."""
        if payer.member_id_format == "mbi":
            return self._mbi()
        pattern = payer.member_id_format
        return "".join(self._fill(character) for character in pattern)

    def _fill(self, character: str) -> str:
        if character == "#":
            return str(self.rng.randrange(10))
        if character == "?":
            return self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
        return character

    def _mbi(self) -> str:
        # Positions 1..11 of the CMS MBI: 1-9, letter, alnum, digit, letter, alnum, digit,
        # letter, letter, digit, digit.
        pick = self.rng.choice
        shape = ("N", "L", "A", "D", "L", "A", "D", "L", "L", "D", "D")
        classes = {"N": "123456789", "L": _MBI_LETTERS, "A": _MBI_ALPHANUMERIC, "D": "0123456789"}
        return "".join(pick(classes[kind]) for kind in shape)

    def coverage_plan(self, birth_date: date) -> list[int]:
        """Return indexes into DEMO_PAYERS: primary first, then maybe a secondary."""
        rng = self.rng
        age = (self.today - birth_date).days // 365
        if age >= 65:
            primary = 1 if rng.random() < 0.9 else rng.choice((0, 6))
            secondary = [rng.choice((9, 2, 0))] if rng.random() < 0.55 else []
        else:
            primary = rng.choices((0, 2, 3, 4, 5, 6, 7, 8, 10), (25, 15, 12, 10, 12, 5, 4, 10, 7))[
                0
            ]
            secondary = [rng.choice((3, 4, 5, 11))] if rng.random() < 0.15 else []
        return [primary, *(index for index in secondary if index != primary)]

    def coverage(self, patient: Row, payer: DemoPayer, payer_id: uuid.UUID, priority: int) -> Row:
        """Return a coverage row for `patient` with `payer`."""
        group = f"{self.rng.randrange(10**6):06d}" if payer.group_number else None
        effective = date(self.today.year - self.rng.randint(0, 5), self.rng.choice((1, 7)), 1)
        return {
            "id": new_id(),
            "patient_id": patient["id"],
            "payer_id": payer_id,
            "priority": priority,
            "member_id": self.member_id(payer),
            "group_number": group,
            "relationship_code": "18",
            "effective_date": max(effective, patient["date_of_birth"]),
            "termination_date": None,
        }

    def day_schedule(
        self, day: date, slot: ProviderSlot, patient_ids: Iterator[uuid.UUID]
    ) -> list[Row]:
        """Return one provider's appointments for `day`, back to back with a few gaps.

        Visits run from 8:00 to 17:00 with lunch kept free, and never overlap, so the
        provider is never double-booked. Stops early when `patient_ids` runs out.
        """
        rows: list[Row] = []
        start = datetime.combine(day, DAY_START)
        while True:
            if self.rng.random() < 0.15:
                start += timedelta(minutes=15)  # an open slot
            kind, minutes, _ = self.rng.choices(APPOINTMENT_TYPES, cum_weights=_TYPE_CUM_WEIGHTS)[0]
            start = self._skip_lunch(start, minutes)
            if start + timedelta(minutes=minutes) > datetime.combine(day, DAY_END):
                return rows
            patient_id = next(patient_ids, None)
            if patient_id is None:
                return rows
            rows.append(self._appointment(start, minutes, kind, slot, patient_id))
            start += timedelta(minutes=minutes)

    @staticmethod
    def _skip_lunch(start: datetime, minutes: int) -> datetime:
        lunch_start = datetime.combine(start.date(), LUNCH[0])
        lunch_end = datetime.combine(start.date(), LUNCH[1])
        if start < lunch_end and start + timedelta(minutes=minutes) > lunch_start:
            return lunch_end
        return start

    def _appointment(
        self, start: datetime, minutes: int, kind: str, slot: ProviderSlot, patient_id: uuid.UUID
    ) -> Row:
        return {
            "id": new_id(),
            "patient_id": patient_id,
            "provider_id": slot.provider_id,
            "location_id": slot.location_id,
            "room_id": slot.room_id,
            "starts_at": start,
            "duration_minutes": minutes,
            "appointment_type": kind,
            "status": self.status_for(start.date()),
            "reason": None,
        }

    def status_for(self, day: date) -> str:
        """Return a plausible status: past visits mostly completed, later ones scheduled."""
        if day >= self.today:
            return "scheduled"
        return self.rng.choices(("checked_out", "no_show", "cancelled"), (85, 8, 7))[0]


def demo_today() -> date:
    """Return today's date in the demo practice's time zone."""
    return utc_now().astimezone(ZoneInfo(DEMO_PRACTICE.time_zone)).date()


def demo_days(today: date) -> list[date]:
    """Return the three weekdays before `today` and the weekdays of `demo_week(today)`.

    The days before today give the demo checked-out visits to bill on any day of the week.
    """
    past: list[date] = []
    day = today
    while len(past) < PAST_WEEKDAYS:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            past.append(day)
    return sorted(set(past) | set(demo_week(today)))


def demo_week(today: date) -> list[date]:
    """Return Monday to Friday of the week around `today` (the next week on weekends)."""
    monday = today - timedelta(days=today.weekday())
    if today.weekday() >= 5:
        monday += timedelta(days=7)
    return [monday + timedelta(days=offset) for offset in range(5)]


def provider_slots(session: Session) -> list[ProviderSlot]:
    """Spread the active providers over the active locations, one room each where possible."""
    providers = session.scalars(
        select(Provider)
        .where(Provider.archived.is_(False))
        .order_by(Provider.last_name, Provider.first_name, Provider.npi)
    ).all()
    locations = session.scalars(
        select(Location).where(Location.archived.is_(False)).order_by(Location.name)
    ).all()
    if not providers or not locations:
        raise UserError(
            "Demo data needs at least one active provider and one active location. "
            "Add them under Admin, or create a new demo database."
        )

    slots = []
    for index, provider in enumerate(providers):
        location = locations[index % len(locations)]
        rooms: list[Room] = [room for room in location.rooms if not room.archived]
        room_index = index // len(locations)
        room = rooms[room_index] if room_index < len(rooms) else None
        slots.append(ProviderSlot(provider.id, location.id, room.id if room else None))
    return slots


def insert_demo_payers(session: Session, actor: Actor) -> list[uuid.UUID]:
    """Insert DEMO_PAYERS and return their ids in the same order."""
    payer_ids = [new_id() for _ in DEMO_PAYERS]
    rows = [
        {
            "id": payer_id,
            "name": payer.name,
            "payer_code": payer.payer_code,
            "claim_filing_indicator": payer.claim_filing_indicator,
            "timely_filing_days": payer.timely_filing_days,
            "updated_by": actor.user_id,
        }
        for payer_id, payer in zip(payer_ids, DEMO_PAYERS, strict=True)
    ]
    session.execute(insert(Payer), rows)
    return payer_ids


def add_eligibility_checks(generator: DemoGenerator, coverages: list[Row]) -> None:
    """Mark most coverages as confirmed with the payer in the last three weeks.

    The rest stay unchecked, so the calendar and Today show some visits to verify.
    """
    for row in coverages:
        checked = generator.rng.random() < ELIGIBILITY_CHECKED_SHARE
        days_ago = generator.rng.randint(0, 20)
        row["eligibility_checked_on"] = (
            generator.today - timedelta(days=days_ago) if checked else None
        )


def _insert_patients(
    session: Session, generator: DemoGenerator, count: int, payer_ids: list[uuid.UUID]
) -> tuple[list[Row], int]:
    patients = [generator.patient(numbering.next_number(session, "chart")) for _ in range(count)]
    add_near_duplicates(generator, patients)
    add_recalls(generator, patients)
    coverages = []
    for patient in patients:
        plan = generator.coverage_plan(patient["date_of_birth"])
        for priority, index in enumerate(plan, start=1):
            coverages.append(
                generator.coverage(patient, DEMO_PAYERS[index], payer_ids[index], priority)
            )

    payers = {
        payer_id: PayerFacts(payer.payer_code, payer.group_number)
        for payer_id, payer in zip(payer_ids, DEMO_PAYERS, strict=True)
    }
    children = add_registration_details(generator, patients, coverages, payers)
    add_eligibility_checks(generator, coverages)

    for model, rows in (
        (Patient, patients),
        (PatientPhone, children.phones),
        (PatientAlert, children.alerts),
        (Coverage, coverages),
    ):
        if rows:
            session.execute(insert(model), rows)
    insert_referral_rows(session, referral_rows(generator, patients, coverages, None))
    return patients, len(coverages)


def _insert_week(
    session: Session, generator: DemoGenerator, patients: list[Row], slots: list[ProviderSlot]
) -> int:
    appointments: list[Row] = []
    for day in demo_days(generator.today):
        # Each patient is seen at most once a day.
        order = [patient["id"] for patient in patients]
        generator.rng.shuffle(order)
        patient_ids = iter(order)
        for slot in slots:
            appointments += generator.day_schedule(day, slot, patient_ids)

    if appointments:
        session.execute(insert(Appointment), appointments)
    return len(appointments)


def _create_demo_users(session: Session, actor: Actor, password: str, seed: int) -> list[str]:
    from faker import Faker  # heavy import, needed only for demo data

    fake = Faker("en_US")
    fake.seed_instance(seed + 1)
    usernames = []
    for username, role in DEMO_USERS:
        users.create_user(session, actor, username, fake.name(), role, password)
        usernames.append(username)
    return usernames


def demo_account_problems(admin_username: str, password: str) -> list[Problem]:
    """Return the problems of a demo administrator name and the password all demo users share.

    The password policy rejects a password that contains the account's user name, and
    every demo account gets this password, so no demo user name may appear in it.
    """
    problems = []
    names = [username for username, _role in DEMO_USERS]
    if any(name in password.casefold() for name in names):
        problems.append(
            Problem(
                "admin.password",
                f"The demo creates the users {', '.join(names[:-1])} and {names[-1]} with "
                "this password, so it must not contain any of those names.",
            )
        )
    if users.normalize_username(admin_username) in names:
        problems.append(
            Problem(
                "admin.username",
                f"The demo creates its own user named {users.normalize_username(admin_username)}. "
                "Choose another administrator user name, such as admin.",
            )
        )
    return problems


def check_patient_count(patients: int) -> int:
    """Return `patients`, or raise ValueError when it is negative or above the maximum."""
    if not 0 <= patients <= MAX_DEMO_PATIENTS:
        raise ValueError(
            f"The number of demo patients must be from 0 to {MAX_DEMO_PATIENTS:,}, "
            f"not {patients:,}."
        )
    return patients


# Visit types the demo week uses beyond the practice defaults, with their colors.
EXTRA_VISIT_TYPES = (("Sick visit", 15, "#EF6C00"), ("Medicare wellness", 45, "#00838F"))


def _add_demo_visit_types(session: Session, actor: Actor) -> None:
    for name, minutes, color in EXTRA_VISIT_TYPES:
        save_appointment_type(session, actor, None, AppointmentTypeInput(name, minutes, color))


def _link_visit_types(session: Session) -> None:
    """Point each demo appointment at its visit type, so the calendar shows the type's color."""
    for visit_type in session.scalars(select(AppointmentType)):
        session.execute(
            update(Appointment)
            .where(Appointment.appointment_type == visit_type.name)
            .values(appointment_type_id=visit_type.id)
        )


def build_demo(
    session: Session,
    *,
    patients: int = 500,
    seed: int = 0,
    today: date,
    user_password: str,
    claims_outbox: Path | None = None,
) -> DemoSummary:
    """Add demo payers, patients, coverages, a week of appointments, claims and four users.

    The practice, its locations and providers must exist already (see `demo_setup`).
    With `claims_outbox`, the older claims are saved there as an 837P file and acknowledged,
    and the payers' 835 remittances for them are saved in the inbox folder beside it and
    imported; without it every clean claim stays ready to send. Then a few accounts get the
    less common statement cases (see `demo_statements`).
    The front-desk, biller, manager and provider accounts all get `user_password`. Runs as the
    system actor, flushes and does not commit. Raises ValueError for a `patients` count
    below 0 or above MAX_DEMO_PATIENTS.
    """
    check_patient_count(patients)
    actor = system_actor(numbering.local_workstation(session).code)
    generator = DemoGenerator(seed, today)
    slots = provider_slots(session)
    default_setup(session, actor, today)
    _add_demo_visit_types(session, actor)

    payer_ids = insert_demo_payers(session, actor)
    patient_rows, coverage_count = _insert_patients(session, generator, patients, payer_ids)
    appointment_count = _insert_week(session, generator, patient_rows, slots)
    _link_visit_types(session)
    usernames = _create_demo_users(session, actor, user_password, seed)
    demo_charges.add_demo_codes(session, actor, today - timedelta(days=365))
    biller = demo_charges.biller_actor(session, actor.workstation)
    encounter_count, posted_count = demo_charges.add_demo_encounters(session, biller, seed)
    claims = demo_claims.add_demo_claims(session, biller, today, claims_outbox)
    inbox = (
        None if claims_outbox is None else claims_outbox.parent / demo_remittances.INBOX_FOLDER_NAME
    )
    remittances = demo_remittances.add_demo_remittances(session, biller, today, inbox)
    demo_statements.add_demo_statement_cases(session, biller)

    detail = (
        f"demo data: {len(payer_ids)} payers, {len(patient_rows)} patients, "
        f"{coverage_count} coverages, {appointment_count} appointments, "
        f"{encounter_count} encounters ({posted_count} posted), {claims.built} claims "
        f"({claims.sent} sent, {claims.rejected} rejected), {remittances.files} remittance "
        f"files ({remittances.posted} claim payments posted, {remittances.review} in review)"
    )
    audit.record(session, actor, AuditAction.CREATE, "demo_data", detail=detail)
    log.info("built %s", detail)
    return DemoSummary(
        providers=len(slots),
        locations=len({slot.location_id for slot in slots}),
        payers=len(payer_ids),
        patients=len(patient_rows),
        coverages=coverage_count,
        appointments=appointment_count,
        usernames=tuple(usernames),
        changes=Changes.of(
            ChangeKind.PAYERS,
            ChangeKind.PATIENTS,
            ChangeKind.APPOINTMENTS,
            ChangeKind.USERS,
            ChangeKind.SCHEDULE_SETUP,
            ChangeKind.CODE_SETS,
            ChangeKind.ENCOUNTERS,
            ChangeKind.LEDGER,
            ChangeKind.CLAIMS,
            ChangeKind.PAYMENTS,
            ChangeKind.SETTINGS,
        ),
    )


def create_demo_database(  # noqa: PLR0917 (a public signature other modules call positionally)
    path: Path,
    passphrase: str,
    admin_username: str,
    admin_password: str,
    patients: int,
    seed: int,
    today: date,
    admin_display_name: str = DEFAULT_ADMIN_NAME,
) -> tuple[Database, Actor, DemoSummary]:
    """Create a new encrypted database holding the demo practice and its data.

    Every demo account uses `admin_password`. If building the data fails, the new
    database is removed so nothing half-made is left. Raises, before creating anything,
    ValueError for a `patients` count below 0 or above MAX_DEMO_PATIENTS, and
    ValidationError when the password contains a demo user name or the administrator
    name is one of them.
    """
    check_patient_count(patients)
    problems = demo_account_problems(admin_username, admin_password)
    if problems:
        raise ValidationError(problems)
    setup = demo_setup(seed, admin_username, admin_password, admin_display_name)
    database, admin = create_practice_database(path, setup, passphrase)
    try:
        with database.transaction() as session:
            summary = build_demo(
                session,
                patients=patients,
                seed=seed,
                today=today,
                user_password=admin_password,
                claims_outbox=path.parent / demo_claims.OUTBOX_FOLDER_NAME,
            )
    except BaseException:
        log.warning("demo data failed; removing the new database %s", database.database_id)
        database.close()
        remove_database_files(database.path)
        raise
    return database, admin, summary
