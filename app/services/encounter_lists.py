"""The Charges queue and each provider's favorite procedure codes."""

import logging
import uuid
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError
from app.models.charges import ChargeLine, Encounter, ProcedureCode, ProcedureFavorite
from app.models.patients import Patient
from app.models.practice import Provider
from app.money import ZERO
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services.encounter_forms import STATUS_DRAFT, STATUS_POSTED, EncounterSummary
from app.services.encounter_records import reversed_line_ids
from app.services.patient_records import display_name
from app.services.procedure_codes import codes_by_value, normalize_procedure_code

log = logging.getLogger(__name__)

QUEUE_STATUSES = (STATUS_DRAFT, STATUS_POSTED)


# ---- the Charges queue ----------------------------------------------------------------------


def _queued(session: Session, status: str, limit: int) -> list[Encounter]:
    query = select(Encounter).where(Encounter.archived.is_(False), Encounter.status == status)
    if status == STATUS_DRAFT:
        query = query.order_by(Encounter.service_date, Encounter.encounter_number)
    else:
        query = query.order_by(Encounter.posted_at.desc(), Encounter.encounter_number.desc())
    return list(session.scalars(query.limit(limit)))


def _billed_lines(
    session: Session, encounters: list[Encounter]
) -> dict[uuid.UUID, list[ChargeLine]]:
    """Return each encounter's lines still billed: stored lines, less reversed posted ones."""
    lines = session.scalars(
        select(ChargeLine).where(
            ChargeLine.encounter_id.in_([encounter.id for encounter in encounters]),
            ChargeLine.archived.is_(False),
        )
    ).all()
    reversed_ids = reversed_line_ids(session, [line.id for line in lines])
    by_encounter: dict[uuid.UUID, list[ChargeLine]] = defaultdict(list)
    for line in lines:
        if line.id not in reversed_ids:
            by_encounter[line.encounter_id].append(line)
    return by_encounter


def queue_rows(session: Session, status: str | None, limit: int) -> list[EncounterSummary]:
    """Return up to `limit` queue rows: drafts oldest visit first, then posted newest first."""
    if status is not None and status not in QUEUE_STATUSES:
        raise UserError(
            f"{status!r} is not an encounter status; filter by draft, posted or neither."
        )
    statuses = (status,) if status is not None else QUEUE_STATUSES
    encounters: list[Encounter] = []
    for listed_status in statuses:
        encounters += _queued(session, listed_status, max(limit - len(encounters), 0))
    if not encounters:
        return []

    patients = {
        patient.id: patient
        for patient in session.scalars(
            select(Patient).where(Patient.id.in_({row.patient_id for row in encounters}))
        )
    }
    providers = {
        provider.id: provider
        for provider in session.scalars(
            select(Provider).where(
                Provider.id.in_({row.rendering_provider_id for row in encounters})
            )
        )
    }
    lines = _billed_lines(session, encounters)
    rows: list[EncounterSummary] = []
    for encounter in encounters:
        billed = lines.get(encounter.id, [])
        patient = patients.get(encounter.patient_id)
        provider = providers.get(encounter.rendering_provider_id)
        rows.append(
            EncounterSummary(
                id=encounter.id,
                encounter_number=encounter.encounter_number,
                patient_id=encounter.patient_id,
                patient_name=display_name(patient) if patient is not None else "",
                service_date=encounter.service_date,
                provider_name=provider.display_name if provider is not None else "",
                status=encounter.status,
                line_count=len(billed),
                total=sum((line.charge_amount for line in billed), Decimal(ZERO)),
            )
        )
    return rows


# ---- favorites ------------------------------------------------------------------------------


def provider_favorites(session: Session, provider_id: uuid.UUID) -> list[ProcedureCode]:
    """Return the provider's favorite codes in their order, leaving out archived codes."""
    query = (
        select(ProcedureCode)
        .join(ProcedureFavorite, ProcedureFavorite.procedure_code == ProcedureCode.code)
        .where(
            ProcedureFavorite.provider_id == provider_id,
            ProcedureFavorite.archived.is_(False),
            ProcedureCode.archived.is_(False),
        )
        .order_by(ProcedureFavorite.position)
    )
    return list(session.scalars(query))


def replace_favorites(
    session: Session, actor: Actor, provider_id: uuid.UUID, typed_codes: list[str]
) -> Changes:
    """Make `typed_codes` the provider's favorites in that order; repeats count once."""
    provider = session.get(Provider, provider_id)
    if provider is None or provider.archived:
        raise NotFoundError(
            f"Provider {provider_id} was not found or is archived; choose another provider."
        )
    codes = list(
        dict.fromkeys(normalize_procedure_code(code) for code in typed_codes if code.strip())
    )
    known = codes_by_value(session, set(codes))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise UserError(
            f"Procedure code {unknown[0]} is not one of the practice's procedure codes; add "
            "it under Admin > Procedure codes first, or remove it from the favorites."
        )

    # Rows are unique per provider and code, archived ones included, so they are reused.
    stored = {
        row.procedure_code: row
        for row in session.scalars(
            select(ProcedureFavorite).where(ProcedureFavorite.provider_id == provider_id)
        )
    }
    for position, code in enumerate(codes, start=1):
        row = stored.get(code)
        if row is None:
            row = ProcedureFavorite(provider_id=provider_id, procedure_code=code)
            session.add(row)
        row.position = position
        row.archived = False
        row.updated_by = actor.user_id
    for code, row in stored.items():
        if code not in codes and not row.archived:
            row.archived = True
            row.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "procedure_favorite",
        provider_id,
        detail=f"{len(codes)} favorite codes",
    )
    log.info("set %d favorite codes for provider %s", len(codes), provider_id)
    return Changes.of(ChangeKind.CODE_SETS)
