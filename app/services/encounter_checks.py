"""The checks an encounter passes before it is saved as a draft and before it is posted.

The checks come in two levels. `shape_problems` lists what the tables need to store a
draft at all: a patient, a date, providers, and per line at most four modifiers, one to
four pointers, 1 to 9,999 units and a fee small enough to store. `encounter_problems` adds
everything a claim needs, such as valid codes, pointers within the diagnosis list, fees,
dates and NDCs. A draft saved at check-out has no diagnoses yet, so only the first level
stops a save, and posting needs both.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.models.charges import ChargeLine, Encounter
from app.models.onboarding import PriorAuthorization
from app.models.patients import OutsideProvider, Patient
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment
from app.problems import Problem, Severity
from app.security.permissions import Actor, Permission
from app.services import icd10, modifiers, place_of_service
from app.services.encounter_forms import (
    MAX_CLAIM_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    MAX_UNITS,
    EncounterForm,
    LineForm,
)
from app.services.encounter_ndc import (
    ndc_code_problems,
    ndc_quantity_problems,
    ndc_unit_problems,
)
from app.services.encounter_records import primary_payer_on
from app.services.fee_schedules import MAX_FEE, fee_for
from app.services.ledger import ledger_lock_date
from app.services.procedure_codes import find_procedure_code, normalize_procedure_code
from app.services.referrals import patient_problems
from app.services.today import practice_today


@dataclass(frozen=True, slots=True)
class _Facts:
    """Facts every line check needs, looked up once per encounter."""

    today: date
    birth_date: date | None
    diagnosis_count: int
    lock_date: date | None


def normalize_modifiers(typed: list[str]) -> list[str]:
    """Return the modifiers in upper case without blanks, keeping their order."""
    return [modifier.strip().upper() for modifier in typed if modifier.strip()]


def line_date(form: EncounterForm, line: LineForm) -> date | None:
    """Return the line's date of service: its own, or the encounter's when it has none."""
    return line.service_date if line.service_date is not None else form.service_date


# ---- shape: what a draft needs to be stored ------------------------------------------------


def _provider_problems(
    session: Session, provider_id: uuid.UUID | None, field: str, label: str, *, required: bool
) -> list[Problem]:
    if provider_id is None:
        if not required:
            return []
        return [Problem(field, f"{label} is missing; choose the provider who saw the patient.")]
    provider = session.get(Provider, provider_id)
    if provider is None or provider.archived:
        return [
            Problem(
                field,
                f"The {label.lower()} was not found or is archived; choose another provider.",
            )
        ]
    return []


def _location_problems(session: Session, location_id: uuid.UUID | None) -> list[Problem]:
    if location_id is None:
        return [Problem("location_id", "Location is missing; choose where the visit took place.")]
    location = session.get(Location, location_id)
    if location is None or location.archived:
        return [
            Problem("location_id", "The location was not found or is archived; choose another.")
        ]
    return []


def _units_problems(index: int, line: LineForm) -> list[Problem]:
    field = f"lines[{index}].units"
    if line.units < 1:
        return [Problem(field, f"Line {index + 1} has {line.units} units; enter 1 or more.")]
    if line.units > MAX_UNITS:
        return [
            Problem(
                field,
                f"Line {index + 1} has {line.units:,} units; a line carries at most "
                f"{MAX_UNITS:,}, so correct the units or split the service over several lines.",
            )
        ]
    return []


def _line_shape_problems(index: int, line: LineForm) -> list[Problem]:
    number = index + 1
    prefix = f"lines[{index}]"
    problems: list[Problem] = []
    count = len(normalize_modifiers(line.modifiers))
    if count > MAX_MODIFIERS:
        problems.append(
            Problem(
                f"{prefix}.modifiers",
                f"Line {number} has {count} modifiers; a claim line carries at most "
                f"{MAX_MODIFIERS}, so remove {count - MAX_MODIFIERS}.",
            )
        )
    problems += _units_problems(index, line)
    fee = line.unit_fee
    if fee is not None and not (fee.is_finite() and fee <= MAX_FEE):
        problems.append(
            Problem(
                f"{prefix}.unit_fee",
                f"The fee {fee} on line {number} is not an amount from 0.00 to {MAX_FEE:,}; "
                "enter the price of one unit.",
            )
        )
    if not line.pointers:
        problems.append(
            Problem(
                f"{prefix}.pointers",
                f"Line {number} points to no diagnosis; enter 1 to {MAX_POINTERS} diagnosis "
                "numbers, such as 1.",
            )
        )
    elif len(line.pointers) > MAX_POINTERS:
        problems.append(
            Problem(
                f"{prefix}.pointers",
                f"Line {number} points to {len(line.pointers)} diagnoses; a claim line "
                f"carries at most {MAX_POINTERS}, so keep the {MAX_POINTERS} that matter most.",
            )
        )
    return problems


def _appointment_problems(session: Session, form: EncounterForm) -> list[Problem]:
    if form.appointment_id is None:
        return []
    appointment = session.get(Appointment, form.appointment_id)
    if appointment is None or appointment.patient_id != form.patient_id:
        return [
            Problem(
                "appointment_id",
                "The appointment is not one of this patient's; enter the charges without it, "
                "or open the encounter from the patient's visit.",
            )
        ]
    query = select(Encounter).where(Encounter.appointment_id == form.appointment_id)
    if form.id is not None:
        query = query.where(Encounter.id != form.id)
    other = session.scalars(query).first()
    if other is not None:
        return [
            Problem(
                "appointment_id",
                f"The appointment already has encounter {other.encounter_number}; open that "
                "encounter from the Charges queue instead of entering the visit again.",
            )
        ]
    return []


def _header_shape_problems(session: Session, form: EncounterForm) -> list[Problem]:
    problems = patient_problems(session, form.patient_id)
    if form.service_date is None:
        problems.append(
            Problem("service_date", "Date of service is missing; enter the date of the visit.")
        )
    problems += _provider_problems(
        session,
        form.rendering_provider_id,
        "rendering_provider_id",
        "Rendering provider",
        required=True,
    )
    problems += _location_problems(session, form.location_id)
    return problems + _appointment_problems(session, form)


def shape_problems(session: Session, form: EncounterForm) -> list[Problem]:
    """Return the problems that keep the encounter from being stored, even as a draft."""
    problems = _header_shape_problems(session, form)
    for index, line in enumerate(form.lines):
        problems += _line_shape_problems(index, line)
    return problems


# ---- header: dates, places and related causes -----------------------------------------------


def _date_problems(day: date | None, facts: _Facts, field: str, label: str) -> list[Problem]:
    if day is None:
        return []
    if day > facts.today:
        return [
            Problem(
                field,
                f"{label} {day.isoformat()} is in the future; charges are entered on or after "
                "the day of the visit, so correct the date.",
            )
        ]
    if facts.birth_date is not None and day < facts.birth_date:
        return [
            Problem(
                field,
                f"{label} {day.isoformat()} is before the patient's date of birth; correct "
                "the date, or check that the right patient is chosen.",
            )
        ]
    return []


def _lock_problems(day: date | None, facts: _Facts, field: str, label: str) -> list[Problem]:
    if day is None or facts.lock_date is None or day > facts.lock_date:
        return []
    return [
        Problem(
            field,
            f"{label} {day.isoformat()} is in a closed period: the ledger is closed through "
            f"{facts.lock_date.isoformat()}. Ask a manager to move the ledger lock date back, "
            "or correct the date.",
        )
    ]


def _accident_problems(form: EncounterForm) -> list[Problem]:
    if not form.related_auto_accident:
        return []
    if not form.auto_accident_state.strip():
        return [
            Problem(
                "auto_accident_state",
                "Auto accident state is missing; claims for an auto accident name the state "
                "where it happened, such as IL.",
            )
        ]
    return v.state_problems(form.auto_accident_state, "auto_accident_state")


def _onset_problems(form: EncounterForm, facts: _Facts) -> list[Problem]:
    onset = form.onset_date
    if onset is None:
        return []
    if form.service_date is not None and onset > form.service_date:
        return [
            Problem(
                "onset_date",
                f"Onset date {onset.isoformat()} is after the date of service "
                f"{form.service_date.isoformat()}; enter the day the illness began or the "
                "accident happened.",
            )
        ]
    return _date_problems(onset, facts, "onset_date", "Onset date")


def _place_problems(code: str) -> list[Problem]:
    problems = v.place_of_service_problems(code, "place_of_service")
    if problems:
        return problems
    if place_of_service.place_name(code.strip()) is None:
        return [
            Problem(
                "place_of_service",
                f"Place of service {code.strip()} is not in the CMS code set; choose one from "
                "the list, such as 11 (office).",
            )
        ]
    return []


def _referring_problems(session: Session, referring_id: uuid.UUID | None) -> list[Problem]:
    if referring_id is None:
        return []
    referring = session.get(OutsideProvider, referring_id)
    if referring is None or referring.archived:
        return [
            Problem(
                "referring_provider_id",
                "The referring provider was not found or is archived; choose another, or add "
                "them under Admin > Outside providers.",
            )
        ]
    return []


def _authorization_problems(session: Session, form: EncounterForm) -> list[Problem]:
    if form.prior_authorization_id is None:
        return []
    found = session.get(PriorAuthorization, form.prior_authorization_id)
    if found is None or found.archived or found.patient_id != form.patient_id:
        return [
            Problem(
                "prior_authorization_id",
                "The prior authorization is not one of this patient's authorizations on file; "
                "choose another or none.",
            )
        ]
    day = form.service_date
    if day is not None and not found.starts_on <= day <= found.ends_on:
        return [
            Problem(
                "prior_authorization_id",
                f"Authorization {found.authorization_number} runs from "
                f"{found.starts_on.isoformat()} to {found.ends_on.isoformat()}, which does not "
                f"include the date of service {day.isoformat()}; check the dates with the payer.",
                Severity.WARNING,
            )
        ]
    return []


def _same_day_problems(session: Session, form: EncounterForm) -> list[Problem]:
    """Warn of another encounter for the patient on the same date, which may bill a visit twice."""
    if form.patient_id is None or form.service_date is None:
        return []
    query = select(Encounter).where(
        Encounter.patient_id == form.patient_id,
        Encounter.service_date == form.service_date,
        Encounter.archived.is_(False),
    )
    if form.id is not None:
        query = query.where(Encounter.id != form.id)
    other = session.scalars(query.order_by(Encounter.encounter_number)).first()
    if other is None:
        return []
    return [
        Problem(
            "service_date",
            f"Encounter {other.encounter_number} ({other.status}) is for the same patient and "
            f"date {form.service_date.isoformat()}; check this is a separate visit and not the "
            "same one entered twice.",
            Severity.WARNING,
        )
    ]


def _header_problems(session: Session, form: EncounterForm, facts: _Facts) -> list[Problem]:
    problems = _header_shape_problems(session, form)
    problems += _date_problems(form.service_date, facts, "service_date", "Date of service")
    problems += _lock_problems(form.service_date, facts, "service_date", "Date of service")
    problems += _same_day_problems(session, form)
    problems += _provider_problems(
        session,
        form.supervising_provider_id,
        "supervising_provider_id",
        "Supervising provider",
        required=False,
    )
    problems += _referring_problems(session, form.referring_provider_id)
    problems += _place_problems(form.place_of_service)
    problems += _authorization_problems(session, form)
    problems += _accident_problems(form)
    return problems + _onset_problems(form, facts)


# ---- diagnoses ------------------------------------------------------------------------------


def _code_errors(session: Session, code: str, day: date, field: str) -> list[Problem]:
    found = icd10.code_problems(session, code, day, field)
    return [problem for problem in found if problem.severity is Severity.ERROR]


def _diagnosis_problems(session: Session, form: EncounterForm) -> list[Problem]:
    if not form.diagnoses:
        return [
            Problem(
                "diagnoses",
                "No diagnosis is entered; add at least one ICD-10-CM code, the primary "
                "diagnosis first.",
            )
        ]

    problems: list[Problem] = []
    first_position: dict[str, int] = {}
    for index, typed in enumerate(form.diagnoses):
        field = f"diagnoses[{index}]"
        code = icd10.normalize_code(typed)
        if not code:
            problems.append(
                Problem(field, f"Diagnosis {index + 1} is blank; type a code or remove the row.")
            )
            continue
        if code in first_position:
            problems.append(
                Problem(
                    field,
                    f"{icd10.display_code(code)} is already diagnosis {first_position[code]}; "
                    "remove the repeat and point lines to the first one.",
                )
            )
            continue
        first_position[code] = index + 1
        if form.service_date is not None:
            problems += _code_errors(session, code, form.service_date, field)

    if form.service_date is not None:
        # One warning for the encounter, not one per code, when no edition covers the date.
        choice = icd10.edition_for(session, form.service_date)
        problems += icd10.edition_problems(choice, form.service_date, "diagnoses")
    count = len(form.diagnoses)
    if count > MAX_CLAIM_DIAGNOSES:
        problems.append(
            Problem(
                "diagnoses",
                f"The encounter has {count} diagnoses and a claim carries at most "
                f"{MAX_CLAIM_DIAGNOSES}, so it will be billed on more than one claim.",
                Severity.WARNING,
            )
        )
    return problems


# ---- service lines --------------------------------------------------------------------------


def _pointer_problems(index: int, line: LineForm, facts: _Facts) -> list[Problem]:
    field = f"lines[{index}].pointers"
    number = index + 1
    problems: list[Problem] = []
    seen: set[int] = set()
    for pointer in line.pointers:
        if pointer in seen:
            problems.append(
                Problem(
                    field,
                    f"Line {number} points to diagnosis {pointer} twice; list each diagnosis once.",
                )
            )
            continue
        seen.add(pointer)
        if pointer < 1 or pointer > facts.diagnosis_count:
            listed = (
                f"the encounter lists {facts.diagnosis_count} diagnoses"
                if facts.diagnosis_count
                else "the encounter has no diagnoses yet"
            )
            problems.append(
                Problem(
                    field,
                    f"Line {number} points to diagnosis {pointer}, but {listed}; point to a "
                    "diagnosis in the list or add the missing one.",
                )
            )
    return problems


def _unknown_code_problem(index: int, code: str) -> Problem:
    field = f"lines[{index}].procedure_code"
    if not code:
        return Problem(field, f"Line {index + 1} has no procedure code; type a CPT or HCPCS code.")
    return Problem(
        field,
        f"Procedure code {v.echo_for_message(code)} on line {index + 1} is not one of the "
        "practice's procedure codes; add it under Admin > Procedure codes or import it with a "
        f"fee schedule, then enter it again.{v.lookalike_note(code)}",
    )


def _fee_problems(
    session: Session, actor: Actor, index: int, line: LineForm, schedule_fee: Decimal | None
) -> list[Problem]:
    field = f"lines[{index}].unit_fee"
    number = index + 1
    code = normalize_procedure_code(line.procedure_code)
    if line.unit_fee is None:
        if schedule_fee is not None:
            return []
        return [
            Problem(
                field,
                f"The practice fee schedule has no fee for {code} on line {number}'s date of "
                "service; add the code to the schedule in force on that date (Admin > Fee "
                "schedules), or type the fee.",
            )
        ]
    if not line.unit_fee.is_finite():
        return []  # reported by _line_shape_problems
    if line.unit_fee < 0:
        return [
            Problem(field, f"Line {number} has a negative fee {line.unit_fee}; enter 0 or more.")
        ]
    return _fee_change_problems(session, actor, index, line, schedule_fee)


def _fee_change_problems(
    session: Session, actor: Actor, index: int, line: LineForm, schedule_fee: Decimal | None
) -> list[Problem]:
    """Return an error when a role without CHARGE_CHANGE_FEE typed over the schedule's price."""
    if line.unit_fee is None or schedule_fee is None or line.unit_fee == schedule_fee:
        return []
    if actor.can(Permission.CHARGE_CHANGE_FEE) or _fee_already_stored(session, line):
        return []
    code = normalize_procedure_code(line.procedure_code)
    return [
        Problem(
            f"lines[{index}].unit_fee",
            f"The fee {line.unit_fee} on line {index + 1} differs from the fee schedule's "
            f"{schedule_fee} for {code}, and your role does not allow changing fees; clear the "
            "fee to use the schedule's price, or ask a manager to change it.",
        )
    ]


