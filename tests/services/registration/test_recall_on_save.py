"""The recall due date the registration save works out from the interval."""

from datetime import date

from app.services.registration import load_patient_form, save_patient
from tests.services.registration.conftest import TODAY, Practice, valid_form


def _save_new(practice: Practice, **changes: object) -> date | None:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(**changes), TODAY)
        assert outcome.patient_id is not None
        return load_patient_form(session, practice.front_desk, outcome.patient_id).recall_due_on


def test_interval_without_visit_counts_from_today(practice: Practice) -> None:
    assert _save_new(practice, recall_interval_months=12) == date(2027, 3, 10)


def test_typed_due_date_is_kept(practice: Practice) -> None:
    due = _save_new(practice, recall_interval_months=12, recall_due_on=date(2026, 9, 1))

    assert due == date(2026, 9, 1)


def test_no_interval_no_due_date(practice: Practice) -> None:
    assert _save_new(practice, recall_due_on=date(2026, 9, 1)) is None


def test_changed_interval_moves_the_due_date(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(recall_interval_months=12), TODAY
        )
        assert saved.patient_id is not None
        form = load_patient_form(session, practice.front_desk, saved.patient_id)

        form.recall_interval_months = 6
        save_patient(session, practice.front_desk, form, TODAY)
        moved = load_patient_form(session, practice.front_desk, saved.patient_id)

    assert moved.recall_due_on == date(2026, 9, 10)


def test_unchanged_interval_keeps_the_due_date(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(recall_interval_months=12), TODAY
        )
        assert saved.patient_id is not None
        form = load_patient_form(session, practice.front_desk, saved.patient_id)

        save_patient(session, practice.front_desk, form, date(2026, 5, 1))
        again = load_patient_form(session, practice.front_desk, saved.patient_id)

    assert again.recall_due_on == date(2027, 3, 10)
