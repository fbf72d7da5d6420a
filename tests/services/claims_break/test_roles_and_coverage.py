"""Each role against the claim services, and coverage that changes in the middle of a week."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.errors import PermissionDeniedError
from app.models.patients import Coverage
from app.security.permissions import Actor
from app.services import claim_detail, claim_worklist, x12_responses
from app.services.claim_build import build_claims, void_claim
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice

Action = Callable[[Session, Actor, ClaimPractice], object]

ACTIONS: dict[str, Action] = {
    "build": lambda session, actor, practice: build_claims(session, actor),
    "worklist": lambda session, actor, practice: claim_worklist.worklist(
        session, actor, claim_worklist.WorklistFilter()
    ),
    "assignable": lambda session, actor, practice: claim_detail.assignable_users(session, actor),
    "import": lambda session, actor, practice: x12_responses.import_response(
        session, actor, "not x12", "reply.txt"
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ["front_desk", "provider"])
def test_role_without_claims_denied(claim_practice: ClaimPractice, role: str, action: str) -> None:
    actor = getattr(claim_practice.charge, role)

    with pytest.raises(PermissionDeniedError), claim_practice.database.transaction() as session:
        ACTIONS[action](session, actor, claim_practice)


@pytest.mark.parametrize("role", ["front_desk", "provider"])
def test_role_cannot_void(claim_practice: ClaimPractice, role: str) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    actor = getattr(claim_practice.charge, role)

    with pytest.raises(PermissionDeniedError), claim_practice.database.transaction() as session:
        void_claim(session, actor, claim_id)

    assert claim_practice.claim(claim_id).status == "hold"


def test_manager_builds_and_lists(claim_practice: ClaimPractice) -> None:
    manager = claim_practice.charge.manager
    with claim_practice.database.transaction() as session:
        built = build_claims(session, manager)
    with claim_practice.database.reading() as session:
        rows = claim_worklist.worklist(session, manager, claim_worklist.WorklistFilter())

    assert len(built.claim_ids) == 1
    assert [row.claim_id for row in rows] == built.claim_ids


def test_coverage_change_mid_week(claim_practice: ClaimPractice) -> None:
    monday = VISIT_DAY + timedelta(days=7 - VISIT_DAY.weekday())
    with claim_practice.database.transaction() as session:
        aetna = session.get(Coverage, claim_practice.aetna_coverage_id)
        assert aetna is not None
        aetna.termination_date = monday + timedelta(days=2)
    claim_practice.add_coverage(claim_practice.cigna_id, 1, effective=monday + timedelta(days=3))
    days = [monday + timedelta(days=offset) for offset in range(5)]
    encounter_ids = [claim_practice.post(claim_practice.form(day=day)) for day in days]

    result = claim_practice.build(encounter_ids)

    payers = [claim_practice.claim(claim_id).payer_id for claim_id in result.claim_ids]
    assert payers.count(claim_practice.aetna_id) == 3
    assert payers.count(claim_practice.cigna_id) == 2
    assert result.skipped == []
    assert claim_practice.build(encounter_ids).claim_ids == []
