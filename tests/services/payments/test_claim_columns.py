"""Writing the status and payer claim number of many loaded claims outside the flush."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, select

from app.models.claims import Claim
from app.services.claim_columns import write_payer_claim_numbers, write_statuses
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import module_claim_practice, new_claim, new_patient


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def two_claims(practice: ClaimPractice) -> list[uuid.UUID]:
    return [new_claim(practice, new_patient(practice, practice.aetna_id)) for _ in range(2)]


def stored(practice: ClaimPractice, claim_id: uuid.UUID) -> Claim:
    with practice.database.reading() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        return claim


def test_statuses_stored_and_clean(practice: ClaimPractice) -> None:
    claim_ids = two_claims(practice)
    user_id = practice.biller.user_id

    with practice.database.transaction() as session:
        claims = list(session.scalars(select(Claim).where(Claim.id.in_(claim_ids))))
        write_statuses(session, [(claim, "paid") for claim in claims], user_id)
        dirty = [claim for claim in claims if inspect(claim).modified]
        in_session = [(claim.status, claim.updated_by) for claim in claims]

    assert dirty == []
    assert in_session == [("paid", user_id), ("paid", user_id)]
    for claim_id in claim_ids:
        claim = stored(practice, claim_id)
        assert claim.status == "paid"
        assert claim.updated_by == user_id


def test_unchanged_status_not_written(practice: ClaimPractice) -> None:
    (claim_id, _) = two_claims(practice)
    user_id = practice.biller.user_id
    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        write_statuses(session, [(claim, "denied")], user_id)
    before = stored(practice, claim_id)

    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        write_statuses(session, [(claim, "denied")], user_id)

    after = stored(practice, claim_id)
    assert after.status == "denied"
    assert after.updated_at == before.updated_at


def test_pending_status_replaced(practice: ClaimPractice) -> None:
    """A status assigned and not flushed yet gives way to the one written."""
    (claim_id, _) = two_claims(practice)

    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.status = "appealed"
        write_statuses(session, [(claim, "partial")], practice.biller.user_id)
        session.flush()
        in_session = claim.status

    assert in_session == "partial"
    assert stored(practice, claim_id).status == "partial"


def test_expired_claim_written(practice: ClaimPractice) -> None:
    (claim_id, _) = two_claims(practice)

    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        session.expire(claim)
        write_statuses(session, [(claim, "forwarded")], practice.biller.user_id)

    assert stored(practice, claim_id).status == "forwarded"


def test_last_payer_claim_number_kept(practice: ClaimPractice) -> None:
    claim_ids = two_claims(practice)

    with practice.database.transaction() as session:
        first, second = (session.get(Claim, claim_id) for claim_id in claim_ids)
        assert first is not None
        assert second is not None
        changes = [(first, "ICN-1"), (second, "ICN-2"), (first, "ICN-3")]
        write_payer_claim_numbers(session, changes)
        dirty = [claim for claim in (first, second) if inspect(claim).modified]

    assert dirty == []
    assert stored(practice, claim_ids[0]).payer_claim_number == "ICN-3"
    assert stored(practice, claim_ids[1]).payer_claim_number == "ICN-2"
