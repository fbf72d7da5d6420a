"""Fetching responses over SFTP: new files only, and one bad file never stops the rest."""

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.claims import ClaimBatch, X12Response
from app.services import claim_batches
from app.services.claim_status import ClaimStatus
from app.services.x12_responses import ResponseImport
from app.sftp import SftpError
from tests.helpers.sftp_server import SftpTestServer
from tests.services.claims_submission.submission_data import (
    ClaimStatusLine,
    SubmissionPractice,
    ack_277ca,
    ack_999,
    build_sftp_practice,
)


@pytest.fixture
def practice(database: Database, sftp_server: SftpTestServer) -> SubmissionPractice:
    return build_sftp_practice(database, sftp_server)


@pytest.fixture
def sent_batch(practice: SubmissionPractice) -> ClaimBatch:
    """The three claims in one batch, uploaded to the loopback server."""
    with practice.database.transaction() as session:
        result = claim_batches.create_batches(session, practice.biller)
    with practice.database.transaction() as session:
        claim_batches.upload_batch(session, practice.biller, result.batch_ids[0])
    return practice.batch(result.batch_ids[0])


def _fetch(practice: SubmissionPractice) -> list[ResponseImport]:
    with practice.database.transaction() as session:
        return claim_batches.fetch_responses(session, practice.biller, practice.clearinghouse_id)


def _stored_names(practice: SubmissionPractice) -> list[str]:
    with practice.database.reading() as session:
        query = select(X12Response.file_name).order_by(X12Response.file_name)
        return list(session.scalars(query))


def test_fetch_imports_each_new_file(
    practice: SubmissionPractice, sent_batch: ClaimBatch, sftp_server: SftpTestServer
) -> None:
    items = practice.items(sent_batch.id)
    numbers = [items[claim_id] for claim_id in practice.claim_ids]
    outbound = sftp_server.root / "outbound"
    (outbound / "a.999").write_text(ack_999(sent_batch, numbers, rejected=[numbers[0]]))
    rejected_number = practice.claim_number(practice.claim_ids[1])
    (outbound / "b.277").write_text(ack_277ca([ClaimStatusLine(rejected_number, "A7:562:85")]))
    (outbound / "c.txt").write_text("not an X12 file")

    results = _fetch(practice)

    assert [result.file_name for result in results] == ["a.999", "b.277", "c.txt"]
    assert [result.error is None for result in results] == [True, True, False]
    assert (results[0].accepted, results[0].rejected) == (2, 1)
    assert results[1].rejected == 1
    assert results[2].error is not None
    assert results[2].summary == results[2].error
    assert practice.statuses() == [
        ClaimStatus.REJECTED.value,
        ClaimStatus.REJECTED.value,
        ClaimStatus.SUBMITTED.value,
    ]
    assert _stored_names(practice) == ["a.999", "b.277"]


def test_fetch_skips_files_imported_before(
    practice: SubmissionPractice, sent_batch: ClaimBatch, sftp_server: SftpTestServer
) -> None:
    items = practice.items(sent_batch.id)
    text = ack_999(sent_batch, list(items.values()))
    outbound = sftp_server.root / "outbound"
    (outbound / "a.999").write_text(text)
    assert len(_fetch(practice)) == 1

    # The same text under a new name is caught by its SHA-256 after download.
    (outbound / "copy-of-a.999").write_text(text)
    again = _fetch(practice)

    assert again == []
    assert _stored_names(practice) == ["a.999"]


def test_fetch_bad_file_rolls_back_alone(
    practice: SubmissionPractice, sent_batch: ClaimBatch, sftp_server: SftpTestServer
) -> None:
    outbound = sftp_server.root / "outbound"
    # A damaged 835 fails in the remittance reader; the 277CA after it still imports.
    number = practice.claim_number(practice.claim_ids[2])
    (outbound / "a.277").write_text(ack_277ca([ClaimStatusLine(number, "A2:20", "PCN-9")]))
    remittance = ack_277ca([]).replace("GS*HN*", "GS*HP*").replace("ST*277*", "ST*835*")
    (outbound / "0.835").write_text(remittance.replace("005010X214", "005010X221A1"))

    results = _fetch(practice)

    assert [result.file_name for result in results] == ["0.835", "a.277"]
    assert results[0].error is not None
    assert results[0].error.startswith("Segment ")
    assert results[1].accepted == 1
    assert practice.claim(practice.claim_ids[2]).payer_claim_number == "PCN-9"


def test_fetch_empty_folder(practice: SubmissionPractice) -> None:
    assert _fetch(practice) == []


def test_fetch_server_down(practice: SubmissionPractice, sftp_server: SftpTestServer) -> None:
    sftp_server.stop()

    with pytest.raises(SftpError, match="refused the connection"):
        _fetch(practice)
