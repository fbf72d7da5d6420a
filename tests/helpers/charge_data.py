"""A practice ready for charge entry: procedure codes, fee schedules, modifiers and a visit type.

Built on the scheduling practice, through the services that own each record. The codes
carry made-up local labels, because ClinicDesk ships no CPT descriptions.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import booking, fee_schedules, modifiers, procedure_codes, schedule_setup
from app.services.encounters import EncounterForm, LineForm
from app.services.fee_schedules import FeeItemForm, FeeScheduleForm, ScheduleKind
from app.services.procedure_codes import ProcedureCodeForm
from app.services.schedule_setup import AppointmentTypeInput
from tests.helpers.scheduling_data import SchedulingPractice, build_scheduling_practice, wall

# A Monday inside the bundled ICD-10-CM edition (FY2026) and the 2026 fee schedule.
VISIT_DAY = date(2026, 2, 2)
# A day priced by the 2025 schedule, inside the FY2025 ICD-10-CM year.
LAST_YEAR_DAY = date(2025, 6, 2)

# (code, label, default units, requires an NDC)
CODES = (
    ("99213", "Office visit, est. level 3", 1, False),
    ("99214", "Office visit, est. level 4", 1, False),
    ("97110", "Therapy exercise, per 15 min", 2, False),
    ("J1100", "Dexamethasone injection, 1 mg", 1, True),
    ("T1001", "Nursing assessment (no fee set)", 1, False),
)
# Practice charges from 2026 on, keyed by (code, modifier).
FEES_2026 = {
    ("99213", ""): "120.00",
    ("99213", "25"): "130.00",
    ("99214", ""): "175.00",
    ("97110", ""): "40.00",
    ("J1100", ""): "15.00",
}
FEES_2025 = {("99213", ""): "110.00", ("99214", ""): "160.00"}
# Aetna's contracted amounts: what the payer allows, never what the practice charges.
AETNA_ALLOWED = {("99213", ""): "85.00"}


@dataclass(frozen=True)
class ChargePractice:
    """Ids and actors the charge tests use."""

    scheduling: SchedulingPractice
    admin: Actor
    biller: Actor
    manager: Actor
    provider: Actor
    front_desk: Actor
    visit_type_id: uuid.UUID

    @property
    def patient_id(self) -> uuid.UUID:
        """The first patient, with Aetna as primary coverage."""
        return self.scheduling.patient_ids[0]

    @property
    def uninsured_patient_id(self) -> uuid.UUID:
        """The third patient, who has no coverage."""
        return self.scheduling.patient_ids[2]

    @property
    def aetna_id(self) -> uuid.UUID:
        """The payer of the first patient's primary coverage."""
        return self.scheduling.base.aetna_id

    @property
    def provider_id(self) -> uuid.UUID:
        """The first rendering provider."""
        return self.scheduling.provider_ids[0]

    @property
    def location_id(self) -> uuid.UUID:
        """The practice's only location."""
        return self.scheduling.location_id

    def form(
        self,
        lines: list[LineForm] | None = None,
        *,
        diagnoses: list[str] | None = None,
        patient_id: uuid.UUID | None = None,
        day: date = VISIT_DAY,
    ) -> EncounterForm:
        """Build a complete encounter form: one 99213 line pointing at one diagnosis."""
        return EncounterForm(
            patient_id=patient_id or self.patient_id,
            service_date=day,
            rendering_provider_id=self.provider_id,
            location_id=self.location_id,
            diagnoses=["E11.9"] if diagnoses is None else diagnoses,
            lines=[LineForm(procedure_code="99213")] if lines is None else lines,
        )


def _actor(admin: Actor, role: Role) -> Actor:
    # The admin's user id is reused, so ledger rows have a person to name.
    return Actor(admin.user_id, role.value, role, admin.workstation)


def add_schedule(
    database: Database,
    actor: Actor,
    name: str,
    dates: tuple[date, date | None],
    *,
    prices: dict[tuple[str, str], str],
    payer_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Create a fee schedule (of allowed amounts when `payer_id` is set) with its prices."""
    kind = ScheduleKind.ALLOWED if payer_id else ScheduleKind.PRACTICE
    form = FeeScheduleForm(name, kind.value, payer_id, dates[0], dates[1])
    with database.transaction() as session:
        outcome = fee_schedules.save_fee_schedule(session, actor, form)
        outcome.raise_if_rejected()
        assert outcome.record_id is not None
        for (code, modifier), amount in prices.items():
            item = FeeItemForm(outcome.record_id, code, modifier, Decimal(amount))
            fee_schedules.save_fee_item(session, actor, item).raise_if_rejected()
    return outcome.record_id


def build_charge_practice(database: Database) -> ChargePractice:
    """Set up the scheduling practice, then the codes, schedules and modifiers for billing."""
    scheduling = build_scheduling_practice(database)
    admin = scheduling.admin
    manager = _actor(admin, Role.MANAGER)

    with database.transaction() as session:
        for code, label, units, requires_ndc in CODES:
            form = ProcedureCodeForm(
                code=code, description=label, default_units=units, requires_ndc=requires_ndc
            )
            procedure_codes.save_procedure_code(session, manager, form).raise_if_rejected()

        modifiers.seed_standard_modifiers(session, manager)
        separate_visit = modifiers.ModifierForm("25", "Separate visit, same day")
        modifiers.save_modifier(session, manager, separate_visit).raise_if_rejected()
        therapy_rule = modifiers.ModifierRuleForm(
            "97110", "GP GO", scheduling.base.aetna_id, "Aetna wants the therapy plan modifier."
        )
        modifiers.save_modifier_rule(session, manager, therapy_rule).raise_if_rejected()

        visit_type = schedule_setup.save_appointment_type(
            session, admin, None, AppointmentTypeInput("Follow-up", 30, codes=("99213",))
        )

    year_2025 = (date(2025, 1, 1), date(2025, 12, 31))
    since_2026 = (date(2026, 1, 1), None)
    aetna_id = scheduling.base.aetna_id
    add_schedule(database, manager, "Charges 2025", year_2025, prices=FEES_2025)
    add_schedule(database, manager, "Charges 2026", since_2026, prices=FEES_2026)
    add_schedule(
        database, manager, "Aetna allowed 2026", since_2026, prices=AETNA_ALLOWED, payer_id=aetna_id
    )

    return ChargePractice(
        scheduling=scheduling,
        admin=admin,
        biller=_actor(admin, Role.BILLER),
        manager=manager,
        provider=_actor(admin, Role.PROVIDER),
        front_desk=scheduling.front_desk,
        visit_type_id=visit_type.record_id,
    )


def book_visit(
    database: Database, practice: ChargePractice, starts_at: datetime | None = None
) -> uuid.UUID:
    """Book a follow-up for the first patient with the first provider and return its id."""
    when = starts_at or wall(VISIT_DAY.year, VISIT_DAY.month, VISIT_DAY.day, 9)
    request = practice.scheduling.request(when, appointment_type_id=practice.visit_type_id)
    with database.transaction() as session:
        outcome = booking.book(session, practice.front_desk, request)
    assert outcome.appointment_id is not None
    return outcome.appointment_id


def check_in_and_out(
    database: Database, practice: ChargePractice, appointment_id: uuid.UUID
) -> None:
    """Move a booked visit through arrival to check-out, as the front desk does."""
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, appointment_id, "arrived")
        booking.checkout(session, practice.front_desk, appointment_id)
