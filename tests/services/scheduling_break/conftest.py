"""Fixtures for the scheduling attack tests."""

import pytest

from app.db.database import Database
from tests.helpers.scheduling_data import SchedulingPractice, build_scheduling_practice


@pytest.fixture
def practice(database: Database) -> SchedulingPractice:
    return build_scheduling_practice(database)
