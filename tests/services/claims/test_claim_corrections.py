"""Replacement, void, resent lines and rebuilt claims."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import UserError
from app.models.claims import Claim, ClaimEvent
from app.models.patients import Coverage
from app.services import encounters
from app.services.claim_build import rebuild_claim, replace_claim, resubmit_lines, void_claim
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.encounters import LineForm
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice


def adjudicated(
    practice: ClaimPractice, claim_id: uuid.UUID, number: str | None = "PCN-991"
) -> None:
    """Mark a claim paid, with the payer's claim number, as a remittance would."""
    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.payer_claim_number = number
        record_event(session, claim, ClaimEventKind.PAID, user_id=None, status=ClaimStatus.PAID)


def events_of(practice: ClaimPractice, claim_id: uuid.UUID) -> list[tuple[str, str | None]]:
    with practice.database.reading() as session:
        query = (
            select(ClaimEvent.event, ClaimEvent.detail)
            .where(ClaimEvent.claim_id == claim_id)
            .order_by(ClaimEvent.occurred_at, ClaimEvent.id)
        )
        return [(kind, detail) for kind, detail in session.execute(query)]


def line_ids(practice: ClaimPractice, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    with practice.database.reading() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
    return [line.id for line in lines if not line.reversed]


def correct(practice: ClaimPractice, line_id: uuid.UUID, code: str) -> None:
    with practice.database.transaction() as session:
        encounters.correct_line(
            session, practice.biller, line_id, LineForm(procedure_code=code), "Wrong level"
        )


def reverse(practice: ClaimPractice, line_id: uuid.UUID) -> None:
    with practice.database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Billed in error")


def run(practice: ClaimPractice, action: object, *args: object) -> uuid.UUID:
    with practice.database.transaction() as session:
        result = action(session, practice.biller, *args)  # type: ignore[operator]
    assert isinstance(result, uuid.UUID)
    return result


def two_line_claim(practice: ClaimPractice) -> tuple[uuid.UUID, uuid.UUID]:
    lines = [
        LineForm(procedure_code="99213", pointers=[1]),
        LineForm(procedure_code="99214", pointers=[2]),
    ]
    encounter_id = practice.post(
        practice.form(lines, diagnoses=["E11.9", "I10"], day=VISIT_DAY + timedelta(days=1))
    )
    (claim_id,) = practice.build([encounter_id]).claim_ids
    return encounter_id, claim_id


def deny(practice: ClaimPractice, claim_id: uuid.UUID) -> None:
    """Mark the claim denied, as a remittance would, so its lines may be resubmitted."""
    with practice.database.transaction() as session:
        session.get_one(Claim, claim_id).status = "denied"


def test_resubmit_needs_adjudicated_claim(claim_practice: ClaimPractice) -> None:
    _, claim_id = two_line_claim(claim_practice)
    _, second = claim_practice.claim_lines(claim_id)

    with pytest.raises(UserError, match="cannot go on a new claim yet"):
        run(claim_practice, resubmit_lines, claim_id, [second.id])


# ---- replacement ---------------------------------------------------------------------------


def test_replace_needs_payer_number(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    number = claim_practice.claim(claim_id).claim_number

    with pytest.raises(UserError, match=f"Claim {number} has no payer claim number"):
        run(claim_practice, replace_claim, claim_id)


def test_replace_bills_corrected_line(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)
    (line_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    correct(claim_practice, line_id, "99214")

    replacement_id = run(claim_practice, replace_claim, claim_id)

    replacement = claim_practice.claim(replacement_id)
    assert replacement.frequency_code == "7"
    assert replacement.original_claim_id == claim_id
    assert replacement.payer_claim_number == "PCN-991"
    assert replacement.status == "hold"
    (line,) = claim_practice.claim_lines(replacement_id)
    assert line.procedure_code == "99214"
    assert line.charge_line_id != line_id
    original = claim_practice.claim(claim_id)
    assert original.status == "corrected"
    assert events_of(claim_practice, claim_id)[-1] == (
        "corrected",
        f"Replaced by claim {replacement.claim_number}",
    )
    assert claim_practice.build().claim_ids == []


def test_replace_follows_chain_of_corrections(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)
    (line_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    correct(claim_practice, line_id, "99214")
    (second_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    correct(claim_practice, second_id, "99213")

    replacement_id = run(claim_practice, replace_claim, claim_id)

    (line,) = claim_practice.claim_lines(replacement_id)
    assert line.procedure_code == "99213"
    assert line.charge_line_id not in {line_id, second_id}


def test_replace_drops_reversed_line(claim_practice: ClaimPractice) -> None:
    _, claim_id = two_line_claim(claim_practice)
    adjudicated(claim_practice, claim_id)
    first, _ = claim_practice.claim_lines(claim_id)
    reverse(claim_practice, first.charge_line_id)

    replacement_id = run(claim_practice, replace_claim, claim_id)

    (line,) = claim_practice.claim_lines(replacement_id)
    assert line.procedure_code == "99214"
    assert (line.pointer1, line.pointer2) == (1, None)


def test_replace_with_nothing_left(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)
    (line_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    reverse(claim_practice, line_id)

    with pytest.raises(UserError, match="void the claim instead"):
        run(claim_practice, replace_claim, claim_id)


def test_replace_twice_rejected(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)
    run(claim_practice, replace_claim, claim_id)

    with pytest.raises(UserError, match="is corrected, so you cannot replace it"):
        run(claim_practice, replace_claim, claim_id)


# ---- void ----------------------------------------------------------------------------------


def test_void_copies_original_lines(claim_practice: ClaimPractice) -> None:
    _, claim_id = two_line_claim(claim_practice)
    adjudicated(claim_practice, claim_id)

    void_id = run(claim_practice, void_claim, claim_id)

    void = claim_practice.claim(void_id)
    original = claim_practice.claim(claim_id)
    assert void.frequency_code == "8"
    assert void.original_claim_id == claim_id
    assert void.payer_claim_number == "PCN-991"
    assert void.total_charge == original.total_charge
    pairs = [
        (line.charge_line_id, line.procedure_code, line.pointer1)
        for line in claim_practice.claim_lines(void_id)
    ]
    expected = [
        (line.charge_line_id, line.procedure_code, line.pointer1)
        for line in claim_practice.claim_lines(claim_id)
    ]
    assert pairs == expected
    assert original.status == "voided"
    assert events_of(claim_practice, claim_id)[-1][0] == "voided"


def test_void_lets_lines_bill_again(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)
    void_id = run(claim_practice, void_claim, claim_id)

    (rebilled_id,) = claim_practice.build().claim_ids

    assert rebilled_id not in {claim_id, void_id}
    rebilled = claim_practice.claim(rebilled_id)
    assert rebilled.frequency_code == "1"
    assert rebilled.original_claim_id is None
    with pytest.raises(UserError, match="is a void claim, so you cannot void it"):
        run(claim_practice, void_claim, void_id)


def test_void_needs_payer_number(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    with pytest.raises(UserError, match="no payer claim number, which a void claim"):
        run(claim_practice, void_claim, claim_id)


# ---- resent lines --------------------------------------------------------------------------


def test_resubmit_chosen_line(claim_practice: ClaimPractice) -> None:
    _, claim_id = two_line_claim(claim_practice)
    deny(claim_practice, claim_id)
    _, second = claim_practice.claim_lines(claim_id)

    new_id = run(claim_practice, resubmit_lines, claim_id, [second.id])

    claim = claim_practice.claim(new_id)
    assert claim.frequency_code == "1"
    assert claim.original_claim_id == claim_id
    assert claim.payer_claim_number is None
    (line,) = claim_practice.claim_lines(new_id)
    assert line.procedure_code == "99214"
    assert line.charge_line_id == second.charge_line_id
    assert line.pointer1 == 1
    assert claim.total_charge == second.charge_amount
    assert claim_practice.claim(claim_id).status == "denied"
    assert events_of(claim_practice, claim_id)[-1] == (
        "note",
        f"Lines 2 sent again on claim {claim.claim_number}",
    )


def test_resubmit_rejects_foreign_line(claim_practice: ClaimPractice) -> None:
    _, claim_id = two_line_claim(claim_practice)
    deny(claim_practice, claim_id)

    with pytest.raises(UserError, match="not on claim"):
        run(claim_practice, resubmit_lines, claim_id, [uuid.uuid4()])
    with pytest.raises(UserError, match="Choose at least one line"):
        run(claim_practice, resubmit_lines, claim_id, [])


# ---- rebuild -------------------------------------------------------------------------------


def test_rebuild_follows_new_coverage(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    with claim_practice.database.transaction() as session:
        aetna = session.get(Coverage, claim_practice.aetna_coverage_id)
        assert aetna is not None
        aetna.termination_date = VISIT_DAY - timedelta(days=1)
    claim_practice.add_coverage(claim_practice.cigna_id, 1)

    new_id = run(claim_practice, rebuild_claim, claim_id)

    assert claim_practice.claim(new_id).payer_id == claim_practice.cigna_id
    old = claim_practice.claim(claim_id)
    assert old.archived
    kind, detail = events_of(claim_practice, claim_id)[-1]
    assert kind == "note"
    assert (
        detail
        == f"Rebuilt from current charges as claim {claim_practice.claim(new_id).claim_number}"
    )


def test_rebuild_bills_corrected_line(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        record_event(
            session, claim, ClaimEventKind.REJECTED, user_id=None, status=ClaimStatus.REJECTED
        )
    (line_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    correct(claim_practice, line_id, "99214")

    new_id = run(claim_practice, rebuild_claim, claim_id)

    (line,) = claim_practice.claim_lines(new_id)
    assert line.procedure_code == "99214"
    assert claim_practice.claim(new_id).frequency_code == "1"
    assert claim_practice.build().claim_ids == []


def test_rebuild_rejects_paid_claim(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    adjudicated(claim_practice, claim_id)

    with pytest.raises(UserError, match="is paid, so the payer has it"):
        run(claim_practice, rebuild_claim, claim_id)


def test_rebuild_with_nothing_left(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    (line_id,) = line_ids(claim_practice, claim_practice.encounter_id)
    reverse(claim_practice, line_id)

    with pytest.raises(UserError, match="bill nothing now"):
        run(claim_practice, rebuild_claim, claim_id)

    assert not claim_practice.claim(claim_id).archived
