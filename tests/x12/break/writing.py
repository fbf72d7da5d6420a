"""Helpers for the 837P writer's hostile-input tests."""

from datetime import UTC, datetime

from app.x12.claim_data import ClaimDocument
from app.x12.reader_837p import ReadClaim, read_837p
from app.x12.validate import pyx12_errors
from app.x12.writer_837p import write_837p
from tests.x12.claim_samples import TEST_SUBMITTER

CREATED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def write_text(claim: ClaimDocument) -> str:
    """Write one claim as an 837P interchange and return its text."""
    written = write_837p(
        TEST_SUBMITTER, [claim], interchange_number=1, group_number=1, created_at=CREATED_AT
    )
    return written.text


def write_valid(claim: ClaimDocument) -> ReadClaim:
    """Write one claim, assert that pyx12 accepts the file and return the claim read back."""
    text = write_text(claim)

    assert pyx12_errors(text) == []
    (read,) = read_837p(text)
    return read
