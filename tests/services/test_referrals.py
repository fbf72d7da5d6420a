"""Outside providers and referrals: every rule, the visit count, permissions and audit."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.onboarding import Referral
from app.models.patients import OutsideProvider
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import outside_providers as providers
from app.services import referrals
from app.services.outside_providers import OutsideProviderForm
from app.services.referrals import ReferralForm, ReferralStatus
from tests.helpers.referral_data import REFERRING_NPI, ReferralPractice, build_referral_practice

TODAY = date(2026, 3, 10)


@pytest.fixture
def practice(database: Database) -> ReferralPractice:
    return build_referral_practice(database)


def as_role(practice: ReferralPractice, role: Role) -> Actor:
    return Actor(practice.admin.user_id, f"{role.value}1", role, practice.admin.workstation)


def referral_form(practice: ReferralPractice, **changes: object) -> ReferralForm:
    form = ReferralForm(
        patient_id=practice.patient_id,
        outside_provider_id=practice.provider_id,
        coverage_id=practice.aetna_coverage_id,
        referral_number="R-2026-0042",
        reason="Knee pain, physical therapy evaluation",
        referred_on=date(2026, 3, 1),
        expires_on=date(2026, 6, 1),
        visits_allowed=10,
        visits_used=0,
    )
    return replace(form, **changes)


def fields_of(outcome: referrals.SaveOutcome) -> list[str]:
    return [problem.field for problem in outcome.problems]


def audit_rows(database: Database, object_type: str) -> list[tuple[str, str]]:
    with database.session() as session:
        query = (
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.object_type == object_type)
            .order_by(AuditEvent.sequence)
        )
        return [(row.action, row.detail) for row in session.execute(query)]


# ---- outside providers ----------------------------------------------------------------------


def test_outside_provider_saved_normalized(database: Database, practice: ReferralPractice) -> None:
    form = OutsideProviderForm(
        last_name="Northside Orthopedics",
        npi="1003000126",
        phone="(512) 555-0100",
        fax="512.555.0199",
        state="tx",
        zip_code="78701",
    )
    with database.transaction() as session:
        outcome = providers.save_outside_provider(session, practice.admin, form)
    assert outcome.saved and outcome.created

    with database.session() as session:
        stored = session.get(OutsideProvider, outcome.record_id)
        assert stored is not None
        assert stored.phone == "+15125550100"
        assert stored.fax == "+15125550199"
        assert stored.state == "TX"
        assert stored.first_name is None
        listed = providers.list_outside_providers(session, practice.admin)
    names = [summary.display_name for summary in listed]
    assert names == ["Grace Hopper, MD", "Northside Orthopedics"]
    assert listed[1].phone == "(512) 555-0100"


def test_outside_provider_every_problem(database: Database, practice: ReferralPractice) -> None:
    form = OutsideProviderForm(
        last_name="", npi="1234567890", phone="555-01", fax="12", state="ZZ", zip_code="7870"
    )
    with database.transaction() as session:
        outcome = providers.save_outside_provider(session, practice.admin, form)

    assert not outcome.saved
    assert set(fields_of(outcome)) == {"last_name", "npi", "phone", "fax", "state", "zip_code"}
    fax = next(problem for problem in outcome.problems if problem.field == "fax")
    assert fax.message.startswith("Fax number 12")


def test_outside_provider_npi_optional(database: Database, practice: ReferralPractice) -> None:
    with database.transaction() as session:
        outcome = providers.save_outside_provider(
            session, practice.admin, OutsideProviderForm(first_name="Ada", last_name="Byron")
        )
    assert outcome.saved
    assert outcome.problems == ()


def test_outside_provider_duplicate_npi(database: Database, practice: ReferralPractice) -> None:
    form = OutsideProviderForm(last_name="Hopper Clinic", npi=REFERRING_NPI)
    with database.transaction() as session:
        outcome = providers.save_outside_provider(session, practice.admin, form)
    assert not outcome.saved
    assert "Grace Hopper, MD" in outcome.problems[0].message


def test_outside_provider_edit_and_archive(database: Database, practice: ReferralPractice) -> None:
    form = OutsideProviderForm(
        id=practice.provider_id, first_name="Grace", last_name="Hopper", credentials="DO"
    )
    with database.transaction() as session:
        outcome = providers.save_outside_provider(session, practice.admin, form)
        assert outcome.saved and not outcome.created
        providers.archive_outside_provider(session, practice.admin, practice.provider_id)

    with database.session() as session:
        assert providers.list_outside_providers(session, practice.admin) == []
        archived = providers.list_outside_providers(session, practice.admin, include_archived=True)
    assert archived[0].credentials == "DO"
    assert archived[0].archived
    assert [action for action, _ in audit_rows(database, "outside_provider")] == [
        "create",
        "update",
        "archive",
    ]


def test_outside_provider_needs_edit_right(database: Database, practice: ReferralPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        providers.save_outside_provider(
            session, as_role(practice, Role.PROVIDER), OutsideProviderForm(last_name="Lee")
        )


# ---- referral rules -------------------------------------------------------------------------


def test_referral_saved_and_listed(database: Database, practice: ReferralPractice) -> None:
    with database.transaction() as session:
        outcome = referrals.save_referral(session, practice.admin, referral_form(practice))
    assert outcome.saved

    with database.session() as session:
        (view,) = referrals.list_referrals(session, practice.admin, practice.patient_id, TODAY)
    assert view.provider_name == "Grace Hopper, MD"
    assert view.coverage_label == "Primary: Aetna"
    assert view.remaining_visits == 10
    assert view.status is ReferralStatus.ACTIVE
    assert audit_rows(database, "referral") == [("create", "")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outside_provider_id": None}, "outside_provider_id"),
        ({"referred_on": None}, "referred_on"),
        ({"expires_on": date(2026, 2, 28)}, "expires_on"),
        ({"visits_allowed": 0}, "visits_allowed"),
        ({"visits_used": -1}, "visits_used"),
        ({"visits_used": 11}, "visits_used"),
        ({"referral_number": "R*42"}, "referral_number"),
        ({"referral_number": "R" * 51}, "referral_number"),
        ({"reason": "x" * 501}, "reason"),
        ({"patient_id": None}, "patient_id"),
    ],
)
def test_referral_rule(
    database: Database, practice: ReferralPractice, changes: dict[str, object], field: str
) -> None:
    with database.transaction() as session:
        outcome = referrals.save_referral(
            session, practice.admin, referral_form(practice, **changes)
        )
    assert not outcome.saved
    assert fields_of(outcome) == [field]


def test_referral_every_problem_at_once(database: Database, practice: ReferralPractice) -> None:
    form = referral_form(practice, outside_provider_id=None, referred_on=None, visits_allowed=0)
    with database.transaction() as session:
        outcome = referrals.save_referral(session, practice.admin, form)
    assert set(fields_of(outcome)) == {"outside_provider_id", "referred_on", "visits_allowed"}


def test_referral_expiry_may_equal_start(database: Database, practice: ReferralPractice) -> None:
    form = referral_form(practice, expires_on=date(2026, 3, 1))
    with database.transaction() as session:
        assert referrals.save_referral(session, practice.admin, form).saved


def test_referral_blank_limit_is_unlimited(database: Database, practice: ReferralPractice) -> None:
    form = referral_form(practice, visits_allowed=None, visits_used=25)
    with database.transaction() as session:
        assert referrals.save_referral(session, practice.admin, form).saved
        (view,) = referrals.list_referrals(session, practice.admin, practice.patient_id, TODAY)
    assert view.remaining_visits is None
    assert view.status is ReferralStatus.ACTIVE


def test_referral_other_patients_coverage(database: Database, practice: ReferralPractice) -> None:
    form = referral_form(practice, coverage_id=practice.other_coverage_id)
    with database.transaction() as session:
        outcome = referrals.save_referral(session, practice.admin, form)
    assert fields_of(outcome) == ["coverage_id"]


def test_referral_archived_provider_rejected(
    database: Database, practice: ReferralPractice
) -> None:
    with database.transaction() as session:
        saved = referrals.save_referral(session, practice.admin, referral_form(practice))
        providers.archive_outside_provider(session, practice.admin, practice.provider_id)
        new = referrals.save_referral(session, practice.admin, referral_form(practice))
        # The referral written before the archive keeps its provider when edited.
        edit = referrals.save_referral(
            session, practice.admin, referral_form(practice, id=saved.record_id, reason="Edited")
        )
    assert fields_of(new) == ["outside_provider_id"]
    assert edit.saved


def test_referral_statuses(database: Database, practice: ReferralPractice) -> None:
    forms = [
        referral_form(practice, referral_number="A", expires_on=date(2026, 3, 9)),
        referral_form(practice, referral_number="B", visits_allowed=4, visits_used=4),
        referral_form(practice, referral_number="C", expires_on=date(2026, 3, 10)),
    ]
    with database.transaction() as session:
        for form in forms:
            referrals.save_referral(session, practice.admin, form)
        views = referrals.list_referrals(session, practice.admin, practice.patient_id, TODAY)
    statuses = {view.referral_number: view.status for view in views}
    assert statuses == {
        "A": ReferralStatus.EXPIRED,
        "B": ReferralStatus.USED_UP,
        "C": ReferralStatus.ACTIVE,
    }
    assert views[0].referral_number == "C"


def test_referral_archive_hides_it(database: Database, practice: ReferralPractice) -> None:
    with database.transaction() as session:
        saved = referrals.save_referral(session, practice.admin, referral_form(practice))
        assert saved.record_id is not None
        referrals.archive_referral(session, practice.admin, saved.record_id)
        visible = referrals.list_referrals(session, practice.admin, practice.patient_id, TODAY)
        every = referrals.list_referrals(
            session, practice.admin, practice.patient_id, TODAY, include_archived=True
        )
    assert visible == []
    assert every[0].archived
    assert [action for action, _ in audit_rows(database, "referral")] == ["create", "archive"]


def test_referral_needs_patient_edit(database: Database, practice: ReferralPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        referrals.save_referral(session, as_role(practice, Role.PROVIDER), referral_form(practice))


# ---- visits ---------------------------------------------------------------------------------


def test_record_visit_counts_and_audits(database: Database, practice: ReferralPractice) -> None:
    with database.transaction() as session:
        saved = referrals.save_referral(
            session, practice.admin, referral_form(practice, visits_allowed=2)
        )
        assert saved.record_id is not None
        front_desk = as_role(practice, Role.FRONT_DESK)
        recorded = referrals.record_referral_visit(session, front_desk, saved.record_id)
    assert recorded.visits_used == 1
    assert recorded.remaining_visits == 1
    assert audit_rows(database, "referral")[-1] == ("update", "visit recorded: 1 of 2")


def test_record_visit_used_up_rejected(database: Database, practice: ReferralPractice) -> None:
    form = referral_form(practice, visits_allowed=3, visits_used=3)
    with database.transaction() as session:
        saved = referrals.save_referral(session, practice.admin, form)
    assert saved.record_id is not None

    with pytest.raises(UserError, match="3 of 3 visits"), database.transaction() as session:
        referrals.record_referral_visit(session, practice.admin, saved.record_id)

    with database.session() as session:
        stored = session.get(Referral, saved.record_id)
        assert stored is not None
        assert stored.visits_used == 3
    assert len(audit_rows(database, "referral")) == 1


@pytest.mark.parametrize(
    ("service_date", "rejected"),
    [
        (date(2026, 2, 28), True),
        (date(2026, 3, 1), False),
        (date(2026, 6, 1), False),
        (date(2026, 6, 2), True),
    ],
)
def test_record_visit_date_bounds(
    database: Database, practice: ReferralPractice, service_date: date, rejected: bool
) -> None:
    with database.transaction() as session:
        saved = referrals.save_referral(session, practice.admin, referral_form(practice))
    assert saved.record_id is not None

    if rejected:
        with (
            pytest.raises(UserError, match=service_date.isoformat()),
            database.transaction() as session,
        ):
            referrals.record_referral_visit(session, practice.admin, saved.record_id, service_date)
    else:
        with database.transaction() as session:
            recorded = referrals.record_referral_visit(
                session, practice.admin, saved.record_id, service_date
            )
        assert recorded.visits_used == 1


def test_record_visit_allowed_for_charges(database: Database, practice: ReferralPractice) -> None:
    with database.transaction() as session:
        saved = referrals.save_referral(session, practice.admin, referral_form(practice))
    assert saved.record_id is not None
    viewer = Actor(None, "viewer", Role.PROVIDER, practice.admin.workstation)
    # The provider role posts charges, so it may count visits too.
    with database.transaction() as session:
        assert referrals.record_referral_visit(session, viewer, saved.record_id).visits_used == 1


def test_coverage_choices_in_order(database: Database, practice: ReferralPractice) -> None:
    from tests.helpers.referral_data import add_coverage

    with database.transaction() as session:
        add_coverage(session, practice.patient_id, practice.cigna_id, priority=2)
        choices = referrals.coverage_choices(session, practice.admin, practice.patient_id)
    assert [choice.label for choice in choices] == ["Primary: Aetna", "Secondary: Cigna"]
