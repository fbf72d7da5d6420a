"""The report of a FHIR import: one row per resource, per-file results and totals.

The report is shown in the Import tab, printed by `clinicdesk import fhir` and saved as
CSV. Rows name resources by type and id, never by a patient's name.
"""

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.changes import Changes
from app.csv_safety import safe_row
from app.files import write_atomically

CSV_HEADERS = ("file", "resource_type", "resource_id", "outcome", "message")
# The resources the summary counts, with their labels, and the outcomes it counts.
SUMMARY_RESOURCES = (
    ("Patient", "Patients"), ("Practitioner", "Practitioners"), ("Encounter", "Visits"),
)  # fmt: skip
SUMMARY_OUTCOMES = ("imported", "updated", "unchanged", "skipped")


def review_rank(resource_type: str, outcome: str) -> int:
    """Return where a report row sorts when shown: lower ranks need the user's eye first.

    Failed rows come first, then imported and updated rows, then unchanged and skipped
    rows. Skipped Organization rows (hospitals and clinics, which are not payers) come
    last, because a Synthea bundle can name dozens of them.
    """
    if outcome == "failed":
        return 0
    if outcome in ("imported", "updated"):
        return 1
    if outcome != "skipped":
        return 2
    return 4 if resource_type == "Organization" else 3


@dataclass(frozen=True, slots=True)
class ReportRow:
    """The outcome of one resource, with the reason when it was skipped."""

    file: str
    resource_type: str
    resource_id: str
    outcome: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file of the import: whether it was imported, and the reason when it failed."""

    file: str
    ok: bool
    message: str = ""


@dataclass
class ImportReport:
    """Everything one import did, with the kinds of record it changed."""

    rows: list[ReportRow] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    skipped_types: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    changes: Changes = field(default_factory=Changes)

    def count(self, resource_type: str, outcome: str) -> int:
        """Return how many rows of `resource_type` ended with `outcome`."""
        return sum(
            1 for row in self.rows if row.resource_type == resource_type and row.outcome == outcome
        )

    def totals(self) -> dict[str, dict[str, int]]:
        """Return row counts by resource type, then by outcome."""
        totals: dict[str, Counter[str]] = {}
        for row in self.rows:
            totals.setdefault(row.resource_type, Counter())[row.outcome] += 1
        return {kind: dict(counts) for kind, counts in sorted(totals.items())}

    @property
    def failed_files(self) -> list[FileResult]:
        """Files that could not be imported at all."""
        return [result for result in self.files if not result.ok]

    def summary(self) -> str:
        """Return one line of counts per resource the import writes, then the failed files.

        Such as "Patients: 20 imported, 0 updated, 0 unchanged, 0 skipped. Practitioners:
        … Visits: … Files failed: 0 of 24."
        """
        parts = []
        for resource_type, label in SUMMARY_RESOURCES:
            counts = [
                f"{self.count(resource_type, outcome)} {outcome}" for outcome in SUMMARY_OUTCOMES
            ]
            parts.append(f"{label}: {', '.join(counts)}.")
        parts.append(f"Files failed: {len(self.failed_files)} of {len(self.files)}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "summary": self.summary(),
            "seconds": round(self.seconds, 3),
            "totals": self.totals(),
            "files": [
                {"file": item.file, "ok": item.ok, "message": item.message} for item in self.files
            ],
            "skipped_resource_types": dict(sorted(self.skipped_types.items())),
            "rows": [{name: getattr(row, name) for name in CSV_HEADERS} for row in self.rows],
        }


def write_report_csv(report: ImportReport, path: Path) -> None:
    """Write the report rows to `path` as CSV, replacing the file only once it is complete.

    Raises FileWriteError when `path` cannot be written; a missing folder is not created.
    """

    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_HEADERS)
            for row in report.rows:
                writer.writerow(safe_row(getattr(row, name) for name in CSV_HEADERS))
            for result in report.failed_files:
                writer.writerow(safe_row([result.file, "", "", "failed", result.message]))

    write_atomically(path, write)
