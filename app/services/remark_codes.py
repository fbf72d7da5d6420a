"""The wording of claim adjustment reason codes (CARC) and remittance advice remark codes (RARC).

X12 maintains the CARC list and CMS the RARC list. Both publish the wording under terms
that do not let ClinicDesk ship it. ClinicDesk therefore stores code values only, and a
practice imports the wording from a file it downloads: a CSV with the code in the first
column and its description in the second. A first row whose code cell is not a code (such as "Code")
is taken for a header. Importing a list replaces every stored code of that kind, so a
code the committee retired disappears with the next import.

The whole file is checked before anything is written, so a rejected file leaves the
stored wording as it was.
"""

import codecs
import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.models.payments import RemarkCode
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

CARC = "carc"
RARC = "rarc"
KIND_LABELS = {
    CARC: "claim adjustment reason codes (CARC)",
    RARC: "remittance advice remark codes (RARC)",
}
OBJECT_TYPE = "remark_codes"
SOURCE_MAX_LENGTH = 200
# CARCs have 1 to 3 characters (45, B7, P14) and RARCs up to 5 (N130, MA01). The column
# is 6 wide, so a longer value cannot be a code of either list.
CODE_MAX_LENGTH = 6
_CODE = re.compile(r"[0-9A-Z]{1,6}")
# More findings than this are summarized: a wrong file fails on nearly every line.
MAX_LINE_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class RemarkCodeList:
    """The stored list of one kind: its code count and the file it came from."""

    kind: str
    label: str
    code_count: int
    source: str


def _decode(data: bytes) -> str:
    # Excel's "Unicode text" export is UTF-16 with a byte order mark. Read as UTF-8 or
    # cp1252, every other byte is a NUL and no line contains a code.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    # Spreadsheet programs on Windows save CSV files in cp1252 by default, and a
    # description with a curly quote then fails to decode as UTF-8.
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            [Problem("file", f"{path} could not be read ({exc.strerror}); choose another file.")]
        ) from exc


def _row_problem(line_number: int, message: str) -> Problem:
    return Problem("file", f"Line {line_number}: {message}")


def _parse_row(line_number: int, row: list[str]) -> tuple[str, str] | Problem:
    cells = [cell.strip() for cell in row]
    code = cells[0].upper() if cells else ""
    description = " ".join(cells[1].split()) if len(cells) > 1 else ""
    if _CODE.fullmatch(code) is None:
        return _row_problem(
            line_number,
            f"{v.echo_for_message(code) or '(blank)'} in the first column is not a code "
            "(1 to 6 letters or digits, such as 45, B7 or N130).",
        )
    if not description:
        return _row_problem(
            line_number,
            f"code {code} has no description in the second column; the file must have two "
            "columns, code and description.",
        )
    return code, description


def _is_header(row: list[str]) -> bool:
    first = row[0].strip().upper() if row else ""
    return _CODE.fullmatch(first) is None or first in {"CODE", "CODES", "CARC", "RARC"}


def parse_remark_file(data: bytes, file_name: str) -> dict[str, str]:
    """Read every (code, description) row of a CSV; raise ValidationError naming each bad line."""
    text = _decode(data)
    rows = _csv_rows(text, file_name)
    codes: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[Problem] = []
    first_row = True
    for line_number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if first_row:
            first_row = False
            if _is_header(row):
                continue
        parsed = _parse_row(line_number, row)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        code, description = parsed
        if code in codes:
            problems.append(
                _row_problem(
                    line_number,
                    f"code {code} is already on line {first_line[code]}; each code may "
                    "appear once.",
                )
            )
            continue
        first_line[code] = line_number
        codes[code] = description

    if not codes and not problems:
        problems.append(
            Problem(
                "file",
                f"{file_name} contains no codes; choose a CSV file with the code in the first "
                "column and its description in the second.",
            )
        )
    if len(problems) > MAX_LINE_PROBLEMS:
        hidden = len(problems) - MAX_LINE_PROBLEMS
        problems = [
            *problems[:MAX_LINE_PROBLEMS],
            Problem("file", f"{hidden} more lines have problems; check that this is the list."),
        ]
    if problems:
        raise ValidationError(problems)
    return codes


