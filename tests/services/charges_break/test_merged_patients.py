"""Encounters of archived and merged patients, and dates of service the patient cannot have."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.models.patients import Patient
from app.services import encounters
from app.services.encounters import LineForm
from app.services.merge import merge_patients, undo_merge
from tests.helpers.charge_data import (
    ChargePractice,
    book_visit,
    check_in_and_out,
)
from tests.services.charges_break.flows import balance, line_ids, post, posted, save, saved


def merge_first_into_second(database: Database, practice: ChargePractice) -> uuid.UUID:
    """Merge the first patient into the second and return the merge id."""
    survivor, merged = practice.scheduling.patient_ids[1], practice.patient_id
    with database.transaction() as session:
        return merge_patients(session, practice.manager, survivor, merged, {}).merge_id


def test_draft_follows_merge(database: Database, practice: ChargePractice) -> None:
    survivor = practice.scheduling.patient_ids[1]
    encounter_id = saved(database, practice.biller, practice.form())
    merge_first_into_second(database, practice)

    post(database, practice.biller, encounter_id)

    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    assert form.patient_id == survivor
    assert balance(database, survivor) == Decimal("120.00")
    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_checkout_draft_follows_merge(database: Database, practice: ChargePractice) -> None:
    survivor = practice.scheduling.patient_ids[1]
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    merge_first_into_second(database, practice)

    with database.transaction() as session:
        encounter_id = encounters.encounter_for_appointment(
            session, practice.biller, appointment_id
        )
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.diagnoses = ["J06.9"]
    saved(database, practice.biller, form)
    post(database, practice.biller, encounter_id)

    assert form.patient_id == survivor
    assert balance(database, survivor) == Decimal("120.00")


def test_reversal_after_merge(database: Database, practice: ChargePractice) -> None:
    survivor = practice.scheduling.patient_ids[1]
    encounter_id = posted(database, practice, practice.form())
    merge_first_into_second(database, practice)
    (line_id,) = line_ids(database, encounter_id)

    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")

    assert balance(database, survivor) == Decimal("0.00")
    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_correction_after_merge(database: Database, practice: ChargePractice) -> None:
    survivor = practice.scheduling.patient_ids[1]
    encounter_id = posted(database, practice, practice.form())
    merge_first_into_second(database, practice)
    (line_id,) = line_ids(database, encounter_id)
    higher = LineForm(procedure_code="99214")

    with database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, higher, "Wrong level")

    assert balance(database, survivor) == Decimal("175.00")
    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_merge_undone_after_reversal(database: Database, practice: ChargePractice) -> None:
    survivor = practice.scheduling.patient_ids[1]
    encounter_id = posted(database, practice, practice.form())
    merge_id = merge_first_into_second(database, practice)
    (line_id,) = line_ids(database, encounter_id)
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")

    with database.transaction() as session:
        undo_merge(session, practice.manager, merge_id)

    assert balance(database, survivor) == Decimal("0.00")
    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_reversal_after_two_merges(database: Database, practice: ChargePractice) -> None:
    first, second, third = practice.scheduling.patient_ids
    encounter_id = posted(database, practice, practice.form())
    merge_first_into_second(database, practice)
    with database.transaction() as session:
        merge_patients(session, practice.manager, third, second, {})
    (line_id,) = line_ids(database, encounter_id)

    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")

    assert balance(database, first) == Decimal("0.00")
    assert balance(database, second) == Decimal("0.00")
    assert balance(database, third) == Decimal("0.00")


def test_undo_refused_after_draft_edit(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    merge_id = merge_first_into_second(database, practice)
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.note = "Coded after the merge"
    saved(database, practice.biller, form)

    with pytest.raises(UserError) as error, database.transaction() as session:
        undo_merge(session, practice.manager, merge_id)

    assert str(error.value).startswith("An encounter that this merge changed")


def test_archived_patient_not_billed(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.transaction() as session:
        patient = session.get(Patient, practice.patient_id)
        assert patient is not None
        patient.archived = True

    outcome = save(database, practice.biller, practice.form())
    with pytest.raises(ValidationError) as error:
        post(database, practice.biller, encounter_id)

    assert outcome.record_id is None
    assert "patient_id" in [problem.field for problem in outcome.problems]
    assert [problem.field for problem in error.value.problems] == ["patient_id"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(1969, 12, 31), "before the patient's date of birth"),
        (date(2099, 1, 1), "in the future"),
    ],
)
def test_impossible_service_date(
    database: Database, practice: ChargePractice, day: date, expected: str
) -> None:
    encounter_id = saved(database, practice.biller, practice.form(day=day))

    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
        problems = encounters.check_encounter(session, practice.biller, form)
    with pytest.raises(ValidationError):
        post(database, practice.biller, encounter_id)

    assert any(expected in problem.message for problem in problems)
