"""Charge entry: defaults of a new encounter, draft saves, pricing, favorites and the queue."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis
from app.models.practice import Location
from app.problems import Severity
from app.security.permissions import Actor
from app.services import booking, encounters
from app.services.authorizations import AuthorizationForm, save_authorization
from app.services.encounters import EncounterForm, LineForm
from app.services.referrals import ReferralForm, save_referral
from tests.helpers.charge_data import (
    LAST_YEAR_DAY,
    VISIT_DAY,
    ChargePractice,
    book_visit,
    build_charge_practice,
    check_in_and_out,
)


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def saved(database: Database, actor: Actor, form: EncounterForm) -> uuid.UUID:
    with database.transaction() as session:
        outcome = encounters.save_encounter(session, actor, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def loaded(database: Database, actor: Actor, encounter_id: uuid.UUID) -> EncounterForm:
    with database.reading() as session:
        return encounters.load_encounter(session, actor, encounter_id)


def post(database: Database, actor: Actor, encounter_id: uuid.UUID) -> None:
    with database.transaction() as session:
        encounters.post_encounter(session, actor, encounter_id)


# ---- defaults of a new encounter -----------------------------------------------------------


def test_defaults_from_appointment(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)

    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )

    assert form.id is None
    assert form.appointment_id == appointment_id
    assert form.rendering_provider_id == practice.provider_id
    assert form.location_id == practice.location_id
    assert form.place_of_service == "11"
    assert [line.procedure_code for line in form.lines] == ["99213"]


def test_defaults_from_last_visit(database: Database, practice: ChargePractice) -> None:
    second_provider = practice.scheduling.provider_ids[1]
    earlier = practice.form(day=VISIT_DAY - timedelta(days=7))
    earlier.rendering_provider_id = second_provider
    earlier.place_of_service = "02"
    saved(database, practice.biller, earlier)

    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )

    assert form.appointment_id is None
    assert form.rendering_provider_id == second_provider
    assert form.location_id == practice.location_id
    assert form.place_of_service == "02"
    assert form.lines == []


def test_first_visit_takes_only_location(database: Database, practice: ChargePractice) -> None:
    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )
        location = session.get(Location, practice.location_id)
    assert location is not None

    assert form.rendering_provider_id is None
    assert form.location_id == practice.location_id
    assert form.place_of_service == location.place_of_service


def test_referral_sets_referring_provider(database: Database, practice: ChargePractice) -> None:
    referring_id = practice.scheduling.base.provider_id
    referral = ReferralForm(
        patient_id=practice.patient_id,
        outside_provider_id=referring_id,
        referred_on=VISIT_DAY - timedelta(days=30),
        expires_on=VISIT_DAY + timedelta(days=30),
    )
    with database.transaction() as session:
        save_referral(session, practice.admin, referral).raise_if_rejected()

    with database.reading() as session:
        during = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )
        after = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY + timedelta(days=31)
        )

    assert during.referring_provider_id == referring_id
    assert after.referring_provider_id is None


def test_authorization_found_for_visit(database: Database, practice: ChargePractice) -> None:
    authorization = AuthorizationForm(
        patient_id=practice.patient_id,
        coverage_id=practice.scheduling.base.aetna_coverage_id,
        authorization_number="AUTH-7731",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 3, 31),
        authorized=6,
        codes=["99213"],
    )
    with database.transaction() as session:
        outcome = save_authorization(session, practice.admin, authorization)
    outcome.raise_if_rejected()
    book_visit(database, practice)

    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )

    assert form.prior_authorization_id == outcome.record_id


def test_billed_visit_lends_defaults_only(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)

    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )
        form.diagnoses = ["E11.9"]
        problems = encounters.check_encounter(session, practice.biller, form)

    assert form.appointment_id is None
    assert form.rendering_provider_id == practice.provider_id
    assert [problem.field for problem in problems] == ["service_date"]
    assert problems[0].severity is Severity.WARNING
    assert "same patient and date 2026-02-02" in problems[0].message


def test_second_encounter_for_visit_rejected(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    form = practice.form()
    form.appointment_id = appointment_id

    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)

    assert not outcome.saved
    errors = [problem for problem in outcome.problems if problem.severity is Severity.ERROR]
    assert [problem.field for problem in errors] == ["appointment_id"]
    assert "already has encounter" in errors[0].message


# ---- saving and loading drafts --------------------------------------------------------------


def test_draft_round_trip(database: Database, practice: ChargePractice) -> None:
    form = practice.form(
        [
            LineForm(procedure_code=" 99213 ", modifiers=["25"], pointers=[2, 1]),
            LineForm(
                procedure_code="j1100",
                ndc_code="0777-3105-02",
                ndc_quantity="2.5",
                ndc_unit="ml",
                note="left deltoid",
            ),
        ],
        diagnoses=["e11.9", "I10"],
    )
    encounter_id = saved(database, practice.biller, form)

    back = loaded(database, practice.biller, encounter_id)

    assert back.id == encounter_id
    assert back.diagnoses == ["E119", "I10"]
    assert [line.procedure_code for line in back.lines] == ["99213", "J1100"]
    assert back.lines[0].modifiers == ["25"]
    assert back.lines[0].pointers == [2, 1]
    assert back.lines[0].unit_fee is None
    assert back.lines[1].ndc_code == "00777310502"
    assert back.lines[1].ndc_unit == "ML"
    assert back.lines[1].note == "left deltoid"
    assert back.loaded_at is not None


def test_line_own_date_kept(database: Database, practice: ChargePractice) -> None:
    day_before = VISIT_DAY - timedelta(days=1)
    lines = [
        LineForm(procedure_code="99213"),
        LineForm(procedure_code="99214", service_date=day_before),
    ]
    encounter_id = saved(database, practice.biller, practice.form(lines))

    back = loaded(database, practice.biller, encounter_id)

    assert [line.service_date for line in back.lines] == [None, day_before]


def test_draft_prices_stored_lines(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", modifiers=["25"], units=2)
    encounter_id = saved(database, practice.biller, practice.form([line]))

    with database.reading() as session:
        row = session.scalars(
            select(ChargeLine).where(ChargeLine.encounter_id == encounter_id)
        ).one()

    assert row.unit_fee == Decimal("130.00")
    assert row.charge_amount == Decimal("260.00")
    assert row.fee_changed is False


def test_incomplete_draft_saved_with_errors(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213")], diagnoses=[])

    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)

    assert outcome.saved
    assert outcome.created
    assert {problem.field for problem in outcome.problems} == {"diagnoses", "lines[0].pointers"}
    assert all(problem.severity is Severity.ERROR for problem in outcome.problems)
    assert outcome.changes.touches(ChangeKind.ENCOUNTERS)


def test_draft_without_provider_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form()
    form.rendering_provider_id = None

    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)
        count = session.scalar(select(func.count()).select_from(Encounter))

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["rendering_provider_id"]
    assert count == 0


def test_stale_save_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    first = loaded(database, practice.biller, encounter_id)
    second = loaded(database, practice.biller, encounter_id)
    first.diagnoses.append("I10")
    saved(database, practice.biller, first)

    second.note = "typed over an older copy"
    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, second)

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["record"]
    assert "Someone else saved encounter" in outcome.problems[0].message
    assert loaded(database, practice.biller, encounter_id).diagnoses == ["E119", "I10"]


def test_removed_line_archived(database: Database, practice: ChargePractice) -> None:
    lines = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")]
    encounter_id = saved(database, practice.biller, practice.form(lines))
    form = loaded(database, practice.biller, encounter_id)
    removed_id = form.lines[0].id
    form.lines = form.lines[1:]
    saved(database, practice.biller, form)

    back = loaded(database, practice.biller, encounter_id)
    with database.reading() as session:
        removed = session.get(ChargeLine, removed_id)

    assert [line.procedure_code for line in back.lines] == ["99214"]
    assert removed is not None
    assert removed.archived


def test_removed_diagnosis_position_reused(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form(diagnoses=["E11.9", "I10"]))
    form = loaded(database, practice.biller, encounter_id)
    form.diagnoses = ["E11.9"]
    saved(database, practice.biller, form)
    form = loaded(database, practice.biller, encounter_id)
    form.diagnoses = ["E11.9", "J06.9"]
    saved(database, practice.biller, form)

    with database.reading() as session:
        rows = session.scalars(
            select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == encounter_id)
        ).all()

    assert loaded(database, practice.biller, encounter_id).diagnoses == ["E119", "J069"]
    assert len(rows) == 2
    assert {row.edition for row in rows} == {"FY2026"}


def test_typed_fee_round_trip(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", unit_fee=Decimal("99.50"))
    encounter_id = saved(database, practice.manager, practice.form([line]))

    back = loaded(database, practice.biller, encounter_id)
    with database.reading() as session:
        problems = encounters.check_encounter(session, practice.biller, back)

    assert back.lines[0].unit_fee == Decimal("99.50")
    assert problems == []


def test_other_patient_form_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    form = loaded(database, practice.biller, encounter_id)
    form.patient_id = practice.uninsured_patient_id

    with database.transaction() as session, pytest.raises(UserError, match="another patient"):
        encounters.save_encounter(session, practice.biller, form)


def test_front_desk_cannot_save(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        encounters.save_encounter(session, practice.front_desk, practice.form())


def test_front_desk_can_read(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())

    with database.reading() as session:
        status = encounters.encounter_status(session, practice.front_desk, encounter_id)
        form = encounters.load_encounter(session, practice.front_desk, encounter_id)

    assert status[0] == "draft"
    assert status[1].endswith("-000001")
    assert form.id == encounter_id


# ---- pricing --------------------------------------------------------------------------------


def test_priced_line_sets_units_and_fee(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="97110", modifiers=["GP"])])

    with database.reading() as session:
        line = encounters.priced_line(session, practice.biller, form, 0)

    assert line.units == 2
    assert line.unit_fee == Decimal("40.00")


def test_priced_line_keeps_typed_values(database: Database, practice: ChargePractice) -> None:
    typed = LineForm(id=uuid.uuid4(), procedure_code="97110", units=3, unit_fee=Decimal("38.00"))

    with database.reading() as session:
        line = encounters.priced_line(session, practice.manager, practice.form([typed]), 0)

    assert line.units == 3
    assert line.unit_fee == Decimal("38.00")


@pytest.mark.parametrize(
    ("day", "modifiers", "fee"),
    [
        (LAST_YEAR_DAY, [], Decimal("110.00")),
        (date(2025, 12, 31), [], Decimal("110.00")),
        (date(2026, 1, 1), [], Decimal("120.00")),
        (VISIT_DAY, ["25"], Decimal("130.00")),
        (VISIT_DAY, ["GA", "25"], Decimal("120.00")),
    ],
)
def test_fee_by_date_and_modifier(
    database: Database, practice: ChargePractice, day: date, modifiers: list[str], fee: Decimal
) -> None:
    form = practice.form([LineForm(procedure_code="99213", modifiers=modifiers)], day=day)

    with database.reading() as session:
        line = encounters.priced_line(session, practice.biller, form, 0)

    assert line.unit_fee == fee


def test_charge_ignores_payer_allowed(database: Database, practice: ChargePractice) -> None:
    insured = practice.form()
    uninsured = practice.form(patient_id=practice.uninsured_patient_id)

    with database.reading() as session:
        insured_line = encounters.priced_line(session, practice.biller, insured, 0)
        uninsured_line = encounters.priced_line(session, practice.biller, uninsured, 0)

    assert insured_line.unit_fee == Decimal("120.00")
    assert uninsured_line.unit_fee == Decimal("120.00")


def test_line_date_prices_line(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", service_date=date(2025, 12, 30))
    form = practice.form([line], day=VISIT_DAY)

    with database.reading() as session:
        priced = encounters.priced_line(session, practice.biller, form, 0)

    assert priced.unit_fee == Decimal("110.00")


# ---- appointment drafts ---------------------------------------------------------------------


def test_appointment_draft_idempotent(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)

    with database.transaction() as session:
        first = encounters.encounter_for_appointment(session, practice.biller, appointment_id)
    with database.transaction() as session:
        second = encounters.encounter_for_appointment(session, practice.biller, appointment_id)
        count = session.scalar(select(func.count()).select_from(Encounter))

    form = loaded(database, practice.biller, first)
    assert second == first
    assert count == 1
    assert form.appointment_id == appointment_id
    assert [line.procedure_code for line in form.lines] == ["99213"]


def test_appointment_draft_needs_permission(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        encounters.encounter_for_appointment(session, practice.front_desk, appointment_id)


def test_cancelled_visit_has_no_draft(database: Database, practice: ChargePractice) -> None:
    appointment_id = book_visit(database, practice)
    with database.transaction() as session:
        booking.cancel(session, practice.front_desk, appointment_id, "Feeling better", "patient")

    with database.transaction() as session, pytest.raises(UserError, match="cancelled"):
        encounters.encounter_for_appointment(session, practice.biller, appointment_id)
    with database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Encounter))
    assert count == 0


# ---- previous visit, favorites and the queue ------------------------------------------------


def test_previous_visit_lines_copied(database: Database, practice: ChargePractice) -> None:
    lines = [
        LineForm(procedure_code="99214", pointers=[1], note="long visit"),
        LineForm(procedure_code="97110", modifiers=["GP"], units=3, unit_fee=Decimal("35.00")),
    ]
    earlier = practice.form(lines, day=VISIT_DAY - timedelta(days=14))
    earlier_id = saved(database, practice.manager, earlier)
    post(database, practice.manager, earlier_id)
    saved(database, practice.biller, practice.form(day=VISIT_DAY - timedelta(days=7)))

    with database.reading() as session:
        copies = encounters.previous_visit_lines(
            session, practice.biller, practice.patient_id, VISIT_DAY
        )
        none_before = encounters.previous_visit_lines(
            session, practice.biller, practice.patient_id, VISIT_DAY - timedelta(days=14)
        )

    assert [line.procedure_code for line in copies] == ["99214", "97110"]
    assert [line.id for line in copies] == [None, None]
    assert [line.unit_fee for line in copies] == [None, None]
    assert copies[0].note == ""
    assert copies[1].modifiers == ["GP"]
    assert copies[1].units == 3
    assert none_before == []


def test_favorites_kept_in_order(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        changes = encounters.set_favorite_codes(
            session, practice.provider, practice.provider_id, ["99214", "j1100", "99213", "99214"]
        )
    with database.transaction() as session:
        encounters.set_favorite_codes(
            session, practice.provider, practice.provider_id, ["99213", "99214"]
        )
    with database.transaction() as session:
        encounters.set_favorite_codes(
            session, practice.provider, practice.provider_id, ["J1100", "99213"]
        )
        favorites = encounters.favorite_codes(session, practice.biller, practice.provider_id)

    assert changes.touches(ChangeKind.CODE_SETS)
    assert [code.code for code in favorites] == ["J1100", "99213"]


def test_unknown_favorite_rejected(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session, pytest.raises(UserError, match="99499"):
        encounters.set_favorite_codes(session, practice.provider, practice.provider_id, ["99499"])


def test_queue_drafts_first(database: Database, practice: ChargePractice) -> None:
    posted_id = saved(database, practice.biller, practice.form(day=VISIT_DAY - timedelta(days=9)))
    post(database, practice.biller, posted_id)
    newer_draft = saved(database, practice.biller, practice.form(day=VISIT_DAY))
    two_lines = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")]
    older_draft = saved(
        database, practice.biller, practice.form(two_lines, day=VISIT_DAY - timedelta(days=3))
    )

    with database.reading() as session:
        queue = encounters.encounter_queue(session, practice.biller)
        drafts = encounters.encounter_queue(session, practice.biller, "draft")
        first_only = encounters.encounter_queue(session, practice.biller, limit=1)

    assert [row.id for row in queue] == [older_draft, newer_draft, posted_id]
    assert [row.status for row in queue] == ["draft", "draft", "posted"]
    assert queue[0].line_count == 2
    assert queue[0].total == Decimal("295.00")
    assert queue[0].patient_name == "Rivera, Maria"
    assert queue[0].provider_name == "Ana Lopez, MD"
    assert [row.id for row in drafts] == [older_draft, newer_draft]
    assert [row.id for row in first_only] == [older_draft]


def test_queue_rejects_unknown_status(database: Database, practice: ChargePractice) -> None:
    with database.reading() as session, pytest.raises(UserError, match="billed"):
        encounters.encounter_queue(session, practice.biller, "billed")
