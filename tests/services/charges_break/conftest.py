"""Fixtures for the charge-capture attack tests: the charge practice, with the ledger
checked after every test that does not tamper with it on purpose."""

from collections.abc import Iterator

import pytest

from app.db.database import Database
from app.services.ledger_verify import ledger_check
from tests.helpers.charge_data import ChargePractice, build_charge_practice


@pytest.fixture
def practice(database: Database) -> Iterator[ChargePractice]:
    """The charge practice; after the test, ledger verify must report nothing."""
    built = build_charge_practice(database)
    yield built
    with database.transaction() as session:
        findings = ledger_check(session, built.manager)
    assert findings == [], [finding.message for finding in findings]


@pytest.fixture
def tampered_practice(database: Database) -> ChargePractice:
    """The charge practice for tests that change the ledger behind the application."""
    return build_charge_practice(database)
