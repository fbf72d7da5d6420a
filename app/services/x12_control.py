"""Interchange control numbers (ISA13) that no two workstations ever issue twice.

A number is the workstation code's index times 10,000 plus a local counter from 1 to
9,999. The index reads the three-character code as a base-31 number over
`numbering.CODE_ALPHABET`, so the largest number is 29,790 * 10,000 + 9,999, which fits
the nine digits of ISA13. The counter is a NumberCounter row, saved with the batch that
uses the number, so a number once used is never issued again, even when the upload fails.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.claims import ClaimBatch
from app.models.system import NumberCounter
from app.services.numbering import CODE_ALPHABET, local_workstation

log = logging.getLogger(__name__)

COUNTER_KIND = "x12_interchange"
NUMBERS_PER_WORKSTATION = 9_999
CODE_LENGTH = 3
_BLOCK = 10_000


def workstation_index(code: str) -> int:
    """Return the code's base-31 value; raises UserError when it cannot number interchanges."""
    # Only three-character codes map one-to-one: "222" and "2222" would both be 0.
    if len(code) != CODE_LENGTH:
        raise _code_error(code)

    index = 0
    for char in code.upper():
        position = CODE_ALPHABET.find(char)
        if position < 0:
            raise _code_error(code)
        index = index * len(CODE_ALPHABET) + position
    return index


def next_interchange_number(session: Session) -> int:
    """Issue this workstation's next interchange control number (1 to 999,999,999).

    Raises UserError when the workstation has used all 9,999 of its numbers. A number
    already on a claim batch (such as one restored from an older backup) is skipped.
    """
    base = workstation_index(local_workstation(session).code) * _BLOCK
    counter = session.get(NumberCounter, COUNTER_KIND)
    if counter is None:
        counter = NumberCounter(kind=COUNTER_KIND, last_value=0)
        session.add(counter)

    while True:
        if counter.last_value >= NUMBERS_PER_WORKSTATION:
            raise UserError(
                "This workstation has used all 9,999 of its X12 interchange control numbers, "
                "so it cannot create more claim files. Create claim files on another "
                "workstation, or ask your ClinicDesk administrator to give this one a new "
                "workstation code."
            )
        counter.last_value += 1
        number = base + counter.last_value
        if not _already_used(session, number):
            break
        log.warning("interchange control number %09d is on a batch already; skipped", number)

    session.flush()
    return number


def format_control_number(number: int) -> str:
    """Return the number as ISA13 carries it: nine digits with leading zeros."""
    return f"{number:09d}"


def _already_used(session: Session, number: int) -> bool:
    query = select(ClaimBatch.id).where(
        ClaimBatch.interchange_control_number == format_control_number(number)
    )
    return session.scalar(query) is not None


def _code_error(code: str) -> UserError:
    return UserError(
        f"The workstation code {code!r} is not three characters from {CODE_ALPHABET}, so "
        "it cannot number claim files. Ask your ClinicDesk administrator to set the "
        "workstation up again."
    )
