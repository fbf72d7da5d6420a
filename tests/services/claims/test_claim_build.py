"""Building claims from posted charges: grouping, splitting, payers and skipped encounters."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.changes import ChangeKind
from app.errors import PermissionDeniedError
from app.models.claims import Claim, ClaimDiagnosis, ClaimEvent
from app.models.patients import Coverage
from app.services import encounters
from app.services.claim_build import build_claims
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.encounters import LineForm
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice

# Fourteen billable ICD-10-CM codes (FY2026), more than one claim carries.
FOURTEEN_CODES = [
    "E11.9",
    "I10",
    "J06.9",
    "R50.9",
    "M54.50",
    "E78.5",
    "K21.9",
    "R51.9",
    "J45.909",
    "N39.0",
    "F41.9",
    "G47.00",
    "R05.9",
    "L30.9",
]


def diagnoses_of(practice: ClaimPractice, claim_id: uuid.UUID) -> list[str]:
    with practice.database.reading() as session:
        query = (
            select(ClaimDiagnosis.code)
            .where(ClaimDiagnosis.claim_id == claim_id)
            .order_by(ClaimDiagnosis.position)
        )
        return list(session.scalars(query))


def pointers_of(practice: ClaimPractice, claim_id: uuid.UUID) -> list[tuple[int | None, ...]]:
    return [
        (line.pointer1, line.pointer2, line.pointer3, line.pointer4)
        for line in practice.claim_lines(claim_id)
    ]


def set_status(practice: ClaimPractice, claim_id: uuid.UUID, status: ClaimStatus) -> None:
    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        record_event(session, claim, ClaimEventKind.NOTE, user_id=None, status=status)


def test_build_one_claim_on_hold(claim_practice: ClaimPractice) -> None:
    result = claim_practice.build()

    assert result.skipped == []
    assert result.changes.touches(ChangeKind.CLAIMS)
    (claim_id,) = result.claim_ids
    claim = claim_practice.claim(claim_id)
    assert claim.status == "hold"
    assert claim.encounter_id == claim_practice.encounter_id
    assert claim.payer_id == claim_practice.aetna_id
    assert claim.coverage_id == claim_practice.aetna_coverage_id
    assert claim.payer_sequence == "P"
    assert claim.frequency_code == "1"
    assert claim.total_charge == Decimal("120.00")
    assert claim.service_date_from == VISIT_DAY
    assert claim.service_date_to == VISIT_DAY
    assert (claim.split_part, claim.split_count) == (1, 1)
    assert claim.place_of_service == "11"
    assert len(claim.claim_number) <= 20
    (line,) = claim_practice.claim_lines(claim_id)
    assert line.line_control_number == f"{claim.claim_number}-1"
    assert line.status == "hold"
    assert line.procedure_code == "99213"
    assert line.charge_amount == Decimal("120.00")


def test_build_records_built_event(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    with claim_practice.database.reading() as session:
        (event,) = session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim_id))
    assert event.event == "built"
    assert event.status == "hold"
    assert event.user_id == claim_practice.biller.user_id
    assert event.detail is not None
    assert "Built from encounter" in event.detail


def test_build_twice_builds_nothing(claim_practice: ClaimPractice) -> None:
    claim_practice.build()

    again = claim_practice.build()

    assert again.claim_ids == []
    assert again.skipped == []
    assert not again.changes.touches(ChangeKind.CLAIMS)


def test_build_skips_self_pay_quietly(claim_practice: ClaimPractice) -> None:
    result = claim_practice.build([claim_practice.uninsured_encounter_id])

    assert result.claim_ids == []
    assert result.skipped == []


def test_build_reports_lapsed_coverage(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(
        claim_practice.cigna_id,
        1,
        patient_id=claim_practice.charge.uninsured_patient_id,
        terminated=VISIT_DAY - timedelta(days=1),
    )

    result = claim_practice.build([claim_practice.uninsured_encounter_id])

    assert result.claim_ids == []
    (problem,) = result.skipped
    assert problem.field == "coverage.dates"
    assert "no coverage in force on 02/02/2026" in problem.message


def test_build_needs_claim_permission(claim_practice: ClaimPractice) -> None:
    with (
        claim_practice.database.reading() as session,
        pytest.raises(PermissionDeniedError),
    ):
        build_claims(session, claim_practice.charge.front_desk)


def test_build_picks_primary_by_priority(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)

    (claim_id,) = claim_practice.build().claim_ids

    assert claim_practice.claim(claim_id).payer_id == claim_practice.aetna_id


def test_build_skips_lapsed_primary(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        aetna = session.get(Coverage, claim_practice.aetna_coverage_id)
        assert aetna is not None
        aetna.termination_date = VISIT_DAY - timedelta(days=10)
    cigna_coverage = claim_practice.add_coverage(claim_practice.cigna_id, 2)

    (claim_id,) = claim_practice.build().claim_ids

    claim = claim_practice.claim(claim_id)
    assert claim.payer_id == claim_practice.cigna_id
    assert claim.coverage_id == cigna_coverage
    assert claim.payer_sequence == "P"


def test_build_merges_same_day_encounters(claim_practice: ClaimPractice) -> None:
    second = claim_practice.post(
        claim_practice.form(
            [LineForm(procedure_code="99214", pointers=[1, 2])], diagnoses=["I10", "E11.9"]
        )
    )

    (claim_id,) = claim_practice.build().claim_ids

    claim = claim_practice.claim(claim_id)
    assert claim.encounter_id == claim_practice.encounter_id
    assert [line.procedure_code for line in claim_practice.claim_lines(claim_id)] == [
        "99213",
        "99214",
    ]
    assert diagnoses_of(claim_practice, claim_id) == ["E119", "I10"]
    assert pointers_of(claim_practice, claim_id) == [(1, None, None, None), (2, 1, None, None)]
    assert claim.total_charge == Decimal("295.00")
    assert second != claim_practice.encounter_id


def test_build_separates_providers_and_days(claim_practice: ClaimPractice) -> None:
    other_provider = claim_practice.form()
    other_provider.rendering_provider_id = claim_practice.charge.scheduling.provider_ids[1]
    claim_practice.post(other_provider)
    claim_practice.post(claim_practice.form(day=VISIT_DAY + timedelta(days=1)))

    claim_ids = claim_practice.build().claim_ids

    claims = [claim_practice.claim(claim_id) for claim_id in claim_ids]
    keys = {(claim.rendering_provider_id, claim.service_date_from) for claim in claims}
    assert len(claims) == 3
    assert len(keys) == 3


def test_build_splits_by_line_date(claim_practice: ClaimPractice) -> None:
    lines = [
        LineForm(procedure_code="99213"),
        LineForm(procedure_code="99214", service_date=VISIT_DAY + timedelta(days=1)),
    ]
    encounter_id = claim_practice.post(claim_practice.form(lines))

    claim_ids = claim_practice.build([encounter_id]).claim_ids

    dates = sorted(claim_practice.claim(claim_id).service_date_from for claim_id in claim_ids)
    assert dates == [VISIT_DAY, VISIT_DAY + timedelta(days=1)]


def test_build_splits_at_fifty_lines(claim_practice: ClaimPractice) -> None:
    lines = [LineForm(procedure_code="99213") for _ in range(51)]
    encounter_id = claim_practice.post(claim_practice.form(lines))

    claim_ids = claim_practice.build([encounter_id]).claim_ids

    claims = [claim_practice.claim(claim_id) for claim_id in claim_ids]
    assert [len(claim_practice.claim_lines(claim.id)) for claim in claims] == [50, 1]
    assert [(claim.split_part, claim.split_count) for claim in claims] == [(1, 2), (2, 2)]
    assert [claim.total_charge for claim in claims] == [Decimal("6000.00"), Decimal("120.00")]
    numbers = [line.line_control_number for line in claim_practice.claim_lines(claims[1].id)]
    assert numbers == [f"{claims[1].claim_number}-1"]


def test_build_splits_at_twelve_diagnoses(claim_practice: ClaimPractice) -> None:
    lines = [
        LineForm(procedure_code="99213", pointers=[1, 2, 3, 4]),
        LineForm(procedure_code="99214", pointers=[5, 6, 7, 8]),
        LineForm(procedure_code="99213", modifiers=["25"], pointers=[9, 10, 11, 12]),
        LineForm(procedure_code="99214", pointers=[13, 14, 1]),
    ]
    encounter_id = claim_practice.post(claim_practice.form(lines, diagnoses=FOURTEEN_CODES))

    first, second = claim_practice.build([encounter_id]).claim_ids

    expected = [code.replace(".", "") for code in FOURTEEN_CODES]
    assert diagnoses_of(claim_practice, first) == expected[:12]
    assert diagnoses_of(claim_practice, second) == [expected[0], *expected[12:]]
    assert pointers_of(claim_practice, first) == [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12)]
    assert pointers_of(claim_practice, second) == [(2, 3, 1, None)]
    assert claim_practice.claim(second).split_part == 2
    assert claim_practice.claim(second).split_count == 2


def test_build_keeps_unpointed_diagnoses(claim_practice: ClaimPractice) -> None:
    encounter_id = claim_practice.post(
        claim_practice.form(
            [LineForm(procedure_code="99213", pointers=[2])], diagnoses=["E11.9", "I10"]
        )
    )

    (claim_id,) = claim_practice.build([encounter_id]).claim_ids

    assert diagnoses_of(claim_practice, claim_id) == ["E119", "I10"]
    assert pointers_of(claim_practice, claim_id) == [(2, None, None, None)]


def test_build_leaves_out_reversed_lines(claim_practice: ClaimPractice) -> None:
    encounter_id = claim_practice.post(
        claim_practice.form([LineForm(procedure_code="99213"), LineForm(procedure_code="99214")])
    )
    first_line = reversed_line(claim_practice, encounter_id, 1)

    (claim_id,) = claim_practice.build([encounter_id]).claim_ids

    lines = claim_practice.claim_lines(claim_id)
    assert [line.procedure_code for line in lines] == ["99214"]
    assert first_line not in {line.charge_line_id for line in lines}


def test_build_bills_correction_line(claim_practice: ClaimPractice) -> None:
    line_id = posted_line_ids(claim_practice, claim_practice.encounter_id)[0]
    correct(claim_practice, line_id, "99214")

    (claim_id,) = claim_practice.build().claim_ids

    (line,) = claim_practice.claim_lines(claim_id)
    assert line.procedure_code == "99214"
    assert line.charge_line_id != line_id


@pytest.mark.parametrize(
    ("status", "fix"),
    [(ClaimStatus.HOLD, "rebuild claim"), (ClaimStatus.PAID, "send a replacement of claim")],
)
def test_build_reports_correction_of_billed_line(
    claim_practice: ClaimPractice, status: ClaimStatus, fix: str
) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    set_status(claim_practice, claim_id, status)
    line_id = posted_line_ids(claim_practice, claim_practice.encounter_id)[0]
    correct(claim_practice, line_id, "99214")

    result = claim_practice.build()

    assert result.claim_ids == []
    (problem,) = result.skipped
    assert problem.field == "encounter.lines"
    number = claim_practice.claim(claim_id).claim_number
    assert f"{fix} {number}" in problem.message


def test_build_rebills_lines_of_voided_claim(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    set_status(claim_practice, claim_id, ClaimStatus.VOIDED)

    (again,) = claim_practice.build().claim_ids

    assert again != claim_id


def test_build_claim_numbers_unique(claim_practice: ClaimPractice) -> None:
    for offset in range(1, 4):
        claim_practice.post(claim_practice.form(day=VISIT_DAY + timedelta(days=offset)))

    claim_ids = claim_practice.build().claim_ids

    with claim_practice.database.reading() as session:
        numbers = list(session.scalars(select(Claim.claim_number).where(Claim.id.in_(claim_ids))))
    assert len(set(numbers)) == 4
    assert all(len(number) <= 20 for number in numbers)


def posted_line_ids(practice: ClaimPractice, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    with practice.database.reading() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
    return [line.id for line in lines if not line.reversed]


def reversed_line(practice: ClaimPractice, encounter_id: uuid.UUID, position: int) -> uuid.UUID:
    line_id = posted_line_ids(practice, encounter_id)[position - 1]
    with practice.database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Billed in error")
    return line_id


def correct(practice: ClaimPractice, line_id: uuid.UUID, code: str) -> None:
    with practice.database.transaction() as session:
        encounters.correct_line(
            session, practice.biller, line_id, LineForm(procedure_code=code), "Wrong level"
        )


def test_build_only_named_encounters(claim_practice: ClaimPractice) -> None:
    other_day = claim_practice.post(claim_practice.form(day=date(2026, 2, 9)))

    (claim_id,) = claim_practice.build([other_day]).claim_ids

    assert claim_practice.claim(claim_id).service_date_from == date(2026, 2, 9)
    assert len(claim_practice.build().claim_ids) == 1
