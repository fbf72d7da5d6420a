"""Fixtures for the statement attack tests: the statement practice, ledger checked after."""

from collections.abc import Iterator

import pytest

from app.db.database import Database
from app.services.ledger_verify import ledger_check
from tests.helpers.statement_data import StatementPractice, build_statement_practice


@pytest.fixture
def practice(database: Database) -> Iterator[StatementPractice]:
    """The statement practice; after the test, ledger verify must report nothing."""
    built = build_statement_practice(database)
    yield built
    with database.transaction() as session:
        findings = ledger_check(session, built.manager)
    assert findings == [], [finding.message for finding in findings]
