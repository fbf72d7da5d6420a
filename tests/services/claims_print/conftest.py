"""The claim practice for the claim printing tests."""

import pytest

from app.db.database import Database
from tests.helpers.claim_data import ClaimPractice, build_claim_practice


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    """The charge practice with one posted visit each for an insured and an uninsured
    patient.
    """
    return build_claim_practice(database)
