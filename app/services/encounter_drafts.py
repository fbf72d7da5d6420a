"""Draft encounters: the defaults of a new one, the draft made at check-out, and saving.

A draft may be incomplete (check-out creates one before anyone has coded the visit), so
saving stores whatever the tables can hold and leaves the full check to posting.
"""

import logging
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis
from app.models.onboarding import Referral
from app.models.patients import Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment, AppointmentTypeCode
from app.money import ZERO, to_money
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services import icd10
from app.services.authorization_check import authorization_for
from app.services.encounter_checks import line_date, normalize_modifiers
from app.services.encounter_forms import (
    MAX_MODIFIERS,
    MAX_POINTERS,
    STATUS_DRAFT,
    EncounterForm,
    LineForm,
)
from app.services.encounter_ndc import normalize_ndc
from app.services.encounter_records import OBJECT_TYPE, primary_payer_on
from app.services.fee_schedules import fee_for
from app.services.numbering import next_number
from app.services.procedure_codes import find_procedure_code, normalize_procedure_code
from app.services.referrals import ReferralStatus, referral_status

log = logging.getLogger(__name__)

_Slot = TypeVar("_Slot", str, int)

# Appointments in these statuses never took place, so they have nothing to bill.
UNBILLABLE_STATUSES = frozenset({"cancelled", "no_show", "rescheduled"})
# Of a patient's appointments on one day, the one furthest along the visit is billed.
_VISIT_PROGRESS = ("checked_out", "in_room", "arrived", "confirmed", "scheduled")


# ---- defaults -------------------------------------------------------------------------------


def priced(session: Session, line: LineForm, day: date | None) -> LineForm:
    """Return a copy of `line` with the code's default units and the schedule's unit fee.

    A typed fee is kept. Units come from the code only on a line not stored yet, so
    pricing a stored line never overwrites units someone entered.
    """
    code = normalize_procedure_code(line.procedure_code)
    procedure = find_procedure_code(session, code) if code else None
    units = line.units
    if procedure is not None and line.id is None:
        units = procedure.default_units
    unit_fee = line.unit_fee
    if unit_fee is None and procedure is not None and day is not None:
        unit_fee = fee_for(session, code, normalize_modifiers(line.modifiers), day)
    return LineForm(
        id=line.id,
        service_date=line.service_date,
        procedure_code=code,
        modifiers=list(line.modifiers),
        units=units,
        unit_fee=unit_fee,
        pointers=list(line.pointers),
        ndc_code=line.ndc_code,
        ndc_quantity=line.ndc_quantity,
        ndc_unit=line.ndc_unit,
        note=line.note,
    )


def _type_code_lines(session: Session, appointment: Appointment) -> list[LineForm]:
    """Return one line per default procedure code of the appointment's type, with units."""
    if appointment.appointment_type_id is None:
        return []
    codes = session.scalars(
        select(AppointmentTypeCode.code)
        .where(
            AppointmentTypeCode.appointment_type_id == appointment.appointment_type_id,
            AppointmentTypeCode.archived.is_(False),
        )
        .order_by(AppointmentTypeCode.position, AppointmentTypeCode.code)
    )
    lines: list[LineForm] = []
    for code in codes:
        procedure = find_procedure_code(session, code)
        units = procedure.default_units if procedure is not None else 1
        lines.append(LineForm(procedure_code=code, units=units))
    return lines


def _visit_on(session: Session, patient_id: uuid.UUID, day: date) -> Appointment | None:
    """Return the patient's appointment on `day` that went furthest, or None."""
    day_start = datetime.combine(day, time.min)
    query = (
        select(Appointment)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.archived.is_(False),
            Appointment.status.not_in(UNBILLABLE_STATUSES),
            Appointment.starts_at >= day_start,
            Appointment.starts_at < day_start + timedelta(days=1),
        )
        .order_by(Appointment.starts_at)
    )
    visits = list(session.scalars(query))
    if not visits:
        return None
    visits.sort(key=lambda visit: _VISIT_PROGRESS.index(visit.status))
    return visits[0]


