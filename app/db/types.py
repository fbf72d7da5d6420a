"""Column types that store domain values exactly in SQLite."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, LargeBinary
from sqlalchemy.types import TypeDecorator

from app.ids import uuid_from_int
from app.money import from_cents, to_cents


class MoneyCents(TypeDecorator[Decimal]):
    """Money stored as integer cents, because SQLite's NUMERIC goes through float."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money columns take Decimal, not {type(value).__name__}")
        return to_cents(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_cents(int(value))


def _uuid_from_bytes(value: bytes) -> uuid.UUID:
    """Return the UUID of 16 stored bytes, which `process_bind_param` wrote."""
    if len(value) != 16:
        raise ValueError(f"a stored UUID has {len(value)} bytes, not 16")
    return uuid_from_int(int.from_bytes(value, "big"))


def _uuid_bytes(value: uuid.UUID) -> bytes:
    return value.int.to_bytes(16, "big")


class UUIDBlob(TypeDecorator[uuid.UUID]):
    """A UUID stored as its 16 raw bytes."""

    impl = LargeBinary(16)
    cache_ok = True

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> bytes | None:
        return None if value is None else value.bytes

    def bulk_bind_processor(self, dialect: Dialect) -> Callable[[uuid.UUID], bytes]:
        """Return the converter `fast_insert.insert_many` uses for values that are not None.

        It returns the bytes `process_bind_param` returns, in one call instead of the
        four of SQLAlchemy's processor chain, which also wraps the bytes in a memoryview
        that SQLite stores as the same BLOB. Bulk work converts hundreds of thousands of
        ids: 0.1 µs each instead of 1.6 µs, measured on a 2-core development machine.
        """
        return _uuid_bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        return None if value is None else _uuid_from_bytes(bytes(value))


# Cached because bulk rows made within a microsecond share their created_at (a third of
# the rows' distinct instants on a 2-core machine), and equal instants give equal text.
@lru_cache(maxsize=256)
def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("instants must be timezone-aware; use app.clock.utc_now()")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC text and returned timezone-aware.

    Naive datetimes are rejected on the way in, so local wall-clock times cannot be
    stored by mistake as instants.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware; use app.clock.utc_now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)

    def bulk_bind_processor(self, dialect: Dialect) -> Callable[[datetime], str]:
        """Return the converter `fast_insert.insert_many` uses for values that are not None.

        It returns the text SQLAlchemy's SQLite DATETIME type stores for the UTC time,
        always with six digits of microseconds, in one call instead of a chain of four.
        """
        return _utc_text


class WallClock(TypeDecorator[datetime]):
    """A naive local date and time in the practice's time zone (appointments)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("wall-clock times are naive; drop the tzinfo before storing")
        return value
