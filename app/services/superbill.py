"""The superbill (encounter form): the practice's codes with check boxes, blank or
pre-filled for one appointment.

The provider checks the services given and writes the diagnoses, and the desk keys them
in as the encounter. Labels are the practice's own descriptions from its procedure code
list, because no CPT descriptions ship with ClinicDesk. A pre-filled superbill carries
patient details, so writing one is an audited print; a blank one carries none.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.charges import ProcedureCode
from app.models.patients import Patient
from app.models.practice import Payer, Provider
from app.models.scheduling import Appointment, AppointmentTypeCode
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.appointment_status import load_appointment
from app.services.billing_header import BillingHeader, billing_header
from app.services.encounter_records import primary_coverage_on
from app.services.fee_schedules import fee_for
from app.services.ledger import patient_balance
from app.services.patient_records import display_name, get_patient
from app.services.today import practice_today

log = logging.getLogger(__name__)

# Description printed for a visit type's default code that is missing from the code list.
NOT_IN_CODE_LIST = "(not in the code list)"


@dataclass(frozen=True, slots=True)
class SuperbillCode:
    """One code row: the practice's label, its fee (None when unpriced) and the check mark."""

    code: str
    description: str
    fee: Decimal | None
    checked: bool


@dataclass(frozen=True, slots=True)
class CodeGroup:
    """A titled run of codes, such as the evaluation and management codes."""

    title: str
    codes: tuple[SuperbillCode, ...]


@dataclass(frozen=True, slots=True)
class SuperbillVisit:
    """The appointment details printed on a pre-filled superbill."""

    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    date_of_birth: date
    starts_at: datetime
    provider: str
    visit_type: str
    payer: str
    member_id: str
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Superbill:
    """Everything a superbill prints. `visit` is None for a blank form."""

    header: BillingHeader
    fee_date: date
    groups: tuple[CodeGroup, ...]
    visit: SuperbillVisit | None


# CPT Category I sections by code range, in the order a clinic's form lists them:
# office visits first because nearly every visit bills one.
_EVALUATION = "Evaluation and management"
_CODE_SHAPES = (
    (re.compile(r"[0-9]{4}F"), "CPT Category II"),
    (re.compile(r"[0-9]{4}T"), "CPT Category III"),
    (re.compile(r"[0-9]{4}U"), "Pathology and laboratory"),
    (re.compile(r"[A-Z][0-9]{4}"), "HCPCS Level II"),
)
_SECTION_ORDER = (
    _EVALUATION,
    "Medicine",
    "Pathology and laboratory",
    "Radiology",
    "Surgery",
    "Anesthesia",
    "HCPCS Level II",
    "CPT Category II",
    "CPT Category III",
    "Practice codes",
)


def code_section(code: str) -> str:
    """Return the superbill section of a procedure code, from the code's form alone.

    Five digits are CPT Category I, split by the CPT section ranges. After four digits,
    an F marks Category II, a T Category III and a U a Proprietary Laboratory Analyses
    code. A letter with four digits is HCPCS Level II. Anything else is a local code.
    """
    if len(code) == 5 and code.isdigit():
        return _category_one_section(int(code))
    for shape, section in _CODE_SHAPES:
        if shape.fullmatch(code):
            return section
    return "Practice codes"


def _category_one_section(number: int) -> str:
    if number < 10000:
        return "Anesthesia"
    if number < 70000:
        return "Surgery"
    if number < 80000:
        return "Radiology"
    if number < 90000:
        return "Pathology and laboratory"
    if 99202 <= number <= 99499:
        return _EVALUATION
    return "Medicine"


