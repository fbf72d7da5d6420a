"""Two users edit one patient: the later save of a stale form is rejected, not merged."""

import uuid
from dataclasses import replace

from app.services.patient_forms import PatientForm, PhoneEntry
from app.services.registration import load_patient_form, save_patient
from tests.services.registration.conftest import TODAY, Practice, coverage, valid_form

STALE_MESSAGE_END = (
    "after you opened it; reopen the record to see their changes, then make yours again."
)


def _saved_patient(practice: Practice) -> uuid.UUID:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.admin, valid_form(), TODAY)
    assert outcome.patient_id is not None, outcome.problems
    return outcome.patient_id


def _load(practice: Practice, patient_id: uuid.UUID) -> PatientForm:
    with practice.database.transaction() as session:
        return load_patient_form(session, practice.admin, patient_id)


def _save(practice: Practice, form: PatientForm) -> list[str]:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.admin, form, TODAY)
    return [problem.message for problem in outcome.problems]


def _phone_numbers(practice: Practice, patient_id: uuid.UUID) -> list[str]:
    return [phone.number for phone in _load(practice, patient_id).phones]


def test_loaded_form_carries_updated_at(practice: Practice) -> None:
    form = _load(practice, _saved_patient(practice))

    assert form.loaded_at is not None
    assert form.loaded_at.tzinfo is not None


def test_stale_phone_save_rejected(practice: Practice) -> None:
    patient_id = _saved_patient(practice)
    first, second = _load(practice, patient_id), _load(practice, patient_id)

    first.phones.append(PhoneEntry("home", "(847) 555-0111"))
    assert _save(practice, first) == []
    second.phones.append(PhoneEntry("work", "(847) 555-0122"))
    messages = _save(practice, second)

    assert len(messages) == 1
    assert messages[0].startswith("Someone else saved this patient at ")
    assert messages[0].endswith(STALE_MESSAGE_END)
    numbers = _phone_numbers(practice, patient_id)
    assert "(847) 555-0111" in numbers
    assert "(847) 555-0122" not in numbers


def test_stale_save_writes_nothing(practice: Practice) -> None:
    patient_id = _saved_patient(practice)
    first, second = _load(practice, patient_id), _load(practice, patient_id)

    assert _save(practice, replace(first, email="first@example.com")) == []
    assert _save(practice, replace(second, city="Skokie", email="second@example.com")) != []

    reloaded = _load(practice, patient_id)
    assert reloaded.email == "first@example.com"
    assert reloaded.city == "Evanston"


def test_child_row_save_counts_as_change(practice: Practice) -> None:
    patient_id = _saved_patient(practice)
    before = _load(practice, patient_id)
    stale = _load(practice, patient_id)

    assert _save(practice, replace(before, coverages=[coverage(practice.aetna)])) == []
    after = _load(practice, patient_id)

    assert after.loaded_at is not None and before.loaded_at is not None
    assert after.loaded_at > before.loaded_at
    assert _save(practice, replace(stale, email="late@example.com")) != []
    assert len(_load(practice, patient_id).coverages) == 1


def test_reloaded_form_saves_again(practice: Practice) -> None:
    patient_id = _saved_patient(practice)
    assert _save(practice, replace(_load(practice, patient_id), email="a@example.com")) == []

    assert _save(practice, replace(_load(practice, patient_id), email="b@example.com")) == []
    assert _load(practice, patient_id).email == "b@example.com"


def test_form_without_loaded_at_not_checked(practice: Practice) -> None:
    patient_id = _saved_patient(practice)
    form = replace(_load(practice, patient_id), loaded_at=None)
    assert _save(practice, replace(_load(practice, patient_id), email="a@example.com")) == []

    assert _save(practice, replace(form, email="b@example.com")) == []
