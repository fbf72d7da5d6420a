"""Checks of the patient form: each rule, named by the field it concerns."""

from dataclasses import replace
from datetime import date

import pytest

from app.ids import new_id
from app.problems import Problem, Severity, has_errors
from app.services.patient_forms import (
    AlertEntry,
    PartyChoice,
    PatientForm,
    PersonForm,
    PhoneEntry,
    PreviousNameEntry,
)
from app.services.person_checks import birth_date_problems
from app.services.registration import patient_problems, save_patient
from app.services.registration_checks import ssn_problems
from tests.services.registration.conftest import TODAY, Practice, valid_form


def _fields(problems: list[Problem]) -> set[str]:
    return {problem.field for problem in problems if problem.severity is Severity.ERROR}


def _problems(practice: Practice, form: PatientForm) -> list[Problem]:
    with practice.database.reading() as session:
        return patient_problems(session, form, TODAY)


def test_valid_form_has_no_problems(practice: Practice) -> None:
    assert _problems(practice, valid_form()) == []


# (changes to a valid form, the field that must be reported)
RULES: list[tuple[dict[str, object], str]] = [
    ({"first_name": ""}, "first_name"),
    ({"last_name": "   "}, "last_name"),
    ({"first_name": "Ma*ria"}, "first_name"),
    ({"last_name": "Gon~zalez"}, "last_name"),
    ({"last_name": "Gonzalez\x1b[2J"}, "last_name"),
    ({"middle_name": "A" * 26}, "middle_name"),
    ({"preferred_name": "Mar\u202eia"}, "preferred_name"),
    ({"date_of_birth": None}, "date_of_birth"),
    ({"date_of_birth": date(2026, 3, 11)}, "date_of_birth"),
    ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
    ({"sex": ""}, "sex"),
    ({"sex": "X"}, "sex"),
    ({"ssn": "12345678"}, "ssn"),
    ({"ssn": "123-45-678a"}, "ssn"),
    ({"ssn": "000-12-3456"}, "ssn"),
    ({"ssn": "666-12-3456"}, "ssn"),
    ({"ssn": "900-12-3456"}, "ssn"),
    ({"ssn": "123-00-4567"}, "ssn"),
    ({"ssn": "123-45-0000"}, "ssn"),
    ({"ssn": "123-45-6789", "clear_ssn": True}, "ssn"),
    ({"zip_code": "6020"}, "zip_code"),
    ({"zip_code": "60201-12"}, "zip_code"),
    ({"state": "XX"}, "state"),
    ({"phones": [PhoneEntry("mobile", "555")]}, "phones[0].number"),
    ({"phones": [PhoneEntry("pager", "(847) 555-0123")]}, "phones[0].kind"),
    (
        {"phones": [PhoneEntry("mobile", "(847) 555-0123"), PhoneEntry("home", "")]},
        "phones[1].number",
    ),
    ({"phones": [PhoneEntry("work", "(847) 555-0123", "12a")]}, "phones[0].extension"),
    ({"email": "maria@"}, "email"),
    ({"phones": [PhoneEntry("home", "(847) 555-0123")]}, "preferred_contact"),
    ({"email": "", "preferred_contact": "email"}, "preferred_contact"),
    ({"phones": [], "preferred_contact": "phone"}, "preferred_contact"),
    ({"city": "", "preferred_contact": "mail"}, "preferred_contact"),
    ({"preferred_contact": "pigeon"}, "preferred_contact"),
    ({"marital_status": "engaged"}, "marital_status"),
    ({"emergency_contact_phone": "12"}, "emergency_contact_phone"),
    ({"emergency_contact_phone": "(847) 555-0190"}, "emergency_contact_name"),
    ({"status": "moved"}, "status"),
    ({"status": "deceased"}, "deceased_on"),
    ({"status": "deceased", "deceased_on": date(2026, 3, 11)}, "deceased_on"),
    ({"status": "deceased", "deceased_on": date(1984, 6, 1)}, "deceased_on"),
    ({"deceased_on": date(2025, 1, 1)}, "deceased_on"),
    ({"guarantor": PartyChoice(kind="patient")}, "guarantor.patient_id"),
    ({"guarantor": PartyChoice(kind="patient", patient_id=new_id())}, "guarantor.patient_id"),
    (
        {"guarantor": PartyChoice(kind="person", person=PersonForm("Luis"))},
        "guarantor.person.last_name",
    ),
    ({"guarantor": PartyChoice(kind="person")}, "guarantor.person.last_name"),
    ({"guarantor": PartyChoice(kind="uncle")}, "guarantor.kind"),
    (
        {
            "guarantor": PartyChoice(
                kind="person", person=PersonForm("Luis", last_name="Gonzalez", phone="1")
            )
        },
        "guarantor.person.phone",
    ),
    (
        {
            "guarantor": PartyChoice(
                kind="person", person=PersonForm("Luis", last_name="Gonzalez", zip_code="ABCDE")
            )
        },
        "guarantor.person.zip_code",
    ),
    ({"alerts": [AlertEntry("")]}, "alerts[0].message"),
    ({"alerts": [AlertEntry("Needs interpreter", "urgent")]}, "alerts[0].severity"),
    ({"previous_names": [PreviousNameEntry("Maria")]}, "previous_names[0].last_name"),
    (
        {
            "previous_names": [
                PreviousNameEntry("Maria", last_name="Ruiz", used_until=date(2027, 1, 1))
            ]
        },
        "previous_names[0].used_until",
    ),
    ({"primary_provider_id": new_id()}, "primary_provider_id"),
    ({"referring_provider_id": new_id()}, "referring_provider_id"),
    ({"recall_interval_months": 0}, "recall_interval_months"),
    # Other scripts' digits: full-width and Arabic-Indic.
    ({"zip_code": "\uff16\uff10\uff12\uff10\uff11"}, "zip_code"),
    ({"zip_code": "\u0666\u0660\u0662\u0660\u0661-\u0661\u0662\u0663\u0664"}, "zip_code"),
    ({"ssn": "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"}, "ssn"),
    ({"phones": [PhoneEntry("mobile", "(\uff18\uff14\uff17) 555-0123")]}, "phones[0].number"),
    ({"phones": [PhoneEntry("work", "(847) 555-0123", "\uff15\uff15")]}, "phones[0].extension"),
    ({"phones": [PhoneEntry("mobile", "(847) 555-0123\U0001f600")]}, "phones[0].number"),
    ({"phones": [PhoneEntry("mobile", "1-800-FLOWERS")]}, "phones[0].number"),
    ({"emergency_contact_phone": "(847) 555-0190 junk"}, "emergency_contact_phone"),
    # X12 separators in every field that can reach a claim.
    ({"address_line1": "820 * Davis~St"}, "address_line1"),
    ({"address_line2": "Apt ^2"}, "address_line2"),
    ({"city": "Evan:ston"}, "city"),
    ({"employer_name": "Acme*Co~"}, "employer_name"),
    (
        {"emergency_contact_name": "Jo*e", "emergency_contact_phone": "(847) 555-0190"},
        "emergency_contact_name",
    ),
    (
        {
            "guarantor": PartyChoice(
                kind="person",
                person=PersonForm("Luis", last_name="Gonzalez", address_line1="1 Elm~St"),
            )
        },
        "guarantor.person.address_line1",
    ),
    (
        {
            "guarantor": PartyChoice(
                kind="person",
                person=PersonForm("Luis", last_name="Gonzalez", employer_name="A:B"),
            )
        },
        "guarantor.person.employer_name",
    ),
    # Characters that cannot be stored or shown safely.
    ({"first_name": "Ma\ud800ria"}, "first_name"),
    ({"first_name": "Ma\u2028ria"}, "first_name"),
    ({"address_line1": "820 Davis\u2029Street"}, "address_line1"),
    ({"first_name": "\u0301\u0301"}, "first_name"),
]


