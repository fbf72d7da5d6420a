"""The plan and the report of a CSV patient import: plain values, no database access."""

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from app.changes import Changes
from app.csv_safety import safe_row
from app.errors import UserError
from app.files import write_atomically
from app.problems import Severity
from app.services.csv_mapping import Mapping
from app.services.csv_reading import CsvFile

SYSTEM_PREFIX = "csv:"
PREVIEW_COLUMNS = (
    "Row", "Action", "Last name", "First name", "Date of birth", "Sex", "Phone",
    "Address", "Insurance", "Member ID", "ID in old system",
)  # fmt: skip


class RowAction(StrEnum):
    """The effect of saving a row: a new patient or an update."""

    CREATE = "create"
    UPDATE = "update"


class ImportMode(StrEnum):
    """The treatment of rows with errors in apply_plan."""

    SKIP_ERRORS = "skip_errors"
    ALL_OR_NOTHING = "all_or_nothing"


class RowResult(StrEnum):
    """The result of apply_plan for one row."""

    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A problem of one row, with the column it concerns and whether it blocks the row."""

    row_number: int
    column: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def text(self) -> str:
        """The problem as one line, such as "Row 14, column DOB: 31/02/1980 is not a date"."""
        where = (
            f"Row {self.row_number}, column {self.column}"
            if self.column
            else f"Row {self.row_number}"
        )
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One row of the file as it will be saved.

    `preview` contains the values shown for PREVIEW_COLUMNS. `selected_by_default` is False
    for rows with errors and for likely duplicates, which the user should look at first.
    """

    row_number: int
    action: RowAction
    patient_id: uuid.UUID | None
    external_id: str
    preview: tuple[str, ...]
    problems: tuple[RowProblem, ...] = ()
    likely_duplicate: bool = False

    @property
    def has_errors(self) -> bool:
        """True when a problem blocks saving the row."""
        return any(problem.severity is Severity.ERROR for problem in self.problems)

    @property
    def selected_by_default(self) -> bool:
        """True when the row should be imported unless the user says otherwise."""
        return not self.has_errors and not self.likely_duplicate


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The checked rows of a file and the effect importing each would have; nothing is written."""

    source: str
    csv_file: CsvFile
    mapping: Mapping
    today: date
    rows: tuple[PlannedRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def system(self) -> str:
        """The ExternalReference system of this source, such as "csv:OldPM"."""
        return SYSTEM_PREFIX + self.source

    @property
    def new_count(self) -> int:
        """Rows without errors that add a patient."""
        return sum(1 for row in self.rows if not row.has_errors and row.action is RowAction.CREATE)

    @property
    def update_count(self) -> int:
        """Rows without errors that update a patient imported before."""
        return sum(1 for row in self.rows if not row.has_errors and row.action is RowAction.UPDATE)

    @property
    def error_count(self) -> int:
        """Rows that cannot be imported until the file is fixed."""
        return sum(1 for row in self.rows if row.has_errors)

    def problems(self) -> list[RowProblem]:
        """Return every row problem, errors and warnings, in row order."""
        return [problem for row in self.rows for problem in row.problems]

    def default_selection(self) -> list[int]:
        """Return the row numbers selected unless the user changes them."""
        return [row.row_number for row in self.rows if row.selected_by_default]


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """The result for one row of the file, with the chart number of the patient it saved."""

    row_number: int
    result: RowResult
    external_id: str = ""
    patient_id: uuid.UUID | None = None
    chart_number: str | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The rows apply_plan saved or left out, one outcome per row."""

    outcomes: tuple[RowOutcome, ...]
    changes: Changes = field(default_factory=Changes)

    def count(self, result: RowResult) -> int:
        """Return how many rows ended with `result`."""
        return sum(1 for outcome in self.outcomes if outcome.result is result)


class ImportRefusedError(UserError):
    """An all-or-nothing import found a row it cannot save; nothing was written."""


REPORT_HEADERS = ("row", "result", "chart_number", "id_in_old_system", "message")


def write_report_csv(report: ImportReport, path: Path) -> None:
    """Write one line per row of the imported file: its result, chart number and message.

    The file appears complete or not at all and is owner-only on POSIX, because its
    messages quote the imported cells. Raises FileWriteError when `path` cannot be
    written.
    """

    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(REPORT_HEADERS)
            for outcome in report.outcomes:
                writer.writerow(
                    safe_row(
                        [
                            outcome.row_number,
                            outcome.result.value,
                            outcome.chart_number or "",
                            outcome.external_id,
                            outcome.message,
                        ]
                    )
                )

    write_atomically(path, write)
