"""The claim practice: the charge practice with posted encounters, for every claims test."""

import pytest

from app.db.database import Database
from tests.helpers.claim_data import ClaimPractice, build_claim_practice


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    """The charge practice with one posted visit each for an insured and an uninsured
    patient; `tests.helpers.claim_data.set_practice_zip` sets a 9-digit ZIP.
    """
    return build_claim_practice(database)
