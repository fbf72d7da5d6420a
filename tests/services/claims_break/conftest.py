"""Fixtures for the claim break tests: claim and submission practices, a loopback server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.database import Database
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.sftp_server import SftpTestServer, running_server
from tests.services.claims_submission.submission_data import (
    SubmissionPractice,
    build_submission_practice,
)


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    """The charge practice with one posted visit each for an insured and an uninsured patient."""
    return build_claim_practice(database)


@pytest.fixture
def submission(database: Database, tmp_path: Path) -> SubmissionPractice:
    """Three READY Aetna claims and a clearinghouse whose outbox is tmp_path/outbox."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    return build_submission_practice(database, outbox)


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpTestServer]:
    """An SFTP server on 127.0.0.1 serving tmp_path/sftp, with inbound and outbound folders."""
    yield from running_server(tmp_path / "sftp")
