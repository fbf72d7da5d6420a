"""A practice with open service lines for front-desk payment tests.

Charges are posted through `ledger.post_entry` the way encounter posting writes them,
naming their line in both `charge_line_id` and the source, so line balances read them.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, post_entry
from app.services.ledger_verify import ledger_check
from app.services.users import create_user
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_charge_line,
    add_encounter,
    build_ledger_practice,
)

# Nguyen's self-pay visits, oldest first, and Rivera's visit billed to Aetna.
FIRST_VISIT = date(2026, 2, 2)
SECOND_VISIT = date(2026, 3, 2)
SECOND_USER_PASSWORD = "Lakeside-desk-2025!"


@dataclass(frozen=True)
class DeskPractice:
    """The ledger practice with open lines, and a second desk user who takes payments too.

    Nguyen owes $120 on FIRST_VISIT (99213) and $80 on SECOND_VISIT (97110). Rivera owes
    $40 on FIRST_VISIT (99214) while $150 of the same visit (99213) waits on Aetna.
    """

    ledger: LedgerPractice
    first_line: uuid.UUID
    second_line: uuid.UUID
    rivera_line: uuid.UUID
    insured_line: uuid.UUID
    other_desk: Actor

    @property
    def desk(self) -> Actor:
        """A front-desk user (the administrator's id in the front-desk role)."""
        return self.ledger.front_desk

    @property
    def manager(self) -> Actor:
        """A manager (the administrator's id in the manager role)."""
        return self.ledger.manager

    @property
    def nguyen(self) -> uuid.UUID:
        """The self-pay patient with two open lines."""
        return self.ledger.patient_ids[2]

    @property
    def rivera(self) -> uuid.UUID:
        """The insured patient."""
        return self.ledger.patient_ids[0]


def post_line(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    code: str,
    amount: str,
    *,
    service_date: date,
    payer_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Post one charge line for the patient (to `payer_id` as primary when given)."""
    encounter = add_encounter(session, practice, patient_id, service_date, status="posted")
    line = add_charge_line(session, encounter, code, Decimal(amount))
    post_entry(
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
        memo=f"Charge {code}",
        charge_line_id=line.id,
    )
    return line.id


def build_desk_practice(database: Database) -> DeskPractice:
    """Build the practice, its open lines and the second desk user."""
    practice = build_ledger_practice(database)
    rivera, _chen, nguyen = practice.patient_ids
    with database.transaction() as session:
        first = post_line(session, practice, nguyen, "99213", "120.00", service_date=FIRST_VISIT)
        second = post_line(session, practice, nguyen, "97110", "80.00", service_date=SECOND_VISIT)
        rivera_line = post_line(
            session, practice, rivera, "99214", "40.00", service_date=FIRST_VISIT
        )
        insured = post_line(
            session,
            practice,
            rivera,
            "99213",
            "150.00",
            service_date=FIRST_VISIT,
            payer_id=practice.aetna_id,
        )
        written = create_user(
            session, practice.admin, "jordan", "Jordan Reyes", Role.FRONT_DESK, SECOND_USER_PASSWORD
        )
    other = Actor(
        user_id=written.user.id,
        username="jordan",
        role=Role.FRONT_DESK,
        workstation=practice.admin.workstation,
    )
    return DeskPractice(practice, first, second, rivera_line, insured, other)


def assert_ledger_clean(database: Database, practice: DeskPractice) -> None:
    """Fail with the findings when `ledger verify` finds any problem."""
    with database.transaction() as session:
        findings = ledger_check(session, practice.manager)
    assert findings == []
