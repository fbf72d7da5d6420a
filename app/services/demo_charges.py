"""Demo charge capture: procedure codes, fees, and encounters for the demo's past visits.

The demo bills only HCPCS Level II codes, which CMS publishes for anyone to use, with
labels written for ClinicDesk. CPT codes belong to the AMA, so none appear here. A real
practice imports its own from its fee schedule.
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ids import UserId
from app.models.charges import Encounter
from app.models.practice import Payer
from app.models.scheduling import Appointment, AppointmentType, AppointmentTypeCode
from app.models.security import User
from app.security.permissions import Actor, Role
from app.services import encounters
from app.services.fee_schedules import (
    FeeItemForm,
    FeeScheduleForm,
    save_fee_item,
    save_fee_schedule,
)
from app.services.modifiers import seed_standard_modifiers
from app.services.procedure_codes import ProcedureCodeForm, save_procedure_code

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoCode:
    """A procedure code the demo practice bills, with its charge per unit."""

    code: str
    label: str
    fee: str
    requires_ndc: bool = False


DEMO_CODES = (
    DemoCode("T1015", "Clinic visit, all-inclusive", "145.00"),
    DemoCode("G2211", "Visit complexity add-on", "16.00"),
    DemoCode("G0438", "Annual wellness visit, first", "175.00"),
    DemoCode("G0439", "Annual wellness visit, later", "135.00"),
    DemoCode("G0444", "Depression screening, yearly", "20.00"),
    DemoCode("G0442", "Alcohol misuse screening", "22.00"),
    DemoCode("S0612", "Yearly preventive exam, established", "190.00"),
    DemoCode("G0008", "Flu shot, giving it", "30.00"),
    DemoCode("J1885", "Ketorolac injection, 15 mg", "12.00", requires_ndc=True),
    DemoCode("J3301", "Triamcinolone injection, 10 mg", "18.00", requires_ndc=True),
)

# The codes each demo visit type bills, in line order.
VISIT_TYPE_CODES = {
    "Follow-up": ("T1015", "G2211"),
    "Sick visit": ("T1015",),
    "Annual physical": ("S0612",),
    "New patient": ("T1015",),
    "Medicare wellness": ("G0439", "G0444"),
    "Procedure": ("T1015", "J3301"),
}

# Plausible diagnoses for each visit type. Each encounter takes one to three of them.
VISIT_TYPE_DIAGNOSES = {
    "Follow-up": ("I10", "E119", "E785", "F411", "K219"),
    "Sick visit": ("J069", "J029", "R059", "H6690", "N390"),
    "Annual physical": ("Z0000", "Z0001", "Z23"),
    "New patient": ("Z0000", "I10", "E669", "M5450"),
    "Medicare wellness": ("Z0000", "I10", "E119"),
    "Procedure": ("M5459", "M25561", "M7521"),
}

# Drug lines carry the NDC of the vial given; these are well-formed sample numbers.
DEMO_NDC = ("00409377501", "0.5", "ML")
# Insurers allow a share of the practice's charge under their contracts.
ALLOWED_SHARE = Decimal("0.72")
# Share of past visits the demo leaves unposted, so "Appointments not billed" has rows.
UNPOSTED_SHARE = 0.12


def _add_codes(session: Session, actor: Actor) -> None:
    for demo in DEMO_CODES:
        form = ProcedureCodeForm(
            code=demo.code,
            description=demo.label,
            kind="hcpcs",
            requires_ndc=demo.requires_ndc,
        )
        save_procedure_code(session, actor, form).raise_if_rejected()


def _add_schedule(session: Session, actor: Actor, form: FeeScheduleForm, share: Decimal) -> None:
    outcome = save_fee_schedule(session, actor, form)
    outcome.raise_if_rejected()
    for demo in DEMO_CODES:
        amount = (Decimal(demo.fee) * share).quantize(Decimal("0.01"))
        item = FeeItemForm(
            fee_schedule_id=outcome.record_id, procedure_code=demo.code, amount=amount
        )
        save_fee_item(session, actor, item).raise_if_rejected()


def _add_fee_schedules(session: Session, actor: Actor, starting: date) -> None:
    practice = FeeScheduleForm(name="Practice fees", kind="practice", effective_from=starting)
    _add_schedule(session, actor, practice, Decimal(1))
    for payer in session.scalars(select(Payer).order_by(Payer.name)):
        allowed = FeeScheduleForm(
            name=f"{payer.name} allowed"[:60],
            kind="allowed",
            payer_id=payer.id,
            effective_from=starting,
        )
        _add_schedule(session, actor, allowed, ALLOWED_SHARE)


def _link_type_codes(session: Session) -> None:
    for visit_type in session.scalars(select(AppointmentType)):
        for position, code in enumerate(VISIT_TYPE_CODES.get(visit_type.name, ()), start=1):
            session.add(
                AppointmentTypeCode(appointment_type_id=visit_type.id, code=code, position=position)
            )
    session.flush()


def add_demo_codes(session: Session, actor: Actor, starting: date) -> None:
    """Add modifiers, the demo's procedure codes, fee schedules and visit-type codes."""
    seed_standard_modifiers(session, actor)
    _add_codes(session, actor)
    _add_fee_schedules(session, actor, starting)
    _link_type_codes(session)


def biller_actor(session: Session, workstation: str) -> Actor:
    """Return the demo biller as an actor, so posted rows name a person."""
    biller = session.scalars(select(User).where(User.username == "biller")).one()
    return Actor(
        user_id=UserId(biller.id),
        username=biller.username,
        role=Role.BILLER,
        workstation=workstation,
    )


def _fill_encounter(
    session: Session, actor: Actor, encounter_id: uuid.UUID, visit_type: str, rng: random.Random
) -> None:
    form = encounters.load_encounter(session, actor, encounter_id)
    choices = VISIT_TYPE_DIAGNOSES.get(visit_type, ("Z0000",))
    form.diagnoses = rng.sample(choices, k=min(len(choices), rng.randint(1, 3)))
    for line in form.lines:
        line.pointers = list(range(1, len(form.diagnoses) + 1))[:4]
        if line.procedure_code.startswith("J"):
            line.ndc_code, line.ndc_quantity, line.ndc_unit = DEMO_NDC
    encounters.save_encounter(session, actor, form).raise_if_rejected()


def _billable_visits(session: Session) -> list[Appointment]:
    query = (
        select(Appointment)
        .where(Appointment.status == "checked_out")
        .where(
            ~Appointment.id.in_(
                select(Encounter.appointment_id).where(Encounter.appointment_id.is_not(None))
            )
        )
        .order_by(Appointment.starts_at)
    )
    return list(session.scalars(query))


def add_demo_encounters(session: Session, actor: Actor, seed: int) -> tuple[int, int]:
    """Turn the demo's checked-out visits into encounters and post most of them.

    Returns (encounters created, encounters posted). Visits of a type without codes stay
    unbilled, as they would in a practice that has not set those codes up.
    """
    rng = random.Random(seed + 7)  # noqa: S311 (reproducible, not secret)
    created = posted = 0
    for appointment in _billable_visits(session):
        if appointment.appointment_type not in VISIT_TYPE_CODES:
            continue
        encounter_id = encounters.encounter_for_appointment(session, actor, appointment.id)
        _fill_encounter(session, actor, encounter_id, appointment.appointment_type, rng)
        created += 1
        if rng.random() >= UNPOSTED_SHARE:
            encounters.post_encounter(session, actor, encounter_id)
            posted += 1
    log.info("demo encounters: %d created, %d posted", created, posted)
    return created, posted
