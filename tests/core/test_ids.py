"""New ids: version 7 UUIDs that sort in the order they were made."""

import uuid

from app.ids import new_id


def test_ids_are_version_7() -> None:
    made = new_id()

    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert uuid.UUID(bytes=made.bytes) == made
    assert uuid.UUID(str(made)).version == 7


def test_ids_sort_in_order_made_and_are_unique() -> None:
    ids = [new_id() for _ in range(20_000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [made.bytes for made in ids] == sorted(made.bytes for made in ids)
