"""Claim files from ready claims whose charges changed after the scrub, and odd outbox folders."""

from pathlib import Path

import pytest

from app.errors import UserError
from app.services import claim_batches, encounters
from tests.services.claims_submission.submission_data import SubmissionPractice


def reverse_first_line(practice: SubmissionPractice) -> None:
    (line,) = practice.claims.claim_lines(practice.claim_ids[0])
    with practice.database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line.charge_line_id, "Billed in error")


def test_reversed_line_keeps_claim_out(submission: SubmissionPractice) -> None:
    reverse_first_line(submission)
    number = submission.claim_number(submission.claim_ids[0])

    with submission.database.transaction() as session:
        result = claim_batches.create_batches(session, submission.biller)

    (batch_id,) = result.batch_ids
    assert submission.claim_ids[0] not in submission.items(batch_id)
    assert len(submission.items(batch_id)) == 2
    (problem,) = result.problems
    assert f"Claim {number} was left out: the charge of line 1 was reversed" in problem.message


def test_only_reversed_claim_writes_no_file(submission: SubmissionPractice) -> None:
    reverse_first_line(submission)

    with submission.database.transaction() as session:
        result = claim_batches.create_batches(session, submission.biller, [submission.claim_ids[0]])

    assert result.batch_ids == []
    assert len(result.problems) == 1


@pytest.mark.parametrize("inside", [False, True])
def test_outbox_that_is_a_file(
    submission: SubmissionPractice, tmp_path: Path, inside: bool
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    folder = blocker / "claims" if inside else blocker
    with submission.database.transaction() as session:
        (batch_id,) = claim_batches.create_batches(session, submission.biller).batch_ids

    with (
        pytest.raises(UserError, match="Nothing was marked as sent"),
        submission.database.transaction() as session,
    ):
        claim_batches.export_batch(session, submission.biller, batch_id, folder)

    assert submission.statuses() == ["ready", "ready", "ready"]
    assert blocker.read_text() == "not a folder"
