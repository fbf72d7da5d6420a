"""Read the facts that duplicate scoring compares, for a few patients or for all of them.

Rows come from the patient table and its children (phones, previous names, coverage
member ids) in one statement each, so a report over 100,000 patients reads each table
once instead of once per patient.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models.patients import Coverage, Patient, PatientPhone, PatientPreviousName
from app.services.duplicate_scoring import PatientFacts, make_facts
from app.services.patient_forms import PatientForm
from app.services.patient_search import display_name

# SQLite allows 32,766 bound parameters; chunks well under it keep each IN list cheap.
ID_CHUNK = 500

StatementT = TypeVar("StatementT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """How a record is shown beside its possible duplicate."""

    patient_id: uuid.UUID
    display_name: str
    date_of_birth: date
    chart_number: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class LoadedPatient:
    """The facts and the summary of one stored record."""

    facts: PatientFacts
    summary: PatientSummary


def facts_from_form(form: PatientForm) -> PatientFacts:
    """Build the facts of a patient as typed in the registration form."""
    return make_facts(
        patient_id=form.id,
        first_name=form.first_name,
        last_name=form.last_name,
        date_of_birth=form.date_of_birth,
        sex=form.sex,
        phones=[phone.number for phone in form.phones if phone.number.strip()],
        address_line1=form.address_line1,
        zip_code=form.zip_code,
        member_ids=[c.member_id for c in form.coverages if not c.archived and c.member_id],
        previous_last_names=[name.last_name for name in form.previous_names],
    )


def load_patients(
    session: Session, patient_ids: Iterable[uuid.UUID] | None
) -> dict[uuid.UUID, LoadedPatient]:
    """Return the active, unmerged patients among `patient_ids` (None: every one)."""
    chunks: Iterator[list[uuid.UUID] | None] = (
        iter([None]) if patient_ids is None else _chunks(list(patient_ids))
    )
    loaded: dict[uuid.UUID, LoadedPatient] = {}
    for chunk in chunks:
        loaded.update(_load_chunk(session, chunk))
    return loaded


def _chunks(ids: list[uuid.UUID]) -> Iterator[list[uuid.UUID] | None]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _restrict(
    statement: StatementT, column: InstrumentedAttribute[uuid.UUID], ids: list[uuid.UUID] | None
) -> StatementT:
    return statement if ids is None else statement.where(column.in_(ids))


def _load_chunk(session: Session, ids: list[uuid.UUID] | None) -> dict[uuid.UUID, LoadedPatient]:
    patients = session.execute(
        _restrict(
            select(
                Patient.id,
                Patient.first_name,
                Patient.middle_name,
                Patient.last_name,
                Patient.suffix,
                Patient.date_of_birth,
                Patient.sex,
                Patient.phone,
                Patient.address_line1,
                Patient.zip_code,
                Patient.chart_number,
            ).where(Patient.archived.is_(False), Patient.merged_into_id.is_(None)),
            Patient.id,
            ids,
        )
    ).all()
    phones = _grouped(session, PatientPhone.patient_id, PatientPhone.number, PatientPhone, ids)
    members = _grouped(session, Coverage.patient_id, Coverage.member_id, Coverage, ids)
    previous = _grouped(
        session,
        PatientPreviousName.patient_id,
        PatientPreviousName.last_name,
        PatientPreviousName,
        ids,
    )

    loaded: dict[uuid.UUID, LoadedPatient] = {}
    for row in patients:
        facts = make_facts(
            patient_id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            date_of_birth=row.date_of_birth,
            sex=row.sex,
            phones=[row.phone or "", *phones.get(row.id, [])],
            address_line1=row.address_line1,
            zip_code=row.zip_code,
            member_ids=members.get(row.id, []),
            previous_last_names=previous.get(row.id, []),
        )
        summary = PatientSummary(
            patient_id=row.id,
            display_name=display_name(row.last_name, row.first_name, row.middle_name, row.suffix),
            date_of_birth=row.date_of_birth,
            chart_number=row.chart_number,
            phone=row.phone,
        )
        loaded[row.id] = LoadedPatient(facts, summary)
    return loaded


def _grouped(
    session: Session,
    owner: InstrumentedAttribute[uuid.UUID],
    value: InstrumentedAttribute[str],
    model: type[PatientPhone] | type[Coverage] | type[PatientPreviousName],
    ids: list[uuid.UUID] | None,
) -> dict[uuid.UUID, list[str]]:
    """Return the non-archived `value` column of `model` rows, per patient."""
    statement = select(owner, value).where(model.archived.is_(False))
    grouped: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for patient_id, text in session.execute(_restrict(statement, owner, ids)):
        if text:
            grouped[patient_id].append(text)
    return grouped
