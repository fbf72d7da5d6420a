"""The onboarding checklist: default and edited steps, automatic and manual items."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.models.onboarding import OnboardingStep
from app.models.security import AuditEvent
from app.services import onboarding
from app.services.onboarding import DEFAULT_STEPS, StepInput
from tests.helpers.chart_rows import (
    Staff,
    add_coverage,
    add_document,
    add_patient,
    add_payer,
    set_up_practice,
)

TODAY = date(2026, 3, 10)


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def _item(checklist: onboarding.Checklist, code: str) -> onboarding.ChecklistItem:
    return next(item for item in checklist.items if item.code == code)


def test_defaults_listed_without_writing(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        steps = onboarding.list_steps(session, staff.front_desk)
        stored = session.scalar(select(func.count()).select_from(OnboardingStep))
    assert [step.code for step in steps] == [code for code, _label in DEFAULT_STEPS]
    assert [step.automatic for step in steps] == [True, True, True, False, False, False]
    assert stored == 0


def test_seed_is_idempotent(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        onboarding.seed_default_steps(session, staff.admin)
        onboarding.seed_default_steps(session, staff.admin)
        stored = session.scalar(select(func.count()).select_from(OnboardingStep))
    assert stored == len(DEFAULT_STEPS)


def test_complete_patient_demographics_done(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    item = _item(checklist, "demographics_complete")
    assert item.done
    assert item.automatic


def test_missing_address_and_phone_named(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session, address_line1=None, zip_code=None, phone=None)
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    item = _item(checklist, "demographics_complete")
    assert not item.done
    assert item.reason == "Missing: street address, ZIP code, phone"


def test_self_pay_card_step_done(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    item = _item(checklist, "insurance_card_captured")
    assert item.done
    assert item.reason.startswith("Self-pay")


def test_card_needed_for_each_coverage(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        primary = add_coverage(session, patient, add_payer(session, "Aetna"), 1)
        add_coverage(session, patient, add_payer(session, "Cigna"), 2)
        add_document(session, patient, "card_front", primary)
        partial = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    item = _item(partial, "insurance_card_captured")
    assert not item.done
    assert item.reason == "No card front scanned for 1 of 2 coverages in effect"


def test_ended_coverage_needs_no_card(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        add_coverage(session, patient, add_payer(session), 1, termination_date=date(2025, 12, 31))
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    assert _item(checklist, "insurance_card_captured").done


def test_photo_id_document_completes_step(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        before = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
        add_document(session, patient, "photo_id")
        after = onboarding.patient_checklist(session, staff.front_desk, patient.id, TODAY)
    assert not _item(before, "photo_id_captured").done
    assert _item(after, "photo_id_captured").done


def test_manual_step_records_who_and_when(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient_id = add_patient(session).id
    with database.transaction() as session:
        onboarding.set_step_done(
            session, staff.front_desk, patient_id, "consent_to_treat", True, note="Signed copy"
        )
    with database.transaction() as session:
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient_id, TODAY)
        audit_row = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "patient_onboarding")
        ).one()
    item = _item(checklist, "consent_to_treat")
    assert item.done
    assert item.completed_by_name == "Frontdesk User"
    assert item.completed_at is not None
    assert item.note == "Signed copy"
    assert checklist.done_count == 3
    assert checklist.total == 6
    assert audit_row.patient_id == patient_id
    assert audit_row.detail == "step consent_to_treat done"


def test_unticking_clears_who_and_when(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient_id = add_patient(session).id
        onboarding.set_step_done(session, staff.front_desk, patient_id, "consent_to_treat", True)
        onboarding.set_step_done(session, staff.front_desk, patient_id, "consent_to_treat", False)
        checklist = onboarding.patient_checklist(session, staff.front_desk, patient_id, TODAY)
    item = _item(checklist, "consent_to_treat")
    assert not item.done
    assert item.completed_at is None
    assert item.completed_by_name == ""


def test_automatic_step_cannot_be_ticked(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient_id = add_patient(session).id
        with pytest.raises(UserError, match="checked automatically"):
            onboarding.set_step_done(
                session, staff.front_desk, patient_id, "photo_id_captured", True
            )


def test_unknown_step_not_found(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient_id = add_patient(session).id
        with pytest.raises(NotFoundError, match="flu_shot"):
            onboarding.set_step_done(session, staff.front_desk, patient_id, "flu_shot", True)


def test_provider_cannot_tick(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient_id = add_patient(session).id
        with pytest.raises(PermissionDeniedError):
            onboarding.set_step_done(session, staff.provider, patient_id, "consent_to_treat", True)


def test_save_steps_add_rename_reorder_archive(database: Database, staff: Staff) -> None:
    edited = [
        StepInput("Consent to treat signed", "consent_to_treat"),
        StepInput("Demographics on file", "demographics_complete"),
        StepInput("Flu shot offered"),
    ]
    with database.transaction() as session:
        onboarding.save_steps(session, staff.admin, edited)
    with database.transaction() as session:
        steps = onboarding.list_steps(session, staff.front_desk)
        archived = session.scalars(
            select(OnboardingStep.code).where(OnboardingStep.archived.is_(True))
        ).all()
        audit_row = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "onboarding_step", AuditEvent.action == "update"
            )
        ).one()
    assert [step.code for step in steps] == [
        "consent_to_treat",
        "demographics_complete",
        "flu_shot_offered",
    ]
    assert steps[1].label == "Demographics on file"
    assert steps[1].automatic
    assert not steps[2].automatic
    assert len(archived) == 4
    assert audit_row.detail == "3 steps: 1 added, 1 renamed, 4 archived"


def test_archived_step_returns_with_code(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        onboarding.save_steps(session, staff.admin, [StepInput("Consent", "consent_to_treat")])
        onboarding.save_steps(
            session,
            staff.admin,
            [StepInput("Consent", "consent_to_treat"), StepInput("Photo", "photo_id_captured")],
        )
        steps = onboarding.list_steps(session, staff.front_desk)
    assert [step.code for step in steps] == ["consent_to_treat", "photo_id_captured"]


def test_removed_step_added_back_by_name_keeps_its_code(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        onboarding.save_steps(session, staff.admin, [StepInput("Flu shot offered")])
        onboarding.save_steps(session, staff.admin, [StepInput("Consent", "consent_to_treat")])
        onboarding.save_steps(
            session,
            staff.admin,
            [StepInput("Consent", "consent_to_treat"), StepInput("flu shot offered ")],
        )
        codes = [step.code for step in onboarding.list_steps(session, staff.front_desk)]
    assert codes == ["consent_to_treat", "flu_shot_offered"]


def test_new_codes_are_unique(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        onboarding.save_steps(
            session, staff.admin, [StepInput("Flu shot offered"), StepInput("Flu shot: offered")]
        )
        codes = [step.code for step in onboarding.list_steps(session, staff.front_desk)]
    assert codes == ["flu_shot_offered", "flu_shot_offered_2"]


def test_step_problems_all_at_once() -> None:
    problems = onboarding.step_problems(
        [StepInput(""), StepInput("Consent", "Bad Code"), StepInput("consent")]
    )
    fields = [problem.field for problem in problems]
    assert fields == ["steps[0].label", "steps[1].code", "steps[2].label"]


def test_save_steps_rejects_invalid(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        with pytest.raises(ValidationError):
            onboarding.save_steps(session, staff.admin, [StepInput(" ")])
        stored = session.scalar(select(func.count()).select_from(OnboardingStep))
    assert stored == 0


def test_front_desk_cannot_edit_steps(database: Database, staff: Staff) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        onboarding.save_steps(session, staff.front_desk, [StepInput("Consent")])


def test_summary_for_many_patients(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        complete = add_patient(session)
        add_document(session, complete, "photo_id")
        onboarding.set_step_done(session, staff.front_desk, complete.id, "consent_to_treat", True)
        sparse = add_patient(session, address_line1=None, phone=None)
        add_coverage(session, sparse, add_payer(session), 1)
        summary = onboarding.checklist_summary_for_patients(
            session, [complete.id, sparse.id], TODAY
        )
        single = onboarding.patient_checklist(session, staff.front_desk, complete.id, TODAY)
    assert summary[complete.id] == (4, 6)
    assert summary[sparse.id] == (0, 6)
    assert summary[complete.id] == (single.done_count, single.total)
