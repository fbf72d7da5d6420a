"""Build a patient form from one CSV row and a column mapping.

The importer fills a `PatientForm` the way the registration screen would, so the
registration service checks and saves imported patients with the same rules. A cell
that cannot be read (a date in the wrong order, an unknown payer) becomes a problem
naming its column. The field then stays empty, and the registration check of that
field is left out so the cell is not reported twice. For a patient imported before,
the row is laid over the stored record, and an empty cell leaves the stored value as
it is.
"""

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.practice import Payer
from app.problems import Problem, Severity
from app.search.folding import fold
from app.services import csv_values
from app.services.csv_mapping import TARGETS_BY_KEY, Mapping
from app.services.csv_values import CellValueError
from app.services.patient_forms import CoverageForm, PatientForm, PhoneEntry
from app.validators import echo_for_message

log = logging.getLogger(__name__)

# Targets copied into the form as typed (trimmed); the registration check judges them.
TEXT_TARGETS = (
    "first_name", "middle_name", "last_name", "suffix", "preferred_name", "gender_identity",
    "address_line1", "address_line2", "city", "email", "preferred_language", "employer_name",
    "emergency_contact_name", "emergency_contact_phone",
)  # fmt: skip
PHONE_TARGETS = {"home_phone": "home", "mobile_phone": "mobile", "work_phone": "work"}
COVERAGE_TARGETS = ("payer", "member_id", "group_number", "plan_name", "plan_type")
# Fields of a coverage form that a coverage target fills, for naming the column of a problem.
COVERAGE_FIELD_TARGETS = {
    "payer_id": "payer",
    "member_id": "member_id",
    "group_number": "group_number",
    "plan_name": "plan_name",
    "plan_type": "plan_type",
}
_ITEM_FIELD = re.compile(r"(?P<list>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)")


@dataclass(frozen=True, slots=True)
class CellProblem:
    """A problem of one row, with the target whose column it concerns (None: the whole row)."""

    target: str | None
    message: str
    severity: Severity = Severity.ERROR


@dataclass
class BuiltRow:
    """A row turned into a form, with the problems met while reading its cells.

    `phone_targets[i]` is the target that filled `form.phones[i]` and `coverage_index`
    the position of the imported coverage, so registration problems such as
    "phones[1].number" can name the column they came from.
    """

    form: PatientForm
    problems: list[CellProblem] = field(default_factory=list)
    phone_targets: dict[int, str] = field(default_factory=dict)
    coverage_index: int | None = None

    def target_of(self, problem_field: str) -> str | None:
        """Return the target whose column a registration problem's field came from."""
        if problem_field in TARGETS_BY_KEY:
            return problem_field
        if problem_field == "status":
            return "deceased_on"
        match = _ITEM_FIELD.match(problem_field)
        if match is None:
            return None
        index = int(match["index"])
        if match["list"] == "phones":
            return self.phone_targets.get(index)
        if match["list"] == "coverages" and index == self.coverage_index:
            return COVERAGE_FIELD_TARGETS.get(match["field"])
        return None

    def failed_targets(self) -> set[str]:
        """Return the targets whose cell could not be read."""
        return {
            problem.target
            for problem in self.problems
            if problem.target is not None and problem.severity is Severity.ERROR
        }


class PayerDirectory:
    """The practice's active payers, found by folded name or payer code."""

    def __init__(self, session: Session) -> None:
        self._by_key: dict[str, list[tuple[uuid.UUID, str]]] = {}
        self._names: dict[uuid.UUID, str] = {}
        payers = session.execute(
            select(Payer.id, Payer.name, Payer.payer_code).where(Payer.archived.is_(False))
        )
        for payer_id, name, code in payers:
            self._names[payer_id] = name
            for key in {fold(name), fold(code)}:
                self._by_key.setdefault(key, []).append((payer_id, name))

    def name_of(self, payer_id: uuid.UUID) -> str:
        """Return the name of an active payer ("" when it is not one)."""
        return self._names.get(payer_id, "")

    def find(self, text: str) -> uuid.UUID:
        """Return the payer whose name or payer code folds like `text`."""
        matches = dict(self._by_key.get(fold(text), []))
        shown = echo_for_message(text.strip())
        if not matches:
            raise CellValueError(
                f"{shown} is not a payer in ClinicDesk; add it in Admin → Payers first "
                "(with this name or payer code), or map this column to nothing"
            )
        if len(matches) > 1:
            raise CellValueError(
                f"{shown} matches more than one payer ({', '.join(sorted(matches.values()))}); "
                "give the payers distinct names in Admin → Payers, or write the payer code"
            )
        return next(iter(matches))


class RowReader:
    """Reads the cells of one row through the mapping."""

    def __init__(self, headers: tuple[str, ...], mapping: Mapping, row: tuple[str, ...]) -> None:
        self._row = row
        self._mapping = mapping
        self._index = {
            key: headers.index(header)
            for key, header in mapping.items()
            if header is not None and header in headers
        }

    def cell(self, target: str) -> str:
        """Return the trimmed text of the cell mapped to `target` ("" when unmapped)."""
        index = self._index.get(target)
        return "" if index is None else self._row[index].strip()

    def header(self, target: str) -> str | None:
        """Return the header mapped to `target`, or None when it is unmapped."""
        return self._mapping.get(target)


