"""Insert many rows with one prepared statement and the driver's executemany.

A Core INSERT with a list of parameter dictionaries spends most of its time in
SQLAlchemy's per-row bookkeeping (building each parameter set, looking up each column's
processor) rather than in SQLite. Bulk work (building thousands of claims, posting a large
remittance) inserts tens of thousands of rows, so this module prepares the statement and
the column processors once and hands plain tuples to the driver. Values still pass through
each column type's bind processor for the dialect, or a faster one of the type's that
returns the same value, so UUIDs, money and instants are stored exactly as the ORM stores
them, and Python-side column defaults (ids, timestamps, flags) are filled in.
"""

import logging
import operator
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any, cast

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dictionaries with the same keys) into `table` in the session's transaction.

    Columns left out of the rows get their Python-side default. A column with neither a
    value nor a default is left to the database, which stores NULL or its server default.
    Raises ValueError when a row's keys differ from the first row's, because a silently
    missing value would be stored as NULL.
    """
    if not rows:
        return
    keys = list(rows[0].keys())
    connection = session.connection()
    dialect = connection.dialect

    defaulted = [
        column
        for column in table.columns
        if column.key not in rows[0] and column.default is not None
    ]
    names = keys + [column.key for column in defaulted]
    processors = [_bind_processor(table.c[name], dialect) for name in names]
    makers = [_default_maker(column) for column in defaulted]

    if dialect.paramstyle != "qmark":
        raise ValueError(f"insert_many writes qmark parameters, not {dialect.paramstyle}")
    quote = dialect.identifier_preparer.quote
    column_list = ", ".join(quote(table.c[name].name) for name in names)
    marks = ", ".join("?" for _ in names)
    statement = f"INSERT INTO {quote(table.name)} ({column_list}) VALUES ({marks})"

    _check_keys(rows, keys)
    # Column by column: map() runs each column's processor in one C-level loop, which is
    # several times faster than converting row by row in Python.
    columns = [[row[key] for row in rows] for key in keys]
    columns += [[make() for _ in rows] for make in makers]
    pairs = zip(columns, processors, strict=True)
    converted = [_convert(column, process) for column, process in pairs]
    parameters = list(zip(*converted, strict=True))
    connection.exec_driver_sql(statement, parameters)
    log.debug("inserted %d rows into %s", len(rows), table.name)


def _bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """Return the column's bind processor, or the faster one its type offers for bulk work.

    A type of app.db.types may define `bulk_bind_processor(dialect)`, a converter that
    stores the same value as its bind processor. None values never reach either. The
    processor is the dialect's, as a Core INSERT uses: the generic DateTime type has
    none, and the driver then writes 12:00:00 without the .000000 SQLAlchemy writes.
    """
    bulk = getattr(column.type, "bulk_bind_processor", None)
    if bulk is not None:
        return cast(Callable[[Any], Any], bulk(dialect))
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _default_maker(column: Column[Any]) -> Callable[[], Any]:
    default = column.default
    assert default is not None
    if default.is_callable:
        # SQLAlchemy wraps a zero-argument default to take an execution context.
        wrapped = default.arg  # type: ignore[attr-defined]
        return lambda: wrapped(None)
    value = default.arg  # type: ignore[attr-defined]
    return lambda: value


def _check_keys(rows: Sequence[Mapping[str, Any]], keys: list[str]) -> None:
    # Key views compare as sets, in C, so the same keys in another order are equal.
    expected = rows[0].keys()
    for row in rows:
        if row.keys() != expected:
            raise ValueError(f"every row must have the keys {keys}; one has {sorted(row)}")


def _convert(column: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    if process is None:
        return column
    first = column[0]
    if all(map(operator.is_, column, repeat(first))):
        # Every row has the same object, such as the writer's id in updated_by, so it is
        # converted once.
        return [None if first is None else process(first)] * len(column)
    if None in column:
        return [None if value is None else process(value) for value in column]
    return list(map(process, column))
