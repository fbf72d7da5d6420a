"""Interchange control numbers: nine digits, unique per workstation, never reused."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import UserError
from app.models.claims import ClaimBatch
from app.models.system import NumberCounter
from app.services.numbering import local_workstation
from app.services.x12_control import (
    COUNTER_KIND,
    format_control_number,
    next_interchange_number,
    workstation_index,
)
from tests.helpers.charge_data import ChargePractice, build_charge_practice
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def test_workstation_index_range() -> None:
    assert workstation_index("222") == 0
    assert workstation_index("223") == 1
    assert workstation_index("232") == 31
    assert workstation_index("ZZZ") == 31**3 - 1
    assert workstation_index("zzz") == 31**3 - 1


@pytest.mark.parametrize("code", ["22", "2222", "2O2", "A-B"])
def test_unusable_workstation_code(code: str) -> None:
    with pytest.raises(UserError, match="cannot number claim files"):
        workstation_index(code)


def test_numbers_count_up_in_workstation_block(
    database: Database, practice: ChargePractice
) -> None:
    with database.transaction() as session:
        base = workstation_index(local_workstation(session).code) * 10_000
        first = next_interchange_number(session)
    with database.transaction() as session:
        second = next_interchange_number(session)

    assert first == base + 1
    assert second == base + 2
    assert len(format_control_number(first)) == 9
    assert format_control_number(17) == "000000017"


def test_rolled_back_number_is_issued_again(database: Database, practice: ChargePractice) -> None:
    # Nothing left the workstation with a number whose transaction rolled back.
    with pytest.raises(RuntimeError), database.transaction() as session:
        rolled_back = next_interchange_number(session)
        raise RuntimeError("stop")
    with database.transaction() as session:
        again = next_interchange_number(session)

    assert again == rolled_back


def test_number_on_a_batch_is_skipped(database: Database, practice: ChargePractice) -> None:
    clearinghouse_id = add_clearinghouse(database, practice.biller)
    with database.transaction() as session:
        base = workstation_index(local_workstation(session).code) * 10_000
        session.add(
            ClaimBatch(
                batch_number="OLD-1",
                clearinghouse_id=clearinghouse_id,
                interchange_control_number=format_control_number(base + 1),
                group_control_number=str(base + 1),
                usage_indicator="T",
                file_name="OLD-1.837",
                content="",
                sha256="0" * 64,
                claim_count=0,
                total_charge=Decimal("0"),
                sent_at=datetime(2026, 2, 2, tzinfo=UTC),
            )
        )
        session.flush()
        number = next_interchange_number(session)

    assert number == base + 2


def test_used_up_workstation_raises(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        session.add(NumberCounter(kind=COUNTER_KIND, last_value=9_998))
        session.flush()
        last = next_interchange_number(session)

        with pytest.raises(UserError, match="used all 9,999"):
            next_interchange_number(session)

    assert last % 10_000 == 9_999
