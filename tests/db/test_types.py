"""Column types: ids read back from the database are ordinary UUIDs."""

import pickle
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from app.db.types import UUIDBlob

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
