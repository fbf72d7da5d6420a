"""Read a CSV file exported by another practice system: encoding, delimiter, header, rows.

Old systems and spreadsheets write CSV in several ways, so the reader detects them
instead of asking. The encodings are UTF-8 with or without a byte order mark, UTF-16
with a byte order mark (Excel's "Unicode Text") and otherwise Windows-1252 (cp1252),
which most US Windows programs write. The delimiters are comma, semicolon, tab and
pipe. Rows whose field count differs from the header's are kept aside with their row
numbers rather than failing the whole file.
Row numbers are what a spreadsheet shows: the header is row 1, the first patient row 2.
"""

import codecs
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import UserError

log = logging.getLogger(__name__)

# Larger exports are better split: the whole file is held in memory while it is checked.
MAX_FILE_BYTES = 64 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
FIRST_DATA_ROW = 2


class CsvReadError(UserError):
    """A file that cannot be read as CSV; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class RaggedRow:
    """A row whose number of fields differs from the header's."""

    row_number: int
    field_count: int


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A CSV file as read: its headers, data rows and how it was decoded.

    `rows` contains every data row with exactly one value per header, numbered from
    FIRST_DATA_ROW in `row_numbers`. Rows with a different field count are left out of
    `rows` and listed in `ragged_rows`. `complete` is False when `max_rows` stopped the
    reading early, so the file has more rows than `rows` holds.
    """

    path: Path
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_numbers: tuple[int, ...]
    ragged_rows: tuple[RaggedRow, ...] = field(default=())
    complete: bool = True

    @property
    def delimiter_name(self) -> str:
        """The delimiter in words, such as "semicolon"."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def sample_values(self, header: str, count: int = 3) -> list[str]:
        """Return up to `count` non-empty values of the column `header`, top to bottom."""
        index = self.headers.index(header)
        samples = [row[index].strip() for row in self.rows if row[index].strip()]
        return samples[:count]