def test_each_rule_names_its_field(practice: Practice) -> None:
    with practice.database.reading() as session:
        for changes, field in RULES:
            fields = _fields(patient_problems(session, valid_form(**changes), TODAY))
            assert field in fields, f"{changes} should report {field}, got {fields}"


def test_accepted_values(practice: Practice) -> None:
    accepted: list[dict[str, object]] = [
        {"zip_code": "60201-1234"},
        {"zip_code": "602011234"},
        {"ssn": "123 45 6789"},
        {"date_of_birth": date(1900, 1, 1)},
        {"date_of_birth": TODAY},
        {"status": "deceased", "deceased_on": TODAY},
        {"phones": [PhoneEntry("home", "+44 20 7946 0958")], "preferred_contact": "phone"},
        {"last_name": "O'Brien-Smith Jr."},
        {"first_name": "José"},
        {"state": "", "zip_code": "", "address_line1": "", "city": "", "preferred_contact": ""},
    ]
    with practice.database.reading() as session:
        for changes in accepted:
            problems = patient_problems(session, valid_form(**changes), TODAY)
            assert problems == [], f"{changes} should be accepted, got {problems}"


def test_every_problem_at_once(practice: Practice) -> None:
    form = valid_form(first_name="", last_name="", sex="", date_of_birth=None, email="x@")

    fields = _fields(_problems(practice, form))

    assert {"first_name", "last_name", "sex", "date_of_birth", "email"} <= fields


def test_test_ssn_area_999_is_warning(practice: Practice) -> None:
    problems = _problems(practice, valid_form(ssn="999-12-3456"))

    assert [problem.field for problem in problems] == ["ssn"]
    assert problems[0].severity is Severity.WARNING
    assert not has_errors(problems)


def test_ssn_check_alone() -> None:
    assert ssn_problems("", "ssn") == []
    assert ssn_problems("078-05-1120", "ssn") == []
    assert "area 666" in ssn_problems("666-05-1120", "ssn")[0].message


def test_birth_date_messages_name_the_date() -> None:
    future = birth_date_problems(date(2030, 1, 2), "date_of_birth", TODAY)
    early = birth_date_problems(date(1880, 5, 1), "date_of_birth", TODAY)

    assert "2030-01-02" in future[0].message
    assert "1880-05-01" in early[0].message


@pytest.fixture
def saved_id(practice: Practice) -> object:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(), TODAY)
    return outcome.patient_id


def test_guarantor_cannot_be_self(practice: Practice, saved_id: object) -> None:
    form = valid_form(id=saved_id, guarantor=PartyChoice(kind="patient", patient_id=saved_id))

    assert "guarantor.patient_id" in _fields(_problems(practice, form))


def test_guarantor_other_patient_accepted(practice: Practice, saved_id: object) -> None:
    form = valid_form(guarantor=PartyChoice(kind="patient", patient_id=saved_id))

    assert _problems(practice, form) == []


def test_guarantor_archived_patient_rejected(practice: Practice, saved_id: object) -> None:
    from app.models.patients import Patient

    with practice.database.transaction() as session:
        patient = session.get(Patient, saved_id)
        assert patient is not None
        patient.archived = True
    form = valid_form(guarantor=PartyChoice(kind="patient", patient_id=saved_id))

    assert "guarantor.patient_id" in _fields(_problems(practice, form))


def test_person_guarantor_needs_no_birth_date(practice: Practice) -> None:
    person = PersonForm("Luis", last_name="Gonzalez", sex="")
    form = replace(valid_form(), guarantor=PartyChoice(kind="person", person=person))

    assert _problems(practice, form) == []
