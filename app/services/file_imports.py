"""Importing downloaded files one at a time, so one bad file never stops the others.

Fetching from a clearinghouse inbox imports several files in one unit of work. Each file
goes in its own savepoint: a file imported before is skipped, and a file that fails is
rolled back and reported by name while the rest are kept.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.errors import UserError
from app.services.x12_responses import AlreadyImportedError

log = logging.getLogger(__name__)

T = TypeVar("T")


def import_in_savepoint(
    session: Session,
    file_name: str,
    run: Callable[[], T],
    failed: Callable[[str, str], T],
    what: str,
) -> T | None:
    """Run `run` in a savepoint and return its result; None for a file imported before.

    A UserError or an unexpected error rolls the savepoint back and returns
    `failed(file_name, message)`. `what` names the kind of file in the log ("response",
    "remittance"), never its content.
    """
    savepoint = session.begin_nested()
    try:
        result = run()
    except AlreadyImportedError:
        savepoint.rollback()
        log.info("skipped a downloaded %s file imported before under another name", what)
        return None
    except UserError as error:
        savepoint.rollback()
        log.warning("%s file import failed: %s", what, type(error).__name__)
        return failed(file_name, str(error))
    except Exception as error:  # one unreadable file must not stop the others
        savepoint.rollback()
        log.exception("%s file import failed unexpectedly", what)
        return failed(
            file_name,
            f"{file_name} could not be imported ({type(error).__name__}). The other files "
            "were imported; report this file to ClinicDesk support.",
        )
    savepoint.commit()
    return result
