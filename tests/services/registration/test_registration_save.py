"""Saving, loading and re-saving patients through the registration service."""

from sqlalchemy import func, select

from app.models.patients import Patient, PatientPhone
from app.services.registration import load_patient_form, save_patient
from tests.services.registration.conftest import TODAY, Practice, coverage, valid_form


def test_save_new_patient_normalizes(practice: Practice) -> None:
    form = valid_form(ssn="123-45-6789", coverages=[coverage(practice.aetna)])

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, form, TODAY)

    assert outcome.problems == []
    assert outcome.patient_id is not None
    with practice.database.session() as session:
        patient = session.get(Patient, outcome.patient_id)
        assert patient is not None
        assert patient.chart_number == outcome.chart_number
        assert patient.state == "IL"
        assert patient.phone == "+18475550123"
        assert patient.email == "Maria.Gonzalez@example.com"
        assert patient.ssn == "123456789"
        phones = session.scalar(select(func.count()).select_from(PatientPhone))
        assert phones == 1


def test_resave_loaded_form_keeps_ssn(practice: Practice) -> None:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(ssn="123456789"), TODAY)
    assert outcome.patient_id is not None

    with practice.database.transaction() as session:
        loaded = load_patient_form(session, practice.front_desk, outcome.patient_id)
    assert loaded.ssn == ""
    assert loaded.ssn_masked == "***-**-6789"

    with practice.database.transaction() as session:
        again = save_patient(session, practice.front_desk, loaded, TODAY)
    assert again.problems == []
    with practice.database.session() as session:
        patient = session.get(Patient, outcome.patient_id)
        assert patient is not None
        assert patient.ssn == "123456789"
