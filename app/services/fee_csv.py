"""Importing a fee schedule from CSV after a preview, and exporting one in the same columns.

This is how practices bring in their licensed CPT codes: ClinicDesk ships none. The
preview classifies every row (a new price, a price change, unchanged, or an error) and
writes nothing. The import writes all rows or none, and creates the procedure codes the
practice does not have yet with the file's description. Codes already in Procedure codes
keep their own description, units and kind. Prices missing from the file stay in the
schedule. The export writes the columns the import reads, so a file round-trips.
"""

import csv
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.csv_safety import safe_row
from app.errors import UserError
from app.files import write_atomically
from app.models.charges import FeeScheduleItem, ProcedureCode
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import fee_schedules
from app.services.fee_csv_rows import COLUMNS, ParsedRow, RowProblem, read_fee_file
from app.services.fee_schedules import FeeScheduleForm, get_fee_schedule
from app.services.procedure_codes import codes_by_value
from app.services.today import practice_today

log = logging.getLogger(__name__)

SOURCE_MAX_LENGTH = 200


class RowStatus(StrEnum):
    """The effect importing a row has on the schedule."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        """Name shown in the preview, such as "Price change"."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    RowStatus.NEW: "New code",
    RowStatus.CHANGED: "Price change",
    RowStatus.UNCHANGED: "Unchanged",
    RowStatus.ERROR: "Error",
}


