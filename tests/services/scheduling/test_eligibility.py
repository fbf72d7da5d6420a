"""Eligibility checks: recording them, the calendar and board flags, and check-in."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError
from app.models.patients import Coverage
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import booking
from app.services.calendar_view import week_view
from app.services.check_in import check_in, check_in_checklist
from app.services.eligibility import (
    check_is_stale,
    eligibility_checks,
    record_eligibility_check,
    unverified_visits,
)
from app.services.front_desk import FLAG_ELIGIBILITY, FLAG_SELF_PAY, today_board
from app.services.scheduling_settings import (
    SchedulingSettings,
    practice_now,
    save_scheduling_settings,
    settings_problems,
)
from tests.helpers.referral_data import add_coverage
from tests.helpers.scheduling_data import MONDAY, SchedulingPractice, build_scheduling_practice

# Patients 0 and 1 have an Aetna coverage with no dates. Patient 2 has none (self-pay).
COVERED, SELF_PAY = 0, 2


@pytest.fixture
def practice(database: Database) -> SchedulingPractice:
    return build_scheduling_practice(database)


def _coverage(database: Database, patient_id: uuid.UUID) -> Coverage:
    with database.reading() as session:
        row = session.scalars(select(Coverage).where(Coverage.patient_id == patient_id)).one()
        session.expunge(row)
        return row


def _set_checked(database: Database, coverage_id: uuid.UUID, checked_on: date | None) -> None:
    with database.transaction() as session:
        session.get_one(Coverage, coverage_id).eligibility_checked_on = checked_on


def _unverified(database: Database, patient_id: uuid.UUID, day: date = MONDAY) -> bool:
    with database.reading() as session:
        return (patient_id, day) in unverified_visits(session, [(patient_id, day)])


def _book(database: Database, practice: SchedulingPractice, patient: int, day: date) -> uuid.UUID:
    starts_at = datetime.combine(day, datetime.min.time()).replace(hour=9)
    with database.transaction() as session:
        outcome = booking.book(
            session, practice.front_desk, practice.request(starts_at, patient=patient)
        )
    assert outcome.appointment_id is not None
    return outcome.appointment_id


def test_stale_rule_boundaries() -> None:
    assert check_is_stale(None, MONDAY, 30)
    assert not check_is_stale(MONDAY - timedelta(days=30), MONDAY, 30)
    assert check_is_stale(MONDAY - timedelta(days=31), MONDAY, 30)
    # A check made after the visit still confirms the policy was active on that day.
    assert not check_is_stale(MONDAY + timedelta(days=3), MONDAY, 0)


def test_never_checked_is_unverified(database: Database, practice: SchedulingPractice) -> None:
    assert _unverified(database, practice.patient_ids[COVERED])
    assert not _unverified(database, practice.patient_ids[SELF_PAY])


def test_recent_check_clears_flag(database: Database, practice: SchedulingPractice) -> None:
    patient_id = practice.patient_ids[COVERED]
    coverage_id = practice.base.aetna_coverage_id

    _set_checked(database, coverage_id, MONDAY - timedelta(days=10))
    assert not _unverified(database, patient_id)

    _set_checked(database, coverage_id, MONDAY - timedelta(days=31))
    assert _unverified(database, patient_id)


def test_max_age_setting_applies(database: Database, practice: SchedulingPractice) -> None:
    _set_checked(database, practice.base.aetna_coverage_id, MONDAY - timedelta(days=10))
    with database.transaction() as session:
        save_scheduling_settings(
            session, practice.admin, SchedulingSettings(eligibility_max_age_days=7)
        )

    assert _unverified(database, practice.patient_ids[COVERED])


def test_max_age_setting_validated() -> None:
    problems = settings_problems(SchedulingSettings(eligibility_max_age_days=400))

    assert [problem.field for problem in problems] == ["eligibility_max_age_days"]
    assert "0 to 365" in problems[0].message


def test_primary_coverage_decides(database: Database, practice: SchedulingPractice) -> None:
    patient_id = practice.patient_ids[COVERED]
    with database.transaction() as session:
        secondary_id = add_coverage(session, patient_id, practice.base.cigna_id, priority=2)
    _set_checked(database, secondary_id, MONDAY)
    assert _unverified(database, patient_id)

    _set_checked(database, secondary_id, None)
    _set_checked(database, practice.base.aetna_coverage_id, MONDAY)
    assert not _unverified(database, patient_id)


def test_secondary_alone_counts_as_primary(
    database: Database, practice: SchedulingPractice
) -> None:
    patient_id = practice.patient_ids[COVERED]
    with database.transaction() as session:
        secondary_id = add_coverage(session, patient_id, practice.base.cigna_id, priority=2)
        session.get_one(Coverage, practice.base.aetna_coverage_id).termination_date = MONDAY
    _set_checked(database, secondary_id, MONDAY)

    assert not _unverified(database, patient_id, MONDAY + timedelta(days=1))


def test_flag_follows_visit_date(database: Database, practice: SchedulingPractice) -> None:
    wednesday = MONDAY + timedelta(days=2)
    with database.transaction() as session:
        session.get_one(Coverage, practice.base.aetna_coverage_id).effective_date = wednesday
    monday_visit = _book(database, practice, COVERED, MONDAY)
    wednesday_visit = _book(database, practice, COVERED, wednesday)

    with database.reading() as session:
        grid = week_view(session, practice.admin, MONDAY, "providers", practice.provider_ids[0])
    flags = {block.appointment_id: block.flags for block in grid.blocks}

    assert not flags[monday_visit].eligibility_unverified
    assert flags[wednesday_visit].eligibility_unverified


def test_board_flags_unverified(database: Database, practice: SchedulingPractice) -> None:
    covered = _book(database, practice, COVERED, MONDAY)
    self_pay = _book(database, practice, SELF_PAY, MONDAY + timedelta(days=1))
    now = datetime(2026, 2, 2, 20, tzinfo=UTC)

    with database.reading() as session:
        monday = {row.appointment_id: row.flags for row in today_board(
            session, practice.admin, MONDAY, now
        )}  # fmt: skip
        tuesday = {row.appointment_id: row.flags for row in today_board(
            session, practice.admin, MONDAY + timedelta(days=1), now
        )}  # fmt: skip

    assert FLAG_ELIGIBILITY in monday[covered]
    assert FLAG_ELIGIBILITY not in tuesday[self_pay]
    assert FLAG_SELF_PAY in tuesday[self_pay]


def test_record_check_stored_and_audited(database: Database, practice: SchedulingPractice) -> None:
    coverage_id = practice.base.aetna_coverage_id
    checked_on = MONDAY - timedelta(days=1)
    with database.transaction() as session:
        record_eligibility_check(session, practice.front_desk, coverage_id, checked_on)

    stored = _coverage(database, practice.patient_ids[COVERED])
    assert stored.eligibility_checked_on == checked_on
    assert stored.eligibility_checked_by == practice.front_desk.user_id
    with database.reading() as session:
        check = eligibility_checks(session, practice.front_desk, [coverage_id])[coverage_id]
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "coverage", AuditEvent.object_id == str(coverage_id)
            )
        ).all()
    assert check.describe() == f"last checked {checked_on:%m/%d/%Y} by admin"
    assert [event.action for event in audit] == ["update"]
    assert audit[0].patient_id == practice.patient_ids[COVERED]


def test_record_check_rejects_future(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session:
        later = practice_now(session).date() + timedelta(days=1)
        with pytest.raises(UserError, match="after today"):
            record_eligibility_check(
                session, practice.front_desk, practice.base.aetna_coverage_id, later
            )


def test_record_check_unknown_coverage(database: Database, practice: SchedulingPractice) -> None:
    with database.transaction() as session, pytest.raises(NotFoundError):
        record_eligibility_check(session, practice.front_desk, uuid.uuid4(), MONDAY)


def test_record_check_needs_patient_edit(database: Database, practice: SchedulingPractice) -> None:
    provider = Actor(practice.admin.user_id, "doc", Role.PROVIDER, practice.admin.workstation)
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        record_eligibility_check(session, provider, practice.base.aetna_coverage_id, MONDAY)


def test_check_in_records_eligibility(database: Database, practice: SchedulingPractice) -> None:
    visit = _book(database, practice, COVERED, MONDAY)
    with database.reading() as session:
        before = check_in_checklist(session, practice.front_desk, visit)
    assert before.eligibility_unverified
    assert before.primary_coverage_id == practice.base.aetna_coverage_id
    assert before.coverages[0].eligibility == "never checked"

    with database.transaction() as session:
        check_in(session, practice.front_desk, visit, eligibility_confirmed=True)
        today = practice_now(session).date()

    stored = _coverage(database, practice.patient_ids[COVERED])
    assert stored.eligibility_checked_on == today
    with database.reading() as session:
        after = check_in_checklist(session, practice.front_desk, visit)
    assert after.status == "arrived"
    assert not after.eligibility_unverified


def test_check_in_without_confirming(database: Database, practice: SchedulingPractice) -> None:
    visit = _book(database, practice, COVERED, MONDAY)
    with database.transaction() as session:
        check_in(session, practice.front_desk, visit, eligibility_confirmed=False)

    assert _coverage(database, practice.patient_ids[COVERED]).eligibility_checked_on is None


def test_check_in_self_pay_confirm_rejected(
    database: Database, practice: SchedulingPractice
) -> None:
    visit = _book(database, practice, SELF_PAY, MONDAY)
    with database.reading() as session:
        checklist = check_in_checklist(session, practice.front_desk, visit)
    assert checklist.primary_coverage_id is None
    assert not checklist.eligibility_unverified

    with database.transaction() as session, pytest.raises(UserError, match="no coverage"):
        check_in(session, practice.front_desk, visit, eligibility_confirmed=True)
