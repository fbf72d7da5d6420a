"""Column types: ids read back from the database are ordinary UUIDs."""

import pickle
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from app.db.types import UTCDateTime, UUIDBlob

DIALECT = sqlite.dialect()


@given(st.uuids())
def test_read_uuid_equals_checked_constructor(value: uuid.UUID) -> None:
    read = UUIDBlob().process_result_value(value.bytes, DIALECT)

    assert read == value
    assert hash(read) == hash(value)
    assert str(read) == str(value)
    assert read is not None
    assert read.version == value.version
    assert read.is_safe is uuid.SafeUUID.unknown
    assert pickle.loads(pickle.dumps(read)) == value  # noqa: S301 (our own bytes)


def test_read_uuid_from_memoryview() -> None:
    value = uuid.uuid4()

    assert UUIDBlob().process_result_value(memoryview(value.bytes), DIALECT) == value


def test_read_uuid_of_wrong_length_rejected() -> None:
    with pytest.raises(ValueError, match="has 15 bytes, not 16"):
        UUIDBlob().process_result_value(b"x" * 15, DIALECT)


@given(st.uuids())
def test_bulk_uuid_bytes_match_bind(value: uuid.UUID) -> None:
    column_type = UUIDBlob()
    bound = column_type.process_bind_param(value, DIALECT)

    assert column_type.bulk_bind_processor(DIALECT)(value) == bound


# Hypothesis takes naive bounds and adds the time zones itself.
EARLIEST = datetime(1900, 1, 2)  # noqa: DTZ001 (a bound for generated instants)
LATEST = datetime(9999, 12, 30)  # noqa: DTZ001 (a bound for generated instants)


@given(
    st.datetimes(
        min_value=EARLIEST,
        max_value=LATEST,
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
    )
)
def test_bulk_instant_text_matches_bind(value: datetime) -> None:
    column_type = UTCDateTime()
    bound = column_type.dialect_impl(DIALECT).bind_processor(DIALECT)

    assert column_type.bulk_bind_processor(DIALECT)(value) == bound(value)


def test_bulk_instant_keeps_zero_microseconds() -> None:
    value = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    assert UTCDateTime().bulk_bind_processor(DIALECT)(value) == "2026-12-01 09:30:00.000000"


def test_bulk_naive_instant_rejected() -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        UTCDateTime().bulk_bind_processor(DIALECT)(EARLIEST)
