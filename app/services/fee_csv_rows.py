"""Reading a fee schedule CSV file and checking each row without the database.

The file has the columns code, description and fee, and optionally modifier, units,
requires_ndc and kind, in any order and any letter case. Encodings and delimiters are
detected as for patient imports (app/services/csv_reading.py). Row numbers are what a
spreadsheet shows: the header is row 1, and blank lines count but are skipped.
"""

import csv
import io
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from app import validators as v
from app.csv_safety import FORMULA_PREFIXES
from app.errors import UserError
from app.services.csv_reading import decode_text, detect_delimiter, unique_headers
from app.services.fee_schedules import amount_problems, modifier_format_problems
from app.services.procedure_codes import (
    DESCRIPTION_MAX_LENGTH,
    MAX_DEFAULT_UNITS,
    code_shape_problems,
    infer_kind,
    normalize_procedure_code,
    parse_kind,
)

log = logging.getLogger(__name__)

COLUMNS = ("code", "description", "fee", "modifier", "units", "requires_ndc", "kind")
REQUIRED_COLUMNS = ("code", "description", "fee")
# Other header spellings practices' spreadsheets use for the same columns.
COLUMN_ALIASES = {
    "procedure_code": "code",
    "amount": "fee",
    "price": "fee",
    "charge": "fee",
    "mod": "modifier",
    "default_units": "units",
    "ndc": "requires_ndc",
    "ndc_required": "requires_ndc",
}
# An estimate: every CPT and HCPCS code with a label is about 17,000 rows and under 2 MB,
# so a larger file is most likely not a fee schedule.
MAX_FILE_BYTES = 16 * 1024 * 1024
SNIFF_CHARACTERS = 64 * 1024
FIRST_DATA_ROW = 2
YES = frozenset({"yes", "y", "true", "1", "x"})
NO = frozenset({"no", "n", "false", "0", ""})


class FeeFileError(UserError):
    """A file that cannot be read as a fee schedule; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem with one cell: where it is, the value found, and how to fix it."""

    row_number: int
    column: str
    value: str
    message: str

    @property
    def text(self) -> str:
        """The problem as one line, such as "Row 4, column fee: …"."""
        return f"Row {self.row_number}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data row as read and checked on its own; values are normalized where valid."""

    row_number: int
    code: str
    modifier: str
    description: str
    amount: Decimal | None
    units: int
    requires_ndc: bool
    kind: str
    problems: tuple[RowProblem, ...]


@dataclass(frozen=True, slots=True)
class FeeFile:
    """A fee file as read: how it was decoded, its rows, and the columns it ignores."""

    path: Path
    encoding: str
    delimiter: str
    rows: tuple[ParsedRow, ...]
    ignored_columns: tuple[str, ...]


def _column_key(header: str) -> str:
    key = "_".join(header.strip().strip("\ufeff").casefold().replace("-", " ").split())
    return COLUMN_ALIASES.get(key, key)


