"""Import patients from a CSV file exported by another practice system.

Three steps, so nothing is written until the user confirms:

1. `read_csv_preview` (app.services.csv_reading) reads the file and `suggest_mapping`
   (app.services.csv_mapping) proposes which column fills which field.
2. `validate_rows` builds a patient form from every row and checks it with the
   registration rules, and returns an `ImportPlan`: per row, whether it creates or
   updates a patient, its problems, and likely duplicates.
3. `apply_plan` saves the rows the user selected through the registration service,
   all inside the caller's one transaction, and returns an `ImportReport`.

Each patient's row id in the old system is stored as an ExternalReference with the
system "csv:<source name>", so importing a newer export of the same system updates the
patients of the first import instead of adding them again.
"""

import logging
import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.contact import display_phone, normalize_phone_e164, parse_phone
from app.errors import NotFoundError, UserError
from app.models.patients import ExternalReference, Patient
from app.problems import Severity
from app.progress import Progress
from app.search.folding import fold
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import registration
from app.services.csv_duplicates import (
    Identity,
    existing_patient_problem,
    identity_of,
    with_file_duplicates,
)
from app.services.csv_forms import (
    BuiltRow,
    CellProblem,
    PayerDirectory,
    RowReader,
    build_form,
    registration_problems,
)
from app.services.csv_mapping import (
    TARGETS_BY_KEY,
    Mapping,
    complete_mapping,
    mapping_problems,
    suggest_mapping,
)
from app.services.csv_plan import (
    PREVIEW_COLUMNS,
    SYSTEM_PREFIX,
    ImportMode,
    ImportPlan,
    ImportRefusedError,
    ImportReport,
    PlannedRow,
    RowAction,
    RowOutcome,
    RowProblem,
    RowResult,
    write_report_csv,
)
from app.services.csv_reading import CsvFile, read_csv_preview
from app.services.patient_forms import PatientForm
from app.validators import character_problems, echo_for_message

log = logging.getLogger(__name__)

__all__ = [
    "PREVIEW_COLUMNS",
    "ImportMode",
    "ImportPlan",
    "ImportRefusedError",
    "ImportReport",
    "PlannedRow",
    "RowAction",
    "RowOutcome",
    "RowProblem",
    "RowResult",
    "apply_plan",
    "read_csv_preview",
    "source_problems",
    "suggest_mapping",
    "validate_rows",
    "write_report_csv",
]

RESOURCE_TYPE = "Patient"
MAX_SOURCE_LENGTH = 60
MAX_EXTERNAL_ID_LENGTH = 200
PROGRESS_EVERY = 50


def source_problems(source: str) -> list[str]:
    """Return what is wrong with a source name (empty when it is fine)."""
    text = source.strip()
    if not text:
        return [
            "The source name is missing; enter the name of the old system, such as "
            "OldPM, so a later import of the same system updates these patients."
        ]
    problems = [problem.message for problem in character_problems(text, "source", "Source name")]
    if len(text) > MAX_SOURCE_LENGTH:
        problems.append(
            f"The source name has {len(text)} characters; shorten it to at most "
            f"{MAX_SOURCE_LENGTH}."
        )
    return problems


class _Lookups:
    """Payers, earlier imports and existing patients, looked up once per file, not per row."""

    def __init__(self, session: Session, system: str, mapping: Mapping, today: date) -> None:
        self.system = system
        self.mapping = mapping
        self.today = today
        self.payers = PayerDirectory(session)
        references = session.execute(
            select(ExternalReference.value, ExternalReference.local_id).where(
                ExternalReference.system == system,
                ExternalReference.resource_type == RESOURCE_TYPE,
                ExternalReference.archived.is_(False),
            )
        )
        # A Result has keys(), so dict(references) would read it as a mapping of columns.
        self.imported: dict[str, uuid.UUID] = {value: local_id for value, local_id in references}  # noqa: C416
        patients = session.execute(
            select(
                Patient.first_name, Patient.last_name, Patient.date_of_birth, Patient.chart_number
            ).where(Patient.archived.is_(False))
        )
        self.charts_by_identity: dict[Identity, str] = {
            (fold(first), fold(last), born): chart for first, last, born, chart in patients
        }


def _check_inputs(csv_file: CsvFile, mapping: Mapping, source: str) -> None:
    problems = source_problems(source) + mapping_problems(mapping, csv_file.headers)
    if not csv_file.complete:
        problems.append(
            f"Only the first {len(csv_file.rows):,} rows of {csv_file.path} were read; read "
            "the whole file before checking it."
        )
    if problems:
        raise UserError(" ".join(problems))


