"""Practices for the attack tests on deposits, refunds, the lock date and 835 posting."""

import pytest

from app.db.database import Database
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.deposit_data import DepositPractice, build_deposit_practice
from tests.helpers.era_data import EraPractice, build_era_practice
from tests.services.payments_desk.desk_data import DeskPractice, build_desk_practice


@pytest.fixture
def practice(database: Database) -> DepositPractice:
    """Rivera and Chen insured by Aetna, Nguyen uninsured, and two managers."""
    return build_deposit_practice(database)


@pytest.fixture
def desk(database: Database) -> DeskPractice:
    """Nguyen's open self-pay lines, Rivera's insured visit and a second desk user."""
    return build_desk_practice(database)


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    """An insured and an uninsured visit, posted through charge entry."""
    return build_claim_practice(database)


@pytest.fixture
def era_practice(database: Database) -> EraPractice:
    """Payers, a clearinghouse and billers for importing 835 files."""
    return build_era_practice(database)