def fee_permission_problems(session: Session, actor: Actor, form: EncounterForm) -> list[Problem]:
    """Return the fees typed over the schedule's price by a role that may not change fees.

    Saving a draft stops on these, so a typed fee stored on a line was always entered by
    someone with CHARGE_CHANGE_FEE, and posting may trust it.
    """
    problems: list[Problem] = []
    for index, line in enumerate(form.lines):
        code = normalize_procedure_code(line.procedure_code)
        day = line_date(form, line)
        if line.unit_fee is None or not code or day is None:
            continue
        schedule_fee = fee_for(session, code, normalize_modifiers(line.modifiers), day)
        problems += _fee_change_problems(session, actor, index, line, schedule_fee)
    return problems


def _fee_already_stored(session: Session, line: LineForm) -> bool:
    """Return True when the typed fee is the one a permitted user already saved on the line."""
    if line.id is None:
        return False
    stored = session.get(ChargeLine, line.id)
    return stored is not None and stored.fee_changed and stored.unit_fee == line.unit_fee


def _ndc_problems(index: int, line: LineForm, required: bool) -> list[Problem]:
    typed = (line.ndc_code, line.ndc_quantity, line.ndc_unit)
    if not required and not any(text.strip() for text in typed):
        return []
    prefix = f"lines[{index}]"
    return (
        ndc_code_problems(line.ndc_code, f"{prefix}.ndc_code")
        + ndc_quantity_problems(line.ndc_quantity, f"{prefix}.ndc_quantity")
        + ndc_unit_problems(line.ndc_unit, f"{prefix}.ndc_unit")
    )


