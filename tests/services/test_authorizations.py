"""Prior authorizations: every rule, the coverage check and counting units."""

import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.onboarding import AuthorizedService, PriorAuthorization
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import authorizations
from app.services.authorization_check import AuthorizationCheck, authorization_for
from app.services.authorization_codes import code_list_problems, is_procedure_code, parse_codes
from app.services.authorizations import AuthorizationForm, AuthorizationStatus
from app.services.outcomes import SaveOutcome
from tests.helpers.referral_data import ReferralPractice, build_referral_practice

TODAY = date(2026, 3, 10)


@pytest.fixture
def practice(database: Database) -> ReferralPractice:
    return build_referral_practice(database)


def auth_form(practice: ReferralPractice, **changes: object) -> AuthorizationForm:
    form = AuthorizationForm(
        patient_id=practice.patient_id,
        payer_id=practice.aetna_id,
        authorization_number="A12345",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        unit_kind="visits",
        authorized=10,
        used=0,
        codes=["97110", "97140"],
    )
    return replace(form, **changes)


def save(database: Database, practice: ReferralPractice, **changes: object) -> SaveOutcome:
    with database.transaction() as session:
        return authorizations.save_authorization(
            session, practice.admin, auth_form(practice, **changes)
        )


def saved_id(database: Database, practice: ReferralPractice, **changes: object) -> uuid.UUID:
    outcome = save(database, practice, **changes)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def check(
    database: Database,
    practice: ReferralPractice,
    service_date: date,
    *,
    code: str = "97110",
    units: int = 1,
    payer: str = "aetna",
) -> AuthorizationCheck:
    payer_id = practice.aetna_id if payer == "aetna" else practice.cigna_id
    with database.session() as session:
        return authorization_for(
            session, practice.admin, practice.patient_id, payer_id, service_date, code, units
        )


# ---- codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("99213", True),
        ("0001U", True),
        ("3074F", True),
        ("0042T", True),
        ("g0438", True),
        ("V2020", True),
        ("W1234", False),
        ("9921", False),
        ("992134", False),
        ("0001X", False),
        ("Office", False),
    ],
)
def test_code_format(code: str, valid: bool) -> None:
    assert is_procedure_code(code) is valid


def test_codes_parsed_from_list() -> None:
    assert parse_codes(" 97110, 97140  g0283;97530\n") == ["97110", "97140", "G0283", "97530"]


def test_code_list_descriptions_rejected() -> None:
    problems = code_list_problems(["97110", "Therapeutic", "exercise"], "codes")
    assert len(problems) == 1
    assert "THERAPEUTIC, EXERCISE are not CPT or HCPCS codes" in problems[0].message


def test_code_list_duplicates_named() -> None:
    problems = code_list_problems(["97110", "97110", "97140"], "codes")
    assert [problem.message for problem in problems] == [
        "97110 is listed more than once; list each code once."
    ]


# ---- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payer_id": None}, "payer_id"),
        ({"authorization_number": " "}, "authorization_number"),
        ({"authorization_number": "A1~2"}, "authorization_number"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": None}, "ends_on"),
        ({"ends_on": date(2026, 2, 28)}, "ends_on"),
        ({"unit_kind": "days"}, "unit_kind"),
        ({"authorized": 0}, "authorized"),
        ({"authorized": None}, "authorized"),
        ({"used": -1}, "used"),
        ({"used": 11}, "used"),
        ({"codes": []}, "codes"),
        ({"codes": ["97110 therapy"]}, "codes"),
        ({"codes": ["97110", "97110"]}, "codes"),
        ({"codes": ["97110"], "covers_all_services": True}, "codes"),
        ({"coverage_id": "other"}, "coverage_id"),
        ({"payer_id": "cigna", "coverage_id": "own"}, "payer_id"),
        ({"notes": "n" * 501}, "notes"),
    ],
)
def test_authorization_rule(
    database: Database, practice: ReferralPractice, changes: dict[str, object], field: str
) -> None:
    named = {
        "other": practice.other_coverage_id,
        "own": practice.aetna_coverage_id,
        "cigna": practice.cigna_id,
    }
    resolved = {key: named.get(value, value) if isinstance(value, str) else value
                for key, value in changes.items()}  # fmt: skip
    outcome = save(database, practice, **resolved)
    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == [field]


