"""Typing the payer's claim number from a paper remittance or EOB."""

import uuid

import pytest
from sqlalchemy import select

from app.errors import PermissionDeniedError, ValidationError
from app.models.claims import Claim, ClaimEvent
from app.services.claim_build import build_claims
from app.services.claim_detail import set_payer_claim_number
from tests.helpers.claim_data import ClaimPractice


def _claim_id(practice: ClaimPractice) -> uuid.UUID:
    with practice.database.transaction() as session:
        [claim_id] = build_claims(session, practice.biller).claim_ids
    return claim_id


def test_number_stored_with_history(worklist_practice: ClaimPractice) -> None:
    claim_id = _claim_id(worklist_practice)
    with worklist_practice.database.transaction() as session:
        set_payer_claim_number(session, worklist_practice.biller, claim_id, " ab-123 ")
        set_payer_claim_number(session, worklist_practice.biller, claim_id, "AB-124")

    with worklist_practice.database.reading() as session:
        claim = session.get_one(Claim, claim_id)
        details = list(
            session.scalars(
                select(ClaimEvent.detail)
                .where(ClaimEvent.claim_id == claim_id, ClaimEvent.event == "note")
                .order_by(ClaimEvent.occurred_at)
            )
        )
    assert claim.payer_claim_number == "AB-124"
    assert details == [
        "Payer's claim number set to AB-123",
        "Payer's claim number set to AB-124 (was AB-123)",
    ]


@pytest.mark.parametrize("number", ["", "   ", "12 34", "A*B", "9" * 51])
def test_invalid_number_rejected(worklist_practice: ClaimPractice, number: str) -> None:
    claim_id = _claim_id(worklist_practice)
    with pytest.raises(ValidationError) as raised, worklist_practice.database.transaction() as s:
        set_payer_claim_number(s, worklist_practice.biller, claim_id, number)

    assert [problem.field for problem in raised.value.problems] == ["claim.payer_claim_number"]


def test_front_desk_may_not_set_number(worklist_practice: ClaimPractice) -> None:
    claim_id = _claim_id(worklist_practice)
    with pytest.raises(PermissionDeniedError), worklist_practice.database.transaction() as s:
        set_payer_claim_number(s, worklist_practice.charge.front_desk, claim_id, "AB-1")
