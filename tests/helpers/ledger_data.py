"""Encounters, charge lines and posted charges for the ledger tests, built from the models.

Encounters and lines are made with the ORM directly, so the ledger tests do not depend
on the encounter service. The ledger rows themselves go through `post_entry`.
"""

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.security.permissions import Actor, Role
from app.services.appointment_status import create_appointment
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, post_entry, reverse_entry
from tests.helpers.scheduling_data import SchedulingPractice, build_scheduling_practice

_numbers = itertools.count(1)


@dataclass(frozen=True)
class LedgerPractice:
    """The scheduling practice plus a biller, and its Aetna payer for insurance rows."""

    base: SchedulingPractice
    biller: Actor
    provider: Actor
    aetna_id: uuid.UUID
    cigna_id: uuid.UUID

    @property
    def admin(self) -> Actor:
        """The practice's administrator."""
        return self.base.admin

    @property
    def manager(self) -> Actor:
        """A manager (the admin's user id under the manager role)."""
        return self.base.manager

    @property
    def front_desk(self) -> Actor:
        """A front-desk user (the admin's user id under the front-desk role)."""
        return self.base.front_desk

    @property
    def patient_ids(self) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        """Rivera, Chen and Nguyen."""
        return self.base.patient_ids


def _as_role(admin: Actor, role: Role, name: str) -> Actor:
    return Actor(user_id=admin.user_id, username=name, role=role, workstation=admin.workstation)


def build_ledger_practice(database: Database) -> LedgerPractice:
    """Set up the scheduling practice and the actors the ledger tests post as."""
    base = build_scheduling_practice(database)
    return LedgerPractice(
        base=base,
        biller=_as_role(base.admin, Role.BILLER, "biller"),
        provider=_as_role(base.admin, Role.PROVIDER, "doctor"),
        aetna_id=base.base.aetna_id,
        cigna_id=base.base.cigna_id,
    )


def add_encounter(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    service_date: date,
    *,
    status: str = "draft",
    appointment_id: uuid.UUID | None = None,
) -> Encounter:
    """Insert an encounter row (draft by default) with the first provider and location."""
    encounter = Encounter(
        encounter_number=f"E-T{next(_numbers):06d}",
        patient_id=patient_id,
        appointment_id=appointment_id,
        service_date=service_date,
        rendering_provider_id=practice.base.provider_ids[0],
        location_id=practice.base.location_id,
        place_of_service="11",
        status=status,
    )
    session.add(encounter)
    session.flush()
    return encounter


def add_charge_line(
    session: Session, encounter: Encounter, procedure_code: str, amount: Decimal, position: int = 1
) -> ChargeLine:
    """Insert one unit of `procedure_code` at `amount` on the encounter."""
    line = ChargeLine(
        encounter_id=encounter.id,
        position=position,
        service_date=encounter.service_date,
        procedure_code=procedure_code,
        units=1,
        unit_fee=amount,
        charge_amount=amount,
        pointer1=1,
    )
    session.add(line)
    session.flush()
    return line


def post_charge(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    procedure_code: str,
    amount: str,
    *,
    service_date: date,
    payer_id: uuid.UUID | None = None,
) -> LedgerEntry:
    """Insert a posted encounter with one line and post its charge row through the ledger.

    With `payer_id` the charge goes to that payer as primary; without it, to the patient.
    """
    encounter = add_encounter(session, practice, patient_id, service_date, status="posted")
    line = add_charge_line(session, encounter, procedure_code, Decimal(amount))
    encounter.posted_at = datetime.now().astimezone()
    encounter.posted_by = practice.biller.user_id
    return post_entry(
        session,
        practice.biller,
        entry_type="charge",
        amount=Decimal(amount),
        patient_id=patient_id,
        responsible_party=RESPONSIBLE_PATIENT if payer_id is None else "primary",
        payer_id=payer_id,
        service_date=service_date,
        source_type=CHARGE_LINE_SOURCE,
        source_id=line.id,
        memo=f"Charge {procedure_code}",
    )


def post_payment(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    amount: str,
    *,
    payer_id: uuid.UUID | None = None,
    service_date: date | None = None,
) -> LedgerEntry:
    """Post a payment (a negative row) from the patient, or from `payer_id` as primary."""
    return post_entry(
        session,
        practice.front_desk,
        entry_type="payment",
        amount=-Decimal(amount),
        patient_id=patient_id,
        responsible_party=RESPONSIBLE_PATIENT if payer_id is None else "primary",
        payer_id=payer_id,
        service_date=service_date,
        memo="Payment",
    )


def add_visit(
    session: Session,
    practice: LedgerPractice,
    starts_at: datetime,
    status: str = "checked_out",
    *,
    patient: int = 0,
) -> uuid.UUID:
    """Insert an appointment already in `status`, skipping booking rules and status hooks."""
    request = practice.base.request(starts_at, patient=patient)
    appointment = create_appointment(session, practice.front_desk, request, "Office visit")
    appointment.status = status
    session.flush()
    return appointment.id


def build_family_ledger(database: Database) -> LedgerPractice:
    """Build the ledger practice with a family ledger and one unrelated patient's charge.

    Rivera has a $120 Aetna charge, a $15 charge that was reversed and a $20 payment
    (balance $100). Chen is her dependent with a $90 charge, and Nguyen has a $70 charge.
    """
    practice = build_ledger_practice(database)
    rivera, chen, nguyen = practice.patient_ids
    day = date(2026, 2, 2)
    with database.transaction() as session:
        dependent = session.get(Patient, chen)
        assert dependent is not None
        dependent.guarantor_patient_id = rivera
        post_charge(
            session, practice, rivera, "99213", "120", service_date=day, payer_id=practice.aetna_id
        )
        wrong = post_charge(session, practice, rivera, "99000", "15", service_date=day)
        reverse_entry(session, practice.biller, wrong.id, "Not done")
        post_payment(session, practice, rivera, "20")
        post_charge(session, practice, chen, "99392", "90", service_date=day)
        post_charge(session, practice, nguyen, "99213", "70", service_date=day)
    return practice