def _has_encounter(session: Session, appointment_id: uuid.UUID) -> bool:
    query = select(Encounter.id).where(Encounter.appointment_id == appointment_id)
    return session.scalars(query).first() is not None


def _location_place(session: Session, location_id: uuid.UUID) -> str:
    location = session.get(Location, location_id)
    return location.place_of_service if location is not None else "11"


def _fill_from_last_visit(session: Session, form: EncounterForm, patient: Patient) -> None:
    """Take provider, location and place from the patient's latest earlier encounter."""
    assert form.service_date is not None  # set by the caller
    last = session.scalars(
        select(Encounter)
        .where(
            Encounter.patient_id == patient.id,
            Encounter.archived.is_(False),
            Encounter.service_date <= form.service_date,
        )
        .order_by(Encounter.service_date.desc(), Encounter.created_at.desc())
    ).first()
    if last is not None:
        form.rendering_provider_id = last.rendering_provider_id
        form.location_id = last.location_id
        form.place_of_service = last.place_of_service
        return

    # No earlier visit: the patient's own provider, and the location when there is only one.
    primary = (
        session.get(Provider, patient.primary_provider_id) if patient.primary_provider_id else None
    )
    if primary is not None and not primary.archived:
        form.rendering_provider_id = primary.id
    locations = list(session.scalars(select(Location).where(Location.archived.is_(False))).all())
    if len(locations) == 1:
        form.location_id = locations[0].id
        form.place_of_service = locations[0].place_of_service


def _active_referrer(session: Session, patient_id: uuid.UUID, day: date) -> uuid.UUID | None:
    """Return the referring provider of the newest referral active on `day`, or None."""
    query = (
        select(Referral)
        .where(
            Referral.patient_id == patient_id,
            Referral.archived.is_(False),
            Referral.outside_provider_id.is_not(None),
            Referral.referred_on <= day,
        )
        .order_by(Referral.referred_on.desc(), Referral.created_at.desc())
    )
    for referral in session.scalars(query):
        if referral_status(referral, day) is ReferralStatus.ACTIVE:
            return referral.outside_provider_id
    return None


def _covering_authorization(
    session: Session, actor: Actor, patient_id: uuid.UUID, day: date, lines: list[LineForm]
) -> uuid.UUID | None:
    """Return the primary payer's authorization that covers the first line it can cover."""
    payer_id = primary_payer_on(session, patient_id, day)
    if payer_id is None:
        return None
    for line in lines:
        code = normalize_procedure_code(line.procedure_code)
        if not code:
            continue
        check = authorization_for(
            session, actor, patient_id, payer_id, day, code, max(line.units, 1)
        )
        if check.covered:
            return check.authorization_id
    return None


def default_form(
    session: Session, actor: Actor, patient_id: uuid.UUID, service_date: date
) -> EncounterForm:
    """Return an unsaved form filled from the day's appointment or the patient's last visit."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.archived:
        raise NotFoundError(
            f"Patient {patient_id} was not found or is archived; search for the patient again."
        )
    visit = _visit_on(session, patient_id, service_date)
    if visit is not None:
        form = appointment_form(session, actor, visit)
        # A visit bills once: a visit with an encounter lends its defaults but not its link.
        if _has_encounter(session, visit.id):
            form.appointment_id = None
        return form

    form = EncounterForm(patient_id=patient_id, service_date=service_date)
    _fill_from_last_visit(session, form, patient)
    form.referring_provider_id = _active_referrer(session, patient_id, service_date)
    return form


def appointment_form(session: Session, actor: Actor, appointment: Appointment) -> EncounterForm:
    """Return an unsaved form for the visit of `appointment`, with its type's default codes."""
    day = appointment.starts_at.date()
    lines = _type_code_lines(session, appointment)
    return EncounterForm(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        service_date=day,
        rendering_provider_id=appointment.provider_id,
        location_id=appointment.location_id,
        place_of_service=_location_place(session, appointment.location_id),
        referring_provider_id=_active_referrer(session, appointment.patient_id, day),
        prior_authorization_id=_covering_authorization(
            session, actor, appointment.patient_id, day, lines
        ),
        lines=lines,
    )


