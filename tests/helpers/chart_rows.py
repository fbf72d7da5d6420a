"""Patient, coverage, document and visit rows written straight to the models for tests.

Tests of the services that read a chart (checklist, face sheet, recall, intake packet)
need records in a known shape without going through registration's checks.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage, Patient, PatientDocument, PatientPhone
from app.models.practice import Location, Payer, Provider
from app.models.scheduling import Appointment
from app.security.permissions import Actor, Role
from app.services import numbering, users
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup

STAFF_PASSWORD = "Front-desk-pass-91"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@dataclass(frozen=True, slots=True)
class Staff:
    """The actors of a set-up practice: administrator, front desk and provider."""

    admin: Actor
    front_desk: Actor
    provider: Actor


def set_up_practice(database: Database) -> Staff:
    """Set up the sample practice and add a front-desk and a provider account."""
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
    made = []
    for username, role in (("frontdesk", Role.FRONT_DESK), ("doctor", Role.PROVIDER)):
        with database.transaction() as session:
            written = users.create_user(
                session, admin, username, f"{username.title()} User", role, STAFF_PASSWORD
            )
        made.append(Actor(written.user.id, username, role, admin.workstation))
    return Staff(admin, made[0], made[1])


def add_patient(session: Session, **values: Any) -> Patient:
    """Add a patient complete enough for a claim; `values` override single fields."""
    fields: dict[str, Any] = {
        "chart_number": numbering.next_number(session, "chart"),
        "first_name": "Maria",
        "last_name": "Ortega",
        "date_of_birth": date(1985, 6, 15),
        "sex": "F",
        "ssn": "123456789",
        "phone": "+18475550123",
        "email": "maria@example.com",
        "address_line1": "42 Elm Street",
        "city": "Evanston",
        "state": "IL",
        "zip_code": "60201",
        "preferred_contact": "text",
        "reminder_consent": True,
    }
    fields.update(values)
    patient = Patient(**fields)
    session.add(patient)
    session.flush()
    if patient.phone:
        session.add(PatientPhone(patient_id=patient.id, kind="mobile", number=patient.phone))
    session.flush()
    return patient


def add_payer(session: Session, name: str = "Aetna") -> Payer:
    """Add a commercial payer."""
    payer = Payer(name=name, payer_code="60054", claim_filing_indicator="CI")
    session.add(payer)
    session.flush()
    return payer


def add_coverage(
    session: Session, patient: Patient, payer: Payer, priority: int = 1, **values: Any
) -> Coverage:
    """Add a coverage with the patient as subscriber; `values` override single fields."""
    fields: dict[str, Any] = {
        "patient_id": patient.id,
        "payer_id": payer.id,
        "priority": priority,
        "member_id": f"W{priority}234567",
        "group_number": "GRP-88",
        "plan_name": "Open Access",
        "plan_type": "CI",
        "copay_office": Decimal("25.00"),
    }
    fields.update(values)
    coverage = Coverage(**fields)
    session.add(coverage)
    session.flush()
    return coverage


def add_document(
    session: Session, patient: Patient, kind: str, coverage: Coverage | None = None
) -> PatientDocument:
    """Add a small PNG document of `kind` (card_front, photo_id …)."""
    document = PatientDocument(
        patient_id=patient.id,
        coverage_id=coverage.id if coverage is not None else None,
        kind=kind,
        title=kind,
        media_type="image/png",
        byte_count=len(PNG_BYTES),
        sha256=hashlib.sha256(PNG_BYTES).hexdigest(),
        content=PNG_BYTES,
    )
    session.add(document)
    session.flush()
    return document


def add_appointment(
    session: Session, patient: Patient, starts_at: datetime, status: str = "scheduled"
) -> Appointment:
    """Add a 20-minute appointment with the practice's first provider and location."""
    provider_id = session.scalars(select(Provider.id).order_by(Provider.last_name)).first()
    location_id = session.scalars(select(Location.id)).first()
    assert provider_id is not None and location_id is not None
    appointment = Appointment(
        patient_id=patient.id,
        provider_id=provider_id,
        location_id=location_id,
        starts_at=starts_at,
        duration_minutes=20,
        appointment_type="Office visit",
        status=status,
    )
    session.add(appointment)
    session.flush()
    return appointment


def post_ledger(
    session: Session,
    actor: Actor,
    patient: Patient,
    amount: str,
    *,
    responsible_party: str = "patient",
    entry_type: str = "charge",
) -> None:
    """Post one ledger row for the patient."""
    assert actor.user_id is not None
    session.add(
        LedgerEntry(
            posted_by=actor.user_id,
            entry_type=entry_type,
            amount=Decimal(amount),
            patient_id=patient.id,
            responsible_party=responsible_party,
        )
    )
    session.flush()