def _delimiter(text: str) -> str:
    # Excel's "Unicode text" export separates the columns with tabs; a line with a tab
    # and no comma is read that way, so such a file imports as saved.
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first and "," not in first else ","


def _csv_rows(text: str, file_name: str) -> list[list[str]]:
    """Return the CSV's rows; raise ValidationError naming the line a CSV reader cannot read.

    The reader is strict, so a quote left open does not swallow the lines after it into
    one description, and a cell past the reader's size limit is a problem, not a crash.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise ValidationError(
            [
                _row_problem(
                    reader.line_num,
                    f"{file_name} stops being readable as CSV here; check this line and "
                    "the ones above it for a quote that is not closed or a cell of more "
                    "than 131,072 characters (the CSV reader's limit), or save the list "
                    "again as CSV.",
                )
            ]
        ) from exc


def _source(path: Path, data: bytes) -> str:
    suffix = f" sha256:{hashlib.sha256(data).hexdigest()}"
    return v.shorten_for_message(path.name, SOURCE_MAX_LENGTH - len(suffix)) + suffix


def _kind_problems(kind: str) -> list[Problem]:
    if kind in KIND_LABELS:
        return []
    return [
        Problem(
            "kind",
            f"List kind {v.echo_for_message(kind) or '(blank)'} is not known; choose carc "
            "(adjustment reason codes) or rarc (remark codes).",
        )
    ]


def import_remark_codes(session: Session, actor: Actor, path: Path, kind: str) -> Changes:
    """Replace the stored wording of every `kind` code ("carc" or "rarc") with the file's.

    Raises ValidationError listing every problem with the kind or the file's lines;
    nothing is written then.
    """
    require(actor, Permission.CODE_SET_EDIT)
    problems = _kind_problems(kind)
    data = b""
    codes: dict[str, str] = {}
    try:
        data = _read_bytes(path)
        codes = parse_remark_file(data, path.name)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)

    source = _source(path, data)
    removed = session.scalar(
        select(func.count()).select_from(RemarkCode).where(RemarkCode.kind == kind)
    )
    session.execute(delete(RemarkCode).where(RemarkCode.kind == kind))
    session.execute(
        insert(RemarkCode),
        [
            {"kind": kind, "code": code, "description": description, "source": source}
            for code, description in codes.items()
        ],
    )
    session.flush()
    audit.record(
        session, actor, AuditAction.IMPORT, OBJECT_TYPE, kind,
        detail=f"{len(codes)} codes replaced {removed}",
    )  # fmt: skip
    log.info("imported %d %s codes, replacing %d", len(codes), kind, removed)
    return Changes.of(ChangeKind.CODE_SETS)


def describe(session: Session, kind: str, code: str) -> str | None:
    """Return the imported wording of a code, or None when none was imported for it."""
    return session.scalar(
        select(RemarkCode.description).where(
            RemarkCode.kind == kind, RemarkCode.code == code.strip().upper()
        )
    )


def describe_many(session: Session, kind: str, codes: set[str]) -> dict[str, str]:
    """Return the imported wording of each code that has one, for screens that list many."""
    wanted = {code.strip().upper() for code in codes if code.strip()}
    if not wanted:
        return {}
    rows = session.execute(
        select(RemarkCode.code, RemarkCode.description).where(
            RemarkCode.kind == kind, RemarkCode.code.in_(wanted)
        )
    )
    return {row.code: row.description for row in rows}


def remark_code_lists(session: Session, actor: Actor) -> list[RemarkCodeList]:
    """Return how many codes of each kind are stored and the file they came from."""
    require(actor, Permission.CODE_SET_EDIT)
    rows = session.execute(
        select(RemarkCode.kind, func.count(), func.max(RemarkCode.source)).group_by(RemarkCode.kind)
    )
    stored = {row[0]: (int(row[1]), str(row[2] or "")) for row in rows}
    return [
        RemarkCodeList(kind, label, *stored.get(kind, (0, "")))
        for kind, label in KIND_LABELS.items()
    ]