def read_csv_preview(path: Path, max_rows: int | None = None) -> CsvFile:
    """Read `path` as CSV; `max_rows` stops after that many data rows (None reads all).

    Raises CsvReadError for a missing, empty, binary or header-less file.
    """
    raw = _read_bytes(path)
    text, encoding = decode_text(raw, path)
    if not text.strip():
        raise CsvReadError(
            f"The file {path} contains no text. Export the patients again from the old "
            "system and choose the CSV format."
        )

    text, declared = _declared_delimiter(text)
    delimiter = declared or detect_delimiter(text[:SNIFF_BYTES])
    csv_file = _parse(path, text, encoding, delimiter, max_rows)
    log.info(
        "read CSV file: %d data rows, %d ragged, %d columns, encoding %s, delimiter %s",
        len(csv_file.rows),
        len(csv_file.ragged_rows),
        len(csv_file.headers),
        encoding,
        csv_file.delimiter_name,
    )
    return csv_file


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise CsvReadError(f"The file {path} does not exist. Check the folder and file name.")
    if not path.is_file():
        raise CsvReadError(f"{path} is a folder, not a file. Choose the CSV file inside it.")

    size = path.stat().st_size
    if size == 0:
        raise CsvReadError(
            f"The file {path} is empty (0 bytes). Export the patients again from the old "
            "system and choose the CSV format."
        )
    if size > MAX_FILE_BYTES:
        raise CsvReadError(
            f"The file {path} has {size:,} bytes, more than the {MAX_FILE_BYTES:,} one import "
            "reads. Split it into smaller files and import each of them."
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CsvReadError(
            f"The file {path} could not be read ({exc.strerror}). Check that it is not open "
            "in another program and that you may read it."
        ) from exc


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Return the text of `raw` and the name of the encoding that decoded it."""
    if raw.startswith(codecs.BOM_UTF8):
        return _decode(raw, "utf-8-sig", path), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(raw, "utf-16", path), "utf-16"
    if b"\x00" in raw[:SNIFF_BYTES]:
        raise CsvReadError(
            f"The file {path} is not a text file (it contains NUL bytes), so it is not a CSV "
            "export. A spreadsheet file (.xlsx) must be saved as CSV first."
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decode(raw, "cp1252", path), "cp1252"


def _decode(raw: bytes, encoding: str, path: Path) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CsvReadError(
            f"The file {path} is not readable text: byte {exc.start:,} is not valid "
            f"{encoding}. Save it again as CSV UTF-8 from the old system or the spreadsheet."
        ) from exc


def _declared_delimiter(text: str) -> tuple[str, str | None]:
    """Return the text without an Excel "sep=;" first line, and the delimiter it declares.

    Excel writes and reads that line to fix the delimiter, and hides it, so the header
    still shows as row 1.
    """
    first, _newline, rest = text.partition("\n")
    line = first.strip()
    if line.lower().startswith("sep=") and len(line) == 5 and line[4] in DELIMITERS:
        return rest, line[4]
    return text, None


def detect_delimiter(sample: str) -> str:
    """Return the delimiter of the CSV text `sample`: comma, semicolon, tab or pipe.

    csv.Sniffer decides when it can; otherwise the delimiter found most often in the
    first line wins, and a file with none of them (a single column) counts as commas.
    """
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found in DELIMITERS and found:
        return found

    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _parse(path: Path, text: str, encoding: str, delimiter: str, max_rows: int | None) -> CsvFile:
    # newline="" keeps line breaks inside quoted values, as the csv module requires.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        header_row = _first_non_blank(reader)
        headers = unique_headers(header_row)
        check_header(path, header_row)
        rows, numbers, ragged, complete = _data_rows(reader, len(headers), max_rows)
    except csv.Error as exc:
        raise CsvReadError(
            f"The file {path} is not valid CSV near row {reader.line_num}: {exc}. Open it in "
            "a spreadsheet, save it again as CSV and retry."
        ) from exc
    return CsvFile(path, encoding, delimiter, headers, rows, numbers, ragged, complete)


def _first_non_blank(reader: Iterator[list[str]]) -> list[str]:
    for row in reader:
        if any(value.strip() for value in row):
            return row
    return []


def _data_rows(
    reader: Iterator[list[str]], width: int, max_rows: int | None
) -> tuple[tuple[tuple[str, ...], ...], tuple[int, ...], tuple[RaggedRow, ...], bool]:
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    ragged: list[RaggedRow] = []
    row_number = FIRST_DATA_ROW - 1
    for row in reader:
        # Blank rows (often at the end of an export) are no patients, but a spreadsheet
        # numbers them, so they still count.
        row_number += 1
        if not any(value.strip() for value in row):
            continue
        if max_rows is not None and len(rows) >= max_rows:
            return tuple(rows), tuple(numbers), tuple(ragged), False
        if len(row) == width:
            rows.append(tuple(row))
            numbers.append(row_number)
        else:
            ragged.append(RaggedRow(row_number, len(row)))
    return tuple(rows), tuple(numbers), tuple(ragged), True


def unique_headers(header_row: list[str]) -> tuple[str, ...]:
    """Return the header names trimmed, blank ones named "Column N", repeats numbered."""
    seen: dict[str, int] = {}
    headers: list[str] = []
    for position, raw in enumerate(header_row, start=1):
        name = raw.strip().strip("\ufeff") or f"Column {position}"
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        headers.append(name if count == 1 else f"{name} ({count})")
    return tuple(headers)


def check_header(path: Path, header_row: list[str]) -> None:
    """Raise CsvReadError when the first row contains data instead of column names.

    A header names its columns, so a first row in which a cell looks like a date, a
    number or a phone number, or in which every cell is blank, is taken to be data.
    """
    cells = [cell.strip() for cell in header_row]
    if not any(cells):
        raise CsvReadError(
            f"The file {path} has no header row. Add a first row with the column names "
            "(such as First Name, Last Name, DOB) and import it again."
        )
    data_like = [cell for cell in cells if cell and _looks_like_data(cell)]
    if data_like:
        raise CsvReadError(
            f"The first row of {path} contains data ({data_like[0]!r}) instead of column names. "
            "Add a header row with the column names (such as First Name, Last Name, DOB) "
            "or export the file again with headers switched on."
        )


def _looks_like_data(cell: str) -> bool:
    digits = sum(character.isdigit() for character in cell)
    return digits >= 4 and digits * 2 >= len(cell.replace(" ", ""))
