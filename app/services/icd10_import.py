"""Import of an ICD-10-CM edition from the CDC "order" file, and the list of editions.

The CDC publishes each edition as icd10cm_order_YYYY.txt, one code a line in fixed
columns (1-based):

    1-5    order number, zero-padded digits
    7-13   code without the dot, left-justified and padded with spaces
    15     1 when the code is billable, 0 for a header (category or subcategory)
    17-76  short description, padded to 60 characters
    78-    long description

Columns 6, 14, 16 and 77 are spaces. The whole file is checked before anything is written,
so a rejected file leaves the database as it was.
"""

import codecs
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.models.charges import IcdCode, IcdEdition
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.icd10 import (
    BUNDLED_EDITION,
    BUNDLED_SOURCE,
    BUNDLED_VALID_FROM,
    BUNDLED_VALID_TO,
    load_bundled_edition,
)

log = logging.getLogger(__name__)

OBJECT_TYPE = "icd10_edition"
NAME_MAX_LENGTH = 20
SOURCE_MAX_LENGTH = 200
# More findings than this are summarized: a wrong file fails on nearly every line.
MAX_LINE_PROBLEMS = 20
_CODE = re.compile(r"[A-Z][0-9A-Z]{2,6}")
_LONG_DESCRIPTION_START = 77  # 0-based index of column 78


@dataclass(frozen=True, slots=True)
class OrderFileCode:
    """One code read from an order file."""

    line_number: int
    code: str
    billable: bool
    description: str


@dataclass(frozen=True, slots=True)
class EditionSummary:
    """An edition as the Code sets screen lists it; `bundled` marks the packaged one."""

    name: str
    valid_from: date
    valid_to: date
    code_count: int
    source: str
    bundled: bool


def _line_problem(line_number: int, message: str) -> Problem:
    return Problem("file", f"Line {line_number}: {message}")


def _layout_error(line: str) -> str | None:
    """Return what breaks the fixed-column layout of a line, or None."""
    if len(line) <= _LONG_DESCRIPTION_START:
        return (
            f"the line has {len(line)} characters but the long description starts at column "
            f"{_LONG_DESCRIPTION_START + 1}; choose the CDC order file (icd10cm_order_YYYY.txt)."
        )
    order_number = line[0:5]
    if not (order_number.isascii() and order_number.isdigit()):
        return (
            f"columns 1-5 contain {v.echo_for_message(order_number)} instead of an order number; "
            "choose the CDC order file."
        )
    if any(line[index] != " " for index in (5, 13, 15, _LONG_DESCRIPTION_START - 1)):
        return (
            "columns 6, 14, 16 and 77 must be spaces; the file is not in the CDC order-file "
            "layout, or its lines were edited."
        )
    return None


def _field_error(code: str, flag: str, description: str) -> str | None:
    """Return what is wrong with the code, billable flag or description of a line, or None."""
    if _CODE.fullmatch(code) is None:
        return (
            f"{v.echo_for_message(code) or '(blank)'} in columns 7-13 is not an ICD-10-CM code "
            "(a letter and 2 to 6 letters or digits, no dot)."
        )
    if flag not in ("0", "1"):
        return (
            f"column 15 contains {v.echo_for_message(flag)}; it must be 1 (billable) or 0 (header)."
        )
    if not description:
        return f"code {code} has no long description."
    return None


def _parse_line(line_number: int, line: str) -> OrderFileCode | Problem:
    error = _layout_error(line)
    if error is not None:
        return _line_problem(line_number, error)
    code = line[6:13].rstrip()
    flag = line[14]
    description = line[_LONG_DESCRIPTION_START:].strip()
    error = _field_error(code, flag, description)
    if error is not None:
        return _line_problem(line_number, error)
    return OrderFileCode(line_number, code, flag == "1", description)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            [Problem("file", f"{path} could not be read ({exc.strerror}); choose another file.")]
        ) from exc


