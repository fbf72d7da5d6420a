"""Primary keys: UUIDv7 made on the workstation, with a distinct type per table."""

import uuid
from typing import NewType

import uuid6

PracticeId = NewType("PracticeId", uuid.UUID)
LocationId = NewType("LocationId", uuid.UUID)
RoomId = NewType("RoomId", uuid.UUID)
ProviderId = NewType("ProviderId", uuid.UUID)
PayerId = NewType("PayerId", uuid.UUID)
UserId = NewType("UserId", uuid.UUID)
PatientId = NewType("PatientId", uuid.UUID)
CoverageId = NewType("CoverageId", uuid.UUID)
AppointmentId = NewType("AppointmentId", uuid.UUID)
LedgerEntryId = NewType("LedgerEntryId", uuid.UUID)


def new_id() -> uuid.UUID:
    """Return a new time-ordered UUIDv7 (RFC 9562), so index inserts stay local."""
    value: uuid.UUID = uuid6.uuid7()
    return uuid.UUID(bytes=value.bytes)
