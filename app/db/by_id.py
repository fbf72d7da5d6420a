"""Loading many ORM objects by primary key, taking the ones already in the session.

`Session.get` returns an object already in the session without a query, but runs one
query for each object that is not. Bulk work (posting an 835 of thousands of claims) loads
the same claims in several steps, so `objects_by_id` takes what the session already
contains and loads only the rest, 500 ids per query.
"""

import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import SyncedMixin

# Ids per IN (...) query, well under SQLite's limit on bound parameters.
IN_CHUNK = 500

M = TypeVar("M", bound=SyncedMixin)


def objects_by_id(session: Session, model: type[M], ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, M]:
    """Return the objects of `model` found for `ids`, by id.

    Ids with no row are left out. Objects already in the session are returned as they are,
    with their pending changes, as `Session.get` returns them.
    """
    found: dict[uuid.UUID, M] = {}
    missing: list[uuid.UUID] = []
    for object_id in dict.fromkeys(ids):
        held = session.identity_map.get(Session.identity_key(model, object_id))
        if held is not None:
            found[object_id] = held
        else:
            missing.append(object_id)
    for start in range(0, len(missing), IN_CHUNK):
        part = missing[start : start + IN_CHUNK]
        for loaded in session.scalars(select(model).where(model.id.in_(part))):
            found[loaded.id] = loaded
    return found
