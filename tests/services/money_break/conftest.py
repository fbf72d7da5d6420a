"""The desk practice fixture shared by the money break tests."""

import pytest

from app.db.database import Database
from tests.services.payments_desk.desk_data import DeskPractice, build_desk_practice


@pytest.fixture
def desk(database: Database) -> DeskPractice:
    """The ledger practice with open lines for Nguyen and Rivera and a second desk user."""
    return build_desk_practice(database)