@dataclass(frozen=True, slots=True)
class FeeRow:
    """One row of the preview: the values read, what importing does, and any problems.

    `old_amount` is the schedule's current price for a CHANGED or UNCHANGED row.
    `creates_code` is True when the code is missing from Procedure codes and the import
    adds it. `notes` are warnings that do not stop the import.
    """

    parsed: ParsedRow
    status: RowStatus
    old_amount: Decimal | None = None
    creates_code: bool = False
    problems: tuple[RowProblem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def row_number(self) -> int:
        """Row number as a spreadsheet shows it (the header is row 1)."""
        return self.parsed.row_number

    @property
    def change_text(self) -> str:
        """The price change in words, such as "$100.00 → $120.00"."""
        new = self.parsed.amount
        if new is None:
            return ""
        if self.old_amount is None or self.status is RowStatus.NEW:
            return f"${new:,.2f}"
        return f"${self.old_amount:,.2f} → ${new:,.2f}"


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """The schedule to import into: an existing one by id, or a new one to create."""

    schedule_id: uuid.UUID | None = None
    new_schedule: FeeScheduleForm | None = None


@dataclass(frozen=True, slots=True)
class FeeImportPreview:
    """Every row of a fee file checked against a schedule; nothing is written yet.

    `schedule_problems` are the problems of a new schedule's name and dates. The import
    may run only when `can_import` is True.
    """

    path: Path
    encoding: str
    delimiter: str
    target: ImportTarget
    schedule_name: str
    rows: tuple[FeeRow, ...]
    ignored_columns: tuple[str, ...] = ()
    schedule_problems: tuple[Problem, ...] = ()

    def count(self, status: RowStatus) -> int:
        """Return the number of rows with `status`."""
        return sum(1 for row in self.rows if row.status is status)

    @property
    def codes_to_create(self) -> int:
        """Number of procedure codes the import adds (a code on several rows counts once)."""
        return len({row.parsed.code for row in self.rows if row.creates_code})

    def problems(self) -> list[RowProblem]:
        """Return every row problem in row order."""
        return [problem for row in self.rows for problem in row.problems]

    @property
    def can_import(self) -> bool:
        """True when the file has rows, none with errors, and the schedule is valid."""
        return (
            bool(self.rows)
            and self.count(RowStatus.ERROR) == 0
            and not has_errors(list(self.schedule_problems))
        )

    def summary(self) -> str:
        """Return the counts in one sentence for the preview and the command line."""
        return (
            f"{len(self.rows):,} rows for {self.schedule_name}: "
            f"{self.count(RowStatus.NEW):,} new, {self.count(RowStatus.CHANGED):,} price "
            f"changes, {self.count(RowStatus.UNCHANGED):,} unchanged, "
            f"{self.count(RowStatus.ERROR):,} with errors; {self.codes_to_create:,} procedure "
            "codes to add."
        )


@dataclass(frozen=True, slots=True)
class FeeImportResult:
    """The counts of prices and codes an import wrote."""

    schedule_id: uuid.UUID
    added: int
    changed: int
    unchanged: int
    codes_created: int
    changes: Changes = field(default_factory=lambda: Changes.of(ChangeKind.CODE_SETS))


class FeeImportError(UserError):
    """An import that would have written a file with errors; nothing was written."""


# ---- preview ----------------------------------------------------------------------------


def _schedule_items(
    session: Session, schedule_id: uuid.UUID | None
) -> dict[tuple[str, str], FeeScheduleItem]:
    if schedule_id is None:
        return {}
    query = select(FeeScheduleItem).where(FeeScheduleItem.fee_schedule_id == schedule_id)
    return {(item.procedure_code, item.modifier): item for item in session.scalars(query)}


def _target_name(session: Session, target: ImportTarget) -> tuple[str, list[Problem]]:
    if target.schedule_id is not None:
        return get_fee_schedule(session, target.schedule_id).name, []
    if target.new_schedule is None:
        raise UserError("No fee schedule is chosen. Choose an existing schedule or name a new one.")
    problems = fee_schedules.check_fee_schedule(session, target.new_schedule)
    return target.new_schedule.name.strip(), problems


def _classify(
    parsed: ParsedRow,
    first_row: dict[tuple[str, str], int],
    codes: dict[str, ProcedureCode],
    items: dict[tuple[str, str], FeeScheduleItem],
) -> FeeRow:
    problems = list(parsed.problems)
    key = (parsed.code, parsed.modifier)
    earlier = first_row.setdefault(key, parsed.row_number)
    if parsed.code and earlier != parsed.row_number:
        which = f"{parsed.code} with modifier {parsed.modifier}" if parsed.modifier else parsed.code
        problems.append(
            RowProblem(
                parsed.row_number,
                "code",
                parsed.code,
                f"{which} is also on row {earlier}; keep one row per code and modifier.",
            )
        )
    existing = codes.get(parsed.code)
    creates_code = existing is None and bool(parsed.code)
    if creates_code and not parsed.description:
        problems.append(
            RowProblem(
                parsed.row_number,
                "description",
                "",
                f"{parsed.code} is not in Procedure codes yet, so its description is needed; "
                "type the practice's short label for it.",
            )
        )
    notes = []
    if existing is not None and existing.archived:
        notes.append(
            f"{parsed.code} is archived in Procedure codes; restore it there so charge entry "
            "offers it."
        )
    if problems:
        return FeeRow(parsed, RowStatus.ERROR, problems=tuple(problems), notes=tuple(notes))

    item = items.get(key)
    if item is None or item.archived:
        return FeeRow(parsed, RowStatus.NEW, creates_code=creates_code, notes=tuple(notes))
    status = RowStatus.UNCHANGED if item.amount == parsed.amount else RowStatus.CHANGED
    return FeeRow(parsed, status, item.amount, creates_code, notes=tuple(notes))


def _classify_all(
    session: Session, parsed_rows: tuple[ParsedRow, ...], schedule_id: uuid.UUID | None
) -> tuple[FeeRow, ...]:
    codes = codes_by_value(session, {row.code for row in parsed_rows if row.code})
    items = _schedule_items(session, schedule_id)
    # A code priced with several modifiers needs its description on one of its rows only.
    descriptions: dict[str, str] = {}
    for row in parsed_rows:
        if row.description:
            descriptions.setdefault(row.code, row.description)
    filled = [
        row if row.description else replace(row, description=descriptions.get(row.code, ""))
        for row in parsed_rows
    ]
    first_row: dict[tuple[str, str], int] = {}
    return tuple(_classify(row, first_row, codes, items) for row in filled)


def preview_fee_import(
    session: Session, actor: Actor, path: Path, target: ImportTarget
) -> FeeImportPreview:
    """Read `path` and classify every row against the target schedule; writes nothing.

    Raises FeeFileError when the file cannot be read as a fee schedule at all, and
    NotFoundError when the chosen schedule is gone.
    """
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    fee_file = read_fee_file(path)
    name, schedule_problems = _target_name(session, target)
    rows = _classify_all(session, fee_file.rows, target.schedule_id)
    preview = FeeImportPreview(
        path=path,
        encoding=fee_file.encoding,
        delimiter=fee_file.delimiter,
        target=target,
        schedule_name=name,
        rows=rows,
        ignored_columns=fee_file.ignored_columns,
        schedule_problems=tuple(schedule_problems),
    )
    log.info(
        "previewed fee import: %d rows, %d errors, schedule %s",
        len(rows),
        preview.count(RowStatus.ERROR),
        target.schedule_id or "new",
    )
    return preview


# ---- import -----------------------------------------------------------------------------


def _import_source(file_name: str, today: date) -> str:
    prefix, suffix = "fee schedule import ", f" {today.isoformat()}"
    room = SOURCE_MAX_LENGTH - len(prefix) - len(suffix)
    return prefix + file_name[:room] + suffix


def _target_schedule_id(session: Session, actor: Actor, target: ImportTarget) -> uuid.UUID:
    if target.schedule_id is not None:
        return get_fee_schedule(session, target.schedule_id).id
    assert target.new_schedule is not None  # checked by the preview
    outcome = fee_schedules.save_fee_schedule(session, actor, target.new_schedule)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def _rejection(preview: FeeImportPreview) -> FeeImportError:
    if not preview.rows:
        return FeeImportError(
            f"{preview.path.name} has no data rows, so nothing was imported. Add rows "
            "under the header and import it again."
        )
    if has_errors(list(preview.schedule_problems)):
        reasons = " ".join(problem.message for problem in preview.schedule_problems)
        return FeeImportError(f"The new fee schedule is invalid: {reasons} Nothing was imported.")
    errors = preview.count(RowStatus.ERROR)
    return FeeImportError(
        f"{errors:,} rows of {preview.path.name} have errors, so nothing was imported (all or "
        "nothing). Fix the rows the preview lists and import the file again."
    )


def _create_codes(session: Session, actor: Actor, rows: tuple[FeeRow, ...], source: str) -> int:
    parsed_rows = [row.parsed for row in rows]
    existing = codes_by_value(session, {parsed.code for parsed in parsed_rows})
    created = 0
    for parsed in parsed_rows:
        if parsed.code in existing:
            continue
        code = ProcedureCode(
            code=parsed.code,
            kind=parsed.kind,
            description=parsed.description,
            default_units=parsed.units,
            requires_ndc=parsed.requires_ndc,
            source=source,
            updated_by=actor.user_id,
        )
        session.add(code)
        existing[parsed.code] = code
        created += 1
    return created


def _write_prices(
    session: Session, actor: Actor, schedule_id: uuid.UUID, rows: tuple[FeeRow, ...]
) -> tuple[int, int, int]:
    items = _schedule_items(session, schedule_id)
    added = changed = unchanged = 0
    for row in rows:
        parsed = row.parsed
        assert parsed.amount is not None  # rows with errors never reach here
        item = items.get((parsed.code, parsed.modifier))
        if item is None:
            item = FeeScheduleItem(
                fee_schedule_id=schedule_id,
                procedure_code=parsed.code,
                modifier=parsed.modifier,
                amount=parsed.amount,
                updated_by=actor.user_id,
            )
            session.add(item)
            added += 1
        elif item.archived or item.amount != parsed.amount:
            added += int(item.archived)
            changed += int(not item.archived)
            item.archived = False
            item.amount = parsed.amount
            item.updated_by = actor.user_id
        else:
            unchanged += 1
    return added, changed, unchanged


def apply_fee_import(
    session: Session, actor: Actor, preview: FeeImportPreview, today: date | None = None
) -> FeeImportResult:
    """Write the previewed rows in one go: all rows or none.

    The rows are written as the preview read them, and checked again against the
    database, so a price changed since the preview is still counted right. Raises
    FeeImportError, writing nothing, when the preview has errors.
    """
    # NOTE: 100,000 new codes and prices took about 30 s to write on a busy 2-vCPU machine,
    # and other saves wait for the write lock only up to the busy timeout (5 s) before failing.
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    if not preview.can_import:
        raise _rejection(preview)
    if preview.codes_to_create:
        require(actor, Permission.CODE_SET_EDIT)

    schedule_id = _target_schedule_id(session, actor, preview.target)
    rows = _classify_all(session, tuple(row.parsed for row in preview.rows), schedule_id)
    if any(row.status is RowStatus.ERROR for row in rows):
        raise _rejection(replace(preview, rows=rows))

    source = _import_source(preview.path.name, today or practice_today(session))
    codes_created = _create_codes(session, actor, tuple(r for r in rows if r.creates_code), source)
    added, changed, unchanged = _write_prices(session, actor, schedule_id, rows)
    session.flush()

    detail = (
        f"{len(rows)} rows: {added} added, {changed} changed, {unchanged} unchanged, "
        f"{codes_created} procedure codes created"
    )
    audit.record(
        session, actor, AuditAction.IMPORT, fee_schedules.OBJECT_TYPE, schedule_id, detail=detail
    )
    if codes_created:
        audit.record(
            session, actor, AuditAction.IMPORT, "procedure_code", detail=f"{codes_created} created"
        )
    log.info("imported fee file into schedule %s: %s", schedule_id, detail)
    return FeeImportResult(schedule_id, added, changed, unchanged, codes_created)


# ---- export -----------------------------------------------------------------------------


def _export_cells(item: FeeScheduleItem, code: ProcedureCode | None) -> list[object]:
    return [
        item.procedure_code,
        code.description if code is not None else "",
        f"{item.amount:.2f}",
        item.modifier,
        code.default_units if code is not None else 1,
        "yes" if code is not None and code.requires_ndc else "no",
        code.kind if code is not None else "",
    ]


def export_fee_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID, path: Path) -> int:
    """Write a schedule's active prices to the CSV file `path`; return the row count.

    The columns are those the import reads, with fees as plain numbers such as 1234.50.
    Cells that a spreadsheet could run as a formula get a leading apostrophe, which the
    import removes again. Raises FileWriteError when `path` cannot be written.
    """
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    schedule = get_fee_schedule(session, schedule_id)
    query = (
        select(FeeScheduleItem, ProcedureCode)
        .outerjoin(ProcedureCode, ProcedureCode.code == FeeScheduleItem.procedure_code)
        .where(FeeScheduleItem.fee_schedule_id == schedule.id, FeeScheduleItem.archived.is_(False))
        .order_by(FeeScheduleItem.procedure_code, FeeScheduleItem.modifier)
    )
    rows = [_export_cells(item, code) for item, code in session.execute(query)]

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(safe_row(cells) for cells in rows)

    write_atomically(path, write)
    audit.record(
        session, actor, AuditAction.EXPORT, fee_schedules.OBJECT_TYPE, schedule.id,
        detail=f"{len(rows)} prices",
    )  # fmt: skip
    log.info("exported fee schedule %s: %d prices", schedule.id, len(rows))
    return len(rows)