def parse_order_file(data: bytes, file_name: str) -> list[OrderFileCode]:
    """Read every code of a CDC order file; raise ValidationError naming each bad line.

    A UTF-8 byte order mark, which editors such as Notepad may add when the file is saved
    again, is ignored.
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    codes: list[OrderFileCode] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line_number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(
                _line_problem(
                    line_number, "the line is not UTF-8 or ASCII text; choose the CDC file."
                )
            )
            continue
        if not line.strip():
            continue
        parsed = _parse_line(line_number, line)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        elif parsed.code in first_line:
            problems.append(
                _line_problem(
                    line_number,
                    f"code {parsed.code} is already on line {first_line[parsed.code]}; "
                    "each code may appear once.",
                )
            )
        else:
            first_line[parsed.code] = line_number
            codes.append(parsed)

    if not codes and not problems:
        problems.append(
            Problem("file", f"{file_name} contains no codes; choose the CDC order file.")
        )
    if len(problems) > MAX_LINE_PROBLEMS:
        hidden = len(problems) - MAX_LINE_PROBLEMS
        problems = [
            *problems[:MAX_LINE_PROBLEMS],
            Problem("file", f"{hidden} more lines have problems; check that this is the CDC file."),
        ]
    if problems:
        raise ValidationError(problems)
    return codes


def _source(path: Path, data_hash: str) -> str:
    suffix = f" sha256:{data_hash}"
    return v.shorten_for_message(path.name, SOURCE_MAX_LENGTH - len(suffix)) + suffix


def _edition_problems(
    session: Session, name: str, valid_from: date | None, valid_to: date | None
) -> list[Problem]:
    problems = v.text_problems(name, "name", "Edition name", NAME_MAX_LENGTH)
    # Names are compared ignoring case, so FY2027 and fy2027 cannot both name an edition.
    taken = session.scalar(
        select(func.count())
        .select_from(IcdEdition)
        .where(func.upper(IcdEdition.name) == name.strip().upper())
    )
    if name.strip() and (taken or name.strip().upper() == BUNDLED_EDITION.upper()):
        problems.append(
            Problem(
                "name",
                f"An ICD-10-CM edition named {v.echo_for_message(name.strip())} already "
                "exists; choose another name, such as FY2027 or FY2027-April.",
            )
        )
    if valid_from is None:
        problems.append(Problem("valid_from", "The first valid date is missing; enter it."))
    if valid_to is None:
        problems.append(Problem("valid_to", "The last valid date is missing; enter it."))
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        problems.append(
            Problem(
                "valid_to",
                f"The last valid date {valid_to.isoformat()} is before the first "
                f"{valid_from.isoformat()}; an edition usually runs October 1 to September 30.",
            )
        )
    return problems


def import_icd_edition(  # noqa: PLR0917 (the documented signature the Code sets screen calls)
    session: Session,
    actor: Actor,
    path: Path,
    name: str,
    valid_from: date | None,
    valid_to: date | None,
) -> Changes:
    """Import a CDC order file as a new edition valid from `valid_from` to `valid_to`.

    Raises ValidationError listing every problem with the name, the dates or the file's
    lines; nothing is written then.
    """
    # NOTE: a full edition (about 98,000 codes) took 7 s to write on a busy 2-vCPU machine,
    # and other saves wait for it up to the database's busy timeout (5 s) before failing.
    require(actor, Permission.CODE_SET_EDIT)
    problems = _edition_problems(session, name, valid_from, valid_to)
    codes: list[OrderFileCode] = []
    data = b""
    try:
        data = _read_bytes(path)
        codes = parse_order_file(data, path.name)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    assert valid_from is not None and valid_to is not None

    data_hash = hashlib.sha256(data).hexdigest()
    edition = IcdEdition(
        name=name.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        source=_source(path, data_hash),
        code_count=len(codes),
        updated_by=actor.user_id,
    )
    session.add(edition)
    session.flush()
    session.execute(
        insert(IcdCode),
        [
            {
                "edition_id": edition.id,
                "code": row.code,
                "billable": row.billable,
                "description": row.description,
            }
            for row in codes
        ],
    )
    audit.record(
        session, actor, AuditAction.IMPORT, OBJECT_TYPE, edition.id,
        detail=f"{len(codes)} codes, valid {valid_from.isoformat()} to {valid_to.isoformat()}",
    )  # fmt: skip
    log.info("imported ICD-10-CM edition %s: %d codes", edition.id, len(codes))
    return Changes.of(ChangeKind.CODE_SETS)


def list_editions(session: Session, actor: Actor) -> list[EditionSummary]:
    """Return the bundled edition and every imported one, newest first."""
    require(actor, Permission.CODE_SET_EDIT)
    rows = session.scalars(select(IcdEdition).where(IcdEdition.archived.is_(False)))
    editions = [
        EditionSummary(row.name, row.valid_from, row.valid_to, row.code_count, row.source, False)
        for row in rows
    ]
    editions.append(
        EditionSummary(
            BUNDLED_EDITION,
            BUNDLED_VALID_FROM,
            BUNDLED_VALID_TO,
            len(load_bundled_edition()),
            BUNDLED_SOURCE,
            True,
        )
    )
    return sorted(editions, key=lambda edition: (edition.valid_from, edition.name), reverse=True)
