"""Fixtures for the referral screens: the referral practice and a context signed in to it."""

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from tests.helpers.referral_data import ReferralPractice, build_referral_practice
from tests.ui.admin.conftest import drain, make_context
from ui.context import AppContext


@pytest.fixture
def practice(database: Database) -> ReferralPractice:
    """A practice with two payers, a patient with a coverage and a referring provider."""
    return build_referral_practice(database)


@pytest.fixture
def context(qtbot: QtBot, database: Database, practice: ReferralPractice) -> Iterator[AppContext]:
    """A context signed in as the practice's administrator, drained at teardown."""
    made = make_context(database, practice.admin)
    yield made
    drain(qtbot, made)


def settle(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every background operation has reported back."""
    drain(qtbot, context)