# ---- writing --------------------------------------------------------------------------------


def _slots(values: list[_Slot], count: int) -> list[_Slot | None]:
    """Return `values` cut or padded with None to `count` column slots."""
    filled: list[_Slot | None] = list(values[:count])
    return filled + [None] * (count - len(filled))


def _stored_fee(session: Session, form: EncounterForm, line: LineForm) -> tuple[Decimal, bool]:
    """Return the unit fee to store and whether it was typed over the fee schedule.

    A line with no typed fee and no schedule price stores 0.00 until a price exists. The
    check before posting rejects such a line, so the placeholder never reaches the ledger.
    """
    day = line_date(form, line)
    code = normalize_procedure_code(line.procedure_code)
    schedule_fee = None
    if code and day is not None:
        schedule_fee = fee_for(session, code, normalize_modifiers(line.modifiers), day)
    if line.unit_fee is None:
        return (schedule_fee if schedule_fee is not None else ZERO), False
    typed = to_money(line.unit_fee)
    return typed, typed != schedule_fee


def write_line(
    session: Session, form: EncounterForm, line: LineForm, row: ChargeLine, position: int
) -> None:
    """Copy `line` into `row`, normalized and priced with the schedule in force on its date."""
    assert form.service_date is not None  # checked by shape_problems
    unit_fee, fee_changed = _stored_fee(session, form, line)
    modifiers = _slots(normalize_modifiers(line.modifiers), MAX_MODIFIERS)
    pointers = _slots(line.pointers, MAX_POINTERS)
    ndc_code = line.ndc_code.strip()
    row.position = position
    row.service_date = line.service_date or form.service_date
    row.procedure_code = normalize_procedure_code(line.procedure_code)
    row.modifier1, row.modifier2, row.modifier3, row.modifier4 = modifiers
    row.units = line.units
    row.unit_fee = unit_fee
    row.charge_amount = to_money(unit_fee * line.units)
    row.fee_changed = fee_changed
    row.pointer1 = line.pointers[0]
    row.pointer2, row.pointer3, row.pointer4 = pointers[1:]
    row.ndc_code = (normalize_ndc(ndc_code) or ndc_code) or None
    row.ndc_quantity = line.ndc_quantity.strip() or None
    row.ndc_unit = line.ndc_unit.strip().upper() or None
    row.note = line.note.strip() or None


def _write_lines(session: Session, actor: Actor, form: EncounterForm, encounter: Encounter) -> None:
    stored = {
        row.id: row
        for row in session.scalars(
            select(ChargeLine).where(
                ChargeLine.encounter_id == encounter.id, ChargeLine.archived.is_(False)
            )
        )
    }
    listed_ids: set[uuid.UUID] = set()
    for position, line in enumerate(form.lines, start=1):
        row = stored.get(line.id) if line.id is not None else None
        if line.id is not None and row is None:
            raise NotFoundError(
                f"Service line {line.id} is not on this encounter; reopen the encounter."
            )
        new_row = row is None
        if row is None:
            row = ChargeLine(encounter_id=encounter.id)
        # Pricing queries the fee schedule, so a new row is added only once it is complete.
        write_line(session, form, line, row, position)
        row.updated_by = actor.user_id
        if new_row:
            session.add(row)
        if line.id is not None:
            listed_ids.add(line.id)
    for line_id, row in stored.items():
        if line_id not in listed_ids:
            row.archived = True
            row.updated_by = actor.user_id


