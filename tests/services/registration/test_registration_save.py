"""Saving, loading and re-saving patients through the registration service."""

import uuid
from datetime import date
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError
from app.models.patients import (
    Coverage,
    Patient,
    PatientAlert,
    PatientDocument,
    PatientPhone,
    PatientPreviousName,
    Person,
)
from app.models.security import AuditEvent
from app.models.system import NumberCounter, Workstation
from app.problems import Severity
from app.security.permissions import Actor, Role
from app.services.eligibility import record_eligibility_check
from app.services.patient_forms import (
    AlertEntry,
    PartyChoice,
    PatientForm,
    PersonForm,
    PhoneEntry,
    PreviousNameEntry,
)
from app.services.practice import initialize_practice
from app.services.registration import load_patient_form, save_patient
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import sample_setup
from tests.services.registration.conftest import TODAY, Practice, coverage, valid_form

Row = TypeVar("Row", PatientPhone, PatientAlert, Coverage)

COUNTED = (
    Patient,
    PatientPhone,
    PatientPreviousName,
    PatientAlert,
    Coverage,
    Person,
    PatientDocument,
    AuditEvent,
)


def _save(practice: Practice, form: PatientForm) -> uuid.UUID:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, form, TODAY)
    assert outcome.problems == []
    assert outcome.patient_id is not None
    return outcome.patient_id


def _load(practice: Practice, patient_id: uuid.UUID) -> PatientForm:
    with practice.database.transaction() as session:
        return load_patient_form(session, practice.front_desk, patient_id)


def _counts(session: Session) -> dict[str, int]:
    counts = {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }
    counter = session.get(NumberCounter, "chart")
    counts["chart counter"] = counter.last_value if counter is not None else 0
    return counts


def _active(session: Session, model: type[Row], patient_id: uuid.UUID) -> list[Row]:
    query = select(model).where(model.patient_id == patient_id, model.archived.is_(False))
    return list(session.scalars(query))


def test_save_new_patient_normalizes(practice: Practice) -> None:
    form = valid_form(
        first_name="  maria ",
        last_name=" de la Cruz",
        zip_code="602014412",
        ssn="123-45-6789",
        emergency_contact_name="Luis Cruz",
        emergency_contact_phone="847.555.0190",
    )

    patient_id = _save(practice, form)

    with practice.database.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert patient.first_name == "maria"
        assert patient.last_name == "de la Cruz"
        assert patient.state == "IL"
        assert patient.zip_code == "60201-4412"
        assert patient.phone == "+18475550123"
        assert patient.email == "Maria.Gonzalez@example.com"
        assert patient.ssn == "123456789"
        assert patient.emergency_contact_phone == "+18475550190"
        assert patient.updated_by == practice.front_desk.user_id


def test_save_with_errors_writes_nothing(practice: Practice) -> None:
    form = valid_form(
        last_name="",
        phones=[PhoneEntry("mobile", "(847) 555-0123"), PhoneEntry("home", "(847) 555-0124")],
        alerts=[AlertEntry("Needs interpreter")],
        previous_names=[PreviousNameEntry("Maria", last_name="Ruiz")],
        coverages=[coverage(practice.aetna)],
        guarantor=PartyChoice(kind="person", person=PersonForm("Luis", last_name="Cruz")),
    )
    with practice.database.session() as session:
        before = _counts(session)

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, form, TODAY)

    with practice.database.session() as session:
        after = _counts(session)
    assert [problem.field for problem in outcome.problems] == ["last_name"]
    assert not outcome.saved
    assert outcome.patient_id is None
    assert outcome.chart_number is None
    assert not outcome.changes.kinds
    assert after == before


def test_save_with_warning_saves(practice: Practice) -> None:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(ssn="999-12-3456"), TODAY)

    assert outcome.saved
    assert [problem.severity for problem in outcome.problems] == [Severity.WARNING]
    assert outcome.patient_id is not None