def test_every_problem_at_once(database: Database, practice: ReferralPractice) -> None:
    outcome = save(
        database, practice, payer_id=None, authorization_number="", authorized=0, codes=[]
    )
    fields = {problem.field for problem in outcome.problems}
    assert fields == {"payer_id", "authorization_number", "authorized", "codes"}


def test_payer_taken_from_coverage(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice, payer_id=None, coverage_id=practice.aetna_coverage_id)
    with database.session() as session:
        stored = session.get(PriorAuthorization, record_id)
        assert stored is not None
        assert stored.payer_id == practice.aetna_id


def test_all_services_stores_no_codes(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, codes=[], covers_all_services=True)
    with database.session() as session:
        (view,) = authorizations.list_authorizations(
            session, practice.admin, practice.patient_id, TODAY
        )
    assert view.codes == ()
    assert view.covers_all_services


def test_duplicate_number_same_payer(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice)
    outcome = save(database, practice)
    assert [problem.field for problem in outcome.problems] == ["authorization_number"]
    assert saved_id(database, practice, payer_id=practice.cigna_id) is not None


def test_edit_replaces_codes(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice)
    outcome = save(database, practice, id=record_id, codes=["97140", "g0283"])
    assert outcome.saved and not outcome.created

    with database.session() as session:
        rows = session.scalars(select(AuthorizedService).order_by(AuthorizedService.code))
        stored = {(row.code, row.archived) for row in rows}
        (view,) = authorizations.list_authorizations(
            session, practice.admin, practice.patient_id, TODAY
        )
    assert stored == {("97110", True), ("97140", False), ("G0283", False)}
    assert view.codes == ("97140", "G0283")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, AuthorizationStatus.ACTIVE),
        ({"ends_on": date(2026, 3, 9)}, AuthorizationStatus.EXPIRED),
        ({"starts_on": date(2026, 3, 11)}, AuthorizationStatus.NOT_STARTED),
        ({"used": 10}, AuthorizationStatus.USED_UP),
        ({"ends_on": date(2026, 3, 10)}, AuthorizationStatus.ACTIVE),
    ],
)
def test_authorization_status(
    database: Database,
    practice: ReferralPractice,
    changes: dict[str, object],
    status: AuthorizationStatus,
) -> None:
    saved_id(database, practice, **changes)
    with database.session() as session:
        (view,) = authorizations.list_authorizations(
            session, practice.admin, practice.patient_id, TODAY
        )
    assert view.status is status


def test_save_and_archive_audited(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice)
    with database.transaction() as session:
        authorizations.archive_authorization(session, practice.admin, record_id)
        listed = authorizations.list_authorizations(
            session, practice.admin, practice.patient_id, TODAY
        )
    assert listed == []
    with database.session() as session:
        query = select(AuditEvent.action, AuditEvent.patient_id).where(
            AuditEvent.object_type == "prior_authorization"
        )
        rows = list(session.execute(query.order_by(AuditEvent.sequence)))
    assert [row.action for row in rows] == ["create", "archive"]
    assert {row.patient_id for row in rows} == {practice.patient_id}


def test_save_needs_patient_edit(database: Database, practice: ReferralPractice) -> None:
    viewer = Actor(None, "doctor", Role.PROVIDER, practice.admin.workstation)
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        authorizations.save_authorization(session, viewer, auth_form(practice))


# ---- authorization_for ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service_date", "covered"),
    [
        (date(2026, 2, 28), False),
        (date(2026, 3, 1), True),
        (date(2026, 3, 31), True),
        (date(2026, 4, 1), False),
    ],
)
def test_check_date_bounds_inclusive(
    database: Database, practice: ReferralPractice, service_date: date, covered: bool
) -> None:
    saved_id(database, practice)
    assert check(database, practice, service_date).covered is covered


def test_check_covered_reason(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice, used=6)
    result = check(database, practice, date(2026, 3, 15))
    assert result.covered
    assert result.authorization_id == record_id
    assert result.authorization_number == "A12345"
    assert result.remaining_after == 3
    assert result.reason == (
        "Authorization A12345 covers 97110 through 2026-03-31; 3 of 10 visits will be left "
        "after this one."
    )


def test_check_day_after_names_nearest(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, authorization_number="A777")
    result = check(database, practice, date(2026, 4, 1))
    assert not result.covered
    assert result.authorization_id is None
    assert result.remaining_after is None
    assert result.reason == (
        "No authorization from Aetna covers 97110 on 2026-04-01; the nearest one (A777) "
        "ended 2026-03-31."
    )


