"""Human-facing numbers that are unique across workstations without a server.

Each number is this workstation's code plus a local counter, such as `K7Q-000317`, so
two workstations working offline can never issue the same chart or receipt number.
"""

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.system import NumberCounter, Workstation

# Letters and digits that cannot be misread for each other on paper (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_workstation_code() -> str:
    """Return a random three-character workstation code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(3))


def local_workstation(session: Session) -> Workstation:
    """Return this database's own workstation row."""
    workstation = session.scalar(select(Workstation).where(Workstation.is_local.is_(True)))
    if workstation is None:
        raise LookupError("this database has no local workstation row; run 'clinicdesk init'")
    return workstation


def next_number(session: Session, kind: str, width: int = 6) -> str:
    """Issue the next number of `kind` (such as "chart" or "receipt") on this workstation."""
    return next_numbers(session, kind, 1, width)[0]


def next_numbers(session: Session, kind: str, count: int, width: int = 6) -> list[str]:
    """Issue the next `count` numbers of `kind` on this workstation with one counter update.

    The numbers are the ones `count` calls of `next_number` would issue, in order. A
    count of 0 returns an empty list and leaves the counter alone.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    if count == 0:
        return []

    code = local_workstation(session).code
    counter = session.get(NumberCounter, kind)
    if counter is None:
        counter = NumberCounter(kind=kind, last_value=0)
        session.add(counter)
    first = counter.last_value + 1
    counter.last_value += count
    session.flush()
    return [f"{code}-{value:0{width}d}" for value in range(first, first + count)]