def validate_rows(
    session: Session,
    actor: Actor,
    csv_file: CsvFile,
    mapping: Mapping,
    today: date,
    *,
    source: str,
    progress: Progress | None = None,
) -> ImportPlan:
    """Check every row of `csv_file` and return the plan; nothing is saved.

    Rows of patients imported before from `source` are laid over their stored records
    (loaded through the registration service, which audits each as a view).
    """
    require(actor, Permission.PATIENT_IMPORT)
    _check_inputs(csv_file, mapping, source)
    mapping = complete_mapping(mapping)
    source = source.strip()
    lookups = _Lookups(session, SYSTEM_PREFIX + source, mapping, today)

    rows = [
        _ragged_row(ragged.row_number, ragged.field_count, csv_file)
        for ragged in csv_file.ragged_rows
    ]
    seen_ids: dict[str, int] = {}
    seen_people: dict[Identity, int] = {}
    total = len(csv_file.rows)
    for done, (row_number, values) in enumerate(
        zip(csv_file.row_numbers, csv_file.rows, strict=True)
    ):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress.report(done, total, f"Checking row {row_number:,}")
        reader = RowReader(csv_file.headers, mapping, values)
        planned, identity = _plan_row(session, actor, reader, row_number, lookups)
        rows.append(with_file_duplicates(planned, reader, identity, seen_ids, seen_people))

    rows.sort(key=lambda row: row.row_number)
    plan = ImportPlan(source, csv_file, mapping, today, tuple(rows), _plan_notes(mapping))
    log.info(
        "CSV import checked: %d new, %d updates, %d rows with errors",
        plan.new_count,
        plan.update_count,
        plan.error_count,
    )
    return plan


def _plan_notes(mapping: Mapping) -> tuple[str, ...]:
    if mapping.get("external_id"):
        return ()
    return (
        "No column is mapped to the ID in the old system, so importing this file again "
        "would add its patients a second time.",
    )


def _ragged_row(row_number: int, field_count: int, csv_file: CsvFile) -> PlannedRow:
    message = (
        f"The row has {field_count} fields but the header has {len(csv_file.headers)}, so its "
        "values cannot be matched to columns. Fix the row in the file (an unquoted "
        f"{csv_file.delimiter_name} inside a value is the usual cause) and import it again"
    )
    blank = ("",) * (len(PREVIEW_COLUMNS) - 2)
    return PlannedRow(
        row_number,
        RowAction.CREATE,
        None,
        "",
        (str(row_number), "—", *blank),
        (RowProblem(row_number, "", message),),
    )


def _build_row(
    session: Session, actor: Actor, reader: RowReader, lookups: _Lookups
) -> tuple[BuiltRow, uuid.UUID | None]:
    """Return the row's form and the patient it updates (None for a new patient)."""
    external_id = reader.cell("external_id")
    patient_id = lookups.imported.get(external_id) if external_id else None
    problems: list[CellProblem] = []
    base: PatientForm | None = None
    if patient_id is not None:
        try:
            base = registration.load_patient_form(session, actor, patient_id)
        except NotFoundError:
            message = (
                f"{echo_for_message(external_id)} was imported before, but that patient is "
                "archived now (merged or removed); restore the record or clear this row"
            )
            problems.append(CellProblem("external_id", message))
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        message = (
            f"{echo_for_message(external_id)} has {len(external_id)} characters; an ID in "
            f"the old system may have at most {MAX_EXTERNAL_ID_LENGTH}"
        )
        problems.append(CellProblem("external_id", message))

    built = build_form(reader, lookups.payers, lookups.today, base)
    built.problems[:0] = problems
    return built, patient_id


def _plan_row(
    session: Session,
    actor: Actor,
    reader: RowReader,
    row_number: int,
    lookups: _Lookups,
) -> tuple[PlannedRow, Identity | None]:
    built, patient_id = _build_row(session, actor, reader, lookups)
    checked = registration.patient_problems(session, built.form, lookups.today)
    cell_problems = built.problems + registration_problems(built, checked)
    problems = [_row_problem(row_number, lookups.mapping, problem) for problem in cell_problems]

    action = RowAction.CREATE if patient_id is None else RowAction.UPDATE
    external_id = reader.cell("external_id")
    duplicate = False
    if action is RowAction.CREATE:
        warning = existing_patient_problem(
            session, actor, built.form, row_number, lookups.charts_by_identity
        )
        if warning is not None:
            problems.append(warning)
            duplicate = True
    preview = _preview(row_number, action, built.form, lookups, external_id)
    planned = PlannedRow(
        row_number, action, patient_id, external_id, preview, tuple(problems), duplicate
    )
    return planned, identity_of(built.form)


def _row_problem(row_number: int, mapping: Mapping, problem: CellProblem) -> RowProblem:
    column = ""
    if problem.target is not None:
        column = mapping.get(problem.target) or TARGETS_BY_KEY[problem.target].label
    return RowProblem(row_number, column, problem.message, problem.severity)


def _preview(
    row_number: int, action: RowAction, form: PatientForm, lookups: _Lookups, external_id: str
) -> tuple[str, ...]:
    phone = form.phones[0].number if form.phones else ""
    if parse_phone(phone) is not None:
        phone = display_phone(normalize_phone_e164(phone))
    address = ", ".join(
        part
        for part in (form.address_line1, form.city, f"{form.state} {form.zip_code}".strip())
        if part
    )
    coverage = form.coverages[0] if form.coverages else None
    payer = lookups.payers.name_of(coverage.payer_id) if coverage and coverage.payer_id else ""
    return (
        str(row_number),
        "Update" if action is RowAction.UPDATE else "New",
        form.last_name.strip(),
        form.first_name.strip(),
        form.date_of_birth.strftime("%m/%d/%Y") if form.date_of_birth else "",
        form.sex,
        phone,
        address,
        payer,
        coverage.member_id.strip() if coverage else "",
        external_id,
    )


