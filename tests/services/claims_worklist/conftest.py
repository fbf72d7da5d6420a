"""The claim practice for worklist tests: the charge practice with one posted, insured visit."""

import pytest

from app.db.database import Database
from tests.helpers.claim_data import ClaimPractice, build_claim_practice


@pytest.fixture
def worklist_practice(database: Database) -> ClaimPractice:
    return build_claim_practice(database)