def superbill(session: Session, actor: Actor, appointment_id: uuid.UUID | None) -> Superbill:
    """Gather a blank superbill (`appointment_id` None) or one pre-filled for the visit.

    Fees are the practice fee schedule's prices on the visit day, or today for a blank
    form. Raises NotFoundError for a missing or archived appointment.
    """
    require(actor, Permission.SCHEDULE_VIEW)
    if appointment_id is None:
        today = practice_today(session)
        return Superbill(billing_header(session), today, _groups(session, today, set()), None)

    require(actor, Permission.PATIENT_VIEW)
    appointment = load_appointment(session, appointment_id)
    visit_day = appointment.starts_at.date()
    checked = _default_codes(session, appointment)
    visit = _visit(session, appointment)
    return Superbill(
        billing_header(session), visit_day, _groups(session, visit_day, checked), visit
    )


def superbill_pdf(
    session: Session, actor: Actor, appointment_id: uuid.UUID | None, path: Path
) -> Path:
    """Write the superbill PDF to `path`: pre-filled for the appointment, blank for None.

    The file is written atomically. A pre-filled superbill is audited as a print of the
    patient's record. Raises FileWriteError when `path` cannot be written.
    """
    from app.pdf.superbill import render_superbill

    sheet = superbill(session, actor, appointment_id)
    render_superbill(sheet, path)
    if sheet.visit is None:
        log.info("blank superbill printed")
        return path

    visit = sheet.visit
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        "appointment",
        visit.appointment_id,
        patient_id=visit.patient_id,
        detail="superbill PDF",
    )
    log.info("superbill printed for appointment %s", visit.appointment_id)
    return path


def _groups(session: Session, fee_date: date, checked: set[str]) -> tuple[CodeGroup, ...]:
    """Return the practice's codes by section, each section sorted by code."""
    rows = session.execute(
        select(ProcedureCode.code, ProcedureCode.description)
        .where(ProcedureCode.archived.is_(False))
        .order_by(ProcedureCode.code)
    ).all()
    labels: dict[str, str] = dict(rows)
    # A default code missing from the code list (never added, or archived since) is still
    # printed and checked, so the visit type's pre-check never disappears without a trace.
    for code in checked - labels.keys():
        labels[code] = NOT_IN_CODE_LIST

    sections: dict[str, list[SuperbillCode]] = {title: [] for title in _SECTION_ORDER}
    for code in sorted(labels):
        fee = fee_for(session, code, [], fee_date)
        row = SuperbillCode(code, labels[code], fee, code in checked)
        sections[code_section(code)].append(row)
    return tuple(CodeGroup(title, tuple(rows)) for title, rows in sections.items() if rows)


def _default_codes(session: Session, appointment: Appointment) -> set[str]:
    if appointment.appointment_type_id is None:
        return set()
    codes = session.scalars(
        select(AppointmentTypeCode.code).where(
            AppointmentTypeCode.appointment_type_id == appointment.appointment_type_id,
            AppointmentTypeCode.archived.is_(False),
        )
    )
    return {code.strip().upper() for code in codes}


def _visit(session: Session, appointment: Appointment) -> SuperbillVisit:
    patient = get_patient(session, appointment.patient_id)
    provider = session.get(Provider, appointment.provider_id)
    payer, member_id = _primary_coverage(session, patient, appointment.starts_at.date())
    return SuperbillVisit(
        appointment_id=appointment.id,
        patient_id=patient.id,
        patient_name=display_name(patient),
        chart_number=patient.chart_number,
        date_of_birth=patient.date_of_birth,
        starts_at=appointment.starts_at,
        provider=provider.display_name if provider is not None else "",
        visit_type=appointment.appointment_type,
        payer=payer,
        member_id=member_id,
        balance=patient_balance(session, patient.id),
    )


def _primary_coverage(session: Session, patient: Patient, day: date) -> tuple[str, str]:
    """Return the payer name and member id of the primary coverage in force on `day`."""
    coverage = primary_coverage_on(session, patient.id, day)
    payer = session.get(Payer, coverage.payer_id) if coverage is not None else None
    if coverage is None or payer is None:
        return "Self-pay", ""
    return payer.name, coverage.member_id
