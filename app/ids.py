"""Primary keys: UUIDv7 made on the workstation, with a distinct type per table."""

import os
import random
import time
import uuid
from typing import NewType

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


# Ids must be unique, not secret, so a generator seeded from the operating system's
# randomness serves. Reading the system's random source for every id (as the uuid6
# package does) cost about 5% of building 5,000 claims.
_random = random.Random(os.urandom(32))  # noqa: S311 (unique, not secret)
_RANDOM_BITS = 76
_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_RANDOM_HIGH = ((1 << 12) - 1) << 64  # rand_a, the 12 bits after the version
_RANDOM_LOW = (1 << 62) - 1  # rand_b, the 62 bits after the variant


class _Clock:
    """The last millisecond used, so ids made in one millisecond still sort in order."""

    last_ms = 0


def new_id() -> uuid.UUID:
    """Return a new time-ordered UUIDv7 (RFC 9562), so index inserts stay local.

    An id made in the same millisecond as the previous one takes the next millisecond,
    as the uuid6 package does, so ids sort in the order they were made.
    """
    now_ms = time.time_ns() // 1_000_000
    if now_ms <= _Clock.last_ms:
        now_ms = _Clock.last_ms + 1
    _Clock.last_ms = now_ms
    bits = _random.getrandbits(_RANDOM_BITS)
    value = (now_ms & 0xFFFFFFFFFFFF) << 80 | _VERSION_7 | _VARIANT_RFC
    value |= (bits << 2) & _RANDOM_HIGH | bits & _RANDOM_LOW
    return uuid_from_int(value)


_new_object = object.__new__
_set_field = object.__setattr__


def uuid_from_int(value: int) -> uuid.UUID:
    """Return the UUID of a 128-bit integer, without uuid.UUID's argument checks.

    New ids and every id read from the database are built here, hundreds of thousands in
    bulk work, and the checks cost more than half of each. The fields set are those of
    CPython's UUID (an int and is_safe); tests compare the result with the constructor.
    """
    made = _new_object(uuid.UUID)
    _set_field(made, "int", value)
    _set_field(made, "is_safe", uuid.SafeUUID.unknown)
    return made