def _line_problems(
    session: Session, actor: Actor, form: EncounterForm, index: int, facts: _Facts
) -> list[Problem]:
    line = form.lines[index]
    prefix = f"lines[{index}]"
    day = line_date(form, line)
    code = normalize_procedure_code(line.procedure_code)
    typed_modifiers = normalize_modifiers(line.modifiers)

    procedure = find_procedure_code(session, code) if code else None
    problems = [] if procedure is not None else [_unknown_code_problem(index, code)]
    date_label = f"Line {index + 1} date of service"
    problems += _date_problems(line.service_date, facts, f"{prefix}.service_date", date_label)
    problems += _lock_problems(line.service_date, facts, f"{prefix}.service_date", date_label)
    problems += modifiers.modifier_problems(session, typed_modifiers, f"{prefix}.modifiers")
    problems += _line_shape_problems(index, line)
    problems += _pointer_problems(index, line, facts)
    if procedure is None or day is None:
        return problems + _ndc_problems(index, line, required=False)

    payer_id = primary_payer_on(session, form.patient_id, day) if form.patient_id else None
    problems += modifiers.required_modifier_problems(
        session, code, typed_modifiers, payer_id, f"{prefix}.modifiers"
    )
    schedule_fee = fee_for(session, code, typed_modifiers, day)
    problems += _fee_problems(session, actor, index, line, schedule_fee)
    return problems + _ndc_problems(index, line, required=procedure.requires_ndc)


def _facts(session: Session, form: EncounterForm) -> _Facts:
    patient = session.get(Patient, form.patient_id) if form.patient_id is not None else None
    return _Facts(
        today=practice_today(session),
        birth_date=patient.date_of_birth if patient is not None else None,
        diagnosis_count=len(form.diagnoses),
        lock_date=ledger_lock_date(session),
    )


def encounter_problems(session: Session, actor: Actor, form: EncounterForm) -> list[Problem]:
    """Return every problem with the encounter: header, then diagnoses, then each line."""
    facts = _facts(session, form)
    problems = _header_problems(session, form, facts)
    problems += _diagnosis_problems(session, form)
    if not form.lines:
        problems.append(
            Problem("lines", "The encounter has no service lines; add at least one procedure.")
        )
    for index in range(len(form.lines)):
        problems += _line_problems(session, actor, form, index, facts)
    return problems