def test_check_not_started_names_start(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice)
    result = check(database, practice, date(2026, 2, 20))
    assert "the nearest one (A12345) starts 2026-03-01" in result.reason


def test_check_payer_mismatch(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice)
    result = check(database, practice, date(2026, 3, 15), payer="cigna")
    assert not result.covered
    assert result.reason == (
        "No authorization from Cigna covers 97110 on 2026-03-15; none from this payer is on "
        "file for the patient. Authorization A12345 from Aetna covers it; check which "
        "coverage the visit is billed to."
    )


def test_check_code_not_listed(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice)
    result = check(database, practice, date(2026, 3, 15), code="97530")
    assert not result.covered
    assert "the ones on file (A12345) do not list 97530" in result.reason


def test_check_all_services_covers_any(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, codes=[], covers_all_services=True)
    assert check(database, practice, date(2026, 3, 15), code="J3301").covered


def test_check_units_exhausted(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, unit_kind="units", authorized=8, used=7)
    assert check(database, practice, date(2026, 3, 15), units=1).covered
    result = check(database, practice, date(2026, 3, 15), units=2)
    assert not result.covered
    assert "A12345 has 1 of 8 units left, fewer than the 2 needed" in result.reason


def test_check_used_up(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, used=10)
    result = check(database, practice, date(2026, 3, 15))
    assert not result.covered
    assert "A12345 has 0 of 10 visits left" in result.reason


def test_check_overlap_picks_earliest_end(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, authorization_number="LATE", ends_on=date(2026, 6, 30))
    early = saved_id(database, practice, authorization_number="EARLY", ends_on=date(2026, 3, 20))
    result = check(database, practice, date(2026, 3, 15))
    assert result.authorization_id == early

    after_early = check(database, practice, date(2026, 3, 25))
    assert after_early.authorization_number == "LATE"


def test_check_overlap_skips_exhausted(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, authorization_number="EARLY", ends_on=date(2026, 3, 20), used=10)
    late = saved_id(database, practice, authorization_number="LATE", ends_on=date(2026, 6, 30))
    assert check(database, practice, date(2026, 3, 15)).authorization_id == late


def test_check_ignores_archived(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice)
    with database.transaction() as session:
        authorizations.archive_authorization(session, practice.admin, record_id)
    assert not check(database, practice, date(2026, 3, 15)).covered


def test_check_bad_code_not_covered(database: Database, practice: ReferralPractice) -> None:
    saved_id(database, practice, codes=[], covers_all_services=True)
    result = check(database, practice, date(2026, 3, 15), code="therapy")
    assert not result.covered
    assert result.reason.startswith("THERAPY is not a CPT or HCPCS code")


# ---- use_authorization ----------------------------------------------------------------------


def test_use_counts_and_audits(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice, unit_kind="units", authorized=8, used=5)
    with database.transaction() as session:
        used = authorizations.use_authorization(session, practice.admin, record_id, 2)
    assert (used.used, used.remaining) == (7, 1)
    with database.session() as session:
        query = select(AuditEvent.detail).where(AuditEvent.object_type == "prior_authorization")
        details = list(session.scalars(query.order_by(AuditEvent.sequence)))
    assert details[-1] == "used 2 units: 7 of 8"


def test_use_beyond_limit_writes_nothing(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice, authorized=10, used=9)
    with pytest.raises(UserError) as raised, database.transaction() as session:
        authorizations.use_authorization(session, practice.admin, record_id, 2)
    assert "A12345 has 1 of 10 visits left, so 2 more cannot be used" in str(raised.value)

    with database.session() as session:
        stored = session.get(PriorAuthorization, record_id)
        assert stored is not None
        assert stored.used == 9
        audit_count = len(
            list(
                session.scalars(
                    select(AuditEvent.id).where(AuditEvent.object_type == "prior_authorization")
                )
            )
        )
    assert audit_count == 1


def test_use_needs_scheduling_or_charges(database: Database, practice: ReferralPractice) -> None:
    record_id = saved_id(database, practice)
    front_desk = Actor(None, "desk", Role.FRONT_DESK, practice.admin.workstation)
    with database.transaction() as session:
        assert authorizations.use_authorization(session, front_desk, record_id).used == 1
