"""The deposit practice: the ledger practice with a second manager, for every test here."""

import pytest

from app.db.database import Database
from tests.helpers.deposit_data import DepositPractice, build_deposit_practice


@pytest.fixture
def practice(database: Database) -> DepositPractice:
    """Rivera and Chen insured by Aetna, Nguyen uninsured, and two managers."""
    return build_deposit_practice(database)