def apply_plan(
    session: Session,
    actor: Actor,
    plan: ImportPlan,
    rows_selected: Collection[int],
    *,
    mode: ImportMode = ImportMode.SKIP_ERRORS,
    progress: Progress | None = None,
) -> ImportReport:
    """Save the selected rows of `plan` in the caller's transaction; never commits.

    Each row is read and checked again, so a record changed since `validate_rows` is
    not overwritten with a stale form. In SKIP_ERRORS mode rows with errors are
    skipped and reported. In ALL_OR_NOTHING mode any row with errors raises
    ImportRefusedError, and the caller's rollback leaves the database as it was.
    """
    require(actor, Permission.PATIENT_IMPORT)
    if mode is ImportMode.ALL_OR_NOTHING and plan.error_count:
        raise ImportRefusedError(
            f"{plan.error_count:,} of {len(plan.rows):,} rows have errors, so nothing was "
            "imported (all or nothing). Fix those rows in the file, or import with "
            "rows with errors skipped."
        )

    selected = set(rows_selected)
    lookups = _Lookups(session, plan.system, plan.mapping, plan.today)
    values_by_row = dict(zip(plan.csv_file.row_numbers, plan.csv_file.rows, strict=True))
    outcomes: list[RowOutcome] = []
    kinds: set[ChangeKind] = set()
    for done, row in enumerate(plan.rows):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress.report(done, len(plan.rows), f"Saving row {row.row_number:,}")
        if row.row_number not in selected or row.has_errors:
            outcomes.append(_skipped(row, selected))
            continue
        reader = RowReader(plan.csv_file.headers, plan.mapping, values_by_row[row.row_number])
        outcome, changes = _save_row(session, actor, reader, row.row_number, lookups, mode=mode)
        outcomes.append(outcome)
        kinds.update(changes.kinds)

    report = ImportReport(tuple(outcomes), Changes(frozenset(kinds)))
    _audit_import(session, actor, report)
    return report


def _skipped(row: PlannedRow, selected: set[int]) -> RowOutcome:
    if row.has_errors:
        first = next(problem for problem in row.problems if problem.severity is Severity.ERROR)
        message = f"Not imported because of errors: {first.text}"
    else:
        message = "Not selected"
    return RowOutcome(
        row.row_number, RowResult.SKIPPED, row.external_id, row.patient_id, None, message
    )


def _save_row(
    session: Session,
    actor: Actor,
    reader: RowReader,
    row_number: int,
    lookups: _Lookups,
    *,
    mode: ImportMode,
) -> tuple[RowOutcome, Changes]:
    built, patient_id = _build_row(session, actor, reader, lookups)
    external_id = reader.cell("external_id")
    errors = [problem for problem in built.problems if problem.severity is Severity.ERROR]
    saved = None
    if not errors:
        saved = registration.save_patient(session, actor, built.form, lookups.today)
        checked = registration_problems(built, saved.problems)
        errors = [problem for problem in checked if problem.severity is Severity.ERROR]

    if errors or saved is None or saved.patient_id is None:
        texts = [_row_problem(row_number, lookups.mapping, problem).text for problem in errors]
        if mode is ImportMode.ALL_OR_NOTHING:
            raise ImportRefusedError(
                "Nothing was imported (all or nothing), because a row failed its check while "
                "saving: " + " ".join(texts)
            )
        failed = RowOutcome(
            row_number, RowResult.FAILED, external_id, patient_id, None, " ".join(texts)
        )
        return failed, Changes()

    if patient_id is None and external_id:
        _remember(session, actor, lookups, external_id, saved.patient_id)
    result = RowResult.CREATED if patient_id is None else RowResult.UPDATED
    outcome = RowOutcome(row_number, result, external_id, saved.patient_id, saved.chart_number)
    return outcome, saved.changes


def _remember(
    session: Session, actor: Actor, lookups: _Lookups, external_id: str, patient_id: uuid.UUID
) -> None:
    """Record which patient the old system's ID was imported into."""
    session.add(
        ExternalReference(
            system=lookups.system,
            value=external_id,
            resource_type=RESOURCE_TYPE,
            local_table=Patient.__tablename__,
            local_id=patient_id,
            updated_by=actor.user_id,
        )
    )
    lookups.imported[external_id] = patient_id


def _audit_import(session: Session, actor: Actor, report: ImportReport) -> None:
    # Counts only: names, IDs of the old system and row contents are PHI.
    detail = (
        f"csv import: {report.count(RowResult.CREATED)} created, "
        f"{report.count(RowResult.UPDATED)} updated, {report.count(RowResult.SKIPPED)} skipped, "
        f"{report.count(RowResult.FAILED)} failed"
    )
    audit.record(session, actor, AuditAction.CREATE, "patient_import", detail=detail)
    log.info("%s", detail)