def _read_text(path: Path) -> tuple[str, str]:
    if not path.is_file():
        raise FeeFileError(f"The file {path} does not exist or is a folder. Choose the CSV file.")
    size = path.stat().st_size
    if size == 0:
        raise FeeFileError(f"The file {path} is empty (0 bytes). Export the fee schedule again.")
    if size > MAX_FILE_BYTES:
        raise FeeFileError(
            f"The file {path} has {size:,} bytes, more than the {MAX_FILE_BYTES:,} a fee "
            "schedule import reads. Split it into smaller files and import each into the "
            "same schedule."
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FeeFileError(
            f"The file {path} could not be read ({error.strerror}). Close it in other "
            "programs and check that you may read it."
        ) from error
    text, encoding = decode_text(raw, path)
    if not text.strip():
        raise FeeFileError(f"The file {path} contains no text. Export the fee schedule again.")
    return text, encoding


def _columns(path: Path, header_row: list[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    headers = unique_headers(header_row)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = _column_key(header)
        if key in COLUMNS and key not in positions:
            positions[key] = index
        else:
            ignored.append(header)
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        found = ", ".join(headers) or "none"
        raise FeeFileError(
            f"The file {path} has no {' or '.join(missing)} column (its columns: {found}). "
            f"Name the first row's columns {', '.join(COLUMNS)}; the last four are optional."
        )
    return positions, tuple(ignored)


def read_fee_file(path: Path) -> FeeFile:
    """Read and check every row of a fee file; raise FeeFileError when it cannot be read."""
    text, encoding = _read_text(path)
    delimiter = detect_delimiter(text[:SNIFF_CHARACTERS])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Rows are numbered by record, as a spreadsheet numbers them, so a quoted value that
    # spans lines still counts as one row.
    records = enumerate(reader, start=1)
    rows: list[ParsedRow] = []
    try:
        header_row: list[str] = []
        for _number, cells in records:
            if any(cell.strip() for cell in cells):
                header_row = cells
                break
        if not header_row:
            raise FeeFileError(f"The file {path} contains only blank lines. Export it again.")
        positions, ignored = _columns(path, header_row)
        for row_number, cells in records:
            if any(cell.strip() for cell in cells):
                rows.append(_parse_row(row_number, cells, positions, len(header_row)))
    except csv.Error as error:
        raise FeeFileError(
            f"The file {path} is not valid CSV near line {reader.line_num}: {error}. Open it in "
            "a spreadsheet, save it again as CSV and retry."
        ) from error
    log.info("read fee file: %d rows, encoding %s", len(rows), encoding)
    return FeeFile(path, encoding, delimiter, tuple(rows), ignored)


def _unescape(cell: str) -> str:
    """Undo the apostrophe that exports put before a cell that could run as a formula."""
    text = cell.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


class _RowChecker:
    """Collects the values and problems of one row."""

    def __init__(self, row_number: int, cells: list[str], positions: dict[str, int]) -> None:
        self.row_number = row_number
        self.cells = cells
        self.positions = positions
        self.problems: list[RowProblem] = []

    def value(self, column: str) -> str:
        index = self.positions.get(column)
        if index is None or index >= len(self.cells):
            return ""
        return _unescape(self.cells[index])

    def add(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.row_number, column, self.value(column), message))

    def code_and_kind(self) -> tuple[str, str]:
        code = normalize_procedure_code(self.value("code"))
        kind_text = self.value("kind")
        kind = parse_kind(kind_text) if kind_text else None
        if kind_text and kind is None:
            self.add(
                "kind",
                f"{v.echo_for_message(kind_text)} is not a kind; write cpt, hcpcs or practice, "
                "or leave it blank to tell from the code.",
            )
        for problem in code_shape_problems(code, kind, "code"):
            self.add("code", problem.message)
        return code, (kind or infer_kind(code)).value

    def description(self) -> str:
        text = self.value("description")
        for problem in v.text_problems(
            text, "description", "Description", DESCRIPTION_MAX_LENGTH, required=False
        ):
            self.add("description", problem.message)
        return text

    def units(self) -> int:
        text = self.value("units")
        if not text:
            return 1
        if not v.is_ascii_digits(text) or not 1 <= int(text) <= MAX_DEFAULT_UNITS:
            self.add(
                "units",
                f"{v.echo_for_message(text)} is not a number of units; write a whole number "
                f"from 1 to {MAX_DEFAULT_UNITS}, or leave it blank for 1.",
            )
            return 1
        return int(text)

    def requires_ndc(self) -> bool:
        text = self.value("requires_ndc").casefold()
        if text in YES:
            return True
        if text not in NO:
            self.add(
                "requires_ndc",
                f"{v.echo_for_message(text)} is not yes or no; write yes for a drug code "
                "that needs an NDC, otherwise no or blank.",
            )
        return False


def _parse_row(
    row_number: int, cells: list[str], positions: dict[str, int], width: int
) -> ParsedRow:
    checker = _RowChecker(row_number, cells, positions)
    if len(cells) != width:
        checker.problems.append(
            RowProblem(
                row_number,
                "(row)",
                "",
                f"the row has {len(cells)} fields but the header has {width}; check for a "
                "missing or extra delimiter, or quote values that contain one.",
            )
        )
    code, kind = checker.code_and_kind()
    modifier = checker.value("modifier").upper()
    for problem in modifier_format_problems(modifier, "modifier"):
        checker.add("modifier", problem.message)
    amount, found = amount_problems(checker.value("fee"), "fee")
    for problem in found:
        checker.add("fee", problem.message)
    return ParsedRow(
        row_number=row_number,
        code=code,
        modifier=modifier,
        description=checker.description(),
        amount=amount,
        units=checker.units(),
        requires_ndc=checker.requires_ndc(),
        kind=kind,
        problems=tuple(checker.problems),
    )
