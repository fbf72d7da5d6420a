"""A practice with users and payers, and quick ways to add patients and their rows directly."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models import (
    Appointment,
    Coverage,
    Location,
    Patient,
    PatientPhone,
    Provider,
)
from app.security.permissions import Actor, Role
from app.services import users
from app.services.demo import insert_demo_payers
from app.services.ledger import post_entry
from app.setup import create_practice_database
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import sample_setup

USER_PASSWORD = "Quiet-Harbor-7781"


@dataclass
class Practice:
    """An open practice database, its administrator and more users, and its payers."""

    database: Database
    admin: Actor
    manager: Actor
    front_desk: Actor
    provider: Actor
    payers: list[uuid.UUID]


def make_practice(path: Path) -> Iterator[Practice]:
    """Yield a set-up practice; close it afterwards."""
    database, admin = create_practice_database(path, sample_setup(), PASSPHRASE)
    with database.transaction() as session:
        payers = insert_demo_payers(session, admin)
    accounts = {
        role: _make_user(database, admin, name, role)
        for name, role in (
            ("manager", Role.MANAGER),
            ("frontdesk", Role.FRONT_DESK),
            ("doctor", Role.PROVIDER),
        )
    }
    yield Practice(
        database,
        admin,
        accounts[Role.MANAGER],
        accounts[Role.FRONT_DESK],
        accounts[Role.PROVIDER],
        payers,
    )
    database.close()


def _make_user(database: Database, admin: Actor, username: str, role: Role) -> Actor:
    with database.transaction() as session:
        written = users.create_user(session, admin, username, "Test Person", role, USER_PASSWORD)
    return Actor(written.user.id, written.user.username, role, admin.workstation)


def add_patient(
    session: Session,
    first: str,
    last: str,
    born: date,
    *,
    phone: str | None = None,
    sex: str = "F",
    address: str | None = None,
    zip_code: str | None = None,
    **columns: object,
) -> uuid.UUID:
    """Insert a patient row with a unique chart number and return its id."""
    columns.setdefault("chart_number", f"TST-{uuid.uuid4().hex[:10]}")
    patient = Patient(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        sex=sex,
        phone=phone,
        address_line1=address,
        zip_code=zip_code,
        **columns,
    )
    session.add(patient)
    session.flush()
    return patient.id


def add_phone(session: Session, patient_id: uuid.UUID, number: str, position: int = 0) -> None:
    """Add a patient_phone row; `number` is E.164."""
    session.add(
        PatientPhone(patient_id=patient_id, kind="mobile", number=number, position=position)
    )
    session.flush()


def add_coverage(
    session: Session,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID,
    member_id: str,
    priority: int = 1,
    **columns: object,
) -> uuid.UUID:
    """Add a coverage row and return its id."""
    coverage = Coverage(
        patient_id=patient_id,
        payer_id=payer_id,
        priority=priority,
        member_id=member_id,
        **columns,
    )
    session.add(coverage)
    session.flush()
    return coverage.id


def add_appointment(session: Session, patient_id: uuid.UUID, day: date) -> uuid.UUID:
    """Book a 15-minute 9:00 visit with the practice's first provider at its first location."""
    provider_id = session.scalars(select(Provider.id)).first()
    location_id = session.scalars(select(Location.id)).first()
    assert provider_id is not None and location_id is not None
    appointment = Appointment(
        patient_id=patient_id,
        provider_id=provider_id,
        location_id=location_id,
        starts_at=datetime.combine(day, time(9, 0)),
        duration_minutes=15,
        appointment_type="Follow-up",
    )
    session.add(appointment)
    session.flush()
    return appointment.id


def post_charge(
    session: Session, actor: Actor, patient_id: uuid.UUID, amount: Decimal
) -> uuid.UUID:
    """Post one ledger row owed by the patient and return its id."""
    entry = post_entry(
        session,
        actor,
        entry_type="charge",
        amount=amount,
        patient_id=patient_id,
        responsible_party="patient",
        service_date=date(2026, 1, 5),
        memo="office visit",
    )
    return entry.id
