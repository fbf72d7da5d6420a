"""Flag CSV rows that may be a patient already in ClinicDesk or an earlier row of the file.

A flagged row gets a warning and starts unselected, so the user looks at it before
importing. Nothing here blocks a row.
"""

from datetime import date

from sqlalchemy.orm import Session

from app.problems import Severity
from app.search.folding import fold
from app.security.permissions import Actor
from app.services.csv_forms import RowReader
from app.services.csv_mapping import TARGETS_BY_KEY
from app.services.csv_plan import PlannedRow, RowProblem
from app.services.duplicates import likely_duplicates
from app.services.patient_forms import PatientForm
from app.validators import echo_for_message

# Folded first name, folded last name and date of birth: an exact repeat of a person.
Identity = tuple[str, str, date]


def identity_of(form: PatientForm) -> Identity | None:
    """Return the row's exact identity, or None without a date of birth or last name."""
    if form.date_of_birth is None or not form.last_name.strip():
        return None
    return fold(form.first_name), fold(form.last_name), form.date_of_birth


def existing_patient_problem(
    session: Session,
    actor: Actor,
    form: PatientForm,
    row_number: int,
    charts_by_identity: dict[Identity, str],
) -> RowProblem | None:
    """Return a warning when a new patient's row may be a stored patient, else None.

    An exact name and date of birth match is looked up in `charts_by_identity` first.
    Otherwise the registration screen's duplicate check scores the row against the
    stored records it finds through the search index (nicknames, one-letter typos,
    shared phone, address and member id), with the same threshold.
    """
    identity = identity_of(form)
    if identity is not None and identity in charts_by_identity:
        message = (
            f"The same name and date of birth as patient {charts_by_identity[identity]} "
            "already in ClinicDesk, so it is probably that patient; it is not selected, "
            "select it to add a new patient anyway"
        )
        return RowProblem(row_number, "", message, Severity.WARNING)

    matches = likely_duplicates(session, actor, form, limit=1)
    if not matches:
        return None
    match = matches[0]
    message = (
        f"This may be patient {match.chart_number} already in ClinicDesk "
        f"({', '.join(match.reasons)}); it is not selected, select it to add a new "
        "patient anyway"
    )
    return RowProblem(row_number, "", message, Severity.WARNING)


def with_file_duplicates(
    planned: PlannedRow,
    reader: RowReader,
    identity: Identity | None,
    seen_ids: dict[str, int],
    seen_people: dict[Identity, int],
) -> PlannedRow:
    """Flag a row that repeats an earlier row's ID, or its name and date of birth."""
    problems = list(planned.problems)
    duplicate = planned.likely_duplicate
    row_number = planned.row_number
    external_id = planned.external_id
    if external_id and external_id in seen_ids:
        message = (
            f"{echo_for_message(external_id)} is also the ID of row {seen_ids[external_id]}; "
            "each patient must appear once, so remove one of the rows"
        )
        column = reader.header("external_id") or TARGETS_BY_KEY["external_id"].label
        problems.append(RowProblem(row_number, column, message))
    elif external_id:
        seen_ids[external_id] = row_number

    if identity is not None and identity in seen_people:
        message = (
            f"The same name and date of birth as row {seen_people[identity]}, so it is "
            "probably the same patient; it is not selected, select it to import both"
        )
        problems.append(RowProblem(row_number, "", message, Severity.WARNING))
        duplicate = True
    elif identity is not None:
        seen_people[identity] = row_number
    return PlannedRow(
        row_number, planned.action, planned.patient_id, external_id, planned.preview,
        tuple(problems), duplicate,
    )  # fmt: skip
