"""A set-up practice with payers and staff, and valid forms, for the registration tests."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import admin_records
from app.services.admin_records import PayerInput
from app.services.patient_forms import CoverageForm, PatientForm, PhoneEntry
from app.services.practice import initialize_practice
from app.services.users import create_user
from tests.helpers.practice_data import ADMIN_PASSWORD, sample_setup

TODAY = date(2026, 3, 10)


@dataclass(frozen=True)
class Practice:
    database: Database
    admin: Actor
    front_desk: Actor
    manager: Actor
    aetna: uuid.UUID
    cigna: uuid.UUID


def _payer(name: str, code: str) -> PayerInput:
    return PayerInput(
        name=name,
        payer_code=code,
        claim_filing_indicator="CI",
        timely_filing_days=180,
        address_line1="PO Box 981106",
        city="El Paso",
        state="TX",
        zip_code="79998",
    )


def _staff(session: object, admin: Actor, username: str, role: Role) -> Actor:
    written = create_user(session, admin, username, username.title(), role, ADMIN_PASSWORD)  # type: ignore[arg-type]
    return Actor(written.user.id, username, role, admin.workstation)


@pytest.fixture
def practice(database: Database) -> Iterator[Practice]:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        front_desk = _staff(session, admin, "frontdesk1", Role.FRONT_DESK)
        manager = _staff(session, admin, "manager1", Role.MANAGER)
        aetna = admin_records.save_payer(session, admin, None, _payer("Aetna", "60054")).record_id
        cigna = admin_records.save_payer(session, admin, None, _payer("Cigna", "62308")).record_id
    yield Practice(database, admin, front_desk, manager, aetna, cigna)


def valid_form(**changes: object) -> PatientForm:
    """Return a form that passes every check, with `changes` applied."""
    form = PatientForm(
        first_name="Maria",
        last_name="Gonzalez",
        sex="F",
        date_of_birth=date(1984, 6, 2),
        address_line1="820 Davis Street",
        city="Evanston",
        state="il",
        zip_code="60201",
        phones=[PhoneEntry("mobile", "(847) 555-0123")],
        email="Maria.Gonzalez@Example.COM",
        preferred_contact="text",
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def coverage(payer_id: uuid.UUID, /, **changes: object) -> CoverageForm:
    """Return a self-subscribed coverage with `payer_id`, with `changes` applied."""
    form = CoverageForm(payer_id=payer_id, member_id="W123456789", effective_date=date(2025, 1, 1))
    for name, value in changes.items():
        setattr(form, name, value)
    return form
