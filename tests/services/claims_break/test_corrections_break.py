"""Corrections on claims whose lines another claim already bills, or in the wrong status."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import UserError
from app.models.claims import Claim, ClaimLine
from app.services.claim_build import resubmit_lines
from app.services.encounters import LineForm
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice


def two_line_claim(practice: ClaimPractice) -> uuid.UUID:
    """Post a visit with 99213 and 99214 the day after the first visit and build its claim."""
    lines = [
        LineForm(procedure_code="99213", pointers=[1]),
        LineForm(procedure_code="99214", pointers=[2]),
    ]
    form = practice.form(lines, diagnoses=["E11.9", "I10"], day=VISIT_DAY + timedelta(days=1))
    (claim_id,) = practice.build([practice.post(form)]).claim_ids
    deny(practice, claim_id)
    return claim_id


def deny(practice: ClaimPractice, claim_id: uuid.UUID) -> None:
    """Mark the claim denied, as a remittance would, so its lines may be resubmitted."""
    with practice.database.transaction() as session:
        session.get_one(Claim, claim_id).status = "denied"


def resubmit(practice: ClaimPractice, claim_id: uuid.UUID, line_ids: list[uuid.UUID]) -> uuid.UUID:
    with practice.database.transaction() as session:
        return resubmit_lines(session, practice.biller, claim_id, line_ids)


def claims_billing(practice: ClaimPractice, charge_line_id: uuid.UUID) -> int:
    with practice.database.reading() as session:
        query = select(func.count(Claim.id)).join(ClaimLine, ClaimLine.claim_id == Claim.id)
        return session.scalar(query.where(ClaimLine.charge_line_id == charge_line_id)) or 0


def test_resubmit_same_line_twice_rejected(claim_practice: ClaimPractice) -> None:
    claim_id = two_line_claim(claim_practice)
    _, second = claim_practice.claim_lines(claim_id)
    new_id = resubmit(claim_practice, claim_id, [second.id])
    new_number = claim_practice.claim(new_id).claim_number
    original_number = claim_practice.claim(claim_id).claim_number

    with pytest.raises(UserError) as raised:
        resubmit(claim_practice, claim_id, [second.id])

    message = str(raised.value)
    assert f"Line 2 of claim {original_number}" in message
    assert f"work claim {new_number} instead" in message
    assert claims_billing(claim_practice, second.charge_line_id) == 2


def test_resubmit_other_line_still_allowed(claim_practice: ClaimPractice) -> None:
    claim_id = two_line_claim(claim_practice)
    first, second = claim_practice.claim_lines(claim_id)
    resubmit(claim_practice, claim_id, [second.id])

    new_id = resubmit(claim_practice, claim_id, [first.id])

    (line,) = claim_practice.claim_lines(new_id)
    assert line.charge_line_id == first.charge_line_id
