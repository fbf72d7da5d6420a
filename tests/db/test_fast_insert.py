"""Inserting rows through the driver stores what the ORM would store."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import Table, select, text

from app.db.database import Database
from app.db.fast_insert import insert_many
from app.ids import new_id
from app.models.payments import Deposit
from app.models.system import Setting


def _deposit_table() -> Table:
    return cast(Table, Deposit.__table__)


def test_values_and_defaults_round_trip(database: Database) -> None:
    reconciled = datetime(2026, 11, 30, 15, 45, 12, 123456, tzinfo=UTC)
    ids = [new_id(), new_id()]
    rows = [
        {
            "id": ids[0],
            "deposit_number": "K7Q-000001",
            "deposited_on": date(2026, 11, 30),
            "method": "cash_check",
            "expected_amount": Decimal("1234.56"),
            "bank_amount": None,
            "reconciled_at": reconciled,
        },
        {
            "id": ids[1],
            "deposit_number": "K7Q-000002",
            "deposited_on": date(2026, 12, 1),
            "method": "eft",
            "expected_amount": Decimal("-0.01"),
            "bank_amount": Decimal("0.00"),
            "reconciled_at": None,
        },
    ]
    with database.transaction() as session:
        insert_many(session, _deposit_table(), rows)

    with database.transaction() as session:
        stored = {row.id: row for row in session.scalars(select(Deposit))}
    first, second = stored[ids[0]], stored[ids[1]]
    assert first.expected_amount == Decimal("1234.56")
    assert first.bank_amount is None
    assert first.reconciled_at == reconciled
    assert second.expected_amount == Decimal("-0.01")
    assert second.bank_amount == Decimal("0.00")
    # Python-side defaults are filled in for the columns the rows leave out.
    assert first.status == "open"
    assert first.note == ""
    assert first.archived is False
    assert first.created_at.tzinfo is not None


def test_rows_with_other_keys_are_refused(database: Database) -> None:
    rows = [{"key": "a", "value": "1"}, {"key": "b"}]
    with (
        pytest.raises(ValueError, match="every row must have the keys"),
        database.transaction() as session,
    ):
        insert_many(session, cast(Table, Setting.__table__), rows)


def test_money_columns_still_refuse_floats(database: Database) -> None:
    row = {
        "deposit_number": "K7Q-000003",
        "deposited_on": date(2026, 11, 30),
        "method": "cash_check",
        "expected_amount": 12.5,
    }
    with (
        pytest.raises(TypeError, match="money columns take Decimal"),
        database.transaction() as session,
    ):
        insert_many(session, _deposit_table(), [row])


def test_shared_values_stored_in_every_row(database: Database) -> None:
    """A value object shared by every row is converted once and stored in each."""
    reconciled = datetime(2026, 12, 2, 9, 30, 0, 654321, tzinfo=UTC)
    amount = Decimal("42.10")
    rows = [
        {
            "deposit_number": f"K7S-{number:06d}",
            "deposited_on": date(2026, 12, 2),
            "method": "cash_check",
            "expected_amount": amount,
            "reconciled_at": reconciled,
        }
        for number in range(1, 4)
    ]
    with database.transaction() as session:
        insert_many(session, _deposit_table(), rows)

    with database.transaction() as session:
        stored = list(session.scalars(select(Deposit).where(Deposit.deposit_number.like("K7S-%"))))
    assert len(stored) == 3
    assert all(row.expected_amount == amount for row in stored)
    assert all(row.reconciled_at == reconciled for row in stored)
    assert len({row.id for row in stored}) == 3


def test_keys_in_another_order_accepted(database: Database) -> None:
    rows = [{"key": "order.a", "value": "1"}, {"value": "2", "key": "order.b"}]
    with database.transaction() as session:
        insert_many(session, cast(Table, Setting.__table__), rows)

    with database.transaction() as session:
        query = select(Setting.key, Setting.value).where(Setting.key.like("order.%"))
        stored = dict(session.execute(query).all())
    assert stored == {"order.a": "1", "order.b": "2"}


def test_rows_with_swapped_key_rejected(database: Database) -> None:
    rows = [{"key": "swap.a", "value": "1"}, {"key": "swap.b", "note": "2"}]
    with (
        pytest.raises(ValueError, match="every row must have the keys"),
        database.transaction() as session,
    ):
        insert_many(session, cast(Table, Setting.__table__), rows)


def test_instants_stored_as_orm_stores(database: Database) -> None:
    """Whole seconds keep their .000000, as SQLAlchemy writes them, so both compare equal."""
    reconciled = datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)
    orm_id, bulk_id = new_id(), new_id()
    row = {
        "deposited_on": date(2026, 12, 3),
        "method": "cash_check",
        "expected_amount": Decimal("5.00"),
        "reconciled_at": reconciled,
    }
    with database.transaction() as session:
        session.add(Deposit(id=orm_id, deposit_number="K7T-000001", **row))
        session.flush()
        insert_many(
            session, _deposit_table(), [{"id": bulk_id, "deposit_number": "K7T-000002", **row}]
        )

    with database.transaction() as session:
        texts = dict(
            session.execute(
                text("SELECT id, reconciled_at FROM deposit WHERE id IN (:orm, :bulk)"),
                {"orm": orm_id.bytes, "bulk": bulk_id.bytes},
            ).all()
        )
    assert texts[orm_id.bytes] == "2026-12-03 08:00:00.000000"
    assert texts[bulk_id.bytes] == texts[orm_id.bytes]
