"""Record facts behind the automatic onboarding steps, read for many patients at once.

A fixed set of queries serves any number of patients (in chunks of CHUNK_SIZE ids), so
a day list can show every patient's checklist progress without a query per patient.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.models.onboarding import PatientOnboarding
from app.models.patients import Coverage, Patient, PatientDocument, PatientPhone

DEMOGRAPHICS = "demographics_complete"
INSURANCE_CARD = "insurance_card_captured"
PHOTO_ID = "photo_id_captured"

# SQLite 3.32.0 and later allow 32,766 bound parameters per statement by default, so
# chunks of 900 ids stay far below that. A full calendar day (600 visits
# for 20 providers) fits in one chunk, so it costs one round of queries, not two.
CHUNK_SIZE = 900

# Patient fields an 837P claim needs (loop 2010BA or 2010CA), with the names the desk uses.
CLAIM_DEMOGRAPHICS = (
    ("first_name", "first name"),
    ("last_name", "last name"),
    ("date_of_birth", "date of birth"),
    ("address_line1", "street address"),
    ("city", "city"),
    ("state", "state"),
    ("zip_code", "ZIP code"),
)

# Only the columns the demographics step reads: building whole Patient objects made
# this read about twice as slow for a day of 600 patients.
_DEMOGRAPHIC_COLUMNS = (
    Patient.id,
    Patient.sex,
    Patient.phone,
    *(getattr(Patient, name) for name, _label in CLAIM_DEMOGRAPHICS),
)


@dataclass(slots=True)
class PatientFacts:
    """Record facts of one patient that the automatic steps are derived from."""

    missing_demographics: list[str] = field(default_factory=list)
    active_coverages: set[uuid.UUID] = field(default_factory=set)
    coverages_with_card: set[uuid.UUID] = field(default_factory=set)
    has_photo_id: bool = False
    manual: dict[str, PatientOnboarding] = field(default_factory=dict)

    @property
    def coverages_without_card(self) -> int:
        """Number of coverages in effect that have no front card image."""
        return len(self.active_coverages - self.coverages_with_card)


def gather_facts(
    session: Session, patient_ids: Sequence[uuid.UUID], today: date
) -> dict[uuid.UUID, PatientFacts]:
    """Return the facts of each existing patient among `patient_ids`."""
    facts: dict[uuid.UUID, PatientFacts] = {}
    unique = list(dict.fromkeys(patient_ids))
    for start in range(0, len(unique), CHUNK_SIZE):
        chunk = unique[start : start + CHUNK_SIZE]
        facts.update(_demographics(session, chunk))
        _add_coverages(session, chunk, today, facts)
        _add_documents(session, chunk, facts)
        _add_manual(session, chunk, facts)
    return facts


def _demographics(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, PatientFacts]:
    # The phone list is checked in the same statement, so the ids are bound once.
    listed_phone = (
        exists()
        .where(PatientPhone.patient_id == Patient.id, PatientPhone.archived.is_(False))
        .label("listed_phone")
    )
    statement = select(*_DEMOGRAPHIC_COLUMNS, listed_phone).where(Patient.id.in_(ids))
    facts: dict[uuid.UUID, PatientFacts] = {}
    for row in session.execute(statement):
        missing = [label for name, label in CLAIM_DEMOGRAPHICS if not getattr(row, name)]
        if row.sex not in ("F", "M", "U"):
            missing.append("sex")
        if not row.phone and not row.listed_phone:
            missing.append("phone")
        facts[row.id] = PatientFacts(missing_demographics=missing)
    return facts


def _add_coverages(
    session: Session, ids: list[uuid.UUID], today: date, facts: dict[uuid.UUID, PatientFacts]
) -> None:
    rows = session.execute(
        select(Coverage.id, Coverage.patient_id).where(
            Coverage.patient_id.in_(ids),
            Coverage.archived.is_(False),
            or_(Coverage.effective_date.is_(None), Coverage.effective_date <= today),
            or_(Coverage.termination_date.is_(None), Coverage.termination_date >= today),
        )
    )
    for coverage_id, patient_id in rows:
        if patient_id in facts:
            facts[patient_id].active_coverages.add(coverage_id)


def _add_documents(
    session: Session, ids: list[uuid.UUID], facts: dict[uuid.UUID, PatientFacts]
) -> None:
    rows = session.execute(
        select(PatientDocument.patient_id, PatientDocument.kind, PatientDocument.coverage_id)
        .where(
            PatientDocument.patient_id.in_(ids),
            PatientDocument.archived.is_(False),
            PatientDocument.kind.in_(("photo_id", "card_front")),
        )
        .distinct()
    )
    for patient_id, kind, coverage_id in rows:
        found = facts.get(patient_id)
        if found is None:
            continue
        if kind == "photo_id":
            found.has_photo_id = True
        elif coverage_id is not None:
            found.coverages_with_card.add(coverage_id)


def _add_manual(
    session: Session, ids: list[uuid.UUID], facts: dict[uuid.UUID, PatientFacts]
) -> None:
    rows: Iterable[PatientOnboarding] = session.scalars(
        select(PatientOnboarding).where(
            PatientOnboarding.patient_id.in_(ids), PatientOnboarding.archived.is_(False)
        )
    )
    for row in rows:
        found = facts.get(row.patient_id)
        if found is not None:
            found.manual[row.step_code] = row
