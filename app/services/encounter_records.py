"""Reading encounters, their lines and their ledger charges, shared by the encounter modules.

A line counts as reversed when its ledger charge has a reversal row. The ledger is the
record of what was billed, so no flag on the line repeats that fact.
"""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage
from app.services.encounter_forms import EncounterForm, LineForm
from app.services.ledger import CHARGE_LINE_SOURCE

CHARGE_ENTRY_TYPE = "charge"
OBJECT_TYPE = "encounter"
LINE_OBJECT_TYPE = "charge_line"


def get_encounter(session: Session, encounter_id: uuid.UUID) -> Encounter:
    """Return the encounter, or raise NotFoundError when it is missing or archived."""
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or encounter.archived:
        raise NotFoundError(
            f"Encounter {encounter_id} was not found or is archived; refresh the Charges "
            "queue and open it again."
        )
    return encounter


def get_line(session: Session, line_id: uuid.UUID) -> ChargeLine:
    """Return the service line, or raise NotFoundError when it is missing or archived."""
    line = session.get(ChargeLine, line_id)
    if line is None or line.archived:
        raise NotFoundError(
            f"Service line {line_id} was not found or was removed; reopen the encounter."
        )
    return line


def active_lines(session: Session, encounter_id: uuid.UUID) -> list[ChargeLine]:
    """Return the encounter's service lines that are not archived, in position order."""
    query = (
        select(ChargeLine)
        .where(ChargeLine.encounter_id == encounter_id, ChargeLine.archived.is_(False))
        .order_by(ChargeLine.position, ChargeLine.created_at)
    )
    return list(session.scalars(query))


def active_diagnoses(session: Session, encounter_id: uuid.UUID) -> list[EncounterDiagnosis]:
    """Return the encounter's diagnoses that are not archived, in claim order."""
    query = (
        select(EncounterDiagnosis)
        .where(
            EncounterDiagnosis.encounter_id == encounter_id,
            EncounterDiagnosis.archived.is_(False),
        )
        .order_by(EncounterDiagnosis.position)
    )
    return list(session.scalars(query))


def line_charges(session: Session, line_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LedgerEntry]:
    """Return the ledger charge row of each posted line, keyed by line id."""
    ids = list(line_ids)
    if not ids:
        return {}
    query = select(LedgerEntry).where(
        LedgerEntry.source_type == CHARGE_LINE_SOURCE,
        LedgerEntry.source_id.in_(ids),
        LedgerEntry.entry_type == CHARGE_ENTRY_TYPE,
    )
    charges: dict[uuid.UUID, LedgerEntry] = {}
    for entry in session.scalars(query):
        if entry.source_id is not None:
            charges[entry.source_id] = entry
    return charges


def reversed_line_ids(session: Session, line_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Return the ids among `line_ids` whose ledger charge has been reversed."""
    charges = line_charges(session, line_ids)
    if not charges:
        return set()
    line_of_charge = {entry.id: line_id for line_id, entry in charges.items()}
    reversed_charges = session.scalars(
        select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(list(line_of_charge)))
    )
    return {line_of_charge[charge_id] for charge_id in reversed_charges if charge_id is not None}


def primary_coverage_on(session: Session, patient_id: uuid.UUID, day: date) -> Coverage | None:
    """Return the patient's primary coverage in force on `day`, or None.

    A coverage is in force from its effective date through its termination date; a blank
    date leaves that end open.
    """
    query = (
        select(Coverage)
        .where(
            Coverage.patient_id == patient_id,
            Coverage.archived.is_(False),
            Coverage.priority == 1,
            or_(Coverage.effective_date.is_(None), Coverage.effective_date <= day),
            or_(Coverage.termination_date.is_(None), Coverage.termination_date >= day),
        )
        .order_by(Coverage.effective_date.desc(), Coverage.created_at)
    )
    return session.scalars(query).first()


def primary_payer_on(session: Session, patient_id: uuid.UUID, day: date) -> uuid.UUID | None:
    """Return the payer of the patient's primary coverage in force on `day`, or None."""
    coverage = primary_coverage_on(session, patient_id, day)
    return coverage.payer_id if coverage is not None else None


def line_modifiers(line: ChargeLine) -> tuple[str, ...]:
    """Return the line's modifiers in order, without the empty slots."""
    slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return tuple(modifier for modifier in slots if modifier)


def line_pointers(line: ChargeLine) -> list[int]:
    """Return the line's diagnosis pointers in order, without the empty slots."""
    slots = (line.pointer1, line.pointer2, line.pointer3, line.pointer4)
    return [pointer for pointer in slots if pointer is not None]


def line_form(line: ChargeLine, encounter_date: date | None = None) -> LineForm:
    """Return a stored line as the form edits it.

    The unit fee is left None (the fee schedule's price) unless it was typed over the
    schedule, so a draft keeps following the schedule until someone types a fee. The
    date is left None when it is `encounter_date`, so the line follows the encounter's.
    """
    own_date = line.service_date if line.service_date != encounter_date else None
    return LineForm(
        id=line.id,
        service_date=own_date,
        procedure_code=line.procedure_code,
        modifiers=list(line_modifiers(line)),
        units=line.units,
        unit_fee=line.unit_fee if line.fee_changed else None,
        pointers=line_pointers(line),
        ndc_code=line.ndc_code or "",
        ndc_quantity=line.ndc_quantity or "",
        ndc_unit=line.ndc_unit or "",
        note=line.note or "",
    )


def encounter_form(session: Session, encounter: Encounter) -> EncounterForm:
    """Return a stored encounter as the form edits it, with `loaded_at` set.

    A posted encounter lists only the lines still billed: reversed lines are left out.
    """
    lines = active_lines(session, encounter.id)
    if encounter.status == "posted":
        reversed_ids = reversed_line_ids(session, [line.id for line in lines])
        lines = [line for line in lines if line.id not in reversed_ids]
    return EncounterForm(
        id=encounter.id,
        patient_id=encounter.patient_id,
        appointment_id=encounter.appointment_id,
        service_date=encounter.service_date,
        rendering_provider_id=encounter.rendering_provider_id,
        supervising_provider_id=encounter.supervising_provider_id,
        referring_provider_id=encounter.referring_provider_id,
        location_id=encounter.location_id,
        place_of_service=encounter.place_of_service,
        prior_authorization_id=encounter.prior_authorization_id,
        related_employment=encounter.related_employment,
        related_auto_accident=encounter.related_auto_accident,
        auto_accident_state=encounter.auto_accident_state or "",
        related_other_accident=encounter.related_other_accident,
        onset_date=encounter.onset_date,
        note=encounter.note or "",
        diagnoses=[row.code for row in active_diagnoses(session, encounter.id)],
        lines=[line_form(line, encounter.service_date) for line in lines],
        loaded_at=encounter.updated_at,
    )
