"""999 and 277CA responses out of order, for unknown or voided claims, and imported twice."""

import pytest
from sqlalchemy import func, select

from app.models.claims import ClaimBatch, X12Response
from app.services import claim_batches, x12_responses
from app.services.claim_status import ClaimEventKind, ClaimStatus
from app.services.x12_responses import AlreadyImportedError, ResponseImport
from tests.services.claims_submission.submission_data import (
    ClaimStatusLine,
    SubmissionPractice,
    ack_277ca,
    ack_999,
)


@pytest.fixture
def sent_batch(submission: SubmissionPractice) -> ClaimBatch:
    """The practice's three claims in one batch, saved to the outbox (so SUBMITTED)."""
    with submission.database.transaction() as session:
        result = claim_batches.create_batches(session, submission.biller)
        claim_batches.export_batch(session, submission.biller, result.batch_ids[0])
    return submission.batch(result.batch_ids[0])


def import_text(practice: SubmissionPractice, text: str, name: str) -> ResponseImport:
    with practice.database.transaction() as session:
        return x12_responses.import_response(session, practice.biller, text, name)


def transactions(practice: SubmissionPractice, batch: ClaimBatch) -> list[str]:
    items = practice.items(batch.id)
    return [items[claim_id] for claim_id in practice.claim_ids]


def stored_responses(practice: SubmissionPractice) -> int:
    with practice.database.reading() as session:
        return session.scalar(select(func.count(X12Response.id))) or 0


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: text.replace("\n", ""),
        lambda text: "\ufeff" + text,
    ],
)
def test_same_999_other_line_endings(
    submission: SubmissionPractice, sent_batch: ClaimBatch, rewrite: object
) -> None:
    numbers = transactions(submission, sent_batch)
    text = ack_999(sent_batch, numbers, rejected=[numbers[0]])
    import_text(submission, text, "reply.999")
    events_before = len(submission.events(submission.claim_ids[0]))

    with pytest.raises(AlreadyImportedError, match=r"as reply\.999"):
        import_text(submission, rewrite(text), "reply-copy.999")  # type: ignore[operator]

    assert len(submission.events(submission.claim_ids[0])) == events_before
    assert stored_responses(submission) == 1


def test_277ca_before_999_keeps_acceptance(
    submission: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    numbers = [submission.claim_number(claim_id) for claim_id in submission.claim_ids]
    lines = [ClaimStatusLine(number, "A2:20", payer_claim_number="PCN-1") for number in numbers]
    import_text(submission, ack_277ca(lines), "claims.277")

    result = import_text(
        submission, ack_999(sent_batch, transactions(submission, sent_batch)), "a.999"
    )

    assert result.accepted == 3
    assert submission.statuses() == [ClaimStatus.ACCEPTED.value] * 3
    assert submission.claim(submission.claim_ids[0]).payer_claim_number == "PCN-1"


def test_277ca_for_unknown_claims(submission: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    known = submission.claim_number(submission.claim_ids[0])
    lines = [ClaimStatusLine("NOPE-000001", "A7:562:85"), ClaimStatusLine(known, "A2:20")]

    result = import_text(submission, ack_277ca(lines), "mixed.277")

    assert result.unmatched == ["NOPE-000001"]
    assert result.accepted == 1
    assert submission.statuses()[0] == ClaimStatus.ACCEPTED.value


def test_277ca_rejection_of_voided_claim(
    submission: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    claim_id = submission.claim_ids[0]
    submission.set_status(claim_id, ClaimStatus.VOIDED)
    line = ClaimStatusLine(submission.claim_number(claim_id), "A7:562:85")

    result = import_text(submission, ack_277ca([line]), "late.277")

    assert result.rejected == 1
    assert submission.statuses()[0] == ClaimStatus.VOIDED.value
    assert submission.claim(claim_id).follow_up_on is None
    assert submission.events(claim_id)[-1].event == ClaimEventKind.REJECTED
