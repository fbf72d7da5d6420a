"""A practice with two payers, a patient with coverages, and a referring provider."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.patients import Coverage, Patient
from app.security.permissions import Actor
from app.services import admin_records
from app.services.admin_records import PayerInput
from app.services.outside_providers import OutsideProviderForm, save_outside_provider
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup

# A valid type 1 NPI (its check digit passes the CMS Luhn rule).
REFERRING_NPI = "1245319599"


@dataclass(frozen=True)
class ReferralPractice:
    """Ids of the records the referral and authorization tests build on."""

    admin: Actor
    aetna_id: uuid.UUID
    cigna_id: uuid.UUID
    patient_id: uuid.UUID
    other_patient_id: uuid.UUID
    aetna_coverage_id: uuid.UUID
    other_coverage_id: uuid.UUID
    provider_id: uuid.UUID


def add_patient(session: Session, chart_number: str, last_name: str) -> uuid.UUID:
    """Insert a patient row and return its id."""
    patient = Patient(
        chart_number=chart_number,
        first_name="Maria",
        last_name=last_name,
        date_of_birth=date(1980, 5, 17),
        sex="F",
    )
    session.add(patient)
    session.flush()
    return patient.id


def add_coverage(
    session: Session, patient_id: uuid.UUID, payer_id: uuid.UUID, priority: int = 1
) -> uuid.UUID:
    """Insert a coverage row and return its id."""
    coverage = Coverage(
        patient_id=patient_id, payer_id=payer_id, priority=priority, member_id="W123456789"
    )
    session.add(coverage)
    session.flush()
    return coverage.id


def _add_payer(session: Session, admin: Actor, name: str, code: str) -> uuid.UUID:
    return admin_records.save_payer(session, admin, None, PayerInput(name, code, "CI")).record_id


def build_referral_practice(database: Database) -> ReferralPractice:
    """Set up the practice and the records every referral test uses."""
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        aetna_id = _add_payer(session, admin, "Aetna", "60054")
        cigna_id = _add_payer(session, admin, "Cigna", "62308")
        patient_id = add_patient(session, "T-000001", "Rivera")
        other_patient_id = add_patient(session, "T-000002", "Chen")
        aetna_coverage_id = add_coverage(session, patient_id, aetna_id)
        other_coverage_id = add_coverage(session, other_patient_id, aetna_id)
        form = OutsideProviderForm(
            first_name="Grace", last_name="Hopper", credentials="MD", npi=REFERRING_NPI
        )
        provider_id = save_outside_provider(session, admin, form).record_id
    assert provider_id is not None
    return ReferralPractice(
        admin,
        aetna_id,
        cigna_id,
        patient_id,
        other_patient_id,
        aetna_coverage_id,
        other_coverage_id,
        provider_id,
    )