def build_form(
    reader: RowReader, payers: PayerDirectory, today: date, base: PatientForm | None
) -> BuiltRow:
    """Fill `base` (a stored patient's form) or a new form from the cells of one row."""
    built = BuiltRow(base if base is not None else PatientForm())
    _fill_text(reader, built)
    _fill_parsed(reader, built, today)
    _fill_zip(reader, built)
    _fill_phones(reader, built)
    _fill_coverage(reader, payers, built)
    return built


def _fill_text(reader: RowReader, built: BuiltRow) -> None:
    for target in TEXT_TARGETS:
        value = reader.cell(target)
        if value:
            setattr(built.form, target, value)


def _parsed(
    reader: RowReader, built: BuiltRow, target: str, parse: Callable[[str], object]
) -> object:
    """Return the parsed cell of `target`, or None when it is empty or unreadable."""
    value = reader.cell(target)
    if not value:
        return None
    try:
        return parse(value)
    except CellValueError as exc:
        built.problems.append(CellProblem(target, str(exc)))
        return None


def _fill_parsed(reader: RowReader, built: BuiltRow, today: date) -> None:
    form = built.form

    def parse_date(text: str) -> date:
        return csv_values.parse_date(text, today)

    if isinstance(born := _parsed(reader, built, "date_of_birth", parse_date), date):
        form.date_of_birth = born
    if isinstance(died := _parsed(reader, built, "deceased_on", parse_date), date):
        form.deceased_on = died
        form.status = "deceased"
    if isinstance(sex := _parsed(reader, built, "sex", csv_values.parse_sex), str):
        form.sex = sex
    if isinstance(ssn := _parsed(reader, built, "ssn", csv_values.parse_ssn), str):
        form.ssn = ssn
    if isinstance(state := _parsed(reader, built, "state", csv_values.parse_state), str):
        form.state = state
    marital = _parsed(reader, built, "marital_status", csv_values.parse_marital_status)
    if isinstance(marital, str):
        form.marital_status = marital


def _fill_zip(reader: RowReader, built: BuiltRow) -> None:
    value = reader.cell("zip_code")
    if not value:
        return
    repaired, padded = csv_values.repair_zip(value)
    built.form.zip_code = repaired
    if padded:
        message = (
            f"{echo_for_message(value)} was read as {repaired}, because spreadsheets drop "
            "the leading zeros of ZIP codes; check it"
        )
        built.problems.append(CellProblem("zip_code", message, Severity.WARNING))


def _fill_phones(reader: RowReader, built: BuiltRow) -> None:
    phones = built.form.phones
    for target, kind in PHONE_TARGETS.items():
        number = reader.cell(target)
        if not number:
            continue
        same_kind = [index for index, phone in enumerate(phones) if phone.kind == kind]
        if same_kind:
            phones[same_kind[0]].number = number
            built.phone_targets[same_kind[0]] = target
        else:
            phones.append(PhoneEntry(kind=kind, number=number))
            built.phone_targets[len(phones) - 1] = target


def _fill_coverage(reader: RowReader, payers: PayerDirectory, built: BuiltRow) -> None:
    if not any(reader.cell(target) for target in COVERAGE_TARGETS):
        return

    payer_id = _parsed(reader, built, "payer", payers.find)
    plan_type = _parsed(reader, built, "plan_type", csv_values.parse_plan_type)
    coverage = _primary_coverage(built.form, payer_id if isinstance(payer_id, uuid.UUID) else None)
    if isinstance(payer_id, uuid.UUID):
        coverage.payer_id = payer_id
    if isinstance(plan_type, str):
        coverage.plan_type = plan_type
    for target in ("member_id", "group_number", "plan_name"):
        if value := reader.cell(target):
            setattr(coverage, target, value)
    built.coverage_index = built.form.coverages.index(coverage)


def _primary_coverage(form: PatientForm, payer_id: uuid.UUID | None) -> CoverageForm:
    """Return the stored primary coverage the row updates, or a new one added to the form.

    A stored primary coverage is updated when the row names its payer or names none. A
    row naming another payer adds a new primary coverage. When the stored one is still
    open, the registration check reports the overlap, because ending it is the user's call.
    """
    for coverage in form.coverages:
        same_payer = payer_id is None or coverage.payer_id == payer_id
        if coverage.priority == 1 and not coverage.archived and same_payer:
            return coverage
    coverage = CoverageForm(priority=1, relationship_code="18")
    form.coverages.append(coverage)
    return coverage


def registration_problems(built: BuiltRow, problems: list[Problem]) -> list[CellProblem]:
    """Turn the registration check's problems into row problems naming their columns.

    Problems of a field whose cell was unreadable are dropped, because the reading
    problem already describes that cell.
    """
    failed = built.failed_targets()
    found = []
    for problem in problems:
        target = built.target_of(problem.field)
        if target is not None and target in failed:
            continue
        found.append(CellProblem(target, problem.message.rstrip("."), problem.severity))
    return found
