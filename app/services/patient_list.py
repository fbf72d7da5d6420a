"""The patient list: find patients by last-name prefix or chart number.

Listing is not audited because it shows no clinical or billing detail; opening a
single patient's record is a separate, audited view.
"""

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.ids import PatientId
from app.models.patients import Patient
from app.security.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list."""

    patient_id: PatientId
    chart_number: str
    last_name: str
    first_name: str
    date_of_birth: date
    sex: str
    phone: str | None
    status: str

    @property
    def display_name(self) -> str:
        """Name as the list shows it, such as "Lopez, Ana"."""
        return f"{self.last_name}, {self.first_name}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    return func.lower(column).like(_escape_like(text.casefold()) + "%", escape="\\")


def _search_condition(text: str) -> ColumnElement[bool]:
    """Match "last", "last, first" or a chart-number prefix, ignoring case."""
    last, _, first = text.partition(",")
    by_name = _prefix(Patient.last_name, last.strip())
    if first.strip():
        by_name = by_name & _prefix(Patient.first_name, first.strip())
    return or_(by_name, _prefix(Patient.chart_number, text))


def _matching(text: str) -> list[ColumnElement[bool]]:
    """Return the conditions for active patients matching `text` (every one when empty)."""
    conditions: list[ColumnElement[bool]] = [Patient.archived.is_(False)]
    cleaned = text.strip()
    if cleaned:
        conditions.append(_search_condition(cleaned))
    return conditions


def list_patients(
    session: Session, actor: Actor, text: str = "", limit: int = 200
) -> list[PatientRow]:
    """Return up to `limit` active patients matching `text`, ordered by name.

    An empty `text` lists every patient up to `limit`. `limit` is capped at MAX_LIMIT.
    """
    require(actor, Permission.PATIENT_VIEW)
    statement = select(Patient).where(*_matching(text))
    statement = statement.order_by(
        func.lower(Patient.last_name), func.lower(Patient.first_name), Patient.chart_number
    ).limit(max(0, min(limit, MAX_LIMIT)))

    rows = [_to_row(patient) for patient in session.scalars(statement)]
    log.debug("patient list returned %d rows", len(rows))
    return rows


def count_patients(session: Session, actor: Actor, text: str = "") -> int:
    """Return how many active patients match `text`, as list_patients would find without a limit."""
    require(actor, Permission.PATIENT_VIEW)
    statement = select(func.count()).select_from(Patient).where(*_matching(text))
    return session.scalar(statement) or 0


def _to_row(patient: Patient) -> PatientRow:
    return PatientRow(
        patient_id=PatientId(patient.id),
        chart_number=patient.chart_number,
        last_name=patient.last_name,
        first_name=patient.first_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=patient.phone,
        status=patient.status,
    )