def test_chart_number_issued_once(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = save_patient(session, practice.front_desk, valid_form(), TODAY)
        second = save_patient(session, practice.front_desk, valid_form(first_name="Ana"), TODAY)
    assert first.patient_id is not None
    form = _load(practice, first.patient_id)
    form.first_name = "Mariana"

    with practice.database.transaction() as session:
        again = save_patient(session, practice.front_desk, form, TODAY)

    assert first.chart_number is not None
    assert first.chart_number.endswith("-000001")
    assert second.chart_number is not None
    assert second.chart_number.endswith("-000002")
    assert again.chart_number == first.chart_number


def _practice_with_code(path: object, code: str) -> tuple[Database, Actor]:
    database = Database.create(path, PASSPHRASE)  # type: ignore[arg-type]
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        local = session.scalars(select(Workstation).where(Workstation.is_local.is_(True))).one()
        local.code = code
    return database, Actor(admin.user_id, admin.username, admin.role, code)


def test_chart_numbers_unique_across_workstations(tmp_path: object) -> None:
    numbers = []
    for code in ("K7Q", "M4P"):
        database, admin = _practice_with_code(tmp_path / code / "clinicdesk.db", code)  # type: ignore[operator]
        try:
            with database.transaction() as session:
                outcome = save_patient(session, admin, valid_form(), TODAY)
            numbers.append(outcome.chart_number)
        finally:
            database.close()

    assert numbers == ["K7Q-000001", "M4P-000001"]


def test_resave_loaded_form_keeps_ssn(practice: Practice) -> None:
    patient_id = _save(practice, valid_form(ssn="123456789"))

    loaded = _load(practice, patient_id)
    _save(practice, loaded)

    with practice.database.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert patient.ssn == "123456789"
    assert loaded.ssn == ""
    assert loaded.ssn_masked == "***-**-6789"


def test_clear_ssn_removes_it(practice: Practice) -> None:
    patient_id = _save(practice, valid_form(ssn="123456789"))
    loaded = _load(practice, patient_id)
    loaded.clear_ssn = True

    _save(practice, loaded)

    with practice.database.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert patient.ssn is None
    assert _load(practice, patient_id).ssn_masked == ""


def test_retyped_ssn_replaces_it(practice: Practice) -> None:
    patient_id = _save(practice, valid_form(ssn="123456789"))
    loaded = _load(practice, patient_id)
    loaded.ssn = "078-05-1120"

    _save(practice, loaded)

    assert _load(practice, patient_id).ssn_masked == "***-**-1120"


def test_phones_kept_in_list_order(practice: Practice) -> None:
    phones = [
        PhoneEntry("home", "(847) 555-0111"),
        PhoneEntry("mobile", "(847) 555-0122"),
        PhoneEntry("work", "312-555-0133", "204"),
    ]
    patient_id = _save(practice, valid_form(phones=phones))
    loaded = _load(practice, patient_id)
    loaded.phones = [loaded.phones[2], loaded.phones[0]]
    loaded.preferred_contact = "phone"

    _save(practice, loaded)

    with practice.database.session() as session:
        rows = sorted(_active(session, PatientPhone, patient_id), key=lambda row: row.position)
        patient = session.get(Patient, patient_id)
        archived = session.scalars(
            select(PatientPhone).where(PatientPhone.archived.is_(True))
        ).all()
        assert patient is not None
        assert [(row.number, row.position) for row in rows] == [
            ("+13125550133", 0),
            ("+18475550111", 1),
        ]
        assert rows[0].extension == "204"
        assert patient.phone == "+13125550133"
        assert [row.number for row in archived] == ["+18475550122"]
    assert [phone.number for phone in _load(practice, patient_id).phones] == [
        "(312) 555-0133",
        "(847) 555-0111",
    ]


def test_removing_every_phone_clears_patient_phone(practice: Practice) -> None:
    patient_id = _save(practice, valid_form())
    loaded = _load(practice, patient_id)
    loaded.phones = []
    loaded.preferred_contact = "email"

    _save(practice, loaded)

    with practice.database.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert patient.phone is None
        assert _active(session, PatientPhone, patient_id) == []


def test_names_and_alerts_saved_and_archived(practice: Practice) -> None:
    form = valid_form(
        previous_names=[PreviousNameEntry("Maria", last_name="Ruiz", used_until=date(2010, 5, 1))],
        alerts=[
            AlertEntry("Needs Spanish interpreter", "info"),
            AlertEntry("Latex allergy", "critical"),
        ],
    )
    patient_id = _save(practice, form)
    loaded = _load(practice, patient_id)
    assert [entry.last_name for entry in loaded.previous_names] == ["Ruiz"]
    assert sorted(alert.severity for alert in loaded.alerts) == ["critical", "info"]

    loaded.previous_names = []
    loaded.alerts = [alert for alert in loaded.alerts if alert.severity == "critical"]
    _save(practice, loaded)

    with practice.database.session() as session:
        names = session.scalars(select(PatientPreviousName)).all()
        alerts = _active(session, PatientAlert, patient_id)
        assert [name.archived for name in names] == [True]
        assert [alert.message for alert in alerts] == ["Latex allergy"]
        total_alerts = session.scalar(select(func.count()).select_from(PatientAlert))
        assert total_alerts == 2


def test_person_guarantor_created_then_updated(practice: Practice) -> None:
    person = PersonForm(
        "Luis", last_name="Cruz", phone="(847) 555-0190", state="il", zip_code="60201"
    )
    patient_id = _save(practice, valid_form(guarantor=PartyChoice(kind="person", person=person)))
    loaded = _load(practice, patient_id)
    assert loaded.guarantor.kind == "person"
    assert loaded.guarantor.person is not None
    person_id = loaded.guarantor.person.id
    loaded.guarantor.person.employer_name = "Lakeside Tools"

    _save(practice, loaded)

    with practice.database.session() as session:
        people = session.scalars(select(Person)).all()
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert [row.id for row in people] == [person_id]
        assert people[0].employer_name == "Lakeside Tools"
        assert people[0].phone == "+18475550190"
        assert people[0].state == "IL"
        assert patient.guarantor_person_id == person_id
        assert patient.guarantor_patient_id is None


def test_patient_guarantor_and_back_to_self(practice: Practice) -> None:
    parent_id = _save(practice, valid_form(first_name="Luis", date_of_birth=date(1960, 1, 5)))
    child_id = _save(
        practice,
        valid_form(date_of_birth=date(2015, 9, 9), guarantor=PartyChoice("patient", parent_id)),
    )
    loaded = _load(practice, child_id)
    assert loaded.guarantor == PartyChoice("patient", parent_id)

    loaded.guarantor = PartyChoice()
    _save(practice, loaded)

    with practice.database.session() as session:
        child = session.get(Patient, child_id)
        assert child is not None
        assert child.guarantor_patient_id is None


def test_coverage_with_person_subscriber(practice: Practice) -> None:
    subscriber = PersonForm("Luis", last_name="Cruz", date_of_birth=date(1960, 1, 5), sex="M")
    entry = coverage(
        practice.aetna,
        plan_name="Open Access",
        plan_type="12",
        group_number="G-100",
        subscriber=PartyChoice("person", person=subscriber),
        relationship_code="19",
    )

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(coverages=[entry]), TODAY)

    assert outcome.changes.touches(ChangeKind.COVERAGES)
    assert outcome.patient_id is not None
    with practice.database.session() as session:
        rows = _active(session, Coverage, outcome.patient_id)
        person = session.scalars(select(Person)).one()
        assert len(rows) == 1
        assert rows[0].relationship_code == "19"
        assert rows[0].subscriber_person_id == person.id
        assert rows[0].plan_type == "12"
        assert rows[0].plan_name == "Open Access"
    loaded = _load(practice, outcome.patient_id)
    assert loaded.coverages[0].subscriber.kind == "person"
    assert loaded.coverages[0].id == rows[0].id


