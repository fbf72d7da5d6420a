"""Demo patients carry the registration details and pass the registration checks."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.models.patients import Coverage, Patient, PatientAlert, PatientPhone
from app.problems import Severity
from app.security.permissions import Actor
from app.services.demo import create_demo_database
from app.services.patient_forms import PLAN_TYPES
from app.services.registration import load_patient_form, patient_problems
from tests.conftest import PASSPHRASE

TODAY = date(2026, 3, 11)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Database, Actor]]:
    database, admin, _summary = create_demo_database(
        tmp_path / "demo.db", PASSPHRASE, "admin", "Lakeside-desk-2024!", 120, 3, TODAY
    )
    yield database, admin
    database.close()


def test_demo_patients_pass_checks(demo: tuple[Database, Actor]) -> None:
    database, admin = demo
    with database.transaction() as session:
        ids = list(session.scalars(select(Patient.id)))
        for patient_id in ids:
            form = load_patient_form(session, admin, patient_id)
            errors = [
                problem
                for problem in patient_problems(session, form, TODAY)
                if problem.severity is Severity.ERROR
            ]
            assert errors == [], f"demo patient {form.chart_number}: {errors}"


def test_demo_registration_details(demo: tuple[Database, Actor]) -> None:
    database, _admin = demo
    with database.session() as session:
        patients = session.scalars(select(Patient)).all()
        coverages = session.scalars(select(Coverage)).all()
        phone_rows = session.scalar(select(func.count()).select_from(PatientPhone)) or 0
        alert_rows = session.scalar(select(func.count()).select_from(PatientAlert)) or 0
        first_phones = {
            row.patient_id: row.number
            for row in session.scalars(select(PatientPhone).where(PatientPhone.position == 0))
        }

    assert phone_rows > len(patients)
    assert all(first_phones[patient.id] == patient.phone for patient in patients)
    assert all(patient.phone and patient.phone.startswith("+1") for patient in patients)
    assert any(patient.preferred_name for patient in patients)
    assert sum(1 for patient in patients if patient.emergency_contact_name) > len(patients) // 3
    assert alert_rows > 0
    assert all(coverage.plan_type in PLAN_TYPES for coverage in coverages)
    assert all(coverage.plan_name for coverage in coverages)


def test_demo_children_with_parent_guarantor(demo: tuple[Database, Actor]) -> None:
    database, _admin = demo
    with database.session() as session:
        children = session.scalars(
            select(Patient).where(Patient.guarantor_patient_id.is_not(None))
        ).all()
        assert children
        for child in children:
            parent = session.get(Patient, child.guarantor_patient_id)
            primary = session.scalars(
                select(Coverage).where(Coverage.patient_id == child.id, Coverage.priority == 1)
            ).one()
            assert parent is not None
            assert parent.last_name == child.last_name
            assert child.date_of_birth > parent.date_of_birth
            assert primary.subscriber_patient_id == parent.id
            assert primary.relationship_code == "19"