def _write_diagnoses(
    session: Session, actor: Actor, form: EncounterForm, encounter: Encounter
) -> None:
    # Positions are unique per encounter, archived rows included, so rows are reused by position.
    assert form.service_date is not None  # checked by shape_problems
    rows = {
        row.position: row
        for row in session.scalars(
            select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == encounter.id)
        )
    }
    edition = icd10.edition_for(session, form.service_date).name
    for position, typed in enumerate(form.diagnoses, start=1):
        row = rows.get(position)
        if row is None:
            row = EncounterDiagnosis(encounter_id=encounter.id, position=position)
            session.add(row)
        row.code = icd10.normalize_code(typed)
        row.edition = edition
        row.archived = False
        row.updated_by = actor.user_id
    for position, row in rows.items():
        if position > len(form.diagnoses) and not row.archived:
            row.archived = True
            row.updated_by = actor.user_id


def _apply_header(form: EncounterForm, encounter: Encounter) -> None:
    assert form.patient_id is not None and form.service_date is not None  # shape_problems
    assert form.rendering_provider_id is not None and form.location_id is not None
    encounter.patient_id = form.patient_id
    encounter.appointment_id = form.appointment_id
    encounter.service_date = form.service_date
    encounter.rendering_provider_id = form.rendering_provider_id
    encounter.supervising_provider_id = form.supervising_provider_id
    encounter.referring_provider_id = form.referring_provider_id
    encounter.location_id = form.location_id
    encounter.place_of_service = form.place_of_service.strip()
    encounter.prior_authorization_id = form.prior_authorization_id
    encounter.related_employment = form.related_employment
    encounter.related_auto_accident = form.related_auto_accident
    state = form.auto_accident_state.strip().upper()
    encounter.auto_accident_state = state if form.related_auto_accident and state else None
    encounter.related_other_accident = form.related_other_accident
    encounter.onset_date = form.onset_date
    encounter.note = form.note.strip() or None


def write_draft(
    session: Session, actor: Actor, form: EncounterForm, encounter: Encounter | None
) -> Encounter:
    """Store `form` as a draft, in `encounter` or in a new one, and audit the write.

    The caller has checked `shape_problems`, so every required column has a value.
    """
    created = encounter is None
    if encounter is None:
        encounter = Encounter(
            encounter_number=next_number(session, "encounter"), status=STATUS_DRAFT
        )
        session.add(encounter)
    _apply_header(form, encounter)
    encounter.updated_by = actor.user_id
    # Lines and diagnoses are rows of their own, so the stamp that stale-save detection
    # compares is set here even when only they changed.
    encounter.updated_at = utc_now()
    session.flush()
    _write_diagnoses(session, actor, form, encounter)
    _write_lines(session, actor, form, encounter)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    detail = f"draft with {len(form.diagnoses)} diagnoses and {len(form.lines)} lines"
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        encounter.id,
        patient_id=encounter.patient_id,
        detail=detail,
    )
    log.info("%s encounter %s", action.value, encounter.id)
    return encounter


def draft_for_appointment(session: Session, actor: Actor, appointment_id: uuid.UUID) -> uuid.UUID:
    """Create the draft encounter of an appointment, or return the one it already has.

    No permission is checked here: the front desk checks patients out without
    CHARGE_POST, and a draft posts nothing. Callers check what their action needs.
    """
    existing = session.scalars(
        select(Encounter).where(Encounter.appointment_id == appointment_id)
    ).first()
    if existing is not None:
        return existing.id

    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.archived:
        raise NotFoundError(
            f"Appointment {appointment_id} was not found or is archived; refresh the calendar."
        )
    if appointment.status in UNBILLABLE_STATUSES:
        raise UserError(
            f"The appointment is {appointment.status.replace('_', ' ')}, so there is no visit "
            "to bill; open the appointment the patient came to, or enter the charges as a new "
            "encounter."
        )
    form = appointment_form(session, actor, appointment)
    encounter = write_draft(session, actor, form, None)
    return encounter.id