def test_coverage_archived_by_flag_and_by_removal(practice: Practice) -> None:
    primary = coverage(practice.aetna)
    secondary = coverage(practice.cigna, priority=2, member_id="C9")
    patient_id = _save(practice, valid_form(coverages=[primary, secondary]))
    loaded = _load(practice, patient_id)
    loaded.coverages[0].archived = True

    _save(practice, loaded)
    with practice.database.session() as session:
        assert [row.member_id for row in _active(session, Coverage, patient_id)] == ["C9"]

    loaded = _load(practice, patient_id)
    loaded.coverages = []
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, loaded, TODAY)

    assert outcome.changes.touches(ChangeKind.COVERAGES)
    with practice.database.session() as session:
        assert _active(session, Coverage, patient_id) == []
        total = session.scalar(select(func.count()).select_from(Coverage))
        assert total == 2


def test_unchanged_resave_touches_nothing(practice: Practice) -> None:
    patient_id = _save(practice, valid_form(coverages=[coverage(practice.aetna)]))
    loaded = _load(practice, patient_id)

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, loaded, TODAY)

    assert outcome.saved
    assert not outcome.changes.kinds


def test_save_audits_create_and_update(practice: Practice) -> None:
    patient_id = _save(practice, valid_form(ssn="123456789"))
    loaded = _load(practice, patient_id)
    loaded.city = "Skokie"
    loaded.zip_code = "60076"
    _save(practice, loaded)

    with practice.database.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "patient")
            .order_by(AuditEvent.sequence)
        ).all()
    assert [event.action for event in events] == ["create", "view", "update"]
    assert all(event.patient_id == patient_id for event in events)
    assert all(event.object_id == str(patient_id) for event in events)
    assert events[2].detail == "changed=record"
    for event in events:
        assert "Gonzalez" not in event.detail
        assert "123456789" not in event.detail


def test_save_denied_without_edit(practice: Practice) -> None:
    provider = Actor(practice.admin.user_id, "doctor", Role.PROVIDER, practice.admin.workstation)

    with pytest.raises(PermissionDeniedError), practice.database.transaction() as session:
        save_patient(session, provider, valid_form(), TODAY)

    with practice.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_save_unknown_patient_not_found(practice: Practice) -> None:
    with (
        pytest.raises(NotFoundError, match="not found"),
        practice.database.transaction() as session,
    ):
        save_patient(session, practice.front_desk, valid_form(id=uuid.uuid4()), TODAY)


@pytest.mark.parametrize(("change", "kept"), [("group_name", True), ("member_id", False)])
def test_new_member_id_clears_eligibility(practice: Practice, change: str, kept: bool) -> None:
    patient_id = _save(practice, valid_form(coverages=[coverage(practice.aetna)]))
    with practice.database.transaction() as session:
        row = _active(session, Coverage, patient_id)[0]
        record_eligibility_check(session, practice.front_desk, row.id, TODAY)
    loaded = _load(practice, patient_id)
    setattr(loaded.coverages[0], change, "NEW-9")

    _save(practice, loaded)

    with practice.database.session() as session:
        checked_on = _active(session, Coverage, patient_id)[0].eligibility_checked_on
    assert (checked_on == TODAY) is kept
