"""Fixtures for the scheduling attack tests: the booking practice in three time zones."""

import pytest
from sqlalchemy import update

from app.db.database import Database
from app.models.practice import Practice
from tests.helpers.scheduling_data import SchedulingPractice, build_scheduling_practice


@pytest.fixture
def practice(database: Database) -> SchedulingPractice:
    """The booking practice, in Chicago."""
    return build_scheduling_practice(database)


def _use_zone(database: Database, zone: str) -> None:
    with database.transaction() as session:
        session.execute(update(Practice).values(time_zone=zone))


@pytest.fixture
def new_york(database: Database, practice: SchedulingPractice) -> None:
    """Move the booking practice to New York, which observes daylight saving time."""
    _use_zone(database, "America/New_York")


@pytest.fixture
def phoenix(database: Database, practice: SchedulingPractice) -> None:
    """Move the booking practice to Phoenix, which keeps standard time all year."""
    _use_zone(database, "America/Phoenix")
